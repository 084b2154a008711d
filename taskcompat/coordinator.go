// Package taskcompat is a member of a ballerina/task "warm backup" coordination
// group: the same tables, the same heartbeat and the same takeover rule (see
// COMPAT.md), so ftpcoord members and Ballerina listeners can share a group in
// one MySQL or PostgreSQL database. The same tables in an SQLite file serve
// ftpcoord members on one host (Ballerina has no SQLite).
//
// It keeps Ballerina's wire behaviour and fixes its weaknesses: takeover is a
// compare-and-swap on the observed holder and term (one winner among racing
// standbys), standbys check at every heartbeat (failover in about
// livenessCheckInterval + 1 s), an active member notices within one check that
// it lost the token, it steps down by itself when it cannot heartbeat for
// livenessCheckInterval - heartbeatFrequency (before anyone may take over), a
// graceful Stop hands over at once, a database outage is retried forever, the
// term is exposed as a fencing token, and a member whose host cannot do the
// work steps aside (StepAside: handed over as by Stop, no takeover for a while).
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
	// AsideUntil: the member stepped aside (StepAside) and does not compete
	// for the token before this time (local clock); zero otherwise.
	AsideUntil time.Time `json:"asideUntil,omitzero"`
	// CrashSignal: the active member holds its session lock, or a standby
	// waits on the holder's, so that a holder whose process dies is
	// replaced at once (docs/coordination.md#the-crash-signal).
	CrashSignal bool `json:"crashSignal"`
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
	// TakeoversDeferred counts checks that would have taken the token but
	// did not, because this member's own last heartbeat was too old.
	TakeoversDeferred int64 `json:"takeoversDeferred"`
	// DuplicateMember: this member stepped aside because another live
	// process uses its memberId (see Duplicate).
	DuplicateMember bool `json:"duplicateMember,omitempty"`
	// StepAsides counts StepAside calls.
	StepAsides int64 `json:"stepAsides"`
}

// Option changes how New builds a Coordinator.
type Option func(*options)

type options struct {
	log         *slog.Logger
	callbacks   Callbacks
	db          *sql.DB
	memberLocks bool
	clock       clock // realClock unless a test injects one
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
	clk     clock // the local clock (clock.go)

	liveness     time.Duration // livenessCheckInterval
	heartbeat    time.Duration
	checkPeriod  time.Duration
	stmtTimeout  time.Duration
	fenceAfter   time.Duration // see fenceAfter()
	resolution   time.Duration // of the database's timestamps
	maxBackoff   time.Duration
	lifecycle    sync.Mutex // Start, Stop, Halt
	started      bool
	finished     bool
	cancel       context.CancelFunc
	loopDone     chan struct{}
	mu           sync.Mutex // guards everything below
	state        State
	fence        clockTimer
	lastHBOK     time.Time // start of the last successful heartbeat
	lastCheckOK  time.Time // start of the last successful check
	outageSince  time.Time // zero while the database answers
	lastOutage   string
	stats        Stats
	statementCnt atomic.Int64
	missing      missingHeartbeat // used by the loop goroutine only
	// ownTerm is the term this process last took (0: none yet); seenRow the
	// holder and term last seen with a heartbeat row. Used by the loop
	// goroutine only.
	ownTerm    int64
	triedTerm  int64 // the term of the last takeover sent, won or not
	seenRow    missingHeartbeat
	duplicate  error             // set when it stepped aside (duplicate.go); guarded by mu
	zones      zoneTracker       // used by the loop goroutine only
	hbSkew     time.Duration     // zone shift of own heartbeats (zones.go); guarded by mu, written by the loop
	zoneNote   string            // the zones seen, when they differ from ours
	conn       *sql.Conn         // used by the loop goroutine, then by Stop
	aside      chan asideRequest // StepAside to the loop goroutine
	asideUntil time.Time         // see aside.go; guarded by mu
	crash      crashWatch        // crashsignal.go; used by the loop goroutine, then by finish

	// staleMembers, goneMembers: see StaleMembers (group.go) and
	// memberlock.go; guarded by mu.
	staleMembers []string
	goneMembers  []string
	// lockedMembers: the others whose member lock the last check saw held.
	lockedMembers []string
	members       memberWatch // memberlock.go; used by the loop goroutine
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
	o := newOptions(opts)
	c := build(cfg, o)
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
	c.initMemberLocks(o.memberLocks && !c.crash.off)
	return c, nil
}

// newOptions applies opts to the defaults.
func newOptions(opts []Option) options {
	o := options{log: slog.Default(), clock: realClock{}}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// build makes a Coordinator of cfg (defaults applied) that has not touched
// its database yet.
func build(cfg Config, o options) *Coordinator {
	d, _ := cfg.Database.Dialect()
	c := &Coordinator{
		cfg:        cfg,
		dialect:    d,
		sql:        dialectSQL[d],
		db:         o.db,
		log:        o.log.With("component", "taskcompat", "groupId", cfg.GroupID, "taskId", cfg.TaskID),
		clk:        o.clock,
		resolution: time.Microsecond,
		aside:      make(chan asideRequest),
	}
	switch d {
	case schema.MySQL:
		c.resolution = time.Second
	case schema.SQLite:
		c.resolution = time.Millisecond
	}
	if cfg.CrashSignal != nil && !*cfg.CrashSignal {
		c.crash.off = true // heartbeat rule only, as asked (crashsignal.go)
		c.log.Info("crash signal off (crashSignal = false): a crashed holder is replaced after livenessCheckInterval")
	}
	c.setTimings()
	return c
}

// setTimings derives the coordinator's periods from c.cfg (defaults applied).
func (c *Coordinator) setTimings() {
	c.liveness = time.Duration(c.cfg.LivenessCheckInterval) * time.Second
	c.heartbeat = c.cfg.HeartbeatFrequency.Duration()
	c.checkPeriod = c.cfg.CheckPeriod.Duration()
	c.fenceAfter = fenceAfter(c.liveness, c.heartbeat)
	c.stmtTimeout = max(c.heartbeat, min(max(c.liveness/2, time.Second), 5*time.Second))
	c.maxBackoff = max(c.heartbeat, min(c.liveness/2, 5*time.Second))
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
	if err := c.probeDuplicate(ctx); err != nil {
		c.finished = true
		c.finish()
		return err
	}
	c.started = true
	c.recordTimings(ctx)
	// ctx bounds the first tick only: the member runs until Stop or Halt,
	// which decide whether it hands over gracefully.
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	c.crash.ctx = loopCtx
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
	if !c.halt(reasonStopped) {
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

// Reasons of the LostActive events that Stop and Halt cause.
const (
	reasonStopped   = "stopped"
	reasonHalted    = "halted"
	reasonDuplicate = "stepped aside: another live process uses this memberId"
)

// Halt stops at once and writes nothing, as a crash would: standbys take over
// once this member's heartbeat is older than livenessCheckInterval. Hosts use
// it for a non-graceful stop; tests use it to stand for a crash.
func (c *Coordinator) Halt() {
	if c.halt(reasonHalted) {
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
	c.dropSession() // after stepping down: standbys may take over now
	if c.conn != nil {
		if c.members.on {
			// Its session ends now, with the member lock on it (a pooled
			// connection would keep both).
			c.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		c.conn.Close()
		c.conn = nil
	}
	c.closeMemberLocks()
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
	c.fenceIfDueLocked()
	c.asideLocked()
	s := c.state
	s.CrashSignal = c.crash.armed.Load()
	return s
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
