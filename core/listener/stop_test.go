package listener

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// blocking is an OnFile that says when it started, then waits for release
// (finishing) or for its context to end (returning its error).
type blocking struct {
	*recorder
	started chan FileInfo
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{recorder: newRecorder(), started: make(chan FileInfo, 10), release: make(chan struct{})}
}

func (b *blocking) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	b.started <- f
	select {
	case <-b.release:
		return b.recorder.OnFile(ctx, f, r, c)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rowsOf reads a file's ledger rows straight from the database (a stopped
// listener has no ledger any more).
func rowsOf(t *testing.T, db taskcompat.DatabaseConfig, d schema.Dialect, p string) []ledger.Row {
	t.Helper()
	lg, err := ledger.New(context.Background(), ledger.Config{DB: testdb.Open(t, db, "UTC"), Dialect: d, GroupID: "inbox", MemberID: "reader"})
	require.NoError(t, err)
	rows, err := lg.Get(context.Background(), p)
	require.NoError(t, err)
	return rows
}

func waitStarted(t *testing.T, b *blocking) FileInfo {
	t.Helper()
	select {
	case f := <-b.started:
		return f
	case <-time.After(30 * time.Second):
		t.Fatal("the handler never started")
		return FileInfo{}
	}
}

// A graceful Stop lets the handler at work finish and commits it before
// the member leaves.
func TestGracefulStopDrains(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, db := withLedger(t, cfg, schema.Postgres, "a")
	cfg.PollingInterval = 0.05
	svc := newBlocking()
	l := startedListener(t, cfg, svc)
	write(t, local, "a.csv", "x", time.Hour)
	waitStarted(t, svc)
	stopped := make(chan error, 1)
	go func() { stopped <- l.Stop(context.Background()) }()
	for !l.draining.Load() { // Stop has begun
		time.Sleep(time.Millisecond)
	}
	close(svc.release) // the handler finishes while Stop waits for it
	require.NoError(t, <-stopped)
	rows := rowsOf(t, db, schema.Postgres, cfg.Path+"/a.csv")
	require.Len(t, rows, 1, "after a graceful stop")
	require.Equal(t, ledger.Done, rows[0].Status, "after a graceful stop: %+v, want DONE after 1 try", rows)
	require.Equal(t, 1, rows[0].Tries, "after a graceful stop: %+v, want DONE after 1 try", rows)
}

// A handler that does not finish before the Stop context ends is cut
// short and its file given back at once, its try uncounted: the next
// member takes it without waiting for the lease (300 s here). Halt, like a
// crash, gives nothing back.
func TestStopGivesUnfinishedFilesBack(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, db := withLedger(t, cfg, d, "a")
		cfg.PollingInterval = 0.05
		cfg.ProcessingTimeout = 300
		a := newBlocking()
		la := startedListener(t, cfg, a)
		write(t, local, "a.csv", "x", time.Hour)
		p := cfg.Path + "/a.csv"
		waitStarted(t, a)

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		la.Stop(ctx)
		rows := rowsOf(t, db, d, p)
		require.Len(t, rows, 1, "after a stop mid-file")
		require.Equal(t, ledger.Pending, rows[0].Status, "after a stop mid-file: %+v, want PENDING with 0 tries", rows)
		require.Zero(t, rows[0].Tries, "after a stop mid-file: %+v, want PENDING with 0 tries", rows)

		bcfg := member2(cfg, db, "b")
		bcfg.PollingInterval, bcfg.ProcessingTimeout = 0.05, 300
		b := newBlocking()
		lb := startedListener(t, bcfg, b)
		require.Equal(t, 1, waitStarted(t, b).Attempt, "the next member's attempt")
		lb.Halt() // a crash: nothing is given back
		rows = rowsOf(t, db, d, p)
		require.Len(t, rows, 1, "after Halt mid-file")
		require.Equal(t, ledger.InProgress, rows[0].Status, "after Halt mid-file: %+v, want IN_PROGRESS (left to its lease)", rows)
	})
}

// A graceful stop does not wait for a file server that has gone quiet: with
// connectTimeout and retryConfig at their defaults (30 s, three tries with
// backoff), a poll stuck on a server that blackholes its connections ends
// at once, and the standby takes over moments after the stop.
func TestGracefulStopDoesNotWaitForABlackholedServer(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, proxy := viaProxy(t, cfg)
		cfg.RetryConfig, cfg.ConnectTimeout = nil, 0 // the defaults
		cfg, db := withLedger(t, cfg, d, "a")
		def := cfg.WithDefaults()
		require.EqualValues(t, 30, def.ConnectTimeout, "default connectTimeout")
		require.Equal(t, 3, def.RetryConfig.Count, "default retryConfig %+v", def.RetryConfig)
		write(t, local, "first.csv", "1", 2*time.Hour)
		rec := newRecorder()
		a := startedListener(t, cfg, rec)
		pollUntil(t, a, "the first file", func() bool { return rec.delivered() == 1 })
		b := newRecorder()
		lb := startedListener(t, member2(cfg, db, "b"), b)

		proxy.SetMode(tcpproxy.Blackhole)
		write(t, local, "second.csv", "2", time.Hour)
		polled := make(chan error, 1)
		go func() { polled <- a.PollOnce(context.Background()) }()
		waitUntil(t, "a poll stuck on the server", func() bool {
			if a.polling.TryLock() {
				a.polling.Unlock()
				return false
			}
			return true
		})

		stopped := time.Now()
		require.NoError(t, a.Stop(context.Background()))
		took := time.Since(stopped)
		waitUntil(t, "b to take over", func() bool { return lb.Coordinator().IsActive() })
		t.Logf("%s: Stop returned after %v, b active %v after the stop", d, took.Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))
		require.Less(t, took, 10*time.Second, "Stop took %v: it waited for the blackholed server (connectTimeout 30 s)", took)
		require.Error(t, <-polled, "the stuck poll reported success")
	})
}

// trickle reads its file slowly, telling when it started, until its stream
// fails.
type trickle struct {
	*recorder
	started chan struct{}
	once    sync.Once
	mu      sync.Mutex
	errs    []error
	tries   []int
}

func (tr *trickle) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	tr.mu.Lock()
	tr.tries = append(tr.tries, f.Attempt)
	tr.mu.Unlock()
	if f.Attempt > 1 || len(tr.tries) > 1 {
		return tr.recorder.OnFile(ctx, f, r, c)
	}
	buf := make([]byte, 1024)
	for {
		if _, err := r.Read(buf); err != nil {
			tr.mu.Lock()
			tr.errs = append(tr.errs, err)
			tr.mu.Unlock()
			return err
		}
		tr.once.Do(func() { close(tr.started) })
		time.Sleep(5 * time.Millisecond)
	}
}

// A graceful stop cuts a transfer in progress at once rather than wait for
// it (the handler sees its stream fail), and gives the file back to the
// group with its try uncounted: the standby processes it as attempt 1.
func TestGracefulStopCutsTransfersAndGivesTheirFilesBack(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, db := withLedger(t, cfg, d, "a")
		write(t, local, "big.bin", strings.Repeat("x", 8<<20), time.Hour)
		svc := &trickle{recorder: newRecorder(), started: make(chan struct{})}
		cfgA := cfg
		cfgA.PollingInterval = 0.1 // a's own polling loop starts the transfer
		a := startedListener(t, cfgA, svc)
		select {
		case <-svc.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the transfer never started")
		}
		b := newRecorder()
		startedListener(t, member2(cfg, db, "b"), b)
		stopped := time.Now()
		require.NoError(t, a.Stop(context.Background()))
		took := time.Since(stopped)
		select {
		case <-b.arrivals:
		case <-time.After(60 * time.Second):
			t.Fatal("the standby never processed the file given back")
		}
		t.Logf("%s: Stop returned after %v; the standby had the file %v after the stop", d, took.Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))
		svc.mu.Lock()
		defer svc.mu.Unlock()
		require.Len(t, svc.errs, 1, "the cut stream's errors: want the stop's cancellation")
		require.True(t, errors.Is(svc.errs[0], context.Canceled) || errors.Is(svc.errs[0], errStopping), "the cut stream ended with %v, want the stop's cancellation", svc.errs)
		var rows []ledger.Row
		waitUntil(t, "the file to be committed", func() bool {
			rows = rowsOf(t, db, d, cfg.Path+"/big.bin")
			return len(rows) == 1 && rows[0].Status != ledger.InProgress
		})
		require.Len(t, rows, 1, "ledger")
		require.Equal(t, ledger.Done, rows[0].Status, "ledger %+v, want DONE by b at its first counted try", rows)
		require.Equal(t, 1, rows[0].Tries, "ledger %+v, want DONE by b at its first counted try", rows)
		require.Equal(t, "b", rows[0].Owner, "ledger %+v, want DONE by b at its first counted try", rows)
	})
}
