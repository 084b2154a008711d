package ledger

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestCheckPath(t *testing.T) {
	for _, ok := range []string{"/in/a.csv", "/in/📦 ünï.csv", "/in/../../etc/passwd", "/" + strings.Repeat("a", MaxPath-1)} {
		assert.NoError(t, CheckPath(ok), "%q", ok)
	}
	for _, bad := range []string{"/in/caf\xe9.csv", "/in/a\x00b", "/" + strings.Repeat("a", MaxPath)} {
		assert.ErrorIs(t, CheckPath(bad), ErrUnstorablePath, "%.40q", bad)
	}
}

// FuzzVersionKey: hostile names (traversal, NUL, invalid UTF-8, very long)
// always give a 64-digit hex key, the same for the same version, and
// different versions under the same group give different keys.
func FuzzVersionKey(f *testing.F) {
	f.Add("g", "/in/a.csv", int64(1), int64(2), "/in/a.csv", int64(1), int64(3))
	f.Add("g", "/in/../../etc/passwd", int64(0), int64(0), "/in/a\x00b", int64(0), int64(0))
	f.Add("grp", "/in/caf\xe9", int64(-1), int64(1<<62), "/in/caf\xc3\xa9", int64(-1), int64(1<<62))
	f.Add("g", strings.Repeat("/x", 3000), int64(5), int64(5), strings.Repeat("/x", 3000)+"y", int64(5), int64(5))
	f.Fuzz(func(t *testing.T, group, p1 string, s1, m1 int64, p2 string, s2, m2 int64) {
		a, b := File{Path: p1, Size: s1, MTime: m1}, File{Path: p2, Size: s2, MTime: m2}
		for _, mode := range []VersionMode{PathSizeMTime, PathMTime, PathOnly} {
			k := VersionKey(group, mode, a)
			if len(k) != 64 || strings.Trim(k, "0123456789abcdef") != "" || k != VersionKey(group, mode, a) {
				t.Fatalf("key %q", k)
			}
			same := a.Path == b.Path
			switch mode {
			case PathSizeMTime:
				same = same && a.Size == b.Size && a.MTime == b.MTime
			case PathMTime:
				same = same && a.MTime == b.MTime
			}
			// Paths never hold NUL (CheckPath refuses them): without it the
			// encoding is unambiguous.
			if !strings.Contains(a.Path+b.Path, "\x00") && same != (k == VersionKey(group, mode, b)) {
				t.Fatalf("mode %s: %+v and %+v: same version %v, same key %v", mode, a, b, same, !same)
			}
		}
	})
}

// Error texts are stored whole up to maxError bytes, never as broken UTF-8.
func TestClipError(t *testing.T) {
	long := strings.Repeat("a", maxError-1) + "📦 and more"
	for in, want := range map[string]string{
		"short":                   "short",
		"caf\xe9 refused":         "caf\uFFFD refused",
		"exit 1: \x00 on stderr":  "exit 1: \uFFFD on stderr",
		long:                      strings.Repeat("a", maxError-1),
		strings.Repeat("é", 3000): strings.Repeat("é", maxError/2),
	} {
		got := clipError(in)
		if got != want || !utf8.ValidString(got) || len(got) > maxError {
			t.Errorf("clipError(%.20q...) = %.20q... (%d bytes), want %.20q... (%d bytes)", in, got, len(got), want, len(want))
		}
	}
}
