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
// filesystems (ext4, xfs, btrfs, tmpfs); partSuffix marks a download in
// progress.
const (
	nameMax    = 255
	partSuffix = ".part"
)

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

// unstage removes what the staging directory holds of a file (its copy or
// its partial download): the file is finished for good, or its version is
// gone.
func (l *Listener) unstage(remotePath string) {
	if l.cfg.StagingDir == "" {
		return
	}
	if local, err := stagedPath(l.cfg.StagingDir, l.cfg.Path, remotePath); err == nil {
		os.Remove(local)
		os.Remove(local + partSuffix)
	}
}

// stage downloads f into the staging directory and returns the local path.
// A complete copy from an earlier attempt is reused; a partial one (.part)
// is resumed from where it stopped. The size must match the listing.
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
	if err := os.MkdirAll(filepath.Dir(local), 0o750); err != nil {
		return "", err
	}
	part := local + partSuffix
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
