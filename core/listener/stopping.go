package listener

// A graceful stop drains: no new claim, handlers at work finish (until the
// Stop context ends, or at most one processingTimeout) and are committed,
// and what is left unfinished is given back to the group at once, its try
// uncounted, instead of waiting for its lease to run out.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// ErrAbandoned is for hosts that give a file back unprocessed (a host that
// is shutting down, say): a service method whose error wraps it does not
// fail the attempt; with the ledger, the file is released for another
// member (or a later poll) to take at once.
var ErrAbandoned = errors.New("listener: the file was given back unprocessed")

// errStopping is why the file-server work of a member that stops
// gracefully ends at once.
var errStopping = errors.New("listener: the member is stopping")

// cutShort tells a handler stopped by the member itself (its context ended,
// a graceful stop cut its transfer, or the host abandoned the file) from a
// handler that failed.
func cutShort(ctx context.Context, err error) bool {
	return errors.Is(err, ErrAbandoned) || errors.Is(err, errStopping) || ctx.Err() != nil
}

// stopped is err, marked errStopping when a graceful stop ended rctx (a
// context made by remote) and so the work err reports.
func stopped(rctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(rctx), errStopping) && !errors.Is(err, errStopping) {
		return fmt.Errorf("%w: %w", errStopping, err)
	}
	return err
}

// A graceful stop must not wait for the file server: a listing that retries
// its connection to a server that has gone (connectTimeout 30 s, three
// tries with backoff by default), a session that blackholes, a transfer
// that stalls. So the file-server work of a poll (listings, connections,
// transfers) runs under remote(ctx), which a graceful stop ends at once:
// the poll ends, the files whose transfers it cut go back to the group
// uncounted, and the member leaves its group within moments, whatever the
// server does. Handlers that already have their content finish and commit
// as the drain allows; their afterProcess actions get afterGrace.

// afterGrace bounds an afterProcess or afterError action that runs once a
// graceful stop began (it needs the file server, which may be gone).
const afterGrace = 2 * time.Second

// stopSignal is a context ended when a graceful stop begins.
type stopSignal struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// remote is ctx, ended too when a graceful stop begins; stop releases it.
func (l *Listener) remote(ctx context.Context) (_ context.Context, stop func()) {
	sig := l.stopSignal()
	if sig == nil {
		return ctx, func() {}
	}
	rctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(sig.ctx, func() { cancel(errStopping) })
	return rctx, func() { unhook(); cancel(nil) }
}

// afterCtx is the context of an after-processing action: ctx, bounded by
// processingTimeout (a server that never answers a rename must not hold
// the member), and by afterGrace once a graceful stop began.
func (l *Listener) afterCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if sig := l.stopSignal(); sig != nil && sig.ctx.Err() != nil {
		return context.WithTimeout(context.WithoutCancel(ctx), afterGrace)
	}
	return context.WithTimeout(ctx, l.cfg.processingTimeout())
}

func (l *Listener) stopSignal() *stopSignal {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopSig
}

// giveBack collects claims to release, from several workers at once.
type giveBack struct {
	mu     sync.Mutex
	claims []ledger.Claim
}

func (g *giveBack) add(c ...ledger.Claim) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.claims = append(g.claims, c...)
}

// release gives the collected claims back to the group.
func (l *Listener) release(ctx context.Context, lg *ledger.Ledger, g *giveBack) {
	g.mu.Lock()
	claims := g.claims
	g.claims = nil
	g.mu.Unlock()
	if len(claims) == 0 || l.halting.Load() { // Halt writes nothing, as a crash would
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	n, err := lg.Release(rctx, claims)
	if err != nil {
		l.obs.DatabaseError("release", err)
		l.log.Warn("listener: could not give back unfinished files; another member takes them when their lease ends",
			"files", len(claims), "err", err)
		return
	}
	l.log.Info("listener: gave back unfinished files for another member to take at once", "files", n)
}
