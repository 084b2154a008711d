package taskcompat

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
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ftpcoord/ftpcoord/internal/sqlitedb"
)

// SQLiteBusyTimeout is how long a statement waits for another connection or
// process to release the database's write lock before it fails with
// SQLITE_BUSY (the statement's context may end the wait sooner). Every write
// of ftpcoord is a single short statement or transaction, so the lock is held
// for milliseconds at a time.
const SQLiteBusyTimeout = 5 * time.Second

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
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteInnerBusy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	q.Set("_texttotime", "1")
	// A file: URI, so that a path with '?' or '#' stays a path.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + esc.Replace(path) + "?" + q.Encode()
}

func openSQLite(path string) (*sql.DB, error) {
	if strings.TrimSpace(path) == "" {
		return nil, &FieldError{Field: "databaseConfig.database", Problem: "is required: the path of the SQLite file"}
	}
	return sql.OpenDB(sqliteConnector{dsn: sqliteDSN(path)}), nil
}

// sqliteConnector opens connections to one file. Opening runs the pragmas,
// and switching a new file to WAL mode needs a moment of exclusive access:
// several processes opening a new file at once can meet SQLITE_BUSY there
// without the busy timeout applying, so opening is retried for as long.
type sqliteConnector struct{ dsn string }

var sqliteDriver = &sqlite.Driver{}

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var conn driver.Conn
	err := sqlitedb.RetryFor(ctx, SQLiteBusyTimeout, func() (err error) {
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
// themselves. Here SQLite waits at most sqliteInnerBusy (tries after 1 and
// 2 ms), and the statement is tried again a millisecond or two later, for up
// to SQLiteBusyTimeout or the context's end: a waiting statement tries every
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

// sqliteInnerBusy is the busy timeout SQLite itself applies per try.
const sqliteInnerBusy = 5 * time.Millisecond

func newBusyConn(c driver.Conn) (driver.Conn, error) {
	b := &busyConn{Conn: c}
	var ok1, ok2, ok3, ok4 bool
	b.exec, ok1 = c.(driver.ExecerContext)
	b.query, ok2 = c.(driver.QueryerContext)
	b.begin, ok3 = c.(driver.ConnBeginTx)
	b.prep, ok4 = c.(driver.ConnPrepareContext)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		c.Close()
		return nil, errors.New("taskcompat: the SQLite driver lacks a context method")
	}
	return b, nil
}

func retryBusy[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var v T
	err := sqlitedb.RetryFor(ctx, SQLiteBusyTimeout, func() (err error) {
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

// describeSQLiteError turns a failure to open an SQLite file into an error
// that names the file and the field.
func describeSQLiteError(db DatabaseConfig, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("%w: cannot open the SQLite file %q (databaseConfig.database): check that its directory exists and is writable: %v", ErrDatabase, db.Database, err)
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("%w: %q is not an SQLite database (databaseConfig.database): point it at a new or an SQLite file: %v", ErrDatabase, db.Database, err)
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return fmt.Errorf("%w: the SQLite file %q (databaseConfig.database) is not writable by this process, nor perhaps its directory (WAL mode needs both): %v", ErrDatabase, db.Database, err)
		}
	}
	return fmt.Errorf("%w: %s: %v", ErrDatabase, db, err)
}

// IsBusy reports whether err is SQLite's "database is locked" (SQLITE_BUSY):
// another connection held the write lock for longer than the busy timeout.
// The statement changed nothing and may be retried.
func IsBusy(err error) bool { return sqlitedb.IsBusy(err) }
