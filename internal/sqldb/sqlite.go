package sqldb

// SQLite: one database file shared by the processes of one host.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// BusyTimeout is how long a statement waits for another connection or
// process to release the database's write lock before it fails with
// SQLITE_BUSY (the statement's context may end the wait sooner). Every write
// of ftpcoord is a single short statement or transaction, so the lock is held
// for milliseconds at a time.
const BusyTimeout = 5 * time.Second

// sqliteDSN is the modernc.org/sqlite data source of a database file:
//   - journal_mode WAL: readers never block the writer nor the writer the
//     readers, and several processes share the file safely (on a local
//     filesystem: WAL needs shared memory, so not over NFS or SMB);
//   - busy_timeout: wait for the write lock instead of failing at once
//     (briefly: busyConn retries for longer);
//   - synchronous FULL: a committed ledger row survives a power cut;
//   - _txlock=immediate: a transaction takes the write lock when it begins,
//     so it never fails half way with SQLITE_BUSY on upgrading a read lock;
//   - _texttotime: timestamps computed in a query (strftime) scan into a
//     time.Time as the TIMESTAMP columns do.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", innerBusy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	q.Set("_texttotime", "1")
	// A file: URI, so that a path with '?' or '#' stays a path.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + esc.Replace(path) + "?" + q.Encode()
}

// OpenSQLite opens a pool on the SQLite file at path (which the caller has
// checked is not empty). It does not open the file; Ping or the first
// statement does. Statements that meet SQLITE_BUSY are retried (busyConn).
func OpenSQLite(path string) *sql.DB {
	return sql.OpenDB(sqliteConnector{dsn: sqliteDSN(path)})
}

// sqliteConnector opens connections to one file. Opening runs the pragmas,
// and switching a new file to WAL mode needs a moment of exclusive access:
// several processes opening a new file at once can meet SQLITE_BUSY there
// without the busy timeout applying, so opening is retried for as long.
type sqliteConnector struct{ dsn string }

var sqliteDriver = &sqlite.Driver{}

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var conn driver.Conn
	err := RetryFor(ctx, BusyTimeout, func() (err error) {
		conn, err = sqliteDriver.Open(c.dsn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return newBusyConn(conn)
}

// busyConn waits for the write lock in Go rather than in SQLite's busy
// handler. SQLite's handler sleeps longer and longer (up to 100 ms between
// tries), so a statement that has waited a while loses the lock to every
// newcomer: while one member records a large listing batch after batch, the
// other members' heartbeats starved for more than a second and they fenced
// themselves. Here SQLite waits at most innerBusy (tries after 1 and
// 2 ms), and the statement is tried again a millisecond or two later, for up
// to BusyTimeout or the context's end: a waiting statement tries every
// 2 ms or so and gets the lock in the first gap (the ledger leaves gaps of
// 3 ms between the batches of a long write).
//
// Statements run through ExecContext, QueryContext and BeginTx (every
// statement database/sql sends without an explicit Prepare) are retried; a
// statement that failed with SQLITE_BUSY changed nothing.
type busyConn struct {
	driver.Conn
	exec  driver.ExecerContext
	query driver.QueryerContext
	begin driver.ConnBeginTx
	prep  driver.ConnPrepareContext
}

// innerBusy is the busy timeout SQLite itself applies per try.
const innerBusy = 5 * time.Millisecond

func newBusyConn(c driver.Conn) (driver.Conn, error) {
	b := &busyConn{Conn: c}
	var ok1, ok2, ok3, ok4 bool
	b.exec, ok1 = c.(driver.ExecerContext)
	b.query, ok2 = c.(driver.QueryerContext)
	b.begin, ok3 = c.(driver.ConnBeginTx)
	b.prep, ok4 = c.(driver.ConnPrepareContext)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		c.Close()
		return nil, errors.New("sqldb: the SQLite driver lacks a context method")
	}
	return b, nil
}

func retryBusy[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var v T
	err := RetryFor(ctx, BusyTimeout, func() (err error) {
		v, err = f()
		return err
	})
	return v, err
}

func (b *busyConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return retryBusy(ctx, func() (driver.Result, error) { return b.exec.ExecContext(ctx, q, args) })
}

func (b *busyConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return retryBusy(ctx, func() (driver.Rows, error) { return b.query.QueryContext(ctx, q, args) })
}

func (b *busyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return retryBusy(ctx, func() (driver.Tx, error) { return b.begin.BeginTx(ctx, opts) })
}

func (b *busyConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return b.prep.PrepareContext(ctx, q)
}

func (b *busyConn) Ping(ctx context.Context) error {
	if p, ok := b.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (b *busyConn) ResetSession(ctx context.Context) error {
	if r, ok := b.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (b *busyConn) IsValid() bool {
	if v, ok := b.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c sqliteConnector) Driver() driver.Driver { return sqliteDriver }
