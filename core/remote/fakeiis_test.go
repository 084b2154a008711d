package remote

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/fakeiis"
	"github.com/stretchr/testify/require"
)

// The scripted IIS-style servers (internal/fakeftp), one per dialect for the
// whole test binary, serving a directory that outlives the tests (each test
// makes and removes a subdirectory of its own).
var (
	fakeOnce  sync.Once
	fakeRoot  string
	fakeAddrs map[fakeiis.Dialect]string
	fakeErr   error
)

func fakeIIS(t *testing.T, d fakeiis.Dialect) (addr, root string) {
	t.Helper()
	fakeOnce.Do(func() {
		fakeRoot, fakeErr = os.MkdirTemp("", "ftpcoord-fakeftp-")
		fakeAddrs = map[fakeiis.Dialect]string{}
		for _, d := range fakeiis.Dialects {
			if fakeErr != nil {
				return
			}
			var s *fakeiis.Server
			s, fakeErr = fakeiis.Start(fakeRoot, d)
			if s != nil {
				fakeAddrs[d] = s.Addr().String()
			}
		}
	})
	require.NoError(t, fakeErr, "scripted FTP server")
	return fakeAddrs[d], fakeRoot
}

// Active mode really sends EPRT and PORT: the scripted server, which
// refuses both, makes every data command fail, where passive mode works.
// Explicit TLS is refused with active mode, naming the way out.
func TestFTPActiveModeIsUsed(t *testing.T) {
	addr, _ := fakeIIS(t, fakeiis.IIS)
	ctx := context.Background()
	c, err := DialFTP(ctx, FTPConfig{Addr: addr, ActiveMode: true})
	require.NoError(t, err)
	defer c.Close()
	err = c.List(ctx, "/", func(Entry) error { return nil })
	require.Error(t, err, "a server without EPRT and PORT listed in active mode")
	p, err := DialFTP(ctx, FTPConfig{Addr: addr})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.List(ctx, "/", func(Entry) error { return nil }), "passive mode")

	_, err = DialFTP(ctx, FTPConfig{Addr: addr, ActiveMode: true, TLS: TLSExplicit})
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorContains(t, err, "implicit")
}
