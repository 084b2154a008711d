package listener

import (
	"regexp"
	"strings"
)

// groupRef is a $1-style reference to a target pattern's group.
var groupRef = regexp.MustCompile(`\$(\d+)`)

// dependency is one compiled FileDependencyCondition.
type dependency struct {
	target   *regexp.Regexp
	required []string // patterns with $n references, compiled per target
	mode     string
	count    int
}

type dependencies []dependency

func compileDependencies(conds []FileDependencyCondition) dependencies {
	var out dependencies
	for _, c := range conds {
		re, err := regexp.Compile(`^(?:` + c.TargetPattern + `)$`)
		if err != nil {
			continue // Validate refuses it first
		}
		mode := strings.ToUpper(c.MatchingMode)
		if mode == "" {
			mode = "ALL"
		}
		count := 1 // Ballerina's default
		if c.RequiredFileCount != nil {
			count = *c.RequiredFileCount
		}
		out = append(out, dependency{target: re, required: c.RequiredFiles, mode: mode, count: count})
	}
	return out
}

// targets reports whether a name is held by some condition.
func (d dependencies) targets(name string) bool {
	for _, c := range d {
		if c.target.MatchString(name) {
			return true
		}
	}
	return false
}

// satisfied reports whether every condition that targets name is met by
// the names of its directory.
func (d dependencies) satisfied(name string, dir []string) bool {
	for _, c := range d {
		groups := c.target.FindStringSubmatch(name)
		if groups == nil {
			continue
		}
		matched := 0 // ALL, ANY: required patterns with a match
		pairs := 0   // EXACT_COUNT: as Ballerina counts, every (pattern, file) match, the target's own name too
		for _, r := range c.required {
			// The group's text is literal inside the required pattern.
			p := groupRef.ReplaceAllStringFunc(r, func(ref string) string {
				i := 0
				for _, ch := range ref[1:] {
					i = i*10 + int(ch-'0')
				}
				if i < len(groups) {
					return regexp.QuoteMeta(groups[i])
				}
				return ref
			})
			re, err := regexp.Compile(`^(?:` + p + `)$`)
			if err != nil {
				continue
			}
			found := false
			for _, n := range dir {
				if re.MatchString(n) {
					pairs++
					if n != name {
						found = true
					}
				}
			}
			if found {
				matched++
			}
		}
		switch c.mode {
		case "ANY":
			if matched == 0 {
				return false
			}
		case "EXACT_COUNT":
			if pairs != c.count {
				return false
			}
		default:
			if matched != len(c.required) {
				return false
			}
		}
	}
	return true
}
