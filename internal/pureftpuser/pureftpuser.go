// Package pureftpuser adds a user of a test's own to the shared pure-ftpd
// of tests/services, so that a test can change its password (rotation)
// without touching the other tests' user.
package pureftpuser

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/internal/sharedfile"
)

// New adds a user whose home is pure-ftpd's root (FTPCOORD_TEST_PUREFTPD_ROOT,
// so remote paths are the same as the shared user's) and returns its name
// and a function that sets its password; the user is removed at the end.
func New(t testing.TB) (string, func(password string)) {
	t.Helper()
	root := os.Getenv("FTPCOORD_TEST_PUREFTPD_ROOT")
	require.NotEmpty(t, root, "FTPCOORD_TEST_PUREFTPD_ROOT is not set: run `make services` (tests/services/start.sh) and export what it prints")
	b := make([]byte, 4)
	rand.Read(b)
	user := fmt.Sprintf("rot%x", b)
	db := filepath.Join(filepath.Dir(root), "pureftpd")
	passwd, pdb := db+".passwd", db+".pdb"
	// Other tests share the file: edit it under a lock, keep their lines.
	edit := func(line string) {
		sharedfile.Edit(t, passwd, func(l string) bool { return strings.HasPrefix(l, user+":") }, line)
		out, err := exec.Command("pure-pw", "mkdb", pdb, "-f", passwd).CombinedOutput()
		require.NoError(t, err, "pure-pw mkdb: %s", out)
	}
	set := func(password string) {
		// pure-pw's own argon2id hash costs seconds per login here; a
		// SHA-512 crypt hash is what tests/services/pureftpd.sh writes too.
		hash, err := exec.Command("openssl", "passwd", "-6", password).Output()
		require.NoError(t, err)
		st, err := os.Stat(root)
		require.NoError(t, err)
		uid, gid := st.Sys().(*syscall.Stat_t).Uid, st.Sys().(*syscall.Stat_t).Gid
		edit(fmt.Sprintf("%s:%s:%d:%d::%s/./::::::::::::", user, strings.TrimSpace(string(hash)), uid, gid, root))
	}
	t.Cleanup(func() { edit("") })
	return user, set
}
