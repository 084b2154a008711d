package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// The example member of docs/command.md parses, and its JSON and TOML forms
// say the same.
func TestCommandDocExampleConfigs(t *testing.T) {
	b, err := os.ReadFile("../../docs/command.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(after, lang string) string {
		s := string(b)
		i := strings.Index(s, after)
		if i < 0 {
			t.Fatalf("docs/command.md has no %q", after)
		}
		s = s[i:]
		start := strings.Index(s, "```"+lang+"\n")
		end := strings.Index(s[start+4+len(lang):], "```")
		return s[start+4+len(lang) : start+4+len(lang)+end]
	}
	js, err := parseConfig([]byte(block("A member's configuration, in JSON", "json")), false)
	if err != nil {
		t.Fatalf("docs/command.md JSON: %v", err)
	}
	tm, err := parseConfig([]byte(block("and the same in TOML", "toml")), true)
	if err != nil {
		t.Fatalf("docs/command.md TOML: %v", err)
	}
	if !reflect.DeepEqual(js, tm) {
		t.Fatalf("docs/command.md JSON and TOML differ:\n%+v\n%+v", js, tm)
	}
	if js.Coordination == nil || js.Coordination.MemberID != "node-a" || js.FileNamePattern != `.*\.csv` {
		t.Fatalf("docs/command.md JSON decoded to %+v", js)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var out []codeBlock
	prev := 0
	for _, m := range fence.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, codeBlock{lang: s[m[2]:m[3]], body: s[m[4]:m[5]], before: s[prev:m[0]], line: strings.Count(s[:m[0]], "\n") + 1})
		prev = m[1]
	}
	return out
}

// Every JSON and TOML example of the docs and of the README (its quickstart)
// is a valid listener configuration, and a TOML one introduced as "the same
// in TOML" says what the JSON before it says.
func TestDocsExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	if len(files) == 0 {
		t.Fatal("no docs/*.md")
	}
	files = append(files, "../../README.md")
	examples := 0
	for _, f := range files {
		var lastJSON *listener.ListenerConfig
		for _, b := range codeBlocks(t, f) {
			if b.lang != "json" && b.lang != "toml" {
				continue
			}
			examples++
			cfg, err := parseConfig([]byte(b.body), b.lang == "toml")
			if err != nil {
				t.Errorf("%s:%d: %s example: %v", f, b.line, b.lang, err)
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
	if examples < 6 {
		t.Errorf("only %d examples in docs/*.md and the README", examples)
	}
}

// docs/configuration.md is the one complete reference: a table row for
// every field a configuration can have, by its full path.
func TestConfigurationReferenceIsComplete(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
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
	if len(paths) < 50 {
		t.Fatalf("only %d fields found: %v", len(paths), paths)
	}
	for _, p := range paths {
		if !documented(p) {
			t.Errorf("docs/configuration.md has no row for `%s`", p)
		}
	}
	// The other way round: every field a row of the reference names is one
	// of the struct's, and every row says its default.
	ref := string(b)
	start, end := strings.Index(ref, "\n## The file server"), strings.Index(ref, "\n## Coming from Ballerina")
	if start < 0 || end < start {
		t.Fatalf("docs/configuration.md: the reference tables (## The file server ... ## Coming from Ballerina) are not found")
	}
	name := regexp.MustCompile("`([A-Za-z.\\[\\]]+)`")
	rowsChecked := 0
	for _, l := range strings.Split(ref[start:end], "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(l, "|")
		if len(cells) < 8 {
			t.Errorf("docs/configuration.md: a reference row without its six cells: %s", l)
			continue
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			if !slices.Contains(paths, m[1]) {
				t.Errorf("docs/configuration.md: the row of `%s` names no field of ListenerConfig", m[1])
			}
		}
		if strings.TrimSpace(cells[3]) == "" {
			t.Errorf("docs/configuration.md: the row of %s gives no default", strings.TrimSpace(cells[1]))
		}
		rowsChecked++
	}
	if rowsChecked < 50 {
		t.Errorf("docs/configuration.md: only %d reference rows found", rowsChecked)
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
			isREADME := f == "../../README.md" // docs/README.md's links are all checked
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
	if checked < 60 {
		t.Errorf("only %d links checked", checked)
	}
}

// The README's Go and C quickstarts compile as written: the Go one with go
// vet in a package of this module (in build/, which ./... skips under a
// leading underscore), the C one against capi/ftpcoord.h.
func TestREADMEQuickstartsCompile(t *testing.T) {
	var goSrc, cSrc string
	for _, b := range codeBlocks(t, "../../README.md") {
		switch {
		case b.lang == "go" && strings.HasPrefix(b.body, "package main\n"):
			goSrc = b.body
		case b.lang == "c" && strings.Contains(b.body, "int main(void)"):
			cSrc = b.body
		}
	}
	if goSrc == "" || cSrc == "" {
		t.Fatalf("the README has no Go quickstart (a go block with package main) or no C one (a c block with main)")
	}
	if err := os.MkdirAll("../../build", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("../../build", "_readme-quickstart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(goSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	vet := exec.Command("go", "vet", "./build/"+filepath.Base(dir))
	vet.Dir = "../.."
	if out, err := vet.CombinedOutput(); err != nil {
		t.Errorf("the README's Go quickstart: go vet: %v\n%s", err, out)
	}
	ensureTool(t, "cc", "gcc")
	cc := exec.Command("cc", "-std=c11", "-Wall", "-Werror", "-fsyntax-only", "-I../../capi", "-x", "c", "-")
	cc.Stdin = strings.NewReader(cSrc)
	if out, err := cc.CombinedOutput(); err != nil {
		t.Errorf("the README's C quickstart: cc: %v\n%s", err, out)
	}
}
