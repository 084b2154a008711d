package listener

// A graceful stop drains: no new claim, handlers at work finish (until the
// Stop context ends, or at most one processingTimeout) and are committed,
// and what is left unfinished is given back to the group at once, its try
// uncounted, instead of waiting for its lease to run out.

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// ErrAbandoned is for hosts that give a file back unprocessed (a host that
// is shutting down, say): a service method whose error wraps it does not
// fail the attempt; with the ledger, the file is released for another
// member (or a later poll) to take at once.
var ErrAbandoned = errors.New("listener: the file was given back unprocessed")

// cutShort tells a handler stopped by the member itself (its context ended,
// or the host abandoned the file) from a handler that failed.
func cutShort(ctx context.Context, err error) bool {
	return errors.Is(err, ErrAbandoned) || ctx.Err() != nil
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
