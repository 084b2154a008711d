// Package ballerinapeer is a test peer that behaves on the wire exactly as a
// ballerina/task warm-backup node does (COMPAT.md sections 3 and 4): the same
// statements, one transaction on a fresh connection per unit of work, the
// same tick logic and the same weaknesses (unconditional upsert, a node that
// started active only ever checks that it still holds the token, a graceful
// stop releases nothing, an SQL error ends its ticking). Tests put it in a
// group with ftpcoord members to prove that each side sees the other as a
// normal peer.
package ballerinapeer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Ballerina's statements, verbatim but for the placeholder syntax.
const (
	hasActiveTokenQuery = `SELECT task_id FROM token_holder WHERE task_id = ? AND group_id = ?`
	currentTokenQuery   = `SELECT task_id FROM token_holder WHERE group_id = ?`
	currentTimeQuery    = `SELECT CURRENT_TIMESTAMP`
	healthCheckQuery    = `SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = ? ORDER BY last_heartbeat DESC LIMIT 1`
	pgUpsertToken       = `INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 1) ON CONFLICT (group_id) DO UPDATE SET task_id = EXCLUDED.task_id, term = token_holder.term + 1`
	myUpsertToken       = `INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE task_id = VALUES(task_id), term = term + 1`
	pgHeartbeat         = `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES (?, ?, CURRENT_TIMESTAMP) ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = EXCLUDED.last_heartbeat`
	myHeartbeat         = `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES (?, ?, CURRENT_TIMESTAMP) ON DUPLICATE KEY UPDATE last_heartbeat = CURRENT_TIMESTAMP`
)

// Config is a Ballerina node's WarmBackupConfig plus its trigger period.
type Config struct {
	Database              taskcompat.DatabaseConfig
	TaskID, GroupID       string
	LivenessCheckInterval int           // seconds
	HeartbeatFrequency    time.Duration // Ballerina: whole seconds
	// PollingInterval is the task trigger period; the ftp listener's
	// pollingInterval (60 s by default). The election runs once per trigger.
	PollingInterval time.Duration
	// JVMZone is the JVM's default time zone: the PostgreSQL JDBC driver
	// sets the session TimeZone from it and reads timestamps in it; MySQL
	// Connector/J (connectionTimeZone=LOCAL, the default) leaves the session
	// in the server's zone and reads its wall clocks as JVM-local times.
	JVMZone string
	// JVMLocation, when set, is the JVM zone's rules, and JVMZone its POSIX
	// form for the PostgreSQL session (see DSTZone).
	JVMLocation *time.Location
}

// Peer is one running Ballerina-like node.
type Peer struct {
	cfg     Config
	dialect schema.Dialect
	db      *sql.DB
	jvm     *time.Location
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu            sync.Mutex
	startedActive bool // Ballerina's TOKEN_HOLDER job data: fixed at start
	active        bool // outcome of the last tick
	dead          error
	ticks         int
}

// Start acquires (or not) the token once, as ballerina/task does when the
// task is scheduled, then heartbeats and ticks in the background.
func Start(ctx context.Context, cfg Config) (*Peer, error) {
	if cfg.JVMZone == "" {
		cfg.JVMZone = "UTC"
	}
	d, err := cfg.Database.Dialect()
	if err != nil {
		return nil, err
	}
	jvm := cfg.JVMLocation
	if jvm == nil {
		if jvm, err = time.LoadLocation(cfg.JVMZone); err != nil {
			return nil, err
		}
	}
	session := cfg.JVMZone
	if d == schema.MySQL {
		session = "UTC" // the test server's own zone (SYSTEM, UTC)
	}
	var db *sql.DB
	if cfg.JVMLocation != nil && d == schema.Postgres {
		db, err = openPostgresPOSIX(cfg.Database, cfg.JVMZone)
	} else {
		db, err = taskcompat.OpenDB(cfg.Database, session, 5*time.Second)
	}
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(0) // a fresh connection per unit of work, as DriverManager gives
	p := &Peer{cfg: cfg, dialect: d, db: db, jvm: jvm}
	var active bool
	err = p.unitOfWork(ctx, func(tx *sql.Tx) error {
		var err error
		active, err = p.attemptTokenAcquisition(ctx, tx, false)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("ballerina peer %s: acquire token: %w", cfg.TaskID, err)
	}
	p.startedActive, p.active = active, active
	// HealthCheckScheduler starts right after the acquisition, with no
	// initial delay.
	p.heartbeat(ctx)
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(2)
	go p.every(runCtx, cfg.HeartbeatFrequency, p.heartbeat)
	go p.every(runCtx, cfg.PollingInterval, p.tick)
	return p, nil
}

// IsActive is the outcome of the last tick: whether this node would poll.
func (p *Peer) IsActive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active && p.dead == nil
}

// Dead returns the SQL error that ended this node's ticking, if any.
func (p *Peer) Dead() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dead
}

// Ticks counts the election ticks run.
func (p *Peer) Ticks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ticks
}

// Halt stops heartbeats and ticks without writing anything: a crash, and
// also all a Ballerina graceful stop does for coordination.
func (p *Peer) Halt() {
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	p.active = false
	p.mu.Unlock()
	p.db.Close()
}

func (p *Peer) every(ctx context.Context, period time.Duration, f func(context.Context)) {
	defer p.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// heartbeat errors are swallowed, as HealthCheckScheduler does.
func (p *Peer) heartbeat(ctx context.Context) {
	q := pgHeartbeat
	if p.dialect == schema.MySQL {
		q = myHeartbeat
	}
	_ = p.unitOfWork(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, p.bind(q), p.cfg.TaskID, p.cfg.GroupID)
		return err
	})
}

// tick is TaskServerJob: a node that started as the token holder only checks
// that it still holds it; any other node attempts the acquisition.
func (p *Peer) tick(ctx context.Context) {
	p.mu.Lock()
	if p.dead != nil {
		p.mu.Unlock()
		return
	}
	startedActive := p.startedActive
	p.mu.Unlock()
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return // cannot connect: the tick is skipped silently
	}
	defer conn.Close()
	var active bool
	err = func() error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if startedActive {
			active, err = p.hasActiveToken(ctx, tx)
		} else {
			active, err = p.attemptTokenAcquisition(ctx, tx, false)
		}
		if err != nil {
			return err
		}
		return tx.Commit()
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ticks++
	if err != nil {
		if ctx.Err() == nil {
			p.dead = err // the listener's polling is unscheduled for good
		}
		p.active = false
		return
	}
	p.active = active
}

func (p *Peer) hasActiveToken(ctx context.Context, tx *sql.Tx) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, p.bind(hasActiveTokenQuery), p.cfg.TaskID, p.cfg.GroupID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// attemptTokenAcquisition is TokenAcquisition.attemptTokenAcquisition.
func (p *Peer) attemptTokenAcquisition(ctx context.Context, tx *sql.Tx, hasToken bool) (bool, error) {
	upsert := pgUpsertToken
	if p.dialect == schema.MySQL {
		upsert = myUpsertToken
	}
	take := func() (bool, error) {
		_, err := tx.ExecContext(ctx, p.bind(upsert), p.cfg.TaskID, p.cfg.GroupID)
		return err == nil, err
	}
	var holder string
	err := tx.QueryRowContext(ctx, p.bind(currentTokenQuery), p.cfg.GroupID).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return take()
	}
	if err != nil {
		return false, err
	}
	if holder == p.cfg.TaskID {
		return true, nil
	}
	var now time.Time
	if err := tx.QueryRowContext(ctx, currentTimeQuery).Scan(&now); err != nil {
		return false, err
	}
	var last sql.NullTime
	err = tx.QueryRowContext(ctx, p.bind(healthCheckQuery), holder, p.cfg.GroupID).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return take()
	}
	if err != nil {
		return false, err
	}
	// Java: (currentTime.getTime() - lastHeartbeat.getTime()) / 1000, with
	// the zone-less column read in the JVM's zone.
	if p.dialect == schema.MySQL {
		now = p.jvmTime(now)
	}
	staleSeconds := (now.UnixMilli() - p.jvmTime(last.Time).UnixMilli()) / 1000
	if staleSeconds > int64(p.cfg.LivenessCheckInterval) {
		return take()
	}
	return hasToken, nil
}

// jvmTime reads a wall clock as JDBC does: in the JVM's zone. pgx returns a
// timestamp without time zone as a wall clock in UTC, the MySQL driver the
// server session's (UTC) wall clock of every DATETIME and TIMESTAMP.
func (p *Peer) jvmTime(t time.Time) time.Time { return WallIn(t, p.jvm) }

// WallIn is the instant that the wall clock of t (whatever its location) is
// in loc, read as pgjdbc reads a timestamp without time zone in the JVM's
// zone (seen with the JVM peer): a wall clock that occurs twice (clocks moved
// back) is read with the earlier instant, one that never occurs (clocks
// moved forward) with the daylight offset, an hour earlier than it would be
// with the offset before the change.
func WallIn(t time.Time, loc *time.Location) time.Time {
	u := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	var best time.Time
	maxOff := -1 << 31
	for h := -27; h <= 27; h++ {
		_, off := u.Add(time.Duration(h) * time.Hour).In(loc).Zone()
		maxOff = max(maxOff, off)
		cand := u.Add(-time.Duration(off) * time.Second)
		if _, o := cand.In(loc).Zone(); o == off && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if best.IsZero() { // in a gap
		best = u.Add(-time.Duration(maxOff) * time.Second)
	}
	return best
}

// unitOfWork runs f in one transaction on a fresh connection, as Ballerina's
// autocommit-off connection followed by commit.
func (p *Peer) unitOfWork(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// bind turns JDBC's ? placeholders into PostgreSQL's $n.
func (p *Peer) bind(q string) string { return testdb.Q(p.dialect, q) }

// openPostgresPOSIX opens PostgreSQL with a session TimeZone that is a POSIX
// TZ rule, which OpenDB does not take (a member's sessionTimeZone is a zone
// name or an offset).
func openPostgresPOSIX(c taskcompat.DatabaseConfig, posix string) (*sql.DB, error) {
	pc, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	pc.Host, pc.Port, pc.User, pc.Password, pc.Database = c.Host, uint16(c.Port), c.User, c.Password, c.Database
	pc.ConnectTimeout = 5 * time.Second
	pc.RuntimeParams = map[string]string{"TimeZone": posix, "application_name": "ballerinapeer"}
	return stdlib.OpenDB(*pc), nil
}
