// Package testdb gives tests a throwaway database of their own on the real
// PostgreSQL and MariaDB servers that tests/services starts, or, for the
// SQLite dialect, a fresh database file in a temporary directory.
//
// The servers come from FTPCOORD_TEST_POSTGRES_URL and FTPCOORD_TEST_MYSQL_URL
// (postgres://user:password@host:port/db, mysql://user:password@host:port/db),
// defaulting to the throwaway instances of tests/services. A server that does
// not answer fails the test with a hint: tests never skip for a missing service.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Environment variables naming the test servers, and their defaults.
const (
	PostgresURLEnv     = "FTPCOORD_TEST_POSTGRES_URL"
	MySQLURLEnv        = "FTPCOORD_TEST_MYSQL_URL"
	DefaultPostgresURL = "postgres://ftpcoord:ftpcoord-test@127.0.0.1:55432/postgres"
	DefaultMySQLURL    = "mysql://ftpcoord:ftpcoord-test@127.0.0.1:33306/mysql"
)

// ServerConfig returns the admin connection settings of the test server of
// a dialect, from its environment variable or the default.
func ServerConfig(d schema.Dialect) (taskcompat.DatabaseConfig, error) {
	env, def := PostgresURLEnv, DefaultPostgresURL
	if d == schema.MySQL {
		env, def = MySQLURLEnv, DefaultMySQLURL
	}
	raw := os.Getenv(env)
	if raw == "" {
		raw = def
	}
	cfg, err := parseURL(raw, d)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", env, err)
	}
	return cfg, nil
}

func parseURL(raw string, d schema.Dialect) (taskcompat.DatabaseConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return taskcompat.DatabaseConfig{}, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return taskcompat.DatabaseConfig{}, fmt.Errorf("no port in %s", u.Redacted())
	}
	pw, _ := u.User.Password()
	db := strings.TrimPrefix(u.Path, "/")
	return taskcompat.DatabaseConfig{Type: string(d), Host: u.Hostname(), Port: port,
		User: u.User.Username(), Password: pw, Database: db}, nil
}

// Create makes an empty database with a random name on the test server of
// dialect d and returns its settings and a function that drops it.
func Create(ctx context.Context, d schema.Dialect) (taskcompat.DatabaseConfig, func() error, error) {
	if d == schema.SQLite {
		dir, err := os.MkdirTemp("", "ftpc_test_sqlite_")
		if err != nil {
			return taskcompat.DatabaseConfig{}, nil, err
		}
		cfg := taskcompat.DatabaseConfig{Type: string(d), Database: filepath.Join(dir, "ftpcoord.db")}
		return cfg, func() error { return os.RemoveAll(dir) }, nil
	}
	admin, err := ServerConfig(d)
	if err != nil {
		return admin, nil, err
	}
	db, err := taskcompat.OpenDB(admin, "UTC", 5*time.Second)
	if err != nil {
		return admin, nil, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		env := map[schema.Dialect]string{schema.Postgres: PostgresURLEnv, schema.MySQL: MySQLURLEnv}[d]
		return admin, nil, fmt.Errorf("the %s test server at %s does not answer (%v): run `make services` "+
			"(tests/services/start.sh), or point %s at your own server", d, admin.Address(), err, env)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "ftpc_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return admin, nil, fmt.Errorf("create test database: %w", err)
	}
	drop := func() error {
		db, err := taskcompat.OpenDB(admin, "UTC", 5*time.Second)
		if err != nil {
			return err
		}
		defer db.Close()
		q := "DROP DATABASE IF EXISTS " + name
		if d == schema.Postgres {
			q += " WITH (FORCE)"
		}
		_, err = db.Exec(q)
		return err
	}
	cfg := admin
	cfg.Database = name
	return cfg, drop, nil
}

// New creates an empty database on the test server of dialect d, dropped when
// the test ends, and returns its connection settings.
func New(t testing.TB, d schema.Dialect) taskcompat.DatabaseConfig {
	t.Helper()
	if d == schema.SQLite {
		return taskcompat.DatabaseConfig{Type: string(d), Database: filepath.Join(t.TempDir(), "ftpcoord.db")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, drop, err := Create(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Logf("drop test database %s: %v", cfg.Database, err)
		}
	})
	return cfg
}

// NewWithSchema is New plus schema.Apply.
func NewWithSchema(t testing.TB, d schema.Dialect) taskcompat.DatabaseConfig {
	t.Helper()
	cfg := New(t, d)
	db := Open(t, cfg, "UTC")
	if err := schema.Apply(context.Background(), db, d); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Open opens cfg for the test's own statements; closed when the test ends.
func Open(t testing.TB, cfg taskcompat.DatabaseConfig, zone string) *sql.DB {
	t.Helper()
	db, err := taskcompat.OpenDB(cfg, zone, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// EachDialect runs f as a parallel subtest per dialect, SQLite included.
func EachDialect(t *testing.T, f func(t *testing.T, d schema.Dialect)) {
	eachOf(t, schema.Dialects, f)
}

// EachServerDialect runs f as a parallel subtest per dialect of a database
// server (PostgreSQL, MySQL), for tests of what only a server has: a
// network, credentials, Ballerina nodes.
func EachServerDialect(t *testing.T, f func(t *testing.T, d schema.Dialect)) {
	eachOf(t, schema.ServerDialects, f)
}

func eachOf(t *testing.T, dialects []schema.Dialect, f func(t *testing.T, d schema.Dialect)) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

// Q rewrites ? placeholders to $n for PostgreSQL, so tests write one query.
func Q(d schema.Dialect, q string) string { return sqldb.Rebind(d, q) }

// CountStatements prepares ServerStatements on the database db is open on.
func CountStatements(db *sql.DB, d schema.Dialect) error {
	if d != schema.Postgres {
		return nil
	}
	if _, err := db.Exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return fmt.Errorf("pg_stat_statements (loaded by tests/services/postgres.sh): %w", err)
	}
	return nil
}

// ServerStatements reads the server's own count of the statements clients
// ran: pg_stat_statements calls in db's database on PostgreSQL, Questions on
// MariaDB/MySQL (server-wide: run nothing else meanwhile). Each read counts
// itself in the next one.
func ServerStatements(db *sql.DB, d schema.Dialect) (int64, error) {
	var n int64
	if d == schema.Postgres {
		err := db.QueryRow(`SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
		return n, err
	}
	var k string
	err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&k, &n)
	return n, err
}

// Bench is a fresh database with the schema applied, for benchmarks: its
// settings, an open pool, and a function that closes the pool and drops it.
func Bench(ctx context.Context, d schema.Dialect) (taskcompat.DatabaseConfig, *sql.DB, func(), error) {
	cfg, drop, err := Create(ctx, d)
	if err != nil {
		return cfg, nil, nil, err
	}
	db, err := taskcompat.OpenDB(cfg, "UTC", 5*time.Second)
	if err == nil {
		err = schema.Apply(ctx, db, d)
	}
	if err == nil {
		err = CountStatements(db, d)
	}
	done := func() {
		if db != nil {
			db.Close()
		}
		drop()
	}
	if err != nil {
		done()
		return cfg, nil, nil, err
	}
	return cfg, db, done, nil
}
