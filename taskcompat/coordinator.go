// Package taskcompat is a member of a ballerina/task "warm backup" coordination
// group: the same tables, the same heartbeat and the same takeover rule (see
// COMPAT.md), so ftpcoord members and Ballerina listeners can share a group in
// one MySQL or PostgreSQL database.
//
// It keeps Ballerina's wire behaviour and fixes its weaknesses: takeover is a
// compare-and-swap on the observed holder and term (one winner among racing
// standbys), standbys check at every heartbeat (failover in about
// livenessCheckInterval + 1 s), an active member notices within one check that
// it lost the token, it steps down by itself when it cannot heartbeat for
// livenessCheckInterval - heartbeatFrequency (before anyone may take over), a
// graceful Stop hands over at once, a database outage is retried forever, and
// the term is exposed as a fencing token.
package taskcompat

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
)

// fenceAfter is how long an active member may go without a successful
// heartbeat before it steps down: livenessCheckInterval - heartbeatFrequency,
// but never so short that one late heartbeat fences a healthy member (with
// livenessCheckInterval 2 s and heartbeatFrequency 1 s that would be exactly
// one period). Either way it ends before anyone may take over: a standby needs
// the heartbeat to be more than livenessCheckInterval old.
func fenceAfter(liveness, heartbeat time.Duration) time.Duration {
	return max(liveness-heartbeat, (liveness+heartbeat)/2)
}

// State is a member's view of its group.
type State struct {
	Role Role `json:"role"`
	// Holder and Term are the token as last observed; when Role is Active,
	// Term is this member's fencing token.
	Holder string `json:"holder"`
	Term   int64  `json:"term"`
	// HolderHeartbeatAge is the age of the holder's heartbeat by the database
	// clock at the last observation (-1 when the holder had no heartbeat row).
	HolderHeartbeatAge time.Duration `json:"holderHeartbeatAge"`
	// DBTime is the database clock at the last observation.
	DBTime time.Time `json:"dbTime,omitzero"`
	// LastHeartbeat is when this member's last heartbeat was sent (local clock).
	LastHeartbeat time.Time `json:"lastHeartbeat,omitzero"`
	// Healthy is false while the database is failing this member's statements.
	Healthy bool `json:"healthy"`
}

// Stats counts what a member did since Start.
type Stats struct {
	Statements        int64 `json:"statements"` // every SQL statement sent
	Heartbeats        int64 `json:"heartbeats"`
	HeartbeatFailures int64 `json:"heartbeatFailures"`
	Checks            int64 `json:"checks"`
	CheckFailures     int64 `json:"checkFailures"`
	Takeovers         int64 `json:"takeovers"` // times this member became active
	SelfFences        int64 `json:"selfFences"`
}

// Option changes how New builds a Coordinator.
type Option func(*options)

type options struct {
	log       *slog.Logger
	callbacks Callbacks
	db        *sql.DB
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithCallbacks sets the functions told about role and holder changes.
// They must not call Stop or Halt.
func WithCallbacks(cb Callbacks) Option { return func(o *options) { o.callbacks = cb } }

// WithDB makes the coordinator use db (opened with OpenDB, so that its
// session time zone is right) instead of opening its own; it is not closed.
func WithDB(db *sql.DB) Option { return func(o *options) { o.db = db } }

// Coordinator is one member of a coordination group.
type Coordinator struct {
	cfg     Config
	dialect schema.Dialect
	sql     statements
	db      *sql.DB
	ownDB   bool
	log     *slog.Logger
	events  *dispatcher

	liveness     time.Duration // livenessCheckInterval
	heartbeat    time.Duration
	checkPeriod  time.Duration
	stmtTimeout  time.Duration
	fenceAfter   time.Duration // livenessCheckInterval - heartbeatFrequency
	resolution   time.Duration // of the database's timestamps
	maxBackoff   time.Duration
	lifecycle    sync.Mutex // Start, Stop, Halt
	started      bool
	finished     bool
	cancel       context.CancelFunc
	loopDone     chan struct{}
	mu           sync.Mutex // guards everything below
	state        State
	fence        *time.Timer
	lastHBOK     time.Time // start of the last successful heartbeat
	lastCheckOK  time.Time // start of the last successful check
	outageSince  time.Time // zero while the database answers
	lastOutage   string
	stats        Stats
	statementCnt atomic.Int64
	missing      missingHeartbeat // used by the loop goroutine only
	conn         *sql.Conn        // used by the loop goroutine, then by Stop
}

// missingHeartbeat remembers since when a holder has had no heartbeat row.
type missingHeartbeat struct {
	holder string
	term   int64
	since  time.Time
}

// New validates cfg, connects to the database and verifies that the
// coordination tables are usable. Errors name the configuration field at
// fault (a *FieldError, errors.Is ErrInvalidConfig), the unreachable or
// refusing database (errors.Is ErrDatabase), or the table to create (a
// *schema.Error).
func New(ctx context.Context, cfg Config, opts ...Option) (*Coordinator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	d, _ := cfg.Database.Dialect()
	c := &Coordinator{
		cfg:         cfg,
		dialect:     d,
		sql:         dialectSQL[d],
		db:          o.db,
		log:         o.log.With("component", "taskcompat", "groupId", cfg.GroupID, "taskId", cfg.TaskID),
		liveness:    time.Duration(cfg.LivenessCheckInterval) * time.Second,
		heartbeat:   cfg.HeartbeatFrequency.Duration(),
		checkPeriod: cfg.CheckPeriod.Duration(),
		resolution:  time.Microsecond,
	}
	if d == schema.MySQL {
		c.resolution = time.Second
	}
	c.fenceAfter = fenceAfter(c.liveness, c.heartbeat)
	c.stmtTimeout = max(c.heartbeat, min(max(c.liveness/2, time.Second), 5*time.Second))
	c.maxBackoff = max(c.heartbeat, min(c.liveness/2, 5*time.Second))
	if c.db == nil {
		db, err := OpenDB(cfg.Database, cfg.SessionTimeZone, c.stmtTimeout)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(2)
		db.SetMaxIdleConns(2)
		db.SetConnMaxIdleTime(10 * time.Minute)
		c.db, c.ownDB = db, true
	}
	if err := c.verify(ctx); err != nil {
		c.closeDB()
		return nil, err
	}
	c.events = newDispatcher(o.callbacks)
	return c, nil
}

func (c *Coordinator) verify(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(c.stmtTimeout, 5*time.Second))
	defer cancel()
	if err := c.db.PingContext(ctx); err != nil {
		return describeConnectError(c.cfg.Database, err)
	}
	if err := schema.Verify(ctx, c.db, c.dialect); err != nil {
		var se *schema.Error
		if errors.As(err, &se) {
			return fmt.Errorf("coordination database %s: %w", c.cfg.Database, err)
		}
		return describeConnectError(c.cfg.Database, err)
	}
	return nil
}

// Config returns the configuration in use, defaults applied.
func (c *Coordinator) Config() Config { return c.cfg }

// Start heartbeats and checks once, so State is meaningful when it returns,
// then keeps doing both in the background until Stop or Halt (cancelling ctx
// only cuts the first round short). Database errors do not fail Start: they
// are logged and retried.
func (c *Coordinator) Start(ctx context.Context) error {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	if c.started || c.finished {
		return errors.New("taskcompat: Start called twice or after Stop")
	}
	c.started = true
	// ctx bounds the first tick only: the member runs until Stop or Halt,
	// which decide whether it hands over gracefully.
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	c.loopDone = make(chan struct{})
	firstCtx, cancelFirst := context.WithCancel(loopCtx)
	defer cancelFirst()
	stop := context.AfterFunc(ctx, cancelFirst)
	defer stop()
	c.tick(firstCtx, true, true)
	go func() {
		defer close(c.loopDone)
		c.loop(loopCtx)
	}()
	return nil
}

// Stop ends membership gracefully: it stops heartbeating, steps down if it
// was active, and deletes its own heartbeat row so that any standby, Ballerina
// nodes included, takes over at its next check. It returns the error of that
// delete, if any; the member stops in every case.
func (c *Coordinator) Stop(ctx context.Context) error {
	if !c.halt("stopped") {
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	_, err := c.exec(dctx, c.sql.resign, c.cfg.TaskID, c.cfg.GroupID)
	c.finish()
	if err != nil {
		return fmt.Errorf("taskcompat: delete own heartbeat row: %w", err)
	}
	return nil
}

// Halt stops at once and writes nothing, as a crash would: standbys take over
// once this member's heartbeat is older than livenessCheckInterval. Hosts use
// it for a non-graceful stop; tests use it to stand for a crash.
func (c *Coordinator) Halt() {
	if c.halt("halted") {
		c.finish()
	}
}

// halt stops the loop and the fence and steps down; false if already done.
func (c *Coordinator) halt(reason string) bool {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	if c.finished {
		return false
	}
	c.finished = true
	if c.started {
		c.cancel()
		<-c.loopDone
	}
	c.mu.Lock()
	if c.fence != nil {
		c.fence.Stop()
	}
	c.stepDownLocked(reason, time.Time{})
	c.mu.Unlock()
	return true
}

func (c *Coordinator) finish() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	c.events.close()
	c.closeDB()
}

func (c *Coordinator) closeDB() {
	if c.ownDB {
		c.db.Close()
	}
}

// State returns the member's current view.
func (c *Coordinator) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// IsActive reports whether this member holds the token now.
func (c *Coordinator) IsActive() bool { return c.State().Role == Active }

// FencingToken returns this member's term while it is active. Writes made on
// behalf of the active member carry it, so that a deposed member's late
// writes can be refused.
func (c *Coordinator) FencingToken() (term int64, active bool) {
	s := c.State()
	return s.Term, s.Role == Active
}

// Stats returns counters since Start.
func (c *Coordinator) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Statements = c.statementCnt.Load()
	return s
}

// loop heartbeats every heartbeatFrequency and checks every checkPeriod,
// earlier when the holder is about to become stale, later (with backoff)
// while the database fails.
func (c *Coordinator) loop(ctx context.Context) {
	now := time.Now()
	nextHB, nextCheck := now.Add(c.heartbeat), now.Add(c.checkPeriod)
	timer := time.NewTimer(time.Until(earliest(nextHB, nextCheck)))
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now = time.Now()
		doHB, doCheck := !now.Before(nextHB), !now.Before(nextCheck)
		ok, early := c.tick(ctx, doHB, doCheck)
		if ctx.Err() != nil {
			return
		}
		now = time.Now()
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
		timer.Reset(time.Until(earliest(nextHB, nextCheck)))
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
	if doHB {
		if err := c.sendHeartbeat(ctx); err != nil {
			ok = false
			c.noteFailure("heartbeat", err)
		}
	}
	if doCheck && ok {
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
	return ok, early
}

func (c *Coordinator) sendHeartbeat(ctx context.Context) error {
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	_, err := c.exec(sctx, c.sql.heartbeat, c.cfg.TaskID, c.cfg.GroupID)
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

// observation is one reading of the group's token.
type observation struct {
	holder  string
	term    int64
	staleMS sql.NullInt64 // NULL: the holder has no heartbeat row
	dbNow   time.Time
	found   bool // false: nobody holds the token
}

func (c *Coordinator) observe(ctx context.Context) (observation, error) {
	var o observation
	err := c.queryRow(ctx, c.sql.observe, []any{c.cfg.GroupID}, &o.holder, &o.term, &o.staleMS, &o.dbNow)
	if errors.Is(err, sql.ErrNoRows) {
		return o, nil
	}
	o.found = err == nil
	return o, err
}

// check reads the holder and acts on it, exactly as a Ballerina tick would
// decide (COMPAT.md section 4), but with a compare-and-swap takeover.
func (c *Coordinator) check(ctx context.Context) (early time.Duration, err error) {
	start := time.Now()
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
	c.recordObservation(o)
	if o.staleMS.Valid {
		c.missing = missingHeartbeat{}
	}
	switch {
	case !o.found:
		// Nobody holds the token: take it with term 1, as Ballerina does.
		n, err := c.exec(sctx, c.sql.claimFree, self, c.cfg.GroupID)
		if err != nil {
			c.countCheck(false)
			return 0, err
		}
		if n == 1 {
			c.becomeActive(1, o.dbNow, start)
		}
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
		limit := c.liveness.Milliseconds()/1000*1000 + 1000 // stale at floor(ms/1000) > liveness
		gone := !o.staleMS.Valid && c.heartbeatMissingFor(o) >= c.heartbeat
		switch {
		case !o.staleMS.Valid && !gone:
			// No heartbeat row. Ballerina takes over at once; we wait one
			// heartbeat more, because a holder that has just taken the
			// token writes its first heartbeat a moment later.
			early = c.heartbeat + 5*time.Millisecond
		case gone || o.staleMS.Int64 >= limit:
			if err := c.takeOver(sctx, o, start); err != nil {
				c.countCheck(false)
				return 0, err
			}
		case o.staleMS.Int64 >= 0:
			// Check again as soon as the holder may become stale. With
			// whole-second timestamps the moment is only known to the
			// second, so look a few times in that second.
			early = time.Duration(limit-o.staleMS.Int64) * time.Millisecond
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

// heartbeatMissingFor returns for how long the holder of o has been seen
// without a heartbeat row: zero at the first sighting.
func (c *Coordinator) heartbeatMissingFor(o observation) time.Duration {
	m := &c.missing
	if m.holder != o.holder || m.term != o.term || m.since.IsZero() {
		*m = missingHeartbeat{holder: o.holder, term: o.term, since: time.Now()}
		return 0
	}
	return time.Since(m.since)
}

// takeOver swaps the observed holder and term for ourselves and term+1.
// Losing the race is not an error: someone else took it first.
func (c *Coordinator) takeOver(ctx context.Context, o observation, start time.Time) error {
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

func (c *Coordinator) recordObservation(o observation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := o.found && (o.holder != c.state.Holder || o.term != c.state.Term)
	c.state.Holder, c.state.Term, c.state.DBTime = o.holder, o.term, o.dbNow
	c.state.HolderHeartbeatAge = -1
	if o.staleMS.Valid {
		c.state.HolderHeartbeatAge = time.Duration(o.staleMS.Int64) * time.Millisecond
	}
	if changed {
		c.events.post(Event{Kind: NewHolder, Holder: o.holder, Term: o.term, DBTime: o.dbNow, At: time.Now()})
	}
}

func (c *Coordinator) becomeActive(term int64, dbNow, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prevHolder, prevTerm := c.state.Holder, c.state.Term
	c.state.Role, c.state.Holder, c.state.Term = Active, c.cfg.TaskID, term
	c.state.HolderHeartbeatAge = 0
	c.stats.Takeovers++
	// The fence deadline runs from the start of the statements that made us
	// active: our heartbeat is at least that fresh.
	c.lastCheckOK = start
	c.armFenceLocked()
	c.log.Info("became active", "term", term, "previousHolder", prevHolder, "previousTerm", prevTerm)
	now := time.Now()
	c.events.post(Event{Kind: NewHolder, Holder: c.cfg.TaskID, Term: term, DBTime: dbNow, At: now})
	c.events.post(Event{Kind: BecameActive, Holder: c.cfg.TaskID, Term: term, DBTime: dbNow, At: now})
}

// stepDownLocked makes the member a standby; c.mu must be held.
func (c *Coordinator) stepDownLocked(reason string, dbNow time.Time) {
	if c.state.Role != Active {
		return
	}
	c.state.Role = Standby
	c.log.Warn("stopped being active", "term", c.state.Term, "reason", reason)
	c.events.post(Event{Kind: LostActive, Holder: c.state.Holder, Term: c.state.Term, DBTime: dbNow, At: time.Now(), Reason: reason})
}

// armFenceLocked (re)sets the self-fence: an active member whose heartbeat
// has not succeeded for fenceAfter steps down before a standby may consider
// it dead.
func (c *Coordinator) armFenceLocked() {
	if c.state.Role != Active {
		return
	}
	wait := time.Until(c.fenceDeadlineLocked())
	if c.fence == nil {
		c.fence = time.AfterFunc(wait, c.selfFence)
	} else {
		c.fence.Reset(wait)
	}
}

func (c *Coordinator) selfFence() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Role != Active {
		return
	}
	if wait := time.Until(c.fenceDeadlineLocked()); wait > 0 {
		c.fence.Reset(wait) // renewed after the timer fired
		return
	}
	c.stats.SelfFences++
	c.stepDownLocked(fmt.Sprintf("self-fenced: last successful heartbeat %v ago, last successful check %v ago (livenessCheckInterval %v - heartbeatFrequency %v)",
		time.Since(c.lastHBOK).Round(time.Millisecond), time.Since(c.lastCheckOK).Round(time.Millisecond), c.liveness, c.heartbeat), time.Time{})
}

// fenceDeadlineLocked is when an active member must step down unless it
// heartbeats or checks successfully again. Heartbeats decide when others may
// take over; checks tell whether someone did, so they get one checkPeriod
// more.
func (c *Coordinator) fenceDeadlineLocked() time.Time {
	hb := c.lastHBOK.Add(c.fenceAfter)
	check := c.lastCheckOK.Add(c.checkPeriod + c.fenceAfter)
	return earliest(hb, check)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
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

// noteFailure logs a database outage once, not on every retry.
func (c *Coordinator) noteFailure(what string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Healthy = false
	msg := err.Error()
	if c.outageSince.IsZero() {
		c.outageSince = time.Now()
		c.lastOutage = msg
		c.log.Warn("coordination database failing; retrying with backoff", "during", what, "db", c.cfg.Database, "err", err)
		return
	}
	if msg != c.lastOutage {
		c.lastOutage = msg
		c.log.Debug("coordination database still failing", "during", what, "err", err)
	}
}

func (c *Coordinator) noteSuccess() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Healthy = true
	if !c.outageSince.IsZero() {
		c.log.Info("coordination database answering again", "after", time.Since(c.outageSince).Round(time.Millisecond))
		c.outageSince = time.Time{}
		c.lastOutage = ""
	}
}

// The member's statements run one at a time on one connection of its own
// (the loop's, then Stop's), held between statements: handing it back to the
// pool would make the PostgreSQL driver ping it before reuse after a second
// idle, a third statement per heartbeat. A failed connection is dropped and
// the next statement takes a fresh one.

func (c *Coordinator) exec(ctx context.Context, q string, args ...any) (int64, error) {
	c.statementCnt.Add(1)
	conn, err := c.connection(ctx)
	if err != nil {
		return 0, err
	}
	res, err := conn.ExecContext(ctx, q, args...)
	if err != nil {
		c.dropConnection()
		return 0, err
	}
	return res.RowsAffected()
}

// queryRow runs a query and scans its single row into dest.
func (c *Coordinator) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	c.statementCnt.Add(1)
	conn, err := c.connection(ctx)
	if err != nil {
		return err
	}
	err = conn.QueryRowContext(ctx, q, args...).Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		c.dropConnection()
	}
	return err
}

func (c *Coordinator) connection(ctx context.Context) (*sql.Conn, error) {
	if c.conn == nil {
		conn, err := c.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		c.conn = conn
	}
	return c.conn, nil
}

func (c *Coordinator) dropConnection() {
	if c.conn != nil {
		c.conn.Raw(func(any) error { return driver.ErrBadConn }) // do not reuse it
		c.conn.Close()
		c.conn = nil
	}
}
