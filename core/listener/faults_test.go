package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/stretchr/testify/require"
)

// viaProxy points cfg's control connection at a TCP proxy in front of the
// server (data connections go straight to the server's passive ports).
func viaProxy(t *testing.T, cfg ListenerConfig) (ListenerConfig, *tcpproxy.Proxy) {
	t.Helper()
	p, err := tcpproxy.Start(cfg.Host + ":" + strconv.Itoa(cfg.Port))
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	if cfg.SftpSshKnownHosts != "" { // the host key is pinned for the server's port, not the proxy's
		kh, err := os.ReadFile(cfg.SftpSshKnownHosts)
		require.NoError(t, err)
		from := fmt.Sprintf("[%s]:%d ", cfg.Host, cfg.Port)
		to := fmt.Sprintf("[127.0.0.1]:%d ", p.Addr().Port)
		require.Contains(t, string(kh), from, "known_hosts has no line for the server")
		cfg.SftpSshKnownHosts = filepath.Join(t.TempDir(), "known_hosts")
		require.NoError(t, os.WriteFile(cfg.SftpSshKnownHosts, []byte(strings.ReplaceAll(string(kh), from, to)), 0o600))
	}
	cfg.Host, cfg.Port = "127.0.0.1", p.Addr().Port
	cfg.RetryConfig = &remote.RetryConfig{Count: 1, Interval: 0.05, BackOffFactor: 1, MaxWaitInterval: 0.05}
	return cfg, p
}

// The connection drops: the poll fails loudly, reports nothing as deleted,
// and the next poll after the network heals reports only what is new.
func TestConnectionLossLosesAndDuplicatesNothing(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, proxy := viaProxy(t, cfg)
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "a", "1", time.Hour)
	write(t, local, "b", "2", time.Hour)
	poll(t, l)
	order, _, _ := rec.take()
	require.Len(t, order, 2, "first poll")

	proxy.SetMode(tcpproxy.Refuse)
	require.Error(t, l.PollOnce(context.Background()), "a poll without a connection succeeded")
	order, deleted, errs := rec.take()
	require.Empty(t, order, "during the outage: files")
	require.Empty(t, deleted, "during the outage: deleted")
	require.Len(t, errs, 1, "during the outage: errors")

	proxy.SetMode(tcpproxy.Pass)
	write(t, local, "c", "3", time.Hour)
	poll(t, l)
	order, deleted, errs = rec.take()
	require.Equal(t, []string{cfg.Path + "/c"}, order, "after healing: files")
	require.Empty(t, deleted, "after healing: deleted")
	require.Empty(t, errs, "after healing: errors")
}

// blockingService stops in its first OnFile until released, so that the test
// can cut the connection in the middle of the transfer.
type blockingService struct {
	*recorder
	once    sync.Once
	reading chan struct{}
	release chan struct{}
	reads   []string
}

func (b *blockingService) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	buf := make([]byte, 1024)
	n, err := io.ReadFull(r, buf)
	if err != nil {
		return err
	}
	b.once.Do(func() {
		close(b.reading)
		<-b.release
	})
	rest, err := io.ReadAll(r)
	b.mu.Lock()
	b.reads = append(b.reads, f.Path)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	if n+len(rest) != int(f.Size) {
		return errors.New("short content")
	}
	return nil
}

// The control connection dies mid-transfer: the file is not taken as done,
// and the next poll delivers it again, whole.
func TestTransferCutIsRetried(t *testing.T) { eachServer(t, testTransferCutIsRetried) }

func testTransferCutIsRetried(t *testing.T, s testServer) {
	cfg, local := s.dir(t)
	cfg, proxy := viaProxy(t, cfg)
	svc := &blockingService{recorder: newRecorder(), reading: make(chan struct{}), release: make(chan struct{})}
	l := newListener(t, cfg, svc)
	write(t, local, "big", strings.Repeat("x", 4<<20), time.Hour)
	done := make(chan error, 1)
	go func() { done <- l.PollOnce(context.Background()) }()
	select {
	case <-svc.reading:
	case err := <-done:
		t.Fatalf("the poll ended before the handler read anything: %v", err)
	}
	proxy.SetMode(tcpproxy.Refuse)
	close(svc.release)
	<-done
	_, _, errs := svc.take()
	t.Logf("first attempt: %v", errs)
	require.Len(t, errs, 1, "OnError: want the failed transfer")
	proxy.SetMode(tcpproxy.Pass)
	poll(t, l)
	_, _, errs = svc.take()
	require.Empty(t, errs, "retry failed")
	poll(t, l)
	require.Equal(t, []string{cfg.Path + "/big", cfg.Path + "/big"}, svc.reads, "deliveries: want the cut one and one retry, then none")
}

// A file that vanishes between the listing and the download is not lost
// silently: OnError says so, and it is not marked seen.
func TestVanishedFileIsReported(t *testing.T) {
	cfg, local := pureDir(t)
	rec := newRecorder()
	svc := &vanisher{recorder: rec, dir: local}
	l := newListener(t, cfg, svc)
	write(t, local, "a", "1", 2*time.Hour)
	write(t, local, "b", "2", time.Hour)
	poll(t, l)
	order, _, errs := rec.take()
	require.Equal(t, []string{cfg.Path + "/a"}, order, "files: want a delivered")
	require.Len(t, errs, 1, "errors: want b's disappearance reported")
	require.ErrorIs(t, errs[0], os.ErrNotExist, "errors: want b's disappearance reported")
}

// vanisher deletes the next file on disk while handling the first.
type vanisher struct {
	*recorder
	dir string
}

func (v *vanisher) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	os.Remove(filepath.Join(v.dir, "b"))
	return v.recorder.OnFile(ctx, f, r, c)
}

func TestServerDownAtStart(t *testing.T) {
	cfg, _ := pureDir(t)
	cfg.Port = 1
	cfg.RetryConfig = &remote.RetryConfig{Count: 2, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	err := l.PollOnce(context.Background())
	require.ErrorContains(t, err, "127.0.0.1:1", "PollOnce against a closed port")
	require.ErrorContains(t, err, "after 3 attempts", "PollOnce against a closed port")
	_, _, errs := rec.take()
	require.Len(t, errs, 1, "OnError")
}

func TestWrongPasswordIsNotRetried(t *testing.T) {
	cfg, _ := pureDir(t)
	cfg.Auth.Credentials.Password = "wrong"
	l := newListener(t, cfg, newRecorder())
	err := l.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrRefused, "PollOnce with a wrong password")
	require.NotContains(t, err.Error(), "wrong\"", "PollOnce with a wrong password")
}

// A directory the server may not read: a clear error, and the files seen
// before are not taken for deleted.
func TestUnreadableDirectory(t *testing.T) {
	cfg, local := pureDir(t)
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "a", "1", time.Hour)
	poll(t, l)
	rec.take()
	require.NoError(t, os.Chmod(local, 0))
	defer os.Chmod(local, 0o777)
	err := l.PollOnce(context.Background())
	require.ErrorContains(t, err, cfg.Path, "PollOnce on an unreadable directory")
	_, deleted, errs := rec.take()
	require.Empty(t, deleted, "deleted")
	require.Len(t, errs, 1, "errors")
}
