package taskcompat

import (
	"context"
	"database/sql"

	"github.com/ftpcoord/ftpcoord/schema"
	"time"
)

// StopFenceTimer stops c's self-fence timer, as a paused process's timer
// has not run yet when it wakes: tests then see whether reading the role
// fences by itself.
func StopFenceTimer(c *Coordinator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fence != nil {
		c.fence.Stop()
	}
}

// AgeHeartbeat makes c's last successful heartbeat d older, as a heartbeat
// statement that ran for d would (its time is the statement's start).
func AgeHeartbeat(c *Coordinator, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastHBOK = c.lastHBOK.Add(-d)
}

// Tick runs one round of c's loop by hand.
func Tick(c *Coordinator, ctx context.Context, heartbeat, check bool) { c.tick(ctx, heartbeat, check) }

// UTCOffset writes an offset as the coordinator's logs do (UTC+05:30).
func UTCOffset(d time.Duration) string { return utcOffset(d) }

// Polling is how many waits poll a held SQLite session lock in this process.
func Polling() int64 { return polling.Load() }

// LockSession is a session lock of a group, as members hold and wait on them.
type LockSession struct{ s lockSession }

// OpenLockSession opens a lock session on db (path: the SQLite file, or the
// database's name).
func OpenLockSession(ctx context.Context, db *sql.DB, d schema.Dialect, path, group string) (*LockSession, error) {
	if d == schema.SQLite {
		s, err := openFileLockSession(path, group)
		return &LockSession{s}, err
	}
	s, err := openSQLLockSession(ctx, db, d, path, group)
	return &LockSession{s}, err
}

func (l *LockSession) Acquire(ctx context.Context, term int64) (bool, error) {
	return l.s.acquire(ctx, term)
}
func (l *LockSession) Wait(ctx context.Context, term int64) (bool, error) {
	return l.s.wait(ctx, term, func() {})
}
func (l *LockSession) Close() { l.s.close() }

// Vanish stops c as a host that vanishes without closing its connections
// would: nothing written, and its session lock stays held until release (a
// crashed process's sessions end at once: that is Halt).
func Vanish(c *Coordinator) (release func()) {
	if !c.halt(reasonHalted) {
		return func() {}
	}
	s := c.crash.sess
	c.crash.sess = nil
	c.finish()
	return func() {
		if s != nil {
			s.close()
		}
	}
}

// Waiting reports whether c, a standby, waits on its holder's session lock.
func Waiting(c *Coordinator) bool { return c.crash.waiting.Load() }

// MemberLockHolderSQL reads, on a server dialect, the session that holds the
// member lock of (group, task id), as the server names it (a PostgreSQL
// backend pid, a MySQL connection id); no row or NULL when none holds it.
func MemberLockHolderSQL(d schema.Dialect) string {
	if d == schema.Postgres {
		return `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 ` +
			`AND classid = (` + pgMemberKey(`$1::text`, `$2::text`, 1) + `)::oid AND objid = (` + pgMemberKey(`$1::text`, `$2::text`, 2) + `)::oid`
	}
	return `SELECT IS_USED_LOCK(` + mysqlMemberLock(`?`, `?`) + `)`
}

// withClock makes the coordinator read time from clk instead of the
// process's clock.
func withClock(clk clock) Option { return func(o *options) { o.clock = clk } }
