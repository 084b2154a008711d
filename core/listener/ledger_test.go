package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withLedger gives cfg a coordination group in a fresh database of dialect
// d, so that its files go through the ledger.
func withLedger(t *testing.T, cfg ListenerConfig, d schema.Dialect, member string) (ListenerConfig, taskcompat.DatabaseConfig) {
	t.Helper()
	db := testdb.NewWithSchema(t, d)
	return member2(cfg, db, member), db
}

func member2(cfg ListenerConfig, db taskcompat.DatabaseConfig, member string) ListenerConfig {
	cfg.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: member, CoordinationGroup: "inbox",
		LivenessCheckInterval: 2, HeartbeatFrequency: taskcompat.Secs(0.25)}
	cfg.PollingInterval = 3600 // the tests poll by hand
	cfg.RetryTimeout = 0.001
	return cfg
}

// flaky fails the first failures attempts at every file.
type flaky struct {
	*recorder
	failures int
	failOn   string // a name that always fails
	mu       sync.Mutex
	attempts map[string][]int
	keys     map[string]map[string]bool
}

func newFlaky(failures int) *flaky {
	return &flaky{recorder: newRecorder(), failures: failures, attempts: map[string][]int{}, keys: map[string]map[string]bool{}}
}

func (f *flaky) OnFile(ctx context.Context, info FileInfo, r io.Reader, c *Caller) error {
	f.mu.Lock()
	f.attempts[info.Path] = append(f.attempts[info.Path], info.Attempt)
	if f.keys[info.Path] == nil {
		f.keys[info.Path] = map[string]bool{}
	}
	f.keys[info.Path][info.IdempotencyKey] = true
	n := len(f.attempts[info.Path])
	f.mu.Unlock()
	if n <= f.failures || info.Name == f.failOn {
		io.Copy(io.Discard, r)
		return fmt.Errorf("attempt %d fails on purpose", n)
	}
	return f.recorder.OnFile(ctx, info, r, c)
}

// pollUntil polls by hand until cond holds. A poll may find nothing to do
// (a standby moment under load, a retry time not yet passed), so the tests
// wait for the outcome rather than count polls.
func pollUntil(t *testing.T, l *Listener, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out polling for %s", what)
		}
		pollHand(t, l)
	}
}

func startedListener(t *testing.T, cfg ListenerConfig, svc any) *Listener {
	t.Helper()
	l := newListener(t, cfg, svc)
	require.NoError(t, l.Start(context.Background()))
	return l
}

// pollHand runs PollOnce, waiting out a scheduled poll that may be running.
func pollHand(t *testing.T, l *Listener) {
	t.Helper()
	for {
		err := l.PollOnce(context.Background())
		if errors.Is(err, ErrPollInProgress) {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		require.NoError(t, err)
		return
	}
}

func TestLedgerRetriesUntilDone(t *testing.T) {
	eachServer(t, func(t *testing.T, s testServer) { testLedgerRetriesUntilDone(t, s.dir) })
}

func testLedgerRetriesUntilDone(t *testing.T, dir serverDir) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := dir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 5
		svc := newFlaky(2)
		l := startedListener(t, cfg, svc)
		write(t, local, "order.csv", "1,2,3", time.Hour)
		p := cfg.Path + "/order.csv"
		pollUntil(t, l, "the file to be DONE", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Done
		})
		pollHand(t, l) // and nothing more happens to it
		svc.mu.Lock()
		attempts, keys := svc.attempts[p], len(svc.keys[p])
		svc.mu.Unlock()
		require.Equal(t, []int{1, 2, 3}, attempts, "attempts")
		require.Equal(t, 1, keys, "idempotency keys; want one")
		order, _, errs := svc.take()
		require.Len(t, order, 1, "delivered; errors %v", errs)
		require.Len(t, errs, 2, "errors")
		rows := ledgerRows(t, l, p)
		require.Len(t, rows, 1, "ledger")
		require.Equal(t, ledger.Done, rows[0].Status, "ledger %+v, want DONE after 3 tries", rows)
		require.Equal(t, 3, rows[0].Tries, "ledger %+v, want DONE after 3 tries", rows)
	})
}

func TestLedgerRejectsAfterMaxTriesAndRequeues(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 2
		svc := newFlaky(1000)
		l := startedListener(t, cfg, svc)
		write(t, local, "bad.csv", "x", time.Hour)
		p := cfg.Path + "/bad.csv"
		pollUntil(t, l, "the file to be REJECTED", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected
		})
		pollHand(t, l) // a rejected file is not tried again
		pollHand(t, l)
		_, _, errs := svc.take()
		var rejected *RejectedError
		require.Len(t, errs, 2, "errors: want a failed attempt then a RejectedError")
		require.ErrorAs(t, errs[1], &rejected, "errors %v, want a failed attempt then a RejectedError after 2 tries", errs)
		require.Equal(t, 2, rejected.Tries, "RejectedError %v", rejected)
		require.Equal(t, p, rejected.Path, "RejectedError %v", rejected)
		rows := ledgerRows(t, l, p)
		require.Len(t, rows, 1, "ledger")
		require.Equal(t, ledger.Rejected, rows[0].Status, "ledger %+v", rows)
		svc.mu.Lock()
		n := len(svc.attempts[p])
		svc.mu.Unlock()
		require.Equal(t, 2, n, "attempts, want 2 (none after the rejection)")
		// An operator requeues it; it is tried again.
		lg := ledgerOf(t, l)
		k, err := lg.Requeue(context.Background(), p)
		require.NoError(t, err, "Requeue")
		require.Equal(t, 1, k, "Requeue")
		pollUntil(t, l, "a third attempt after the requeue", func() bool {
			svc.mu.Lock()
			defer svc.mu.Unlock()
			return len(svc.attempts[p]) == 3
		})
	})
}

// A member restarted with the same id does not process again what is DONE.
func TestLedgerSurvivesRestart(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		rec := newRecorder()
		l := startedListener(t, cfg, rec)
		write(t, local, "a", "1", time.Hour)
		pollUntil(t, l, "a delivery", func() bool { return rec.delivered() >= 1 })
		l.Stop(context.Background())
		rec2 := newRecorder()
		l2 := startedListener(t, cfg, rec2)
		write(t, local, "b", "2", time.Hour)
		pollUntil(t, l2, "a delivery", func() bool { return rec2.delivered() >= 1 })
		pollHand(t, l2)
		order, _, _ := rec.take()
		require.Equal(t, []string{cfg.Path + "/a"}, order, "first run delivered")
		order, _, _ = rec2.take()
		require.Equal(t, []string{cfg.Path + "/b"}, order, "after the restart delivered: want only the new file")
	})
}

// Shared mode: two members with two workers each split the files; every file
// is processed exactly once.
func TestSharedModeSplitsTheWork(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg.Mode, cfg.Workers, cfg.MaxFilesPerPoll = "shared", 2, 5
		cfg, db := withLedger(t, cfg, d, "a")
		cfg.PollingInterval = 0.05
		const n = 40
		for i := range n {
			write(t, local, fmt.Sprintf("f%02d", i), fmt.Sprint(i), time.Hour)
		}
		var mu sync.Mutex
		count := map[string]int{}
		by := map[string]int{}
		all := make(chan struct{})
		mk := func(name string) *countingService {
			return &countingService{onFile: func(p string) {
				mu.Lock()
				defer mu.Unlock()
				count[p]++
				by[name]++
				if len(count) == n {
					select {
					case <-all:
					default:
						close(all)
					}
				}
			}}
		}
		startedListener(t, cfg, mk("a"))
		cfgB := member2(cfg, db, "b")
		cfgB.PollingInterval = cfg.PollingInterval
		startedListener(t, cfgB, mk("b"))
		select {
		case <-all:
		case <-time.After(60 * time.Second):
			t.Fatalf("only %d of %d files processed", len(count), n)
		}
		mu.Lock()
		defer mu.Unlock()
		for p, k := range count {
			require.Equal(t, 1, k, "%s processed %d times", p, k)
		}
		t.Logf("%s: member a processed %d files, b %d", d, by["a"], by["b"])
		require.NotZero(t, by["a"], "one member did all the work: %v", by)
		require.NotZero(t, by["b"], "one member did all the work: %v", by)
	})
}

type countingService struct{ onFile func(string) }

func (c *countingService) OnFile(_ context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	io.Copy(io.Discard, r)
	time.Sleep(20 * time.Millisecond) // the work a handler does; lets both members take part
	c.onFile(f.Path)
	return nil
}

func ledgerOf(t *testing.T, l *Listener) *ledger.Ledger {
	t.Helper()
	_, lg := l.coordinated()
	require.NotNil(t, lg, "the listener has no ledger")
	return lg
}

func ledgerRows(t *testing.T, l *Listener, p string) []ledger.Row {
	t.Helper()
	rows, err := ledgerOf(t, l).Get(context.Background(), p)
	require.NoError(t, err)
	return rows
}

// On every server, with every ledger database.
func TestAfterProcessMovesWithoutClobbering(t *testing.T) {
	eachServer(t, func(t *testing.T, s testServer) { testAfterProcessMoves(t, s.dir) })
}

func testAfterProcessMoves(t *testing.T, dir serverDir) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := dir(t)
		root := filepath.Dir(local)
		archive := filepath.Base(local) + "-archive"
		t.Cleanup(func() { os.RemoveAll(filepath.Join(root, archive)) })
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.Recursive = true
		cfg.AfterProcess = &PostAction{MoveTo: remoteParent(cfg) + "/" + archive, PreserveSubDirs: true}
		cfg.AfterError = &PostAction{Delete: true}
		cfg.MaxTries = 1
		svc := newFlaky(0)
		svc.failOn = "poison.csv"
		l := startedListener(t, cfg, svc)
		write(t, local, "a.csv", "new a", time.Hour)
		write(t, local, "sub/b.csv", "b", time.Hour)
		write(t, local, "poison.csv", "x", time.Hour)
		// An older a.csv is already archived: it must survive.
		write(t, filepath.Join(root, archive), "a.csv", "old a", 0)
		pollUntil(t, l, "every file handled", func() bool {
			for _, f := range []string{"a.csv", "sub/b.csv", "poison.csv"} {
				if _, err := os.Stat(filepath.Join(local, f)); err == nil {
					return false
				}
			}
			return true
		})
		read := func(p string) string {
			b, err := os.ReadFile(filepath.Join(root, archive, p))
			if err != nil {
				return "<" + err.Error() + ">"
			}
			return string(b)
		}
		require.Equal(t, "old a", read("a.csv"), "the archived a.csv was overwritten")
		moved, _ := filepath.Glob(filepath.Join(root, archive, "a.*.csv"))
		if len(moved) != 1 {
			_, _, errs := svc.take()
			t.Fatalf("the new a.csv was not archived under a free name: %v (errors %v)", moved, errs)
		}
		require.Equal(t, "b", read("sub/b.csv"), "sub/b.csv not archived with its subdirectory")
		for _, gone := range []string{"a.csv", "sub/b.csv", "poison.csv"} {
			_, err := os.Stat(filepath.Join(local, gone))
			require.ErrorIs(t, err, fs.ErrNotExist, "%s is still in the watched directory", gone)
		}
		_, _, errs := svc.take()
		var rejected *RejectedError
		require.Len(t, errs, 1, "errors: want the poison file rejected")
		require.ErrorAs(t, errs[0], &rejected, "errors: want the poison file rejected")
	})
}

func TestPostActionJSON(t *testing.T) {
	c, err := DecodeConfig([]byte(`{"afterProcess": {"moveTo": "/done", "preserveSubDirs": true}, "afterError": "DELETE"}`))
	require.NoError(t, err)
	require.Equal(t, "/done", c.AfterProcess.MoveTo, "decoded %+v", c.AfterProcess)
	require.True(t, c.AfterProcess.PreserveSubDirs, "decoded %+v", c.AfterProcess)
	require.True(t, c.AfterError.Delete, "decoded %+v", c.AfterError)
	for in, want := range map[string]string{
		`{"afterProcess": "MOVE"}`:                                                   "afterProcess",
		`{"afterProcess": {"moveTo": "done"}}`:                                       "afterProcess.moveTo",
		`{"path": "/in", "afterError": {"moveTo": "/in"}}`:                           "afterError.moveTo",
		`{"path": "/in", "recursive": true, "afterProcess": {"moveTo": "/in/done"}}`: "afterProcess.moveTo",
		`{"afterProcess": {"moveTo": "/d", "preserve": true}}`:                       "preserve",
	} {
		_, err := DecodeConfig([]byte(in))
		assert.ErrorContains(t, err, want, "%s", in)
	}
}

func TestGlobsAndPurge(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.Include = []string{"*.csv", "*.xml"}
		cfg.Exclude = []string{"tmp-*"}
		cfg.Retention = 0.001 // forget finished rows at once once the file is gone
		rec := newRecorder()
		l := startedListener(t, cfg, rec)
		for _, n := range []string{"a.csv", "b.xml", "c.txt", "tmp-d.csv"} {
			write(t, local, n, n, time.Hour)
		}
		pollUntil(t, l, "two deliveries", func() bool { return rec.delivered() >= 2 })
		order, _, _ := rec.take()
		require.Equal(t, []string{cfg.Path + "/a.csv", cfg.Path + "/b.xml"}, order, "delivered")
		os.Remove(filepath.Join(local, "a.csv"))
		pollUntil(t, l, "the purge of the deleted file's row", func() bool { return len(ledgerRows(t, l, cfg.Path+"/a.csv")) == 0 })
		rows := ledgerRows(t, l, cfg.Path+"/b.xml")
		require.Len(t, rows, 1, "the row of a present file was purged")
		require.Equal(t, ledger.Done, rows[0].Status, "the row of a present file: %+v", rows)
	})
}

// A member that starts afresh (nothing seen yet) purges only the rows of
// files that are gone: a processed file still on the server, which waits
// to be stable again in the new member's eyes, keeps the row that says it
// was processed, and is not processed twice.
func TestPurgeAfterRestartKeepsRowsOfListedFiles(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, db := withLedger(t, cfg, d, "m")
		cfg.Retention = 0.001 // finished rows may go at once, once their file is gone
		cfg.StableListings = 2
		write(t, local, "kept.csv", "k", time.Hour)
		write(t, local, "gone.csv", "g", time.Hour)
		first := newRecorder()
		a := startedListener(t, cfg, first)
		pollUntil(t, a, "two deliveries", func() bool { return first.delivered() >= 2 })
		require.NoError(t, a.Stop(context.Background()))
		os.Remove(filepath.Join(local, "gone.csv"))
		again := newRecorder()
		b := startedListener(t, member2(cfg, db, "n"), again)
		pollUntil(t, b, "the purge of the deleted file's row", func() bool { return len(ledgerRows(t, b, cfg.Path+"/gone.csv")) == 0 })
		pollHand(t, b) // kept.csv is stable in b's eyes by now
		pollHand(t, b)
		order, _, errs := again.take()
		require.Empty(t, order, "after the restart: delivered; want nothing")
		require.Empty(t, errs, "after the restart: errors; want nothing")
		rows := ledgerRows(t, b, cfg.Path+"/kept.csv")
		require.Len(t, rows, 1, "kept.csv's rows: want one DONE after 1 try")
		require.Equal(t, ledger.Done, rows[0].Status, "kept.csv's rows: %+v, want one DONE after 1 try", rows)
		require.Equal(t, 1, rows[0].Tries, "kept.csv's rows: %+v, want one DONE after 1 try", rows)
	})
}

// A listing larger than a batch is entered a batch at a time, claimed as it
// is entered, and processed in one poll: each file once, at its first try.
func TestListingLargerThanABatch(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxFilesPerPoll, cfg.Workers, cfg.MaxConnections = 3, 2, 2
		for i := range 10 {
			write(t, local, fmt.Sprintf("f%02d.csv", i), fmt.Sprint(i), time.Hour)
		}
		rec := newRecorder()
		l := startedListener(t, cfg, rec)
		pollHand(t, l)
		order, _, errs := rec.take()
		require.Len(t, order, 10, "delivered")
		require.Len(t, rec.files, 10, "files delivered")
		require.Empty(t, errs, "errors")
		waitUntil(t, "every file DONE", func() bool {
			c, err := ledgerOf(t, l).Counts(context.Background())
			return err == nil && c[ledger.Done] == 10
		})
		for i := range 10 {
			rows := ledgerRows(t, l, fmt.Sprintf("%s/f%02d.csv", cfg.Path, i))
			require.Len(t, rows, 1, "f%02d.csv: want one row after 1 try", i)
			require.Equal(t, 1, rows[0].Tries, "f%02d.csv: %+v, want one row after 1 try", i, rows)
		}
	})
}

// A listing is entered in batches that start small and double up to
// maxFilesPerPoll (16, 32, 50, 22 here): every file is still processed
// once, oldest first.
func TestListingEnteredInGrowingBatchesKeepsOrder(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxFilesPerPoll, cfg.Workers = 50, 1
		const n = 120
		var want []string
		for i := range n {
			name := fmt.Sprintf("f%03d.csv", i)
			write(t, local, name, name, 2*time.Hour-time.Duration(i)*10*time.Second) // f000 oldest
			want = append(want, cfg.Path+"/"+name)
		}
		rec := newRecorder()
		l := startedListener(t, cfg, rec)
		pollHand(t, l)
		order, _, errs := rec.take()
		require.Equal(t, want, order, "delivered: want the %d files oldest first", n)
		require.Empty(t, errs, "errors")
		waitUntil(t, "every file DONE", func() bool {
			c, err := ledgerOf(t, l).Counts(context.Background())
			return err == nil && c[ledger.Done] == n && len(c) == 1
		})
	})
}

// cutter cuts the database off while it handles its first file.
type cutter struct {
	*flaky
	cut func()
	n   int
}

func (c *cutter) OnFile(ctx context.Context, f FileInfo, r io.Reader, caller *Caller) error {
	c.mu.Lock()
	c.n++
	first := c.n == 1
	c.mu.Unlock()
	if first {
		c.cut()
	}
	return c.flaky.OnFile(ctx, f, r, caller)
}

// The database goes away between the handler's success and the commit:
// the file is not lost, it is processed again once the database is back.
func TestDatabaseOutageMidCommitLosesNothing(t *testing.T) {
	// The outage is a refused TCP connection: servers only (SQLite's
	// counterpart is a write lock held too long).
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, db := withLedger(t, cfg, d, "m")
		proxy, err := tcpproxy.Start(db.Address())
		require.NoError(t, err)
		t.Cleanup(func() { proxy.Close() })
		viaProxy := db
		viaProxy.Host, viaProxy.Port = "127.0.0.1", proxy.Addr().Port
		cfg = member2(cfg, viaProxy, "m")
		cfg.ProcessingTimeout = 1
		cfg.PollingInterval = 0.05
		svc := &cutter{flaky: newFlaky(0), cut: func() { proxy.SetMode(tcpproxy.Refuse) }}
		startedListener(t, cfg, svc)
		write(t, local, "precious.csv", "do not lose me", time.Hour)
		// The handler succeeds, the commit cannot reach the database.
		select {
		case <-svc.arrivals:
		case <-time.After(20 * time.Second):
			t.Fatal("the file was never handled")
		}
		waitUntil(t, "the failed commit to be reported", func() bool {
			svc.recorder.mu.Lock()
			defer svc.recorder.mu.Unlock()
			// Not just any error: a claim of the next batch fails too.
			for _, e := range svc.recorder.errs {
				if strings.Contains(e.Error(), "listener: commit") {
					return true
				}
			}
			return false
		})
		proxy.SetMode(tcpproxy.Pass)
		p := cfg.Path + "/precious.csv"
		direct := testdb.Open(t, db, "UTC")
		deadline := time.Now().Add(30 * time.Second)
		for {
			var status string
			direct.QueryRow(testdb.Q(d, `SELECT status FROM ftpcoord_file WHERE path = ?`), p).Scan(&status)
			if status == "DONE" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the file is %q 30 s after the database came back", status)
			}
			time.Sleep(50 * time.Millisecond) // the listener polls on its own
		}
		svc.mu.Lock()
		attempts := svc.attempts[p]
		svc.mu.Unlock()
		require.GreaterOrEqual(t, len(attempts), 2, "attempts %v: want the uncommitted first run and a later one", attempts)
		require.Equal(t, 1, attempts[0], "attempts %v: want the uncommitted first run and a later one", attempts)
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
