package listener

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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

// byteCounter is a handler that counts what it reads and hashes it.
type byteCounter struct {
	mu  sync.Mutex
	n   map[string]int64
	sum map[string][sha256.Size]byte
}

func (b *byteCounter) OnFile(_ context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	h := sha256.New()
	n, err := io.Copy(h, r)
	b.mu.Lock()
	b.n[f.Path] += n
	b.sum[f.Path] = [sha256.Size]byte(h.Sum(nil))
	b.mu.Unlock()
	return err
}

// writeCounting writes a file of size bytes in which every 8-byte word
// holds its own offset (size a multiple of 8), so that bytes out of place change its hash, and
// returns that hash.
func writeCounting(t *testing.T, name string, size int64) [sha256.Size]byte {
	t.Helper()
	f, err := os.Create(name)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		n := min(int64(len(buf)), size-off) &^ 7
		for i := int64(0); i < n; i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], uint64(off+i))
		}
		_, err := w.Write(buf[:n])
		require.NoError(t, err)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// A download into the staging directory that the network cuts mid-way
// (a TCP proxy closes the SFTP connection) resumes from the bytes already
// staged at the next poll, instead of starting over, and the handler gets
// the whole file once, byte for byte. On both SFTP implementations.
func TestCutDownloadResumesFromTheStagedBytes(t *testing.T) {
	for _, s := range []testServer{{name: "openssh", dir: sftpDir}, {name: "proftpd-sftp", dir: proSFTPDir}} {
		t.Run(s.name, func(t *testing.T) {
			const size = 256 << 20
			cfg, local := s.dir(t)
			cfg.StagingDir = t.TempDir()
			name := filepath.Join(local, "big.bin")
			want := writeCounting(t, name, size)
			old := time.Now().Add(-time.Hour)
			os.Chtimes(name, old, old)
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
			h := &byteCounter{n: map[string]int64{}, sum: map[string][sha256.Size]byte{}}
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
			got, sum := h.n[cfg.Path+"/big.bin"], h.sum[cfg.Path+"/big.bin"]
			h.mu.Unlock()
			require.EqualValues(t, size, got, "bytes handed to the handler")
			require.Equal(t, want, sum, "the handler's bytes differ from the server's file")
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, offsets, 2, "downloads started: %v", offsets)
			require.Zero(t, offsets[0], "first download")
			require.GreaterOrEqual(t, offsets[1], cut, "the second download did not start from the staged bytes (%d)", cut)
		})
	}
}
