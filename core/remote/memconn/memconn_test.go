package memconn_test

import (
	"context"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/core/remote/memconn"
	"github.com/stretchr/testify/require"
)

func TestSessionsShareTheServersFiles(t *testing.T) {
	ctx := context.Background()
	s := memconn.New()
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, s.WriteFile("/in/b.txt", "bee", mtime))
	require.NoError(t, s.WriteFile("/in/a.txt", "hello", mtime))
	require.NoError(t, s.Fs().MkdirAll("/in/sub", 0o755))

	c, err := s.Dial(ctx)
	require.NoError(t, err)
	defer c.Close()
	var got []remote.Entry
	require.NoError(t, c.List(ctx, "/in", func(e remote.Entry) error { got = append(got, e); return nil }))
	require.Len(t, got, 3)
	require.Equal(t, remote.Entry{Name: "a.txt", Size: 5, ModTime: mtime}, got[0], "name order, exact times")
	require.Equal(t, "b.txt", got[1].Name)
	require.True(t, got[2].IsDir)
	require.Zero(t, got[2].Size)

	r, err := c.Open(ctx, "/in/a.txt", 2)
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, "llo", string(b), "Open reads from the offset")

	other, err := s.Dial(ctx)
	require.NoError(t, err)
	require.NoError(t, other.Append(ctx, "/in/a.txt", strings.NewReader(" world")))
	require.NoError(t, other.Close())
	e, err := c.Stat(ctx, "/in/a.txt")
	require.NoError(t, err)
	require.EqualValues(t, 11, e.Size, "another session's append is seen")
	open, dialled := s.Sessions()
	require.Equal(t, 1, open)
	require.Equal(t, 2, dialled)
}

func TestOperationsFailAsTheInterfaceSays(t *testing.T) {
	ctx := context.Background()
	s := memconn.New()
	require.NoError(t, s.WriteFile("/in/a", "x", time.Now()))
	c, err := s.Dial(ctx)
	require.NoError(t, err)

	_, err = c.Stat(ctx, "/in/missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = c.Open(ctx, "/in/missing", 0)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, c.Delete(ctx, "/in/missing"), fs.ErrNotExist)
	require.ErrorIs(t, c.Rename(ctx, "/in/missing", "/in/b"), fs.ErrNotExist)
	require.ErrorIs(t, c.List(ctx, "/nowhere", func(remote.Entry) error { return nil }), fs.ErrNotExist)
	require.ErrorIs(t, c.Write(ctx, "/nowhere/a", strings.NewReader("x")), fs.ErrNotExist, "no directories made for an upload")
	require.Error(t, c.Rmdir(ctx, "/in"), "a directory that is not empty stays")
	require.Error(t, c.Delete(ctx, "/in"), "Delete is for files")
	require.ErrorIs(t, c.Mkdir(ctx, "/in"), fs.ErrExist)

	require.NoError(t, c.Write(ctx, "/in/a", strings.NewReader("replaced")))
	require.NoError(t, c.Mkdir(ctx, "/done"))
	require.NoError(t, c.Rename(ctx, "/in/a", "/done/a"))
	e, err := c.Stat(ctx, "/done/a")
	require.NoError(t, err)
	require.EqualValues(t, 8, e.Size)
	require.NoError(t, c.Delete(ctx, "/done/a"))
	require.NoError(t, c.Rmdir(ctx, "/done"))

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, c.Alive(cctx), context.Canceled)
	s.Close()
	require.Error(t, c.Alive(ctx), "a session fails once its server is gone")
	_, err = s.Dial(ctx)
	require.Error(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "closing twice is harmless")
}
