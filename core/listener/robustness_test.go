package listener

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
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
	require.EqualValues(t, 1, svc.panics.Load(), "panics: want one recovered panic, then the file")
	require.Len(t, order, 1, "delivered: want one recovered panic, then the file")
	require.Len(t, errs, 1, "errors: want one recovered panic")
	require.ErrorAs(t, errs[0], &pe, "errors: want a PanicError")
	require.Equal(t, "onFile", pe.Method, "PanicError %v", pe)
	require.ErrorContains(t, errs[0], "handler bug on a.csv")
	require.Equal(t, 2, ledgerRows(t, l, p)[0].Tries, "tries")
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
	require.NoError(t, l.PollOnce(context.Background()))
	require.EqualValues(t, 1, svc.errs.Load(), "OnError calls")
	require.NoError(t, l.PollOnce(context.Background()), "the listener is unusable after the panics")
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
	require.Len(t, order, 1, "delivered: want ok.csv")
	require.Len(t, errs, 1, "errors: want one ErrUnstorablePath")
	require.ErrorIs(t, errs[0], ledger.ErrUnstorablePath)
	require.ErrorContains(t, errs[0], "UTF-8")
}
