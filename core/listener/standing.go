package listener

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"

	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// errStandingLost cuts the handlers of a member whose claim to the work in
// hand ended: in warm-backup mode it stopped being active (a takeover, its
// lock session lost, its self-fence), in shared mode its member lock session
// ended (the others take its files back at once). The versions go back
// uncounted (ErrAbandoned); their commits would be refused anyway, by the
// term or the claim token. A handler that ignores its context runs on
// until it returns or its attempt's grace ends: that run is the whole
// window in which a file may be at two handlers at once.
var errStandingLost = fmt.Errorf("listener: this member no longer holds the work in hand: %w", ErrAbandoned)

// standing is the context the member's handlers run under, ended and made
// anew each time the member loses its claim to the work in hand.
type standing struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func newStanding() *standing {
	s := &standing{}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	return s
}

// lose cuts the handlers running now; later ones run under a new context.
func (s *standing) lose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel(errStandingLost)
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
}

func (s *standing) current() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// bindStanding returns ctx, ended with errStandingLost when the member loses
// the work in hand; unbind releases it.
func (l *Listener) bindStanding(ctx context.Context) (_ context.Context, unbind func()) {
	l.mu.Lock()
	m := l.member
	l.mu.Unlock()
	if m == nil {
		return ctx, func() {}
	}
	sctx := m.standing.current()
	bctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(sctx, func() { cancel(context.Cause(sctx)) })
	return bctx, func() { stop(); cancel(nil) }
}

// standingLost reports whether ctx was ended by the loss of the work in
// hand, and then the error to report for err (what the work said).
func standingLost(ctx context.Context, err error) (error, bool) {
	if context.Cause(ctx) != errStandingLost {
		return err, false
	}
	if err == nil {
		return errStandingLost, true
	}
	return fmt.Errorf("%w (the handler ended with: %v)", errStandingLost, err), true
}

// standingCallbacks: the coordinator's events that end the work in hand
// (see errStandingLost), and, in shared mode, a poll at once when another
// member is gone, to take back its files.
// Callbacks run while a stop may hold l.mu (a stop waits for the last
// ones): they take no lock of the Listener's.
func (l *Listener) standingCallbacks(s *standing, leaving func() bool, refs *memberRefs, cb taskcompat.Callbacks) taskcompat.Callbacks {
	if l.mode == Shared {
		cb.OnLostSession = func(taskcompat.Event) {
			s.lose()
			go l.wakeWhenCurrent(refs.coord.Load(), leaving)
		}
		cb.OnMemberGone = func(taskcompat.Event) {
			if !leaving() {
				l.reclaimGone(refs.coord.Load(), refs.ledger.Load())
			}
		}
		return cb
	}
	ended := cb.OnLostActive // the term's leadership contexts (leadership.go)
	cb.OnLostActive = func(e taskcompat.Event) {
		if ended != nil {
			ended(e)
		}
		if !leaving() { // a stop drains, or halts, on its own terms
			s.lose()
		}
	}
	return cb
}

// reclaimGone ends at once the leases of a gone member's claims (a busy
// member's polls look for them only once a second, between batches), and
// asks for a poll, which claims them first (they are the oldest).
func (l *Listener) reclaimGone(coord *taskcompat.Coordinator, lg *ledger.Ledger) {
	defer l.wakeUp()
	if coord == nil || lg == nil || l.draining.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := lg.ExpireOrphans(ctx, 0, coord.StaleMembers()) // shared mode: by member, not by term
	if err != nil {
		l.obs.DatabaseError("expire", err)
		l.log.Warn("listener: could not take back the files of a member whose session ended; the next poll tries again", "err", err)
		return
	}
	if n > 0 {
		l.log.Info("listener: reclaiming files whose claims ended with their holder", "files", n, "why", "their member's session ended")
	}
}

// memberRefs are the coordinator and ledger of a membership, for its
// callbacks, which are made before either.
type memberRefs struct {
	coord  atomic.Pointer[taskcompat.Coordinator]
	ledger atomic.Pointer[ledger.Ledger]
}

// wakeWhenCurrent asks for a poll once coord stands again (its lock taken
// again, and seen by the others), rather than at the next pollingInterval.
func (l *Listener) wakeWhenCurrent(coord *taskcompat.Coordinator, leaving func() bool) {
	if coord == nil {
		return
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !leaving(); time.Sleep(50 * time.Millisecond) {
		if coord.HeartbeatCurrent() {
			l.wakeUp()
			return
		}
	}
}
