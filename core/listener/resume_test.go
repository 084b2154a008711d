package listener

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/stretchr/testify/require"
)

// offsetConn records the offset of every download it starts.
type offsetConn struct {
	remote.Conn
	mu      *sync.Mutex
	offsets *[]int64
}

func (c offsetConn) Open(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	c.mu.Lock()
	*c.offsets = append(*c.offsets, offset)
	c.mu.Unlock()
	return c.Conn.Open(ctx, p, offset)
}

// byteCounter is a handler that counts what it reads.
type byteCounter struct {
	mu sync.Mutex
	n  map[string]int64
}

func (b *byteCounter) OnFile(_ context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	n, err := io.Copy(io.Discard, r)
	b.mu.Lock()
	b.n[f.Path] += n
	b.mu.Unlock()
	return err
}

// A download into the staging directory that the network cuts mid-way
// (a TCP proxy closes the SFTP connection) resumes from the bytes already
// staged at the next poll, instead of starting over, and the handler gets
// the whole file once. On both SFTP implementations.
func TestCutDownloadResumesFromTheStagedBytes(t *testing.T) {
	for _, s := range []testServer{{name: "openssh", dir: sftpDir}, {name: "proftpd-sftp", dir: proSFTPDir}} {
		t.Run(s.name, func(t *testing.T) {
			const size = 256 << 20
			cfg, local := s.dir(t)
			cfg.StagingDir = t.TempDir()
			f, err := os.Create(filepath.Join(local, "big.bin"))
			require.NoError(t, err)
			require.NoError(t, f.Truncate(size)) // sparse here, real bytes on the wire
			f.Close()
			old := time.Now().Add(-time.Hour)
			os.Chtimes(f.Name(), old, old)
			cfg, proxy := viaProxy(t, cfg)
			var mu sync.Mutex
			var offsets []int64
			dial := dialerFor(cfg.WithDefaults(), nil)
			opt := WithDialer(func(ctx context.Context) (remote.Conn, error) {
				c, err := dial(ctx)
				if err != nil {
					return nil, err
				}
				return offsetConn{Conn: c, mu: &mu, offsets: &offsets}, nil
			})
			l, err := New(cfg, opt)
			require.NoError(t, err)
			h := &byteCounter{n: map[string]int64{}}
			require.NoError(t, l.Attach(h))
			t.Cleanup(func() { l.Stop(context.Background()) })

			done := make(chan error, 1)
			go func() { done <- l.PollOnce(context.Background()) }()
			staged := func() int64 {
				parts, _ := filepath.Glob(filepath.Join(cfg.StagingDir, partialDir, "*"))
				if len(parts) != 1 {
					return 0
				}
				st, err := os.Stat(parts[0])
				if err != nil {
					return 0
				}
				return st.Size()
			}
			waitUntil(t, "8 MiB staged", func() bool { return staged() >= 8<<20 })
			proxy.SetMode(tcpproxy.Refuse)
			<-done
			cut := staged()
			require.Less(t, cut, int64(size), "the download finished before the cut")
			require.Zero(t, h.n[cfg.Path+"/big.bin"], "the handler got a cut file")
			proxy.SetMode(tcpproxy.Pass)
			poll(t, l)
			h.mu.Lock()
			got := h.n[cfg.Path+"/big.bin"]
			h.mu.Unlock()
			require.EqualValues(t, size, got, "bytes handed to the handler")
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, offsets, 2, "downloads started: %v", offsets)
			require.Zero(t, offsets[0], "first download")
			require.GreaterOrEqual(t, offsets[1], cut, "the second download did not start from the staged bytes (%d)", cut)
		})
	}
}
