package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// Caller is ballerina/ftp's Caller: operations on the watched server, on the
// listener's pooled connections. It is safe for concurrent use.
type Caller struct {
	pool *remote.Pool
	uri  string
}

// Get streams a file; close the reader to give its connection back.
func (c *Caller) Get(ctx context.Context, p string) (io.ReadCloser, error) {
	conn, err := c.pool.Get(ctx)
	if err != nil {
		return nil, err
	}
	r, err := conn.Open(ctx, p, 0)
	if err != nil {
		c.pool.Put(conn, err)
		return nil, err
	}
	return &pooledReader{ReadCloser: r, put: func(err error) { c.pool.Put(conn, err) }}, nil
}

type pooledReader struct {
	io.ReadCloser
	put    func(error)
	closed bool
}

func (r *pooledReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.ReadCloser.Close()
	r.put(err)
	return err
}

// Put creates or replaces a file with the content of r.
func (c *Caller) Put(ctx context.Context, p string, r io.Reader) error {
	return c.pool.Do(ctx, func(conn remote.Conn) error { return conn.Write(ctx, p, r) })
}

// Append adds the content of r to a file.
func (c *Caller) Append(ctx context.Context, p string, r io.Reader) error {
	return c.pool.Do(ctx, func(conn remote.Conn) error { return conn.Append(ctx, p, r) })
}

// Delete removes a file.
func (c *Caller) Delete(ctx context.Context, p string) error {
	return c.pool.Do(ctx, func(conn remote.Conn) error { return conn.Delete(ctx, p) })
}

// Rename renames a file or directory.
func (c *Caller) Rename(ctx context.Context, from, to string) error {
	return c.pool.Do(ctx, func(conn remote.Conn) error { return conn.Rename(ctx, from, to) })
}

// Move is Rename, under Ballerina's other name.
func (c *Caller) Move(ctx context.Context, from, to string) error { return c.Rename(ctx, from, to) }

// Copy copies a file on the server through a local temporary file, so that
// it needs one connection at a time and no memory for the content.
func (c *Caller) Copy(ctx context.Context, from, to string) error {
	tmp, err := os.CreateTemp("", "ftpcoord-copy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	r, err := c.Get(ctx, from)
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return c.Put(ctx, to, tmp)
}

// Mkdir creates a directory.
func (c *Caller) Mkdir(ctx context.Context, p string) error {
	return c.pool.Do(ctx, func(conn remote.Conn) error { return conn.Mkdir(ctx, p) })
}

// Rmdir removes an empty directory.
func (c *Caller) Rmdir(ctx context.Context, p string) error {
	return c.pool.Do(ctx, func(conn remote.Conn) error { return conn.Rmdir(ctx, p) })
}

// stat describes a path.
func (c *Caller) stat(ctx context.Context, p string) (remote.Entry, error) {
	var e remote.Entry
	err := c.pool.Do(ctx, func(conn remote.Conn) error {
		var err error
		e, err = conn.Stat(ctx, p)
		return err
	})
	return e, err
}

// Exists reports whether a path exists.
func (c *Caller) Exists(ctx context.Context, p string) (bool, error) {
	_, err := c.stat(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Size returns a file's size in bytes.
func (c *Caller) Size(ctx context.Context, p string) (int64, error) {
	e, err := c.stat(ctx, p)
	return e.Size, err
}

// IsDirectory reports whether a path is a directory.
func (c *Caller) IsDirectory(ctx context.Context, p string) (bool, error) {
	e, err := c.stat(ctx, p)
	return e.IsDir, err
}

// List returns the entries of a directory.
func (c *Caller) List(ctx context.Context, dir string) ([]FileInfo, error) {
	var out []FileInfo
	err := c.pool.Do(ctx, func(conn remote.Conn) error {
		return conn.List(ctx, dir, func(e remote.Entry) error {
			out = append(out, fileInfo(path.Clean(dir), e, c.uri))
			return nil
		})
	})
	return out, err
}
