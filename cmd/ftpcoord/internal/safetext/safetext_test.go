package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"/in/a.csv":                   "/in/a.csv",
		"/in/we ird ✓ 📦.xml":          "/in/we ird ✓ 📦.xml",
		`C:\x`:                        `C:\x`,
		"/in/a.csv\nDONE  /in/forged": `/in/a.csv\nDONE  /in/forged`,
		"a\rb\tc\x1b[31m":             `a\rb\tc\x1b[31m`,
		"fdp\u202Efdp.exe":            `fdp\u202efdp.exe`,
		"caf\xe9":                     `caf\xe9`,
		"nul\x00":                     `nul\x00`,
		"del\x7f and c1 \u0085":       `del\x7f and c1 \u0085`,
	} {
		require.Equal(t, want, Escape(in), "Escape(%q)", in)
	}
}

// Whatever a name holds, its escaped form is valid UTF-8 with no character
// a terminal would act on or hide, and a clean name is left as it is.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"a.csv", "a\nb", "\x1b[2K\r", "caf\xe9", "\u202e", "\\n", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		require.True(t, utf8.ValidString(got), "Escape(%q) = %q: not UTF-8", s, got)
		for _, r := range got {
			require.True(t, r == ' ' || unicode.IsPrint(r), "Escape(%q) = %q holds %U", s, got, r)
		}
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) })
		if clean {
			require.Equal(t, s, got, "a clean name was changed")
		}
	})
}
