// Package memconn is an in-memory file server for remote.Conn: a session on
// an afero file system, so that code built on remote (the listener first)
// can be tested, and its examples run, without an FTP or SFTP server. It is
// a seam, not a server emulation: no protocol, no session limits, no
// listing quirks; the hostile behaviour of real servers is tested against
// real servers and the scripted fakes under internal/.
package memconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/spf13/afero"
)

// Server is one in-memory file system shared by every session dialled from
// it, as a file server's directory is.
type Server struct {
	fs afero.Fs

	mu       sync.Mutex
	sessions int // open now
	dials    int // ever
	closed   bool
}

// New returns an empty server.
func New() *Server { return &Server{fs: afero.NewMemMapFs()} }

// Fs is the server's file system, for a test to arrange and inspect files.
func (s *Server) Fs() afero.Fs { return s.fs }

// WriteFile creates p (and its directories) with content and modification
// time mtime, as a client uploading it would leave it.
func (s *Server) WriteFile(p, content string, mtime time.Time) error {
	if err := s.fs.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	if err := afero.WriteFile(s.fs, p, []byte(content), 0o644); err != nil {
		return err
	}
	return s.fs.Chtimes(p, mtime, mtime)
}

// Dialer returns a remote.Dialer of sessions on this server.
func (s *Server) Dialer() remote.Dialer {
	return func(ctx context.Context) (remote.Conn, error) { return s.Dial(ctx) }
}

// Dial opens a session; it fails once the server is closed.
func (s *Server) Dial(ctx context.Context) (remote.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("memconn: server closed")
	}
	s.sessions++
	s.dials++
	return &conn{s: s}, nil
}

// Close makes later dials fail, as a server that went away does; open
// sessions fail at their next operation.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// Sessions returns how many sessions are open now and how many were ever
// dialled.
func (s *Server) Sessions() (open, dialled int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions, s.dials
}

func (s *Server) down() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// conn is one session. Like a real one it is not safe for concurrent use;
// unlike one it does not enforce that.
type conn struct {
	s      *Server
	closed bool
}

var errClosed = errors.New("memconn: session closed")

// check tells why an operation cannot go ahead: the context ended, the
// session or the server closed.
func (c *conn) check(ctx context.Context) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case c.closed:
		return errClosed
	case c.s.down():
		return fmt.Errorf("%w: server closed", errClosed)
	}
	return nil
}

func entry(fi os.FileInfo) remote.Entry {
	e := remote.Entry{Name: fi.Name(), ModTime: fi.ModTime().UTC(), IsDir: fi.IsDir(), Precision: remote.PrecisionExact}
	if !e.IsDir {
		e.Size = fi.Size()
	}
	return e
}

// List lists dir in name order.
func (c *conn) List(ctx context.Context, dir string, fn func(remote.Entry) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	infos, err := afero.ReadDir(c.s.fs, dir)
	if err != nil {
		return err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	for _, fi := range infos {
		if err := fn(entry(fi)); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) Stat(ctx context.Context, p string) (remote.Entry, error) {
	if err := c.check(ctx); err != nil {
		return remote.Entry{}, err
	}
	fi, err := c.s.fs.Stat(p)
	if err != nil {
		return remote.Entry{}, err
	}
	return entry(fi), nil
}

func (c *conn) Open(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	f, err := c.s.fs.Open(p)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("is a directory")}
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (c *conn) Write(ctx context.Context, p string, r io.Reader) error {
	return c.store(ctx, p, r, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
}

func (c *conn) Append(ctx context.Context, p string, r io.Reader) error {
	return c.store(ctx, p, r, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
}

func (c *conn) store(ctx context.Context, p string, r io.Reader, flag int) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if _, err := c.s.fs.Stat(path.Dir(p)); err != nil {
		return err // a server does not make the directories of an upload
	}
	f, err := c.s.fs.OpenFile(p, flag, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

func (c *conn) Rename(ctx context.Context, from, to string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if _, err := c.s.fs.Stat(from); err != nil {
		return err
	}
	return c.s.fs.Rename(from, to)
}

func (c *conn) Delete(ctx context.Context, p string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	fi, err := c.s.fs.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return &fs.PathError{Op: "delete", Path: p, Err: errors.New("is a directory (use Rmdir)")}
	}
	return c.s.fs.Remove(p)
}

func (c *conn) Mkdir(ctx context.Context, p string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if _, err := c.s.fs.Stat(p); err == nil {
		return &fs.PathError{Op: "mkdir", Path: p, Err: fs.ErrExist}
	}
	return c.s.fs.Mkdir(p, 0o755)
}

func (c *conn) Rmdir(ctx context.Context, p string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	fi, err := c.s.fs.Stat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "rmdir", Path: p, Err: errors.New("not a directory")}
	}
	if names, err := afero.ReadDir(c.s.fs, p); err != nil || len(names) > 0 {
		return &fs.PathError{Op: "rmdir", Path: p, Err: errors.Join(err, errors.New("directory not empty"))}
	}
	return c.s.fs.Remove(p)
}

func (c *conn) Alive(ctx context.Context) error { return c.check(ctx) }

func (c *conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	c.s.mu.Lock()
	c.s.sessions--
	c.s.mu.Unlock()
	return nil
}

var _ remote.Conn = (*conn)(nil)
