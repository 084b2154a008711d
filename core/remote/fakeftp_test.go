package remote

import (
	"os"
	"sync"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/fakeftp"
	"github.com/stretchr/testify/require"
)

// The scripted IIS-style servers (internal/fakeftp), one per dialect for the
// whole test binary, serving a directory that outlives the tests (each test
// makes and removes a subdirectory of its own).
var (
	fakeOnce  sync.Once
	fakeRoot  string
	fakeAddrs map[fakeftp.Dialect]string
	fakeErr   error
)

func fakeIIS(t *testing.T, d fakeftp.Dialect) (addr, root string) {
	t.Helper()
	fakeOnce.Do(func() {
		fakeRoot, fakeErr = os.MkdirTemp("", "ftpcoord-fakeftp-")
		fakeAddrs = map[fakeftp.Dialect]string{}
		for _, d := range []fakeftp.Dialect{fakeftp.IIS, fakeftp.IISFourDigit} {
			if fakeErr != nil {
				return
			}
			var s *fakeftp.Server
			s, fakeErr = fakeftp.Start(fakeRoot, d)
			if s != nil {
				fakeAddrs[d] = s.Addr().String()
			}
		}
	})
	require.NoError(t, fakeErr, "scripted FTP server")
	return fakeAddrs[d], fakeRoot
}
