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
//   - busy_timeout: wait for the write lock instead of failing at once;
//   - synchronous FULL: a committed ledger row survives a power cut;
//   - _txlock=immediate: a transaction takes the write lock when it begins,
//     so it never fails half way with SQLITE_BUSY on upgrading a read lock;
//   - _texttotime: timestamps computed in a query (strftime) scan into a
//     time.Time as the TIMESTAMP columns do.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", SQLiteBusyTimeout.Milliseconds()))
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
	return conn, err
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
