package listener

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
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
	if err != nil {
		t.Fatal(err)
	}
	rows, err := lg.Get(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	rows := rowsOf(t, db, schema.Postgres, cfg.Path+"/a.csv")
	if len(rows) != 1 || rows[0].Status != ledger.Done || rows[0].Tries != 1 {
		t.Fatalf("after a graceful stop: %+v, want DONE after 1 try", rows)
	}
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
		if len(rows) != 1 || rows[0].Status != ledger.Pending || rows[0].Tries != 0 {
			t.Fatalf("after a stop mid-file: %+v, want PENDING with 0 tries", rows)
		}

		bcfg := member2(cfg, db, "b")
		bcfg.PollingInterval, bcfg.ProcessingTimeout = 0.05, 300
		b := newBlocking()
		lb := startedListener(t, bcfg, b)
		if f := waitStarted(t, b); f.Attempt != 1 {
			t.Fatalf("the next member got attempt %d, want 1", f.Attempt)
		}
		lb.Halt() // a crash: nothing is given back
		rows = rowsOf(t, db, d, p)
		if len(rows) != 1 || rows[0].Status != ledger.InProgress {
			t.Fatalf("after Halt mid-file: %+v, want IN_PROGRESS (left to its lease)", rows)
		}
	})
}
