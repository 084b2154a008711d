package taskcompat

// Stepping aside: a member that cannot do the group's work (its host cannot
// reach or log in to the file server) gives the token up, as a graceful stop
// does, and does not compete for it again for a while, so that another
// member may try. It stays in the group: it keeps checking (read only), and
// heartbeats again once the while is over.
//
// Wire behaviour: it deletes its own health_check row, as Stop does (a
// standby of ours sees the holder resign and takes over at its next check, a
// Ballerina standby finds "no heartbeat row for the holder" and takes over
// at its next tick), and writes no heartbeat until the while is over, so
// that the row stays gone. token_holder is never written by stepping aside.

import (
	"context"
	"errors"
	"time"
)

// ErrNotRunning is returned by StepAside before Start or after Stop.
var ErrNotRunning = errors.New("taskcompat: the member is not running")

// asideRequest asks the loop goroutine to step aside.
type asideRequest struct {
	reason string
	d      time.Duration
	done   chan error
}

// StepAside gives the token up if this member holds it (a LostActive event
// with reason), deletes its heartbeat row, and neither heartbeats nor takes
// the token for d. A member that does not hold the token stays out of the
// running for d all the same. Calling it again extends the while from now.
func (c *Coordinator) StepAside(ctx context.Context, reason string, d time.Duration) error {
	c.lifecycle.Lock()
	running, done := c.started && !c.finished, c.loopDone
	c.lifecycle.Unlock()
	if !running {
		return ErrNotRunning
	}
	req := asideRequest{reason: reason, d: d, done: make(chan error, 1)}
	select {
	case c.aside <- req:
	case <-done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stepAsideNow does what StepAside asks, on the loop goroutine (so that no
// heartbeat of its own lands after the delete).
func (c *Coordinator) stepAsideNow(ctx context.Context, req asideRequest) error {
	c.mu.Lock()
	c.goAsideLocked(req.reason, req.d)
	c.mu.Unlock()
	c.log.Warn("stepping aside: not competing for the token for a while", "for", req.d, "reason", req.reason)
	dctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	_, err := c.exec(dctx, c.sql.resign, c.cfg.TaskID, c.cfg.GroupID)
	return err
}

// goAsideLocked gives the token up and stays out of the running for d from
// now; c.mu must be held.
func (c *Coordinator) goAsideLocked(reason string, d time.Duration) {
	c.asideUntil = c.now().Add(d)
	c.stats.StepAsides++
	c.state.AsideUntil = c.asideUntil
	c.stepDownLocked("stepped aside: "+reason, time.Time{})
}

// asideLocked reports whether the member is out of the running now; c.mu
// must be held.
func (c *Coordinator) asideLocked() bool {
	if c.asideUntil.IsZero() {
		return false
	}
	if c.now().Before(c.asideUntil) {
		return true
	}
	c.asideUntil, c.state.AsideUntil = time.Time{}, time.Time{}
	return false
}

// isAside reports whether the member is out of the running now.
func (c *Coordinator) isAside() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asideLocked()
}
