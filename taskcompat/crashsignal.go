package taskcompat

// The crash signal (DESIGN.md): the active member holds the session lock of
// its term (crashlock.go); standbys wait on it. A grant wakes a standby the
// moment the holder's session ends, and it takes over by the usual
// compare-and-swap if the token still names the holder and term it waited on.
// Everything ambiguous keeps the heartbeat rule: a paused holder keeps its
// session, a database restart errors every wait, a Ballerina holder holds no
// lock (nobody waits on it).
//
// State here belongs to the loop goroutine, except the session while a waiter
// goroutine has it.

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
)

// crashWatch is a member's side of the crash signal.
type crashWatch struct {
	ctx      context.Context // the loop's: bounds every wait
	off      bool            // no session locks here: heartbeat rule only
	errs     int             // lock statements failed in a row on a healthy database
	sess     lockSession     // nil while a waiter has it, or none opened
	heldTerm int64           // the term whose lock sess holds (0: none)

	// A standby's wait: on the lock of waitTerm, held by waitHolder.
	waiting    atomic.Bool // read by tests
	armed      atomic.Bool // holding the lock, or waiting on a held one (State)
	waitHolder string
	waitTerm   int64
	waitCancel context.CancelFunc
	results    chan waitResult
	nextTry    time.Time     // no wait before (nobody held the lock)
	backoff    time.Duration // between waits that found the lock free
	// granted is the holder and term whose session ended, while the check it
	// triggers runs.
	granted *waitResult
}

type waitResult struct {
	holder string
	term   int64
	sess   lockSession // nil when the session broke
	held   bool
	began  bool // the holder was seen holding the lock: the statements work here
	err    error
}

// maxWaitBackoff bounds how long a standby goes without waiting on a holder
// whose lock it found free (a Ballerina holder, one between sessions): one
// statement per minute at most.
const maxWaitBackoff = time.Minute

// lockErrorsBeforeOff: lock statements that fail this often in a row while
// the database answers the member's other statements mean the deployment
// cannot keep session locks (a pooler in transaction mode, a proxy).
const lockErrorsBeforeOff = 3

func (c *Coordinator) openLockSession(ctx context.Context) (lockSession, error) {
	switch c.dialect {
	case schema.SQLite:
		return openFileLockSession(c.cfg.Database.Database, c.cfg.GroupID)
	default:
		return openSQLLockSession(ctx, c.db, c.dialect, c.cfg.Database.Database, c.cfg.GroupID)
	}
}

// session returns the member's lock session, opening one if needed.
func (c *Coordinator) session(ctx context.Context) (lockSession, error) {
	w := &c.crash
	if w.sess == nil {
		var s lockSession
		err := c.withTimeout(ctx, func(ctx context.Context) (err error) { s, err = c.openLockSession(ctx); return err })
		if err != nil {
			if err == errNoSessionLocks {
				c.crashOff(err)
			}
			return nil, err
		}
		w.sess = s
	}
	return w.sess, nil
}

func (c *Coordinator) dropSession() {
	if c.crash.sess != nil {
		c.crash.sess.close()
		c.crash.sess = nil
	}
	c.crash.heldTerm = 0
	c.crash.armed.Store(false)
}

// crashOff turns the fast path off for good, and says so.
func (c *Coordinator) crashOff(err error) {
	if c.crash.off {
		return
	}
	c.crash.off = true
	c.log.Warn("fast crash failover off: this deployment cannot keep a session-bound lock (a connection pooler in transaction mode?); "+
		"a crashed holder is replaced after livenessCheckInterval, as for Ballerina (docs/coordination.md)", "err", err)
}

// lockFailed counts a failed lock statement; the session is dropped.
func (c *Coordinator) lockFailed(what string, err error) {
	c.dropSession()
	c.mu.Lock()
	healthy := c.state.Healthy
	c.mu.Unlock()
	if !healthy {
		return // the database is failing: not the lock's fault
	}
	c.crash.errs++
	c.log.Debug("session lock statement failed", "during", what, "err", err)
	if c.crash.errs >= lockErrorsBeforeOff {
		c.crashOff(err)
	}
}

// crashTick runs after every tick: the active member holds the lock of its
// term and lets go of any other; a standby waits on the holder's.
func (c *Coordinator) crashTick(ctx context.Context) {
	w := &c.crash
	if w.off || ctx.Err() != nil {
		return
	}
	c.mu.Lock()
	active, holder, term := c.state.Role == Active, c.state.Holder, c.state.Term
	c.mu.Unlock()
	if active {
		c.stopWait()
		c.holdLock(ctx, term)
		return
	}
	if w.heldTerm != 0 && w.sess != nil {
		// Stepped down: let the next holder's standbys wait on it.
		w.armed.Store(false)
		c.lockStatement()
		if err := c.withTimeout(ctx, func(ctx context.Context) error { return w.sess.release(ctx, w.heldTerm) }); err != nil {
			c.lockFailed("release", err)
		}
		w.heldTerm = 0
	}
	if holder == "" || holder == c.cfg.TaskID || c.isAside() {
		c.stopWait()
		return
	}
	if w.waiting.Load() && w.waitHolder == holder && w.waitTerm == term {
		return
	}
	if w.waitHolder != holder || w.waitTerm != term {
		c.stopWait()
		w.waitHolder, w.waitTerm, w.nextTry, w.backoff = holder, term, time.Time{}, c.heartbeat
	}
	if c.now().Before(w.nextTry) {
		return
	}
	c.startWait(ctx, holder, term)
}

// holdLock makes the session hold the lock of term (after a takeover: then
// lets go of the previous term's, which it may hold from a grant).
func (c *Coordinator) holdLock(ctx context.Context, term int64) {
	w := &c.crash
	if w.heldTerm == term && w.sess != nil {
		return
	}
	s, err := c.session(ctx)
	if err != nil {
		return
	}
	c.lockStatement()
	var ok bool
	err = c.withTimeout(ctx, func(ctx context.Context) (err error) { ok, err = s.acquire(ctx, term); return err })
	if err != nil {
		c.lockFailed("acquire", err)
		return
	}
	if !ok {
		return // a standby was granted it a moment ago and is letting go: next heartbeat
	}
	if old := w.heldTerm; old != 0 && old != term {
		c.lockStatement()
		if err := c.withTimeout(ctx, func(ctx context.Context) error { return s.release(ctx, old) }); err != nil {
			c.lockFailed("release", err)
			return
		}
	}
	w.heldTerm, w.errs = term, 0
	w.armed.Store(true)
	c.log.Debug("holding the session lock of this term: standbys replace this member at once if its session ends", "term", term)
}

// startWait hands the session to a goroutine that waits on the lock of the
// holder's term.
func (c *Coordinator) startWait(ctx context.Context, holder string, term int64) {
	w := &c.crash
	if w.ctx == nil {
		return // ticked by hand, not started: nobody to hear the grant
	}
	s, err := c.session(ctx)
	if err != nil {
		w.nextTry = c.now().Add(w.backoff)
		return
	}
	w.sess = nil
	// The wait outlives this tick (Start's first one has a shorter context).
	wctx, cancel := context.WithCancel(w.ctx)
	w.waiting.Store(true)
	w.waitCancel = cancel
	if w.results == nil {
		w.results = make(chan waitResult, 1)
	}
	c.lockStatement() // the test of the holder; the wait itself sends nothing while blocked
	go func() {
		began := false
		held, err := s.wait(wctx, term, func() { began = true; w.armed.Store(true) })
		if err != nil {
			s.close()
			s = nil
		}
		w.results <- waitResult{holder: holder, term: term, sess: s, held: held, began: began, err: err}
	}()
}

// stopWait cancels a wait and takes the session back (or drops it).
func (c *Coordinator) stopWait() {
	w := &c.crash
	if !w.waiting.Load() {
		return
	}
	w.waitCancel()
	r := <-w.results
	w.waiting.Store(false)
	w.armed.Store(false)
	if r.held && r.sess != nil {
		// Granted as we cancelled: let go, it is not ours to keep.
		c.lockStatement()
		if err := c.withTimeout(context.Background(), func(ctx context.Context) error { return r.sess.release(ctx, r.term) }); err != nil {
			r.sess.close()
			r.sess = nil
		}
	}
	w.sess = r.sess
}

// waitEnded handles a waiter's result on the loop goroutine.
func (c *Coordinator) waitEnded(ctx context.Context, r waitResult) {
	w := &c.crash
	w.waiting.Store(false)
	w.armed.Store(false)
	w.sess = r.sess
	switch {
	case r.err != nil:
		// The session broke (a database restart ends every session: no
		// signal), or the lock statements are refused here.
		switch {
		case r.began:
			c.dropSession() // a wait that worked, cut short: no fault of the lock's
		case ctx.Err() == nil:
			c.lockFailed("wait", r.err)
		}
		w.nextTry = c.now().Add(w.backoff)
		return
	case !r.held:
		// Nobody held the lock: a Ballerina holder, or one between
		// sessions. Ask again later, ever less often.
		w.errs = 0
		c.log.Debug("the holder holds no session lock: judged by its heartbeat only", "holder", r.holder, "term", r.term, "nextWaitIn", w.backoff)
		w.nextTry = c.now().Add(w.backoff)
		w.backoff = min(2*w.backoff, maxWaitBackoff)
		return
	}
	w.errs = 0
	// The holder's session ended while ours did not. Take over if the
	// token still names that holder and term (the check's compare-and-swap).
	c.log.Info("the holder's session ended: taking over now", "holder", r.holder, "term", r.term)
	w.heldTerm = r.term // ours until the takeover is decided
	w.granted = &r
	c.tick(ctx, false, true)
	w.granted = nil
	c.mu.Lock()
	won := c.state.Role == Active && c.state.Term > r.term
	c.mu.Unlock()
	if !won && w.sess != nil && w.heldTerm == r.term {
		c.lockStatement()
		if err := c.withTimeout(ctx, func(ctx context.Context) error { return w.sess.release(ctx, r.term) }); err != nil {
			c.lockFailed("release", err)
		}
		w.heldTerm = 0
	}
}

// crashSignalled reports whether o is the holder and term whose session
// ended (a grant being handled now).
func (c *Coordinator) crashSignalled(o observation) bool {
	g := c.crash.granted
	return g != nil && o.holder == g.holder && o.term == g.term
}

// heartbeatOnSession sends the active member's heartbeat on its lock session,
// so a broken session is seen at the next heartbeat. handled is false when
// the heartbeat belongs on the member's own connection.
func (c *Coordinator) heartbeatOnSession(ctx context.Context, q string, args ...any) (handled bool, err error) {
	w := &c.crash
	if w.off || w.sess == nil || w.heldTerm == 0 || w.heldTerm != c.ownTerm {
		return false, nil
	}
	c.statementCnt.Add(1) // the heartbeat, on another connection
	_, err = w.sess.exec(ctx, q, args...)
	if err == errNoSessionLocks {
		c.statementCnt.Add(-1)
		return false, nil
	}
	if err != nil {
		// ctx is the heartbeat's, spent: the loop's bounds the recovery.
		lctx := w.ctx
		if lctx == nil {
			lctx = context.WithoutCancel(ctx)
		}
		c.lockLost(lctx, err)
	}
	return true, err
}

// lockLost: the active member's lock session broke. Its lock may be gone,
// and a standby may be taking over: it keeps the token only if it can take
// the lock again at once and the token still names it; otherwise it stops
// being active now, not at the self-fence (it takes the token back under a
// new term when the database answers and nobody else did).
func (c *Coordinator) lockLost(ctx context.Context, cause error) {
	term := c.crash.heldTerm
	c.dropSession()
	if ctx.Err() != nil {
		return
	}
	reason := func(why string) string {
		return fmt.Sprintf("lost its lock session (%v) and %s: standbys may have taken over", cause, why)
	}
	s, err := c.session(ctx)
	if err != nil {
		c.stepDown(reason(fmt.Sprintf("cannot open another: %v", err)))
		return
	}
	c.lockStatement()
	var ok bool
	err = c.withTimeout(ctx, func(ctx context.Context) (err error) { ok, err = s.acquire(ctx, term); return err })
	if err != nil || !ok {
		c.dropSession()
		c.stepDown(reason("cannot take its lock again"))
		return
	}
	c.crash.heldTerm = term
	var o observation
	err = c.withTimeout(ctx, func(ctx context.Context) (err error) { o, err = c.observe(ctx); return err })
	if err != nil || o.holder != c.cfg.TaskID || o.term != term {
		c.stepDown(reason("cannot confirm it still holds the token"))
		return
	}
	c.log.Info("lock session re-established", "term", term)
}

func (c *Coordinator) stepDown(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stepDownLocked(reason, time.Time{})
}

// crashStop ends a standby's wait (the loop is ending); the session itself
// is closed by finish, after the member has stepped down.
func (c *Coordinator) crashStop() { c.stopWait() }

// lockStatement counts a lock operation that is an SQL statement (SQLite's
// file locks are system calls, not statements).
func (c *Coordinator) lockStatement() {
	if c.dialect != schema.SQLite {
		c.statementCnt.Add(1)
	}
}

// withTimeout runs a lock statement under the statement timeout (a wait is
// the one statement without one).
func (c *Coordinator) withTimeout(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	return f(ctx)
}
