package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// The README's example configuration parses, and its JSON and TOML forms
// say the same.
func TestREADMEExampleConfigs(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(after, lang string) string {
		s := string(b)
		i := strings.Index(s, after)
		if i < 0 {
			t.Fatalf("README has no %q", after)
		}
		s = s[i:]
		start := strings.Index(s, "```"+lang+"\n")
		end := strings.Index(s[start+4+len(lang):], "```")
		return s[start+4+len(lang) : start+4+len(lang)+end]
	}
	js, err := parseConfig([]byte(block("A member's configuration, in JSON", "json")), false)
	if err != nil {
		t.Fatalf("README JSON: %v", err)
	}
	tm, err := parseConfig([]byte(block("and the same in TOML", "toml")), true)
	if err != nil {
		t.Fatalf("README TOML: %v", err)
	}
	if !reflect.DeepEqual(js, tm) {
		t.Fatalf("README JSON and TOML differ:\n%+v\n%+v", js, tm)
	}
	if js.Coordination == nil || js.Coordination.MemberID != "node-a" || js.FileNamePattern != `.*\.csv` {
		t.Fatalf("README JSON decoded to %+v", js)
	}
}
