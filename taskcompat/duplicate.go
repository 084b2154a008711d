package taskcompat

// Two processes with one memberId are one member to the database: they write
// one heartbeat row and each takes the token from "itself" whenever it sees
// a term it did not take (a restarted member must, to fence its old term).
// Left alone they take it from each other every check, and nothing either
// processes can be committed. A member looks for the other process twice:
// at Start, its own heartbeat row must not change while it waits one
// heartbeat without writing it; once it has taken a term, a later term under
// its own id that it did not take is the other process's. Either way it
// steps aside (Start fails; a running member stops heartbeating and never
// takes the token again) with an error naming the id and the fix, and the
// group goes on with the other process.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrDuplicateMember is returned by Start, and is the reason of the
// LostActive event, when another live process uses this member's memberId.
var ErrDuplicateMember = errors.New("taskcompat: another live process uses this memberId")

// duplicateError names the id, the group and the fix.
func (c *Coordinator) duplicateError(how string) error {
	return fmt.Errorf("%w: memberId %q in group %q: %s; give every member its own memberId (this process steps aside, the other goes on)",
		ErrDuplicateMember, c.cfg.TaskID, c.cfg.GroupID, how)
}

// ownRowValue reads this member's heartbeat value as stored, or NULL.
func (c *Coordinator) ownRowValue(ctx context.Context) (sql.NullString, error) {
	var v sql.NullString
	err := c.queryRow(ctx, c.sql.ownHeartbeat, []any{c.cfg.TaskID, c.cfg.GroupID}, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return sql.NullString{}, nil
	}
	return v, err
}

// probeDuplicate, at Start, before the first heartbeat: when this member's
// heartbeat row exists, it must not change while this process waits a
// heartbeat (a second at least on MySQL) and a quarter without writing it. A row left by an earlier
// run of this member (a crash, a restart) stays as it was.
func (c *Coordinator) probeDuplicate(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	before, err := c.ownRowValue(pctx)
	if err != nil || !before.Valid {
		return nil // a database that fails is the loop's to retry; no row, no other process
	}
	// Long enough for another process's heartbeat to change the stored
	// value: one period, or one second on MySQL's whole-second timestamps.
	t := c.clk.NewTimer(max(c.heartbeat, c.resolution) + c.heartbeat/4)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-t.C():
	}
	actx, cancel2 := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel2()
	after, err := c.ownRowValue(actx)
	if err != nil || !after.Valid || after.String == before.String {
		return nil
	}
	return c.duplicateError(fmt.Sprintf("its heartbeat row changed from %s to %s while this process, starting, wrote none", before.String, after.String))
}

// duplicateTerm reports whether the token names this member under a term
// this process did not take, after it took one of its own: another process
// with the same id took it.
func (c *Coordinator) duplicateTerm(o observation) bool {
	return o.holder == c.cfg.TaskID && c.ownTerm > 0 && o.term > c.ownTerm && o.term != c.triedTerm
}

// stepAside stops this member for good (no heartbeat, no takeover) after it
// found another process with its id; c.mu must not be held.
func (c *Coordinator) stepAside(o observation) {
	err := c.duplicateError(fmt.Sprintf("the token names it under term %d, which this process did not take (it took term %d)", o.term, c.ownTerm))
	c.log.Error(err.Error())
	c.mu.Lock()
	c.stats.DuplicateMember = true
	c.duplicate = err
	c.stepDownLocked(err.Error(), o.dbNow)
	c.mu.Unlock()
	go func() { // from the loop goroutine: halt waits for the loop
		if c.halt(reasonDuplicate) {
			c.finish()
		}
	}()
}

// Duplicate returns the error that made this member step aside because
// another process uses its memberId, or nil.
func (c *Coordinator) Duplicate() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.duplicate
}
