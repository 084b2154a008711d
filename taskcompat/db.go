package taskcompat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
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
	loc, err := location(sessionTimeZone)
	if err != nil {
		return nil, &FieldError{Field: "sessionTimeZone", Problem: err.Error()}
	}
	switch d {
	case schema.SQLite:
		if strings.TrimSpace(db.Database) == "" {
			return nil, &FieldError{Field: "databaseConfig.database", Problem: "is required: the path of the SQLite file"}
		}
		return sqldb.OpenSQLite(db.Database), nil
	case schema.Postgres:
		// ParseConfig("") would read PG* environment variables; start from
		// an explicit keyword string so the configuration alone decides.
		// Host, port and TLS go in it together: pgx makes its TLS and
		// fallback configurations for the host it parsed.
		mode, rootcert, err := db.ssl()
		if err != nil {
			return nil, &FieldError{Field: "databaseConfig.options.ssl", Problem: err.Error()}
		}
		pc, err := pgx.ParseConfig(pgConnString(db.Host, db.Port, mode, rootcert))
		if err != nil {
			return nil, &FieldError{Field: "databaseConfig.options.ssl", Problem: err.Error()}
		}
		pc.User = db.User
		pc.Password = db.Password
		pc.Database = db.Database
		pc.ConnectTimeout = connectTimeout
		pc.RuntimeParams = map[string]string{"TimeZone": postgresZone(sessionTimeZone), "application_name": "ftpcoord"}
		return stdlib.OpenDB(*pc), nil
	default:
		mc := mysql.NewConfig()
		mc.Net = "tcp"
		mc.Addr = net.JoinHostPort(db.Host, strconv.Itoa(db.Port))
		mc.User = db.User
		mc.Passwd = db.Password
		mc.DBName = db.Database
		mc.Timeout = connectTimeout
		mc.ParseTime = true
		mc.Loc = loc
		// One round trip per statement instead of prepare+execute+close.
		mc.InterpolateParams = true
		zone := sessionTimeZone
		if zone == "UTC" {
			zone = "+00:00" // named zones need the server's time zone tables
		}
		mc.Params = map[string]string{"time_zone": "'" + zone + "'"}
		mc.Logger = driverLogger{}
		mode, rootcert, err := db.ssl()
		if err != nil {
			return nil, &FieldError{Field: "databaseConfig.options.ssl", Problem: err.Error()}
		}
		if mc.TLS, mc.AllowFallbackToPlaintext, err = mysqlTLS(db.Host, mode, rootcert); err != nil {
			return nil, &FieldError{Field: "databaseConfig.options.ssl.rootcert", Problem: err.Error()}
		}
		mc.DialFunc = mysqlDial // says at once when the server speaks PostgreSQL
		conn, err := mysql.NewConnector(mc)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(conn), nil
	}
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

// driverLogger sends the MySQL driver's own messages (such as "unexpected
// EOF" after a network cut, which we also report as errors) to slog at debug
// level instead of stderr.
type driverLogger struct{}

func (driverLogger) Print(v ...any) {
	slog.Debug("mysql driver: "+strings.TrimSpace(fmt.Sprint(v...)), "component", "taskcompat")
}

// postgresZone writes a zone for PostgreSQL's TimeZone setting. PostgreSQL
// reads a bare offset such as +05:30 the POSIX way, positive meaning WEST of
// Greenwich; spell ISO offsets as a POSIX zone with the sign turned round.
func postgresZone(zone string) string {
	if !isOffset(zone) {
		return zone
	}
	flipped := map[byte]string{'+': "-", '-': "+"}[zone[0]] + zone[1:]
	return "<" + zone[:3] + zone[4:] + ">" + flipped
}

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
