package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// ErrUnsafeName refuses a remote name that would put a staged file outside
// the staging directory.
var ErrUnsafeName = errors.New("listener: remote name escapes the staging directory")

// stagedPath maps a remote path below the watched directory to its place in
// the staging directory, refusing "..", NUL bytes and anything that would
// resolve outside it.
func stagedPath(root, watched, remotePath string) (string, error) {
	rel := strings.TrimPrefix(remotePath, strings.TrimSuffix(watched, "/"))
	if strings.ContainsRune(rel, 0) {
		return "", fmt.Errorf("%w: %q holds a NUL byte", ErrUnsafeName, remotePath)
	}
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q", ErrUnsafeName, remotePath)
		}
	}
	root = filepath.Clean(root)
	local := filepath.Join(root, filepath.FromSlash(path.Clean("/"+rel)))
	if !strings.HasPrefix(local, root+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q", ErrUnsafeName, remotePath)
	}
	return local, nil
}

// stage downloads f into the staging directory and returns the local path.
// A complete copy from an earlier attempt is reused; a partial one (.part)
// is resumed from where it stopped. The size must match the listing.
func (l *Listener) stage(ctx context.Context, c remote.Conn, f FileInfo) (string, error) {
	local, err := stagedPath(l.cfg.StagingDir, l.cfg.Path, f.Path)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(local); err == nil && st.Size() == f.Size {
		return local, nil
	}
	if err := os.MkdirAll(filepath.Dir(local), 0o750); err != nil {
		return "", err
	}
	part := local + ".part"
	out, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return "", err
	}
	defer out.Close()
	offset, err := out.Seek(0, io.SeekEnd)
	if err != nil {
		return "", err
	}
	if offset > f.Size { // a different version was partly here
		if err := out.Truncate(0); err != nil {
			return "", err
		}
		offset, _ = out.Seek(0, io.SeekStart)
	}
	if offset < f.Size {
		r, err := c.Open(ctx, f.Path, offset)
		if err != nil {
			return "", err
		}
		tr := &trackedReader{r: r, want: f.Size, got: offset}
		_, err = io.Copy(out, tr)
		cerr := r.Close()
		if err == nil {
			err = cerr
		}
		if err != nil {
			if err = l.changedOnServer(ctx, c, f, err); errors.Is(err, ErrFileChanged) {
				out.Truncate(0) // another version: nothing of this copy is worth keeping
				return "", err
			}
			return "", fmt.Errorf("download %s (resumable, %d bytes so far): %w", f.Path, tr.got, err)
		}
	}
	if err := out.Sync(); err != nil {
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return local, os.Rename(part, local)
}
