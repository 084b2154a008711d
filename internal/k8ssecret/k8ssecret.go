// Package k8ssecret lays out a directory as the kubelet mounts a Secret,
// for tests of secrets read again at each connection: each key a symlink
// through ..data to a directory of one version; an update writes a new
// version and swaps ..data atomically (a rename of a symlink), as the
// kubelet does a minute or so after the Secret changes.
package k8ssecret

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dir is one mounted Secret.
type Dir struct {
	t   testing.TB
	dir string
	n   int
}

// New mounts files (key: content) in a new temporary directory.
func New(t testing.TB, files map[string]string) *Dir {
	t.Helper()
	s := &Dir{t: t, dir: t.TempDir()}
	s.Update(files)
	for name := range files {
		require.NoError(t, os.Symlink(filepath.Join("..data", name), filepath.Join(s.dir, name)))
	}
	return s
}

// Root is the mount's directory.
func (s *Dir) Root() string { return s.dir }

// Path is where a key is read.
func (s *Dir) Path(name string) string { return filepath.Join(s.dir, name) }

// Update replaces the Secret's content in one atomic swap. The keys are
// the ones New was given.
func (s *Dir) Update(files map[string]string) {
	s.t.Helper()
	s.n++
	v := fmt.Sprintf("..v%d", s.n)
	require.NoError(s.t, os.Mkdir(filepath.Join(s.dir, v), 0o700))
	for name, content := range files {
		require.NoError(s.t, os.WriteFile(filepath.Join(s.dir, v, name), []byte(content), 0o600))
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	require.NoError(s.t, os.Symlink(v, tmp))
	require.NoError(s.t, os.Rename(tmp, filepath.Join(s.dir, "..data")))
}
