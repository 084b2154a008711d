package listener

import (
	"context"
	"errors"
	"sync"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// fileWork is one file version at work: what its handler sees and, with
// the ledger, the claim it holds.
type fileWork struct {
	info  FileInfo
	claim ledger.Claim // with the ledger only
}

// fileTracker is how the outcome of an attempt at a file is kept: in
// memory (memoryTracker: the seen set; every outcome is final) or in the
// ledger (ledgerTracker: committed, retried, rejected or given back). Both
// are driven by the one dispatcher (deliverAll, dispatcher.go), which reads
// the outcome of attemptFile the same way for both.
type fileTracker interface {
	// succeeded: the handler took the version whole.
	succeeded(ctx context.Context, w fileWork)
	// superseded: the version changed on the server under its transfer;
	// the next listing finds the current one.
	superseded(ctx context.Context, w fileWork, cause error)
	// failed: the attempt failed (the transfer, or the handler).
	failed(ctx context.Context, w fileWork, cause error)
	// stoppedShort reports whether err is the member's own stop, not the
	// file's, and then keeps the version for another attempt.
	stoppedShort(ctx context.Context, w fileWork, err error) bool
}

// attemptFile delivers one version to OnFile, within its deadline, and
// hands the outcome to t.
func (l *Listener) attemptFile(ctx context.Context, fs FileService, w fileWork, t fileTracker) {
	f := w.info
	ctx, endFile := l.traceFile(ctx, w) // tracing: the file's span, and its transfer's
	err := l.attempt(ctx, "the attempt at "+f.Path, func(actx context.Context) error {
		actx, endTransfer := l.traceTransfer(actx)
		err := l.deliver(actx, fs, f)
		endTransfer(err)
		return err
	})
	defer func() { endFile(err == nil, err) }()
	switch {
	case err == nil:
		t.succeeded(ctx, w)
	case t.stoppedShort(ctx, w, err):
	case errors.Is(err, ErrFileChanged) && l.superseded.again(f.Path, f.Size, f.LastModifiedTimestamp):
		t.failed(ctx, w, supersededAgain(err))
	case errors.Is(err, ErrFileChanged):
		t.superseded(ctx, w, err)
	default:
		t.failed(ctx, w, err)
	}
}

// memoryTracker keeps outcomes in memory, without the ledger: every failure
// is final (no retries), except a transfer that never reached the handler
// whole and a superseded version, which the next poll delivers again.
type memoryTracker struct {
	l       *Listener
	service any
	mu      sync.Mutex
	seen    map[string]bool // the versions seen through, by path
	// incomplete: some of the poll's versions were not started (the
	// token was lost); the next active poll reports them.
	incomplete bool
}

func (t *memoryTracker) mayStart(context.Context) bool        { return true }
func (t *memoryTracker) begin(context.Context, fileWork) bool { return true }
func (t *memoryTracker) end(fileWork)                         {}
func (t *memoryTracker) notStarted(ws ...fileWork) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.incomplete = t.incomplete || len(ws) > 0
}

func (t *memoryTracker) saw(path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen[path] = true
}

func (t *memoryTracker) succeeded(ctx context.Context, w fileWork) {
	t.l.runAfter(ctx, t.service, "afterProcess", t.l.cfg.AfterProcess, w.info)
	t.saw(w.info.Path)
}

func (t *memoryTracker) superseded(_ context.Context, w fileWork, cause error) {
	f := w.info
	t.l.superseded.add(f.Path, f.Size, f.LastModifiedTimestamp)
	// Another version than listed: the next poll lists it.
	t.l.log.Info("listener: the file changed on the server during its transfer; the next poll delivers its current version", "path", f.Path, "cause", cause)
}

func (t *memoryTracker) failed(ctx context.Context, w fileWork, err error) {
	f := w.info
	var te *transferError
	switch {
	case errors.As(err, &te):
		// The file never reached the handler whole: not seen, so the
		// next poll delivers it again.
		t.l.reportError(ctx, t.service, err)
		return
	case errors.Is(err, ErrReject):
		// Final, as every failure is without the ledger; told as the
		// rejection it is.
		t.l.reportError(ctx, t.service, &RejectedError{Path: f.Path, Tries: max(1, f.Attempt), Reason: err.Error()})
	default:
		// Without the ledger there are no retries: this was final.
		t.l.reportError(ctx, t.service, err)
	}
	t.l.runAfter(ctx, t.service, "afterError", t.l.cfg.AfterError, f)
	t.saw(f.Path)
}

// stoppedShort: without the ledger a stop is read as the failure it caused.
func (t *memoryTracker) stoppedShort(context.Context, fileWork, error) bool { return false }

// ledgerTracker keeps outcomes in the ledger: a success waits for the
// commit loop, a failure is recorded (retried or rejected), a version cut
// short by the member's stop, or never started, is given back. It renews
// the leases of the claims at work meanwhile (see renewLeases).
type ledgerTracker struct {
	l         *Listener
	lg        *ledger.Ledger
	service   any
	committed chan processed // to the commit loop
	loopDone  chan struct{}  // the commit loop ended
	back      *giveBack
	inFlight  *claimSet
}

// newLedgerTracker starts the commit loop (commitLoop) of one poll's work;
// wait ends it.
func (l *Listener) newLedgerTracker(ctx, lead context.Context, lg *ledger.Ledger, service any, inFlight *claimSet, back *giveBack) *ledgerTracker {
	t := &ledgerTracker{l: l, lg: lg, service: service, back: back, inFlight: inFlight,
		committed: make(chan processed, l.cfg.MaxFilesPerPoll), loopDone: make(chan struct{})}
	go func() {
		defer close(t.loopDone)
		defer func() {
			if v := recover(); v != nil {
				l.logPanic("commit", v)
				for range t.committed { // the workers finish; these files run again after their leases
				}
			}
		}()
		l.commitLoop(ctx, lead, lg, service, t.committed, back)
	}()
	return t
}

// wait takes the last successes to the commit loop and waits for it; no
// attempt may succeed after.
func (t *ledgerTracker) wait() {
	close(t.committed)
	<-t.loopDone
}

func (t *ledgerTracker) mayStart(ctx context.Context) bool { return t.l.mayStart(ctx) }

// begin: a claim at work is renewed no more past its attempt's deadline;
// one past maxTries is rejected without an attempt.
func (t *ledgerTracker) begin(ctx context.Context, w fileWork) bool {
	t.inFlight.limit(t.l.leaseUntil(), w.claim)
	return len(t.l.overTries(ctx, t.lg, t.service, []ledger.Claim{w.claim})) > 0
}

func (t *ledgerTracker) notStarted(ws ...fileWork) {
	for _, w := range ws {
		t.back.add(w.claim)
	}
}

func (t *ledgerTracker) end(w fileWork) { t.inFlight.remove(w.claim.Key) }

func (t *ledgerTracker) succeeded(_ context.Context, w fileWork) {
	t.committed <- processed{claim: w.claim, info: w.info}
}

func (t *ledgerTracker) superseded(ctx context.Context, w fileWork, cause error) {
	t.l.supersede(ctx, t.lg, w.claim, cause)
}

func (t *ledgerTracker) failed(ctx context.Context, w fileWork, cause error) {
	t.l.fail(ctx, t.lg, t.service, w.claim, cause)
}

func (t *ledgerTracker) stoppedShort(ctx context.Context, w fileWork, err error) bool {
	if !cutShort(ctx, err) {
		return false
	}
	t.back.add(w.claim) // the member stopped it, not the file
	return true
}
