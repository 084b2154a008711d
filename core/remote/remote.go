// Package remote is the one interface ftpcoord uses to reach a file server,
// with an FTP/FTPS implementation (github.com/jlaffaye/ftp) and an SFTP one
// (github.com/pkg/sftp). A Conn is one session: one operation at a time, as
// an FTP control connection allows; the pool (next to them) shares a few.
package remote

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"time"
)

// Entry is one directory entry, kept small: a listing of 100,000 files holds
// 100,000 of these at most.
type Entry struct {
	Name    string    // base name
	Size    int64     // bytes; 0 for directories
	ModTime time.Time // UTC
	IsDir   bool
	// Precision is how finely ModTime is known: LIST answers give minutes
	// or days, MLSD, MDTM and SFTP seconds or better (see Precision).
	Precision Precision
}

// Conn is one session with a file server. Paths are absolute, slash-separated
// remote paths. Operations that do not find their path return an error that
// errors.Is fs.ErrNotExist; refused permissions errors.Is fs.ErrPermission.
// A Conn is not safe for concurrent use.
type Conn interface {
	// List calls fn for every entry of dir (never "." or ".."), in server
	// order, streaming: entries are not collected first. An error from fn
	// stops the listing and is returned.
	List(ctx context.Context, dir string, fn func(Entry) error) error
	// Stat describes one path.
	Stat(ctx context.Context, p string) (Entry, error)
	// Open reads p from offset. The Conn is busy until the reader is closed.
	Open(ctx context.Context, p string, offset int64) (io.ReadCloser, error)
	// Write creates or replaces p with the content of r.
	Write(ctx context.Context, p string, r io.Reader) error
	// Append adds the content of r to the end of p, creating it if needed.
	Append(ctx context.Context, p string, r io.Reader) error
	Rename(ctx context.Context, from, to string) error
	Delete(ctx context.Context, p string) error
	Mkdir(ctx context.Context, p string) error
	Rmdir(ctx context.Context, p string) error
	// Alive checks the session cheaply (a NOOP or equivalent).
	Alive(ctx context.Context) error
	Close() error
}

// ErrTruncated reports a listing the server cut short while answering with
// success (pure-ftpd: "226 Output truncated to 10000 matches"). Files missing
// from such a listing must not be taken for deleted.
var ErrTruncated = errors.New("remote: the server truncated the listing")

// Join joins remote path elements and cleans the result.
func Join(elem ...string) string { return path.Join(elem...) }

// notExist wraps err so that errors.Is(err, fs.ErrNotExist) holds.
func notExist(op, p string, err error) error {
	return &fs.PathError{Op: op, Path: p, Err: errors.Join(fs.ErrNotExist, err)}
}

// permission wraps err so that errors.Is(err, fs.ErrPermission) holds.
func permission(op, p string, err error) error {
	return &fs.PathError{Op: op, Path: p, Err: errors.Join(fs.ErrPermission, err)}
}
