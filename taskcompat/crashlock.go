package taskcompat

// The crash signal's lock: one session-bound lock per group and term, held by
// the active member of that term on a session of its own. A process that dies
// ends its sessions at once, so the lock is released at once; standbys that
// wait on it learn of the death without waiting for the heartbeat to age.
//
// One lock per term, not per group: a standby waits on the lock of the term it
// observed, so a grant can only mean that the session of that term's holder
// (or of a standby that was granted it and let go) ended. Nothing here is
// visible to Ballerina nodes: no table of theirs is touched.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/ftpcoord/ftpcoord/schema"
)

// lockSession is one lock session of a member: a dedicated database
// connection (PostgreSQL, MySQL), or an open sidecar file (SQLite).
type lockSession interface {
	// acquire takes the lock of term without waiting: false if another
	// session holds it.
	acquire(ctx context.Context, term int64) (bool, error)
	// release lets go of the lock of term.
	release(ctx context.Context, term int64) error
	// wait blocks until it holds the lock of term, if another session held
	// it when the wait began (then it calls began first); held is false
	// (and nothing waited for) when nobody else held it. An error means the
	// session broke (a database restart, a cancelled wait): no signal.
	wait(ctx context.Context, term int64, began func()) (held bool, err error)
	// exec runs a statement on the session, so that a broken session shows
	// as a failed statement; nil where the lock is not a database session.
	exec(ctx context.Context, q string, args ...any) (int64, error)
	close()
}

// groupKey is a 31-bit hash of the group: PostgreSQL's advisory lock keys
// are int4 and pg_locks shows them as oid, so they stay non-negative.
func groupKey(group string) int64 {
	h := fnv.New32a()
	h.Write([]byte("ftpcoord.crash/" + group))
	return int64(h.Sum32() & 0x7fffffff)
}

// termKey is the term in 31 bits (terms wrap there only after 2^31 takeovers).
func termKey(term int64) int64 { return term & 0x7fffffff }

// mysqlLockName is the GET_LOCK name of a group's term (at most 64
// characters). MySQL's lock names are server-wide, so the name has the
// database too (PostgreSQL's advisory locks belong to their database).
func mysqlLockName(database, group string, term int64) string {
	return fmt.Sprintf("ftpcoord.crash/%08x/%d", groupKey(database+"\x00"+group), termKey(term))
}

// lockSQL is the SQL of a dialect's session lock.
type lockSQL struct {
	// acquire(key...) -> true when taken.
	acquire string
	// release(key...).
	release string
	// heldByOther(key...) -> whether another session holds the lock.
	heldByOther string
	// wait(key...): block until this session holds the lock. Run after
	// heldByOther on the same session: if the other session let go
	// between the two, the grant is at once, and means just that.
	wait string
}

var lockStatements = map[schema.Dialect]lockSQL{
	schema.Postgres: {
		acquire: `SELECT pg_try_advisory_lock($1::int4, $2::int4)`,
		release: `SELECT pg_advisory_unlock($1::int4, $2::int4)`,
		heldByOther: `SELECT EXISTS (SELECT 1 FROM pg_locks l ` +
			`WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ` +
			`AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid AND l.objsubid = 2 AND l.granted AND l.pid <> pg_backend_pid())`,
		wait: `SELECT true FROM (SELECT pg_advisory_lock($1::int4, $2::int4)) l`,
	},
	schema.MySQL: {
		acquire:     `SELECT GET_LOCK(?, 0)`,
		release:     `SELECT RELEASE_LOCK(?)`,
		heldByOther: `SELECT COALESCE(IS_USED_LOCK(?) <> CONNECTION_ID(), FALSE)`,
		// A year is forever here, and plainly so on MySQL and MariaDB alike
		// (negative timeouts differ between them).
		wait: `SELECT GET_LOCK(?, 31536000)`,
	},
}

// sqlLockSession is a lock session on a dedicated database connection.
type sqlLockSession struct {
	conn  *sql.Conn
	sql   lockSQL
	d     schema.Dialect
	group string
	db    string // the database's name (MySQL lock names)
}

func openSQLLockSession(ctx context.Context, db *sql.DB, d schema.Dialect, database, group string) (*sqlLockSession, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &sqlLockSession{conn: conn, sql: lockStatements[d], d: d, group: group, db: database}, nil
}

func (s *sqlLockSession) key(term int64) []any {
	if s.d == schema.MySQL {
		return []any{mysqlLockName(s.db, s.group, term)}
	}
	return []any{groupKey(s.group), termKey(term)}
}

func (s *sqlLockSession) acquire(ctx context.Context, term int64) (bool, error) {
	var ok sql.NullBool
	if err := s.conn.QueryRowContext(ctx, s.sql.acquire, s.key(term)...).Scan(&ok); err != nil {
		return false, err
	}
	return ok.Valid && ok.Bool, nil
}

func (s *sqlLockSession) release(ctx context.Context, term int64) error {
	var ok sql.NullBool
	return s.conn.QueryRowContext(ctx, s.sql.release, s.key(term)...).Scan(&ok)
}

func (s *sqlLockSession) wait(ctx context.Context, term int64, began func()) (bool, error) {
	var other bool
	if err := s.conn.QueryRowContext(ctx, s.sql.heldByOther, s.key(term)...).Scan(&other); err != nil {
		return false, err
	}
	if !other {
		return false, nil
	}
	began()
	var ok sql.NullBool
	if err := s.conn.QueryRowContext(ctx, s.sql.wait, s.key(term)...).Scan(&ok); err != nil {
		return false, err
	}
	// GET_LOCK returns 0 after its timeout (a year).
	return ok.Valid && ok.Bool, nil
}

func (s *sqlLockSession) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.conn.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// close ends the session: the connection is discarded, not pooled, so the
// server ends the session and with it every lock it holds.
func (s *sqlLockSession) close() {
	s.conn.Raw(func(any) error { return driver.ErrBadConn })
	s.conn.Close()
}

// errNoSessionLocks: the dialect or platform has no session lock; the member
// keeps today's heartbeat rule only.
var errNoSessionLocks = errors.New("no session-bound locks here")
