package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's example configuration parses, and its JSON and TOML forms
// say the same.
func TestREADMEExampleConfigs(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := func(after, lang string) string {
		s := string(b)
		i := strings.Index(s, after)
		require.GreaterOrEqual(t, i, 0, "README has no %q", after)
		s = s[i:]
		start := strings.Index(s, "```"+lang+"\n")
		end := strings.Index(s[start+4+len(lang):], "```")
		return s[start+4+len(lang) : start+4+len(lang)+end]
	}
	js, err := parseConfig([]byte(block("A member's configuration, in JSON", "json")), false)
	require.NoError(t, err, "README JSON")
	tm, err := parseConfig([]byte(block("and the same in TOML", "toml")), true)
	require.NoError(t, err, "README TOML")
	require.Equal(t, js, tm, "README JSON and TOML differ")
	require.NotNil(t, js.Coordination, "README JSON decoded to %+v", js)
	require.Equal(t, "node-a", js.Coordination.MemberID, "README JSON decoded to %+v", js)
	require.Equal(t, `.*\.csv`, js.FileNamePattern, "README JSON decoded to %+v", js)
}

// codeBlock is one fenced block of a Markdown file.
type codeBlock struct {
	lang, body, before string // before: the prose since the previous block
	line               int
}

var fence = regexp.MustCompile("(?ms)^```(\\w*)\\n(.*?)^```\\n")

func codeBlocks(t *testing.T, path string) []codeBlock {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(b)
	var out []codeBlock
	prev := 0
	for _, m := range fence.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, codeBlock{lang: s[m[2]:m[3]], body: s[m[4]:m[5]], before: s[prev:m[0]], line: strings.Count(s[:m[0]], "\n") + 1})
		prev = m[1]
	}
	return out
}

// Every JSON and TOML example of the docs is a valid listener
// configuration, and a TOML one introduced as "the same in TOML" says what
// the JSON before it says.
func TestDocsExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	require.NotEmpty(t, files, "no docs/*.md")
	examples := 0
	for _, f := range files {
		var lastJSON *listener.ListenerConfig
		for _, b := range codeBlocks(t, f) {
			if b.lang != "json" && b.lang != "toml" {
				continue
			}
			examples++
			cfg, err := parseConfig([]byte(b.body), b.lang == "toml")
			if !assert.NoError(t, err, "%s:%d: %s example", f, b.line, b.lang) {
				continue
			}
			if b.lang == "json" {
				lastJSON = &cfg
			} else if strings.Contains(b.before, "the same in TOML") {
				if lastJSON == nil || !reflect.DeepEqual(*lastJSON, cfg) {
					t.Errorf("%s:%d: the TOML example differs from the JSON before it:\n%+v\n%+v", f, b.line, lastJSON, cfg)
				}
			}
		}
	}
	assert.GreaterOrEqual(t, examples, 2, "examples in docs/*.md")
}

// docs/configuration.md is the one complete reference: a table row for
// every field a configuration can have, by its full path.
func TestConfigurationReferenceIsComplete(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	require.NoError(t, err)
	var rows []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| `") {
			rows = append(rows, strings.SplitN(l, "|", 3)[1])
		}
	}
	documented := func(path string) bool {
		for _, r := range rows {
			if strings.Contains(r, "`"+path+"`") {
				return true
			}
		}
		return false
	}
	paths := fieldPaths(reflect.TypeFor[listener.ListenerConfig](), "")
	require.GreaterOrEqual(t, len(paths), 50, "fields found: %v", paths)
	for _, p := range paths {
		assert.True(t, documented(p), "docs/configuration.md has no row for `%s`", p)
	}
}

// fieldPaths lists the dotted JSON paths of every field of a configuration
// type (list elements as name[]).
func fieldPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[listener.PostAction]() {
		return []string{prefix + "moveTo", prefix + "preserveSubDirs"}
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, prefix+name)
		ft := f.Type
		sub := prefix + name + "."
		if ft.Kind() == reflect.Slice {
			ft, sub = ft.Elem(), prefix+name+"[]."
		}
		out = append(out, fieldPaths(ft, sub)...)
	}
	return out
}

// Links between the docs (and from the README into them) point at files
// and headings that exist.
func TestDocsLinksResolve(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	anchors := map[string]map[string]bool{} // file -> heading slugs
	slugs := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		a := map[string]bool{}
		inFence := false
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "```") {
				inFence = !inFence
			}
			if !inFence && strings.HasPrefix(l, "#") {
				h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
				h = regexp.MustCompile(`[^\p{L}\p{N} _-]`).ReplaceAllString(h, "")
				a[strings.ReplaceAll(h, " ", "-")] = true
			}
		}
		anchors[path] = a
		return a
	}
	link := regexp.MustCompile(`\]\(([^)\s]*)\)`)
	checked := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target, anchor, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") {
				continue
			}
			isREADME := strings.HasSuffix(f, "README.md")
			if isREADME && !strings.HasPrefix(target, "docs/") && !(target == "" && anchor != "") {
				continue // the README's other links are not this test's
			}
			path := f
			if target != "" {
				path = filepath.Join(filepath.Dir(f), target)
			}
			a := slugs(path)
			switch {
			case a == nil:
				t.Errorf("%s: link %s: no file %s", f, m[1], path)
			case anchor != "" && !a[anchor]:
				t.Errorf("%s: link %s: %s has no heading #%s", f, m[1], path, anchor)
			}
			checked++
		}
	}
	assert.GreaterOrEqual(t, checked, 10, "links checked")
}
