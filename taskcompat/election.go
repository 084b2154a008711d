package taskcompat

// The election: heartbeats, holder checks and takeovers, on the loop goroutine.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// loop heartbeats every heartbeatFrequency and checks every checkPeriod,
// earlier when the holder is about to become stale, later (with backoff)
// while the database fails.
func (c *Coordinator) loop(ctx context.Context) {
	now := c.now()
	nextHB, nextCheck := now.Add(c.heartbeat), now.Add(c.checkPeriod)
	timer := c.clk.NewTimer(c.until(earliest(nextHB, nextCheck)))
	defer timer.Stop()
	failures := 0
	defer c.crashStop()
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-c.aside:
			req.done <- c.stepAsideNow(ctx, req)
			c.crashTick(ctx)
			continue
		case r := <-c.crash.results:
			c.waitEnded(ctx, r)
			continue
		case <-timer.C():
		}
		now = c.now()
		doHB, doCheck := !now.Before(nextHB), !now.Before(nextCheck)
		ok, early := c.tick(ctx, doHB, doCheck)
		if ctx.Err() != nil {
			return
		}
		now = c.now()
		delayHB, delayCheck := c.heartbeat, c.checkPeriod
		if ok {
			failures = 0
		} else {
			failures++
			backoff := min(c.heartbeat<<min(failures-1, 16), c.maxBackoff)
			delayHB, delayCheck = backoff, backoff
		}
		// Fixed rate while healthy, so that statement latency does not
		// stretch the heartbeat period; from now while backing off.
		if doHB {
			nextHB = nextRun(nextHB, delayHB, now, ok)
		}
		if doCheck {
			nextCheck = nextRun(nextCheck, delayCheck, now, ok)
			if ok && early > 0 && now.Add(early).Before(nextCheck) {
				nextCheck = now.Add(early)
			}
		}
		timer.Reset(c.until(earliest(nextHB, nextCheck)))
	}
}

// nextRun is the next time of a periodic action that was due at due.
func nextRun(due time.Time, period time.Duration, now time.Time, ok bool) time.Time {
	if !ok {
		return now.Add(period)
	}
	next := due.Add(period)
	if next.Before(now) {
		return now // fell behind: run at once, then keep the rate from here
	}
	return next
}

// tick runs a heartbeat and/or a check. It reports whether the database
// answered, and when the next check should come sooner than checkPeriod
// because the holder is about to become stale.
func (c *Coordinator) tick(ctx context.Context, doHB, doCheck bool) (ok bool, early time.Duration) {
	ok = true
	if doHB && !c.isAside() { // stepped aside: its row stays gone (aside.go)
		if err := c.sendHeartbeat(ctx); err != nil {
			ok = false
			c.noteFailure("heartbeat", err)
		}
	}
	if doCheck && ok {
		c.memberLockDue(ctx)
		var err error
		early, err = c.check(ctx)
		if err != nil {
			ok = false
			c.noteFailure("check", err)
		}
	}
	if ok {
		c.noteSuccess()
	}
	c.crashTick(ctx)
	return ok, early
}

func (c *Coordinator) sendHeartbeat(ctx context.Context) error {
	start := c.now()
	sctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	q, args := c.sql.heartbeat, []any{c.cfg.TaskID, c.cfg.GroupID}
	if c.hbSkew != 0 && c.sql.heartbeatShifted != "" {
		q, args = c.sql.heartbeatShifted, append(args, -int64(c.hbSkew/time.Second))
	}
	// The active member's heartbeat goes on its lock session (crashsignal.go).
	handled, err := c.heartbeatOnSession(sctx, q, args...)
	if !handled {
		_, err = c.exec(sctx, q, args...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.stats.HeartbeatFailures++
		return err
	}
	c.stats.Heartbeats++
	c.state.LastHeartbeat = start
	c.lastHBOK = start
	c.armFenceLocked()
	return nil
}

// observation is one reading of the group's token and heartbeat rows.
type observation struct {
	holder  string
	term    int64
	staleMS sql.NullInt64 // the holder's heartbeat age in our session zone; NULL: no heartbeat row
	dbNow   time.Time
	found   bool    // false: nobody holds the token
	rows    []hbRow // every heartbeat row of the group
}

func (c *Coordinator) observe(ctx context.Context) (observation, error) {
	var o observation
	q, locks := c.sql.observe, c.members.on && c.members.observe != ""
	if locks {
		q = c.members.observe // with the member locks held (memberlock.go)
	}
	err := c.queryRows(ctx, q, []any{c.cfg.GroupID}, func(r *sql.Rows) error {
		var id sql.NullString
		var wall, age sql.NullInt64
		var locked sql.NullBool
		dest := []any{&o.holder, &o.term, &id, &wall, &age, &o.dbNow}
		if locks {
			dest = append(dest, &locked)
		}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		o.found = true
		if id.Valid && wall.Valid && age.Valid {
			o.rows = append(o.rows, hbRow{taskID: id.String, wallUS: wall.Int64, age: time.Duration(age.Int64) * time.Millisecond, locked: locked.Bool})
			if id.String == o.holder {
				o.staleMS = age
			}
		}
		return nil
	})
	if err != nil {
		return observation{}, err
	}
	return o, nil
}

// check reads the holder and acts on it, exactly as a Ballerina tick would
// decide (COMPAT.md section 4), but with a compare-and-swap takeover, and
// none while this member's own heartbeat is too old (mayTakeToken).
func (c *Coordinator) check(ctx context.Context) (early time.Duration, err error) {
	start := c.now()
	sctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	o, err := c.observe(sctx)
	if err != nil {
		c.countCheck(false)
		return 0, err
	}
	self := c.cfg.TaskID
	c.mu.Lock()
	wasActiveUnder := c.state.Term
	if c.state.Role != Active {
		wasActiveUnder = -1
	}
	c.mu.Unlock()
	c.zones.update(o.rows, self, o.dbNow)
	limit := StaleAfter(c.liveness).Milliseconds()
	c.noteStale(o, time.Duration(limit)*time.Millisecond)
	c.noteMembers(o)
	// The holder's heartbeat age as best known: corrected for the zone it
	// was written in (zones.go); dead: older than limit.
	var age time.Duration
	var dead bool
	// The holder resigned (a graceful stop deletes its row): it had a row
	// under this very term, and has none now. One that has just taken the
	// token has a new term and writes its first heartbeat a moment later.
	resigned := o.found && !o.staleMS.Valid && c.seenRow.holder == o.holder && c.seenRow.term == o.term
	// The holder's session ended while this member waited on its lock
	// (crashsignal.go), and the token still names it under that term.
	crashed := c.crashSignalled(o)
	if o.staleMS.Valid {
		c.missing = missingHeartbeat{}
		c.seenRow = missingHeartbeat{holder: o.holder, term: o.term}
		age = time.Duration(o.staleMS.Int64) * time.Millisecond
		if o.holder != self {
			age, dead = c.zones.judge(o.holder, age, time.Duration(limit)*time.Millisecond, o.dbNow)
		} else {
			age -= c.hbSkew // our own row, written in the zone of the standbys
		}
	}
	c.recordObservation(o, age)
	defer c.noteZones(o.dbNow)
	switch {
	case !o.found:
		// Nobody holds the token: take it with term 1, as Ballerina does.
		if !c.mayTakeToken(o) {
			break
		}
		if err := c.heartbeatInGroupZone(sctx, o.dbNow); err != nil {
			c.countCheck(false)
			return 0, err
		}
		c.triedTerm = 1
		n, err := c.exec(sctx, c.sql.claimFree, self, c.cfg.GroupID)
		if err != nil {
			c.countCheck(false)
			return 0, err
		}
		if n == 1 {
			c.becomeActive(1, o.dbNow, start)
		}
	case c.duplicateTerm(o):
		c.stepAside(o)
		c.countCheck(true)
		return 0, nil
	case o.holder == self:
		if wasActiveUnder != o.term {
			// The token names us but we are not active under this term (a
			// restart, or we fenced ourselves): take it anew with a new term,
			// so that anything done under the old term is fenced off.
			if err := c.takeOver(sctx, o, start); err != nil {
				c.countCheck(false)
				return 0, err
			}
		}
	default:
		c.mu.Lock()
		if c.state.Role == Active {
			c.stepDownLocked(fmt.Sprintf("token taken by %q (term %d)", o.holder, o.term), o.dbNow)
		}
		c.mu.Unlock()
		gone := !o.staleMS.Valid && c.heartbeatMissingFor(o) >= c.heartbeat
		switch {
		case !o.staleMS.Valid && !gone && !resigned && !crashed:
			// No heartbeat row. Ballerina takes over at once; we wait one
			// heartbeat more, because a holder that has just taken the
			// token writes its first heartbeat a moment later.
			early = c.heartbeat + 5*time.Millisecond
		case gone || dead || resigned || crashed:
			if err := c.takeOver(sctx, o, start); err != nil {
				c.countCheck(false)
				return 0, err
			}
		case age >= 0:
			// Check again as soon as the holder may become stale. With
			// whole-second timestamps the moment is only known to the
			// second, so look a few times in that second.
			early = time.Duration(limit)*time.Millisecond - age
			if c.resolution >= time.Second && early <= c.resolution {
				early = c.resolution / 4
			}
			early += 5 * time.Millisecond
		}
	}
	c.countCheck(true)
	c.mu.Lock()
	c.lastCheckOK = start
	c.armFenceLocked()
	c.mu.Unlock()
	return early, nil
}

// mayTakeToken reports whether this member's own heartbeat is recent
// enough for it to take the token. A member whose last successful heartbeat
// began more than fenceAfter ago (the statement ran long, or failed since)
// would fence itself the moment it became active, and the others would see
// its heartbeat stale and could take the token from it in turn: it waits
// for its next heartbeat instead.
func (c *Coordinator) mayTakeToken(o observation) bool {
	c.mu.Lock()
	if c.asideLocked() {
		c.mu.Unlock()
		return false
	}
	age := c.since(c.lastHBOK)
	ok := age < c.fenceAfter
	if !ok {
		c.stats.TakeoversDeferred++
	}
	c.mu.Unlock()
	if ok {
		return true
	}
	c.log.Debug("not taking the token: own heartbeat too old", "lastHeartbeatAgo", age.Round(time.Millisecond), "holder", o.holder, "term", o.term)
	return false
}

// heartbeatMissingFor returns for how long the holder of o has been seen
// without a heartbeat row: zero at the first sighting.
func (c *Coordinator) heartbeatMissingFor(o observation) time.Duration {
	m := &c.missing
	if m.holder != o.holder || m.term != o.term || m.since.IsZero() {
		*m = missingHeartbeat{holder: o.holder, term: o.term, since: c.now()}
		return 0
	}
	return c.since(m.since)
}

// takeOver swaps the observed holder and term for ourselves and term+1.
// Losing the race is not an error: someone else took it first.
func (c *Coordinator) takeOver(ctx context.Context, o observation, start time.Time) error {
	if !c.mayTakeToken(o) {
		return nil
	}
	if err := c.heartbeatInGroupZone(ctx, o.dbNow); err != nil {
		return err
	}
	c.triedTerm = o.term + 1 // ours if the answer is lost after the commit
	n, err := c.exec(ctx, c.sql.takeOver, c.cfg.TaskID, c.cfg.GroupID, o.holder, o.term)
	if err != nil {
		return err
	}
	if n == 1 {
		c.becomeActive(o.term+1, o.dbNow, start)
	} else {
		c.log.Debug("lost a takeover race", "observedHolder", o.holder, "observedTerm", o.term)
	}
	return nil
}

func (c *Coordinator) recordObservation(o observation, age time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := o.found && (o.holder != c.state.Holder || o.term != c.state.Term)
	c.state.Holder, c.state.Term, c.state.DBTime = o.holder, o.term, o.dbNow
	c.state.HolderHeartbeatAge = -1
	if o.staleMS.Valid {
		c.state.HolderHeartbeatAge = age
	}
	if changed {
		c.events.post(Event{Kind: NewHolder, Holder: o.holder, Term: o.term, DBTime: o.dbNow, At: c.now()})
	}
}

func (c *Coordinator) becomeActive(term int64, dbNow, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prevHolder, prevTerm := c.state.Holder, c.state.Term
	c.state.Role, c.state.Holder, c.state.Term = Active, c.cfg.TaskID, term
	c.ownTerm = term
	c.state.HolderHeartbeatAge = 0
	c.stats.Takeovers++
	// The fence deadline runs from the start of the statements that made us
	// active: our heartbeat is at least that fresh.
	c.lastCheckOK = start
	c.armFenceLocked()
	c.log.Info("became active", "term", term, "previousHolder", prevHolder, "previousTerm", prevTerm)
	c.warnZonesLocked()
	now := c.now()
	c.events.post(Event{Kind: NewHolder, Holder: c.cfg.TaskID, Term: term, DBTime: dbNow, At: now})
	c.events.post(Event{Kind: BecameActive, Holder: c.cfg.TaskID, Term: term, DBTime: dbNow, At: now})
}

// stepDownLocked makes the member a standby; c.mu must be held.
func (c *Coordinator) stepDownLocked(reason string, dbNow time.Time) {
	if c.state.Role != Active {
		return
	}
	c.state.Role = Standby
	level := slog.LevelWarn
	if reason == reasonStopped || reason == reasonHalted {
		level = slog.LevelInfo // asked for, not suffered
	}
	c.log.Log(context.Background(), level, "stopped being active", "term", c.state.Term, "reason", reason)
	c.warnZonesLocked()
	c.events.post(Event{Kind: LostActive, Holder: c.state.Holder, Term: c.state.Term, DBTime: dbNow, At: c.now(), Reason: reason})
}

func (c *Coordinator) countCheck(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.stats.Checks++
	} else {
		c.stats.CheckFailures++
	}
}

// heartbeatInGroupZone, just before this member takes the token, writes its
// heartbeat in the zone it will write in while active, if that is not the
// zone it wrote its last one in: a Ballerina standby that reads the new
// holder's row at once must find it fresh in its own zone.
func (c *Coordinator) heartbeatInGroupZone(ctx context.Context, dbNow time.Time) error {
	skew := c.zones.writeSkew(c.cfg.TaskID, c.liveness+time.Second, dbNow)
	c.mu.Lock()
	same := skew == c.hbSkew
	c.hbSkew = skew
	c.mu.Unlock()
	if same {
		return nil
	}
	return c.sendHeartbeat(ctx)
}

// noteZones logs a newly seen zone mismatch and decides the zone of this
// member's own heartbeats (zones.go); loop goroutine.
func (c *Coordinator) noteZones(dbNow time.Time) {
	live := c.zones.knownSkews(c.cfg.TaskID)
	note := mismatch(c.cfg.SessionTimeZone, live, dbNow)
	c.mu.Lock()
	defer c.mu.Unlock()
	active := c.state.Role == Active
	skew := time.Duration(0)
	if active {
		skew = c.zones.writeSkew(c.cfg.TaskID, c.liveness+time.Second, dbNow)
	}
	if skew != c.hbSkew {
		c.log.Info("writing heartbeats in the zone of the standbys", "zone", utcOffset(sessionOffset(c.cfg.SessionTimeZone, dbNow)-skew), "sessionTimeZone", c.cfg.SessionTimeZone)
		c.hbSkew = skew
	}
	c.zoneNote = note
	if note != "" && note != c.zones.reported {
		c.zones.reported = note
		c.warnZonesLocked()
	}
}

// warnZonesLocked logs the zone mismatch seen, if any; c.mu must be held.
func (c *Coordinator) warnZonesLocked() {
	if c.zoneNote == "" {
		return
	}
	c.log.Warn("members of this group write heartbeats in other time zones than this member's session zone; "+
		"ftpcoord members tolerate it, Ballerina nodes misjudge heartbeats written in another zone than their JVM's "+
		"(false takeovers, or none after a crash): set the JVM option -Duser.timezone of every Ballerina node and "+
		"sessionTimeZone of every ftpcoord member to one zone (docs/timezones.md)",
		"zonesSeen", c.zoneNote, "sessionTimeZone", c.cfg.SessionTimeZone,
		"ownZone", utcOffset(sessionOffset(c.cfg.SessionTimeZone, c.now())), "heartbeatZone", utcOffset(sessionOffset(c.cfg.SessionTimeZone, c.now())-c.hbSkew))
}
