package safetext

import (
	"testing"

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
