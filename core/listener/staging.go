package listener

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

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
	parts := strings.Split(path.Clean("/"+rel), "/")
	if len(parts) > 1 && parts[1] == partialDir {
		return "", fmt.Errorf("%w: %q: the staging directory keeps its partial downloads in %s", ErrUnsafeName, remotePath, partialDir)
	}
	for i, part := range parts {
		parts[i] = fitName(part)
	}
	local := filepath.Join(root, filepath.FromSlash(strings.Join(parts, "/")))
	if !strings.HasPrefix(local, root+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q", ErrUnsafeName, remotePath)
	}
	return local, nil
}

// nameMax is the longest name, in bytes, of one path component on Linux's
// filesystems (ext4, xfs, btrfs, tmpfs); partSuffix is room kept free in a
// staged name (staged copies of this project's earlier versions had
// partial downloads beside them as NAME.part).
const (
	nameMax    = 255
	partSuffix = ".part"
)

// partialDir is the staging directory's own subdirectory of partial
// downloads. No remote name stages there (stagedPath refuses it), and a
// partial download is named by a hash of its remote path and version, so
// it can never be taken for another file's, or another version's, bytes
// (a remote "d.csv.part" once was taken for the partial download of
// "d.csv").
const partialDir = ".ftpcoord-partial"

// partialPath is where the partial download of one version of a remote
// file is kept.
func partialPath(root, remotePath string, size, mtimeMillis int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", remotePath, size, mtimeMillis))
	return filepath.Join(root, partialDir, hex.EncodeToString(sum[:]))
}

// fitName returns name, or, when name plus partSuffix would not fit in
// nameMax bytes (a server may allow longer names than the local
// filesystem, or exactly as long), a shorter name that does: as much of
// name as fits, cut at a character boundary, a "~" and 16 hex digits of
// its SHA-256, and its extension. Different names stay different; the
// handler still gets the real name in FileInfo.
func fitName(name string) string {
	if len(name)+len(partSuffix) <= nameMax {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	tag := "~" + hex.EncodeToString(sum[:8])
	ext := path.Ext(name)
	if len(ext) > 16 || !utf8.ValidString(ext) {
		ext = ""
	}
	keep := name[:nameMax-len(partSuffix)-len(tag)-len(ext)]
	for len(keep) > 0 && !utf8.ValidString(keep) {
		keep = keep[:len(keep)-1]
	}
	return keep + tag + ext
}

// unstage removes what the staging directory holds of a version of a file
// (its copy or its partial download): the file is finished for good, or its
// version is gone.
func (l *Listener) unstage(remotePath string, size, mtimeMillis int64) {
	if l.cfg.StagingDir == "" {
		return
	}
	if local, err := stagedPath(l.cfg.StagingDir, l.cfg.Path, remotePath); err == nil {
		os.Remove(local)
	}
	os.Remove(partialPath(l.cfg.StagingDir, remotePath, size, mtimeMillis))
}

// stage downloads f into the staging directory and returns the local path.
// A complete copy from an earlier attempt is reused; a partial one (in
// partialDir) is resumed from where it stopped. The size must match the listing.
func (l *Listener) stage(ctx context.Context, c remote.Conn, f FileInfo) (string, error) {
	local, err := stagedPath(l.cfg.StagingDir, l.cfg.Path, f.Path)
	if err != nil {
		return "", err
	}
	// The copy carries its version's modification time (set below): a copy
	// of another version of the same size is not taken for this one.
	mtime := time.UnixMilli(f.LastModifiedTimestamp)
	if st, err := os.Stat(local); err == nil && st.Size() == f.Size && st.ModTime().Equal(mtime) {
		return local, nil
	}
	part := partialPath(l.cfg.StagingDir, f.Path, f.Size, f.LastModifiedTimestamp)
	for _, dir := range []string{filepath.Dir(local), filepath.Dir(part)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", err
		}
	}
	out, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return "", err
	}
	defer out.Close()
	// A transfer that fails before its first byte (the server refused
	// it) leaves no empty partial file behind.
	kept := false
	defer func() {
		if st, err := out.Stat(); !kept && err == nil && st.Size() == 0 {
			os.Remove(part)
		}
	}()
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
	if err := os.Chtimes(part, mtime, mtime); err != nil {
		return "", err
	}
	if err := os.Rename(part, local); err != nil {
		return "", err
	}
	kept = true
	return local, nil
}
