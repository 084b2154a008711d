package listener

import (
	"context"
	"errors"
	"sync"
)

// errLeadershipLost is the cause of a leadership context that ended: the
// term was lost (taken, self-fenced, the crash signal, a stop), or, in
// shared mode, the heartbeat may look stale to the others.
var errLeadershipLost = errors.New("listener: this member is no longer active")

// leadership is what a leadership context carries: how to ask the
// coordinator, synchronously, whether it still holds. A context that lives
// as long as leadership (client-go's OnStartedLeading(ctx), etcd's
// Session.Done) is ended by the coordinator's LostActive event, but an
// event comes a moment late: a process paused past its fence deadline
// wakes with its workers and the fence timer racing, and no worker may
// commit in that moment. So held asks the coordinator too, and ends the
// context when it says no.
type leadership struct {
	holds  func() bool // nil: nothing to ask (no coordination)
	cancel context.CancelCauseFunc
	// passing: a "no" from holds is for now only, and does not end the
	// context (shared mode's heartbeat: it is current again once a
	// heartbeat lands, and the claim token, not a term, fences the work).
	passing bool
}

type leadershipKey struct{}

// held reports whether the leadership context lead still holds: it has not
// ended, and the coordinator confirms (a lost term it finds here ends lead:
// once false it stays false, and what a poll did not start, or commit, by
// then is for a later poll or another member).
func held(lead context.Context) bool {
	if lead.Err() != nil {
		return false
	}
	if ls, _ := lead.Value(leadershipKey{}).(*leadership); ls != nil && ls.holds != nil && !ls.holds() {
		if !ls.passing {
			ls.cancel(errLeadershipLost)
		}
		return false
	}
	return true
}

// withLeadership derives a leadership context from parent (which ends it
// too) that holds while holds says so; release ends it.
func withLeadership(parent context.Context, holds func() bool) (lead context.Context, release func()) {
	return newLeadership(parent, &leadership{holds: holds})
}

// withPassingLeadership is withLeadership for a condition that may come
// back: held tells it as it is now, and only parent and release end it.
func withPassingLeadership(parent context.Context, holds func() bool) (lead context.Context, release func()) {
	return newLeadership(parent, &leadership{holds: holds, passing: true})
}

func newLeadership(parent context.Context, ls *leadership) (lead context.Context, release func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ls.cancel = cancel
	return context.WithValue(ctx, leadershipKey{}, ls), func() { cancel(context.Canceled) }
}

// terms ends the leadership contexts of a term as soon as the coordinator
// tells that the term ended (its LostActive event), whether or not anyone
// asks held meanwhile: a goroutine waiting on lead.Done() hears of it.
type terms struct {
	mu    sync.Mutex
	term  int64              // of ctx
	ctx   context.Context    // lives as long as term; nil before the first
	end   context.CancelFunc // ends ctx
	ended int64              // the latest term known to have ended
}

// context returns the context of term: ended already when the term did.
func (t *terms) context(term int64) context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx == nil || t.term != term {
		if t.end != nil {
			t.end()
		}
		t.term = term
		t.ctx, t.end = context.WithCancel(context.Background())
	}
	if term <= t.ended {
		t.end()
	}
	return t.ctx
}

// lost ends the context of term (the coordinator's LostActive event).
func (t *terms) lost(term int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = max(t.ended, term)
	if t.ctx != nil && t.term <= term {
		t.end()
	}
}

// lead derives the leadership context of one poll, and tells whether this
// member may work at all now: without coordination always (lead ends with
// the poll only); in warm-backup mode while it holds the term it holds now
// (lead ends with the term); in shared mode, where every member works and
// the claim token fences the work, while its heartbeat is current (held
// says no while it is not; lead ends with the poll: a heartbeat that lands
// again makes the member current again, as it was before). active: this
// member holds the token (it lists), and term is its fencing token then.
func (l *Listener) lead(ctx context.Context, m *membership) (lead context.Context, release func(), term int64, active, ok bool) {
	base := context.WithoutCancel(ctx) // a stop ends the work by ctx; leadership ends with the term
	if m == nil {
		lead, release = withLeadership(base, nil)
		return lead, release, 0, true, true
	}
	term, active = m.coord.FencingToken()
	switch {
	case l.mode == Shared:
		lead, release = withPassingLeadership(base, m.coord.HeartbeatCurrent)
	case active:
		lead, release = m.termLeadership(base, term)
	default:
		return nil, func() {}, term, false, false
	}
	return lead, release, term, active, held(lead)
}

// termLeadership derives a context that lives as long as this member holds
// term: the coordinator's LostActive event ends it, and so does held when
// the coordinator no longer confirms the term.
func (m *membership) termLeadership(parent context.Context, term int64) (lead context.Context, release func()) {
	coord := m.coord
	lead, end := withLeadership(parent, func() bool { t, ok := coord.FencingToken(); return ok && t == term })
	ls := lead.Value(leadershipKey{}).(*leadership)
	unhook := context.AfterFunc(m.terms.context(term), func() { ls.cancel(errLeadershipLost) })
	return lead, func() { unhook(); end() }
}
