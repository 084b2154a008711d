package remote

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/fakesftp"
	"github.com/stretchr/testify/require"
)

func dialFake(t *testing.T, s *fakesftp.Server, idle time.Duration, maxEntries int) Conn {
	t.Helper()
	c, err := DialSFTP(context.Background(), SFTPConfig{Addr: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), User: s.User,
		Password: s.Password, KnownHostsPath: s.KnownHosts, IdleTimeout: idle, MaxListEntries: maxEntries})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// A server that lists a negative size (on the wire: an unsigned size past
// 2^63) has that entry skipped at the boundary, and the others listed; a
// Stat of it is an ErrBadEntry, never a negative Entry.Size.
func TestSFTPNegativeSizeIsRefusedAtTheBoundary(t *testing.T) {
	s := fakesftp.Start(t, "/in")
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.SetFiles(fakesftp.File{Name: "neg.csv", Size: -5, ModTime: mtime}, fakesftp.File{Name: "ok.csv", Size: 3, Content: []byte("abc"), ModTime: mtime})
	c := dialFake(t, s, 0, 0)
	var names []string
	require.NoError(t, c.List(context.Background(), "/in", func(e Entry) error {
		require.GreaterOrEqual(t, e.Size, int64(0), "entry %+v", e)
		names = append(names, e.Name)
		return nil
	}))
	require.Equal(t, []string{"ok.csv"}, names, "listed: want the good entry only")
	_, err := c.Stat(context.Background(), "/in/neg.csv")
	require.ErrorIs(t, err, ErrBadEntry)
	require.ErrorContains(t, err, "negative size")
}

// A listing that never ends is cut at MaxListEntries, as a truncated
// listing, before it can fill the memory.
func TestSFTPEndlessListingIsCutAtItsBound(t *testing.T) {
	s := fakesftp.Start(t, "/in")
	s.SetLister(func(ls []os.FileInfo, off int64) (int, error) {
		for i := range ls {
			ls[i] = fakesftp.Info{F: fakesftp.File{Name: fmt.Sprintf("f%09d", off+int64(i)), Size: 1, ModTime: time.Now()}}
		}
		return len(ls), nil
	})
	c := dialFake(t, s, 0, 5000)
	n := 0
	err := c.List(context.Background(), "/in", func(Entry) error { n++; return nil })
	require.ErrorIs(t, err, ErrTooManyEntries)
	require.ErrorIs(t, err, ErrTruncated, "a cut listing is a truncated one")
	require.Zero(t, n, "entries handed on from a cut SFTP listing")
}

// A read the server stalls half-way ends with ErrIdle after IdleTimeout.
func TestSFTPStalledReadEndsIdle(t *testing.T) {
	s := fakesftp.Start(t, "/in")
	s.SetFiles(fakesftp.File{Name: "big", Size: 1 << 20, ModTime: time.Now()})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.SetReader(func(_ string, p []byte, off int64) (int, error) {
		if off >= 1<<19 {
			<-release // half-way, the server goes silent
			return 0, io.EOF
		}
		return len(p), nil
	})
	c := dialFake(t, s, 300*time.Millisecond, 0)
	r, err := c.Open(context.Background(), "/in/big", 0)
	require.NoError(t, err)
	defer r.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(readerOnly{r}, 1<<20))
	require.ErrorIs(t, err, ErrIdle)
}

// readerOnly hides WriteTo, so that io.Copy reads as a handler does.
type readerOnly struct{ io.Reader }
