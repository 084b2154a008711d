// Package sharedfile edits a line-based file that tests of several packages
// share (a server's password file, an authorized_keys file), under an
// exclusive lock, keeping the other tests' lines.
package sharedfile

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Edit drops the lines for which drop is true, appends add (when not
// empty), and writes the file back, all under flock(2).
func Edit(t testing.TB, file string, drop func(line string) bool, add string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	old, err := os.ReadFile(file)
	require.NoError(t, err)
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		if !drop(l) {
			keep = append(keep, l)
		}
	}
	if add != "" {
		keep = append(keep, add)
	}
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(keep, "\n")+"\n"), 0o600))
}
