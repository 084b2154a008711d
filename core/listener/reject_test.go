package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// rejecter rejects every file whose name starts with "bad" (ErrReject) and
// records the attempts; the others are delivered.
type rejecter struct {
	*recorder
	mu       sync.Mutex
	attempts map[string][]int
}

func newRejecter() *rejecter {
	return &rejecter{recorder: newRecorder(), attempts: map[string][]int{}}
}

func (r *rejecter) OnFile(ctx context.Context, info FileInfo, content io.Reader, c *Caller) error {
	r.mu.Lock()
	r.attempts[info.Path] = append(r.attempts[info.Path], info.Attempt)
	r.mu.Unlock()
	if strings.HasPrefix(info.Name, "bad") {
		io.Copy(io.Discard, content)
		return fmt.Errorf("bad invoice: %w", ErrReject)
	}
	return r.recorder.OnFile(ctx, info, content, c)
}

func (r *rejecter) tries(p string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.attempts[p]...)
}

// A handler's ErrReject rejects the file at its first attempt, whatever
// maxTries: REJECTED after 1 try, afterError run, OnError told with a
// RejectedError; nothing retries it; an operator's requeue gives it to the
// handler again.
func TestLedgerErrRejectRejectsAtOnce(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 5
		cfg.AfterError = &PostAction{Delete: true}
		svc := newRejecter()
		l := startedListener(t, cfg, svc)
		write(t, local, "bad.csv", "x", time.Hour)
		write(t, local, "good.csv", "y", time.Hour)
		st, err := os.Stat(filepath.Join(local, "bad.csv"))
		if err != nil {
			t.Fatal(err)
		}
		p := cfg.Path + "/bad.csv"
		pollUntil(t, l, "the file to be REJECTED", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected
		})
		pollHand(t, l) // a rejected file is not tried again
		pollHand(t, l)
		rows := ledgerRows(t, l, p)
		if len(rows) != 1 || rows[0].Status != ledger.Rejected || rows[0].Tries != 1 || !strings.Contains(rows[0].LastError, "bad invoice") {
			t.Fatalf("ledger %+v, want REJECTED after 1 try with the reason", rows)
		}
		if got := fmt.Sprint(svc.tries(p)); got != "[1]" {
			t.Fatalf("attempts %s, want [1] (none after the rejection)", got)
		}
		order, _, errs := svc.take()
		if fmt.Sprint(order) != fmt.Sprintf("[%s/good.csv]", cfg.Path) {
			t.Fatalf("delivered %q, want only good.csv", order)
		}
		var rejected *RejectedError
		if len(errs) != 1 || !errors.As(errs[0], &rejected) || rejected.Tries != 1 || rejected.Path != p || !strings.Contains(rejected.Reason, "bad invoice") {
			t.Fatalf("errors %v, want one RejectedError after 1 try", errs)
		}
		if _, err := os.Stat(filepath.Join(local, "bad.csv")); !os.IsNotExist(err) {
			t.Fatalf("afterError (DELETE) did not run: %v", err)
		}
		// An operator puts the same version back on the server and
		// requeues it; it is tried again, and rejected again at once.
		write(t, local, "bad.csv", "x", 0)
		if err := os.Chtimes(filepath.Join(local, "bad.csv"), st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
		lg := ledgerOf(t, l)
		if k, err := lg.Requeue(context.Background(), p); k != 1 || err != nil {
			t.Fatalf("Requeue: %d, %v", k, err)
		}
		pollUntil(t, l, "a second attempt after the requeue", func() bool { return len(svc.tries(p)) == 2 })
		pollUntil(t, l, "the file REJECTED again", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected
		})
		if got := fmt.Sprint(svc.tries(p)); got != "[1 1]" {
			t.Fatalf("attempts %s, want [1 1] (the requeue resets the tries)", got)
		}
	})
}

// batchRejecter is an OnFileChange-only service that rejects its batches.
type batchRejecter struct {
	mu      sync.Mutex
	batches int
	errs    []error
}

func (b *batchRejecter) OnFileChange(_ context.Context, ev WatchEvent, _ *Caller) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(ev.AddedFiles) == 0 {
		return nil
	}
	b.batches++
	return fmt.Errorf("bad batch: %w", ErrReject)
}

func (b *batchRejecter) OnError(_ context.Context, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, err)
}

// An OnFileChange batch rejected with ErrReject: every file in it is
// REJECTED after its one try.
func TestLedgerErrRejectRejectsABatch(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 5
		svc := &batchRejecter{}
		l := startedListener(t, cfg, svc)
		write(t, local, "a.csv", "1", time.Hour)
		write(t, local, "b.csv", "2", 2*time.Hour)
		rejected := func(name string) bool {
			rows := ledgerRows(t, l, cfg.Path+"/"+name)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected && rows[0].Tries == 1
		}
		pollUntil(t, l, "both files REJECTED", func() bool { return rejected("a.csv") && rejected("b.csv") })
		pollHand(t, l)
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if svc.batches != 1 {
			t.Fatalf("%d batches with files, want 1 (nothing retried)", svc.batches)
		}
		n := 0
		for _, err := range svc.errs {
			var re *RejectedError
			if errors.As(err, &re) && re.Tries == 1 {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("errors %v, want a RejectedError for each file", svc.errs)
		}
	})
}

// Without coordination a failure is final anyway; a rejection runs
// afterError and tells OnError with a RejectedError.
func TestErrRejectWithoutLedger(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.PollingInterval = 3600
	cfg.AfterError = &PostAction{Delete: true}
	svc := newRejecter()
	l := startedListener(t, cfg, svc)
	write(t, local, "bad.csv", "x", time.Hour)
	pollHand(t, l)
	pollHand(t, l)
	p := cfg.Path + "/bad.csv"
	if got := fmt.Sprint(svc.tries(p)); got != "[0]" && got != "[1]" {
		t.Fatalf("attempts %s, want one", got)
	}
	_, _, errs := svc.take()
	var rejected *RejectedError
	if len(errs) != 1 || !errors.As(errs[0], &rejected) || rejected.Path != p || rejected.Tries != 1 {
		t.Fatalf("errors %v, want one RejectedError", errs)
	}
	if _, err := os.Stat(filepath.Join(local, "bad.csv")); !os.IsNotExist(err) {
		t.Fatalf("afterError (DELETE) did not run: %v", err)
	}
}
