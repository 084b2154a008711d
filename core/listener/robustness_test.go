package listener

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
)

// panicky panics in OnFile on the first attempt at each file, then
// delegates to a recorder.
type panicky struct {
	*recorder
	panics atomic.Int32
}

func (p *panicky) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	if f.Attempt <= 1 {
		p.panics.Add(1)
		panic("handler bug on " + f.Name)
	}
	return p.recorder.OnFile(ctx, f, r, c)
}

// A handler that panics does not take the member down: the panic reaches
// OnError as a *PanicError and counts as a failed attempt, which the
// ledger retries.
func TestHandlerPanicIsAFailedAttempt(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	svc := &panicky{recorder: newRecorder()}
	l := startedListener(t, cfg, svc)
	write(t, local, "a.csv", "1,2", time.Hour)
	p := cfg.Path + "/a.csv"
	pollUntil(t, l, "the file to be DONE", func() bool {
		rows := ledgerRows(t, l, p)
		return len(rows) == 1 && rows[0].Status == ledger.Done
	})
	order, _, errs := svc.take()
	var pe *PanicError
	if svc.panics.Load() != 1 || len(order) != 1 || len(errs) != 1 || !errors.As(errs[0], &pe) ||
		pe.Method != "onFile" || !strings.Contains(errs[0].Error(), "handler bug on a.csv") {
		t.Fatalf("panics %d, delivered %q, errors %v; want one recovered panic, then the file", svc.panics.Load(), order, errs)
	}
	if rows := ledgerRows(t, l, p); rows[0].Tries != 2 {
		t.Fatalf("tries %d, want 2", rows[0].Tries)
	}
}

// panicOnChange panics in OnFileChange and in OnError.
type panicOnChange struct{ errs atomic.Int32 }

func (p *panicOnChange) OnFileChange(context.Context, WatchEvent, *Caller) error { panic("change bug") }
func (p *panicOnChange) OnError(context.Context, error)                          { p.errs.Add(1); panic("error bug") }

// Without the ledger too: a panicking OnFileChange, and even a panicking
// OnError, leave the poll and the listener running.
func TestPanicsInOtherMethodsAreContained(t *testing.T) {
	cfg, local := pureDir(t)
	svc := &panicOnChange{}
	l := newListener(t, cfg, svc)
	write(t, local, "b.csv", "x", time.Hour)
	if err := l.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if svc.errs.Load() != 1 {
		t.Fatalf("OnError called %d times, want 1", svc.errs.Load())
	}
	if err := l.PollOnce(context.Background()); err != nil {
		t.Fatalf("the listener is unusable after the panics: %v", err)
	}
}

// A name the ledger cannot store (here ISO-8859-1 bytes, as legacy servers
// send them) is reported once and skipped; the files listed with it are
// processed as usual.
func TestUnstorableNameDoesNotBlockItsBatch(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	svc := newRecorder()
	l := startedListener(t, cfg, svc)
	write(t, local, "caf\xe9.csv", "latin1", time.Hour)
	write(t, local, "ok.csv", "fine", time.Hour)
	p := cfg.Path + "/ok.csv"
	pollUntil(t, l, "ok.csv to be DONE", func() bool {
		rows := ledgerRows(t, l, p)
		return len(rows) == 1 && rows[0].Status == ledger.Done
	})
	pollHand(t, l)
	order, _, errs := svc.take()
	if len(order) != 1 || len(errs) != 1 || !errors.Is(errs[0], ledger.ErrUnstorablePath) || !strings.Contains(errs[0].Error(), "UTF-8") {
		t.Fatalf("delivered %q, errors %v; want ok.csv delivered and one ErrUnstorablePath", order, errs)
	}
}
