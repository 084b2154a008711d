package listener

// Hostile servers and handlers (issue 25): a server that lists what no file
// can be, a listing that never ends or drips, a transfer that stalls, a
// handler that never returns, a listing that lies about a file's size.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/fakeftp"
	"github.com/ftpcoord/ftpcoord/internal/fakesftp"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// fakeDir is the listener configuration for a fake SFTP server's directory.
func fakeDir(s *fakesftp.Server) ListenerConfig {
	return ListenerConfig{Protocol: SFTP, Host: s.Host, Port: s.Port, Path: s.Dir, SftpSshKnownHosts: s.KnownHosts,
		Auth: &Auth{Credentials: &Credentials{Username: s.User, Password: s.Password}}, PollingInterval: 3600}
}

// An SFTP server that lists a negative size crashed every member that
// listed it (bytes.Buffer: reader returned negative count), so with
// coordination each member that took over crashed the same way. The entry
// is refused at the boundary; the member, and the files beside it, go on.
func TestNegativeSizeOverSFTPDoesNotCrashTheGroup(t *testing.T) {
	s := fakesftp.Start(t, "/in")
	old := time.Now().Add(-time.Hour)
	s.SetFiles(fakesftp.File{Name: "neg.csv", Size: -5, Content: []byte("hello"), ModTime: old},
		fakesftp.File{Name: "ok.csv", Size: 2, Content: []byte("ok"), ModTime: old})
	cfg, _ := withLedger(t, fakeDir(s), schema.Postgres, "m")
	rec := newRecorder()
	l := startedListener(t, cfg, rec)
	pollUntil(t, l, "ok.csv to be DONE", func() bool {
		rows := ledgerRows(t, l, "/in/ok.csv")
		return len(rows) == 1 && rows[0].Status == ledger.Done
	})
	require.Empty(t, ledgerRows(t, l, "/in/neg.csv"), "the impossible entry was recorded")
	order, _, _ := rec.take()
	require.Equal(t, []string{"/in/ok.csv"}, order, "delivered")
}

// panicConn is a session whose transfers of one file panic inside the
// listener's own reading (not in the handler), and whose next listing
// panics once: bugs or hostile input the process must survive.
type panicConn struct {
	remote.Conn
	listPanics *atomic.Int32
}

func (c panicConn) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	r, err := c.Conn.Open(ctx, p, off)
	if err != nil || !strings.HasSuffix(p, "boom.csv") {
		return r, err
	}
	return panicReader{r}, nil
}

func (c panicConn) List(ctx context.Context, dir string, fn func(remote.Entry) error) error {
	if c.listPanics.Add(-1) >= 0 {
		panic("listing bug")
	}
	return c.Conn.List(ctx, dir, fn)
}

type panicReader struct{ io.ReadCloser }

func (panicReader) Read([]byte) (int, error) { panic("transfer bug") }

// A panic in a worker outside the handler (the transfer) fails that file's
// attempt with the panic as its error and the member goes on; a panic in
// the poll fails that poll, and the next one works.
func TestPanicsInWorkersAndPollsDoNotStopTheMember(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	cfg.MaxTries = 2
	var listPanics atomic.Int32
	dial := dialerFor(cfg.WithDefaults(), nil)
	rec := newRecorder()
	l, err := New(cfg, WithDialer(func(ctx context.Context) (remote.Conn, error) {
		c, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		return panicConn{Conn: c, listPanics: &listPanics}, nil
	}))
	require.NoError(t, err)
	require.NoError(t, l.Attach(rec))
	t.Cleanup(func() { l.Stop(context.Background()) })
	write(t, local, "boom.csv", "x", 2*time.Hour)
	write(t, local, "fine.csv", "y", time.Hour)
	listPanics.Store(1) // the first poll's listing panics
	require.NoError(t, l.Start(context.Background()))

	boom := cfg.Path + "/boom.csv"
	pollUntil(t, l, "boom.csv REJECTED and fine.csv DONE", func() bool {
		b, f := ledgerRows(t, l, boom), ledgerRows(t, l, cfg.Path+"/fine.csv")
		return len(b) == 1 && b[0].Status == ledger.Rejected && len(f) == 1 && f[0].Status == ledger.Done
	})
	row := ledgerRows(t, l, boom)[0]
	require.Equal(t, 2, row.Tries, "tries of the panicking transfer")
	require.Contains(t, row.LastError, "transfer bug", "the attempt's error")
	require.Less(t, listPanics.Load(), int32(0), "the listing that panicked, then those that worked")
}

// hanging never returns from OnFile for names starting with "hang",
// whatever its context says, until the test ends.
type hanging struct {
	*recorder
	release chan struct{}
	started chan string
}

func (h *hanging) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	if strings.HasPrefix(f.Name, "hang") {
		h.started <- f.Path
		<-h.release
		return errors.New("released at the end of the test")
	}
	return h.recorder.OnFile(ctx, f, r, c)
}

// With processingTimeout 3 s, a handler that never returns kept its file
// IN_PROGRESS for good (its lease renewed without limit) and the next file
// never started. Now its attempt fails at the deadline, a try counted, its
// lease is no longer renewed, and the next file is processed.
func TestHandlerPastProcessingTimeoutIsFailedAndTheNextFileProceeds(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	cfg.ProcessingTimeout = 3
	cfg.RetryTimeout = 3600 // one attempt is enough to see
	h := &hanging{recorder: newRecorder(), release: make(chan struct{}), started: make(chan string, 10)}
	t.Cleanup(func() { close(h.release) })
	l := startedListener(t, cfg, h)
	write(t, local, "hang.csv", "1", 2*time.Hour) // the older: first
	write(t, local, "next.csv", "2", time.Hour)
	pollUntil(t, l, "next.csv to be DONE", func() bool {
		rows := ledgerRows(t, l, cfg.Path+"/next.csv")
		return len(rows) == 1 && rows[0].Status == ledger.Done
	})
	rows := ledgerRows(t, l, cfg.Path+"/hang.csv")
	require.Len(t, rows, 1)
	require.Equal(t, ledger.Failed, rows[0].Status, "the hung file: %+v", rows[0])
	require.Equal(t, 1, rows[0].Tries, "the hung attempt counts as a try")
	require.Contains(t, rows[0].LastError, "processingTimeout", "the hung file's error")
	_, _, errs := h.take()
	var de *DeadlineError
	require.NotEmpty(t, errs)
	require.ErrorAs(t, errs[0], &de, "OnError: %v", errs)
	require.False(t, l.PollHealth().Stuck, "after the poll")
}

// A transfer the server stalls half-way ends at the idle bound, and a
// listing that drips entries (each under the idle bound) at the overall
// deadline: the
// transfer fails as a try, the listing fails the poll (deleting nothing),
// and the member polls on.
func TestStalledTransferAndDrippingListingEnd(t *testing.T) {
	s := fakesftp.Start(t, "/in")
	old := time.Now().Add(-time.Hour)
	s.SetFiles(fakesftp.File{Name: "big.bin", Size: 1 << 20, ModTime: old})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.SetReader(func(_ string, p []byte, off int64) (int, error) {
		if off >= 1<<19 {
			<-release // half-way, the server goes silent
			return 0, io.EOF
		}
		return len(p), nil
	})
	cfg, _ := withLedger(t, fakeDir(s), schema.Postgres, "m")
	cfg.ProcessingTimeout = 3
	cfg.ConnectTimeout = 1 // the idle bound
	cfg.RetryTimeout = 3600
	rec := newRecorder()
	l := startedListener(t, cfg, rec)
	pollUntil(t, l, "big.bin to fail", func() bool {
		rows := ledgerRows(t, l, "/in/big.bin")
		return len(rows) == 1 && rows[0].Status == ledger.Failed
	})
	row := ledgerRows(t, l, "/in/big.bin")[0]
	require.Equal(t, 1, row.Tries)
	require.Contains(t, row.LastError, "sent nothing for 1s", "the stalled transfer's error")

	// The listing now drips: an entry every 300 ms (under the idle bound
	// of 1 s), forever: the overall deadline ends it.
	s.SetLister(func(ls []os.FileInfo, off int64) (int, error) {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-release:
			return 0, io.EOF
		}
		ls[0] = fakesftp.Info{F: fakesftp.File{Name: fmt.Sprintf("drip%06d", off), Size: 1, ModTime: old}}
		return 1, nil
	})
	var err error
	for err = ErrPollInProgress; errors.Is(err, ErrPollInProgress); err = l.PollOnce(context.Background()) {
	}
	require.ErrorIs(t, err, ErrDeadline, "the dripping listing")
	require.ErrorContains(t, err, "processingTimeout")
	require.True(t, l.ListingHealth().Failing)
	_, deleted, _ := rec.take()
	require.Empty(t, deleted)
}

// A listing that never ends is cut at maxListingEntries, reported as a
// truncated listing naming the field, and nothing missing from it is taken
// as deleted.
func TestEndlessListingIsCutAndDeletesNothing(t *testing.T) {
	s := fakesftp.Start(t, "/in")
	old := time.Now().Add(-time.Hour)
	s.SetFiles(fakesftp.File{Name: "a.csv", Size: 1, Content: []byte("a"), ModTime: old})
	cfg := fakeDir(s)
	cfg.MaxListingEntries = 2000
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	poll(t, l)
	order, _, _ := rec.take()
	require.Equal(t, []string{"/in/a.csv"}, order)

	var served atomic.Int64
	s.SetLister(func(ls []os.FileInfo, off int64) (int, error) {
		for i := range ls {
			ls[i] = fakesftp.Info{F: fakesftp.File{Name: fmt.Sprintf("n%09d", off+int64(i)), Size: 1, ModTime: old}}
		}
		served.Add(int64(len(ls)))
		return len(ls), nil
	})
	err := l.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrTruncated, "the endless listing")
	var le *ListingLimitError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "maxListingEntries", le.Field)
	_, deleted, errs := rec.take()
	require.Empty(t, deleted, "a cut listing deletes nothing")
	require.NotEmpty(t, errs, "the cut is reported to OnError")
	require.Less(t, served.Load(), int64(100_000), "entries read past the bound")
}

// The same bound over FTP, on pure-ftpd: the listing is cut, the files it
// held are reported, the rest wait, nothing is deleted.
func TestListingBoundOnPureFTPd(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.MaxListingEntries = 5
	for i := range 8 {
		write(t, local, fmt.Sprintf("f%d.csv", i), "x", time.Hour)
	}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	err := l.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrTruncated)
	require.ErrorContains(t, err, "maxListingEntries")
	order, deleted, _ := rec.take()
	require.Len(t, order, 5, "files reported from the cut listing")
	require.Empty(t, deleted)
}

// A symbolic link on vsftpd is listed with the link's size and sent with
// the target's bytes: its version is superseded under every transfer. The
// superseded version used to vanish for good (its row deleted, the lister's
// memory still holding it as seen). Now the next listing records it again,
// and the second supersession of the same version fails the attempt with
// the reason, so the file ends REJECTED, visibly.
func TestSupersededVersionIsRecordedAgain(t *testing.T) {
	host, p := hostPort(t, "FTPCOORD_TEST_VSFTPD_ADDR")
	dir, local := testDir(t, env(t, "FTPCOORD_TEST_VSFTPD_ROOT"))
	cfg := ListenerConfig{Protocol: FTP, Host: host, Port: p, Path: "/inbox/" + dir}
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	cfg.MaxTries = 2
	write(t, local, "target.dat", strings.Repeat("t", 100), time.Hour)
	require.NoError(t, os.Symlink("target.dat", filepath.Join(local, "link.csv")))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(local, "link.csv"), old, old))
	cfg.Include = []string{"link.csv"}
	rec := newRecorder()
	l := startedListener(t, cfg, rec)
	link := cfg.Path + "/link.csv"
	var mu sync.Mutex
	sawAbsent := false
	pollUntil(t, l, "link.csv REJECTED", func() bool {
		rows := ledgerRows(t, l, link)
		mu.Lock()
		defer mu.Unlock()
		if len(rows) == 0 {
			sawAbsent = true
		}
		return len(rows) == 1 && rows[0].Status == ledger.Rejected
	})
	row := ledgerRows(t, l, link)[0]
	require.Contains(t, row.LastError, "symbolic link", "the reason")
	require.True(t, sawAbsent || row.Tries >= 1)
	order, _, _ := rec.take()
	require.Empty(t, order, "the link's wrong content reached the handler")
}

// fakeFTPDir is the listener configuration for the scripted FTP server.
func fakeFTPDir(s *fakeftp.Server) ListenerConfig {
	return ListenerConfig{Protocol: FTP, Host: s.Host, Port: s.Port, Path: "/in", PollingInterval: 3600,
		RetryConfig: &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}}
}

// lsLine is a Unix `ls -l` line of a file modified on 2 January 2026.
func lsLine(name string, size int64) string {
	return fmt.Sprintf("-rw-r--r--    1 ftp      ftp      %12d Jan 02  2026 %s\r\n", size, name)
}

// The same over FTP, with a scripted server: a RETR that stalls half-way
// ends at the idle bound, a failed try; a LIST that drips lines (under the
// idle bound) ends at processingTimeout; a LIST that never ends is cut at
// maxListingEntries. The member polls on after each.
func TestStalledRetrAndDrippingOrEndlessListOverFTP(t *testing.T) {
	s := fakeftp.Start(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.SetList(func(w io.Writer) error { _, err := io.WriteString(w, lsLine("big.bin", 1<<20)); return err })
	s.SetRetr(func(_ string, w io.Writer) error {
		if _, err := w.Write(make([]byte, 1<<19)); err != nil {
			return err
		}
		<-release // half-way, the server goes silent
		return nil
	})
	cfg, _ := withLedger(t, fakeFTPDir(s), schema.Postgres, "m")
	cfg.ProcessingTimeout = 3
	cfg.ConnectTimeout = 1 // the idle bound
	cfg.RetryTimeout = 3600
	cfg.MaxListingEntries = 1000
	cfg.Include = []string{"big.bin"} // the other names only count against the bound
	rec := newRecorder()
	l := startedListener(t, cfg, rec)
	pollUntil(t, l, "big.bin to fail", func() bool {
		rows := ledgerRows(t, l, "/in/big.bin")
		return len(rows) == 1 && rows[0].Status == ledger.Failed
	})
	row := ledgerRows(t, l, "/in/big.bin")[0]
	require.Equal(t, 1, row.Tries)
	require.Contains(t, row.LastError, "sent nothing for 1s", "the stalled transfer's error")

	pollErr := func() error {
		var err error
		for err = ErrPollInProgress; errors.Is(err, ErrPollInProgress); err = l.PollOnce(context.Background()) {
		}
		return err
	}
	s.SetList(func(w io.Writer) error {
		if _, err := io.WriteString(w, lsLine("big.bin", 1<<20)); err != nil {
			return err
		}
		for i := 0; ; i++ {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-release:
				return nil
			}
			if _, err := io.WriteString(w, lsLine(fmt.Sprintf("drip%06d", i), 1)); err != nil {
				return err
			}
		}
	})
	err := pollErr()
	require.ErrorIs(t, err, ErrDeadline, "the dripping listing")
	require.ErrorContains(t, err, "processingTimeout")

	s.SetList(func(w io.Writer) error {
		for i := 0; ; i++ {
			if _, err := io.WriteString(w, lsLine(fmt.Sprintf("n%09d", i), 1)); err != nil {
				return err
			}
		}
	})
	err = pollErr()
	require.ErrorIs(t, err, remote.ErrTruncated, "the endless listing")
	require.ErrorContains(t, err, "maxListingEntries")
	_, deleted, _ := rec.take()
	require.Empty(t, deleted, "nothing is deleted by a listing that failed or was cut")
}

// hungOnError never returns from OnError, whatever its context says.
type hungOnError struct {
	calls   atomic.Int32
	release chan struct{}
}

func (h *hungOnError) OnError(context.Context, error) { h.calls.Add(1); <-h.release }

// An OnError that hangs does not hold the poll that reports: it is cut at
// processingTimeout, and the poll returns its error.
func TestHungOnErrorDoesNotHoldThePoll(t *testing.T) {
	cfg, _ := pureDir(t)
	cfg.Path += "/missing" // the listing fails, and OnError is told
	cfg.ProcessingTimeout = 1
	h := &hungOnError{release: make(chan struct{})}
	t.Cleanup(func() { close(h.release) })
	l := newListener(t, cfg, h)
	err := l.PollOnce(context.Background())
	require.Error(t, err, "a poll of a missing directory")
	require.ErrorContains(t, err, "missing")
	require.EqualValues(t, 1, h.calls.Load(), "OnError calls")
}
