package taskcompat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// OpenDB opens a connection pool to the coordination database with the session
// time zone of cfg. It does not connect; Ping or the first statement does.
// Open with defaults applied, so the same function serves the ledger and the
// command.
func OpenDB(db DatabaseConfig, sessionTimeZone string, connectTimeout time.Duration) (*sql.DB, error) {
	db = db.withDefaults()
	if sessionTimeZone == "" {
		sessionTimeZone = DefaultSessionTimeZone
	}
	d, err := db.Dialect()
	if err != nil {
		return nil, &FieldError{Field: "databaseConfig.type", Problem: err.Error()}
	}
	if _, err := sqldb.SessionLocation(sessionTimeZone); err != nil {
		return nil, &FieldError{Field: "sessionTimeZone", Problem: err.Error()}
	}
	if d == schema.SQLite {
		if strings.TrimSpace(db.Database) == "" {
			return nil, &FieldError{Field: "databaseConfig.database", Problem: "is required: the path of the SQLite file"}
		}
		return sqldb.OpenSQLite(db.Database), nil
	}
	mode, rootcert, err := db.ssl()
	if err != nil {
		return nil, &FieldError{Field: "databaseConfig.options.ssl", Problem: err.Error()}
	}
	s := sqldb.Server{Dialect: d, Host: db.Host, Port: db.Port, User: db.User, Password: db.Password, Database: db.Database,
		Zone: sessionTimeZone, TLS: mode, RootCert: rootcert, ConnectTimeout: connectTimeout}
	if d == schema.MySQL {
		s.Dial = mysqlDial // says at once when the server speaks PostgreSQL
	}
	pool, err := sqldb.OpenServer(s)
	var rootErr *sqldb.RootCertError
	switch {
	case errors.As(err, &rootErr):
		return nil, &FieldError{Field: "databaseConfig.options.ssl.rootcert", Problem: err.Error()}
	case err != nil && d == schema.Postgres:
		return nil, &FieldError{Field: "databaseConfig.options.ssl", Problem: err.Error()}
	}
	return pool, err
}

// describeConnectError turns a connection failure into an error a person can
// act on. The password never appears: drivers do not echo it and neither do we.
func describeConnectError(db DatabaseConfig, err error) error {
	if db.isSQLite() {
		return describeSQLiteError(db, err)
	}
	db = db.withDefaults()
	if wp := wrongProtocol(context.Background(), db, err); wp != nil {
		return fmt.Errorf("%w: %w", ErrDatabase, wp)
	}
	var pgErr *pgconn.PgError
	var myErr *mysql.MySQLError
	switch {
	case errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000"):
		return fmt.Errorf("%w: database %s refused user %q: check databaseConfig.user and databaseConfig.password: %v", ErrDatabase, db, db.User, pgErr.Message)
	case errors.As(err, &myErr) && myErr.Number == 1045:
		return fmt.Errorf("%w: database %s refused user %q: check databaseConfig.user and databaseConfig.password: %s", ErrDatabase, db, db.User, myErr.Message)
	case errors.As(err, &pgErr) && pgErr.Code == "3D000", errors.As(err, &myErr) && myErr.Number == 1049:
		return fmt.Errorf("%w: database %q does not exist on %s: check databaseConfig.database or create it", ErrDatabase, db.Database, db.Address())
	}
	if msg := tlsProblem(db, err); msg != "" {
		return fmt.Errorf("%w: database %s: %s: %v", ErrDatabase, db.Address(), msg, err)
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: cannot reach database at %s (databaseConfig.host, databaseConfig.port): %v", ErrDatabase, db.Address(), err)
	}
	return fmt.Errorf("%w: %s: %v", ErrDatabase, db, err)
}

// ErrDatabase marks errors of the coordination database (unreachable, refused
// credentials, missing database).
var ErrDatabase = errors.New("coordination database")

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
