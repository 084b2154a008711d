// Package schema holds the DDL of every table ftpcoord uses, per SQL dialect,
// and applies and verifies it.
//
// The coordination tables (token_holder, health_check) are ballerina/task's own:
// same names, types and keys (see COMPAT.md section 2), so that ftpcoord members
// and Ballerina listeners can share one coordination group (on SQLite, ftpcoord
// members of one host only: Ballerina has no SQLite). Apply never alters
// an existing table; Verify checks that what is there is usable and says how to
// fix it when it is not.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
)

// Dialect is an SQL dialect ftpcoord speaks; the dialects live with the
// database layer (internal/sqldb) and are named here for users of the
// public API (ledger.Config.Dialect, schema.Apply).
type Dialect = sqldb.Dialect

// The dialects, named as the "type" field of a database configuration.
const (
	Postgres = sqldb.Postgres
	MySQL    = sqldb.MySQL // MySQL 8 and MariaDB 10.6+
	// SQLite is a database file on one host, shared by the processes of
	// that host (WAL mode); it needs no server. Ballerina has no SQLite
	// support, so an SQLite group has ftpcoord members only.
	SQLite = sqldb.SQLite
)

// Dialects lists every supported dialect.
var Dialects = sqldb.Dialects

// ServerDialects lists the dialects of database servers, the ones that
// Ballerina nodes can share.
var ServerDialects = sqldb.ServerDialects

// ParseDialect maps a configuration value to a Dialect.
func ParseDialect(s string) (Dialect, error) { return sqldb.ParseDialect(s) }

// fileNames are the embedded DDL scripts.
var fileNames = map[Dialect]string{Postgres: "postgres.sql", MySQL: "mysql.sql", SQLite: "sqlite.sql"}

// FileName is the name of d's DDL script in schema/, e.g. postgres.sql.
func FileName(d Dialect) string { return fileNames[d] }

//go:embed *.sql
var files embed.FS

// DDL returns the DDL script of a dialect: every CREATE statement, each
// idempotent (CREATE TABLE IF NOT EXISTS).
func DDL(d Dialect) (string, error) {
	name := fileNames[d]
	if name == "" {
		return "", fmt.Errorf("schema: unknown dialect %q", d)
	}
	b, err := files.ReadFile(name)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Statements splits the DDL of a dialect into single statements (drivers
// differ in whether they accept several statements in one call).
func Statements(d Dialect) ([]string, error) {
	ddl, err := DDL(d)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, part := range strings.Split(ddl, ";") {
		var lines []string
		for _, line := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, line)
			}
		}
		if len(lines) > 0 {
			out = append(out, strings.Join(lines, "\n"))
		}
	}
	return out, nil
}

// Apply creates every missing table of dialect d in db (the coordination
// tables and the ledger's) and then verifies the result. It is idempotent and leaves existing tables as they are, including
// Ballerina users' tables with group_id VARCHAR(36).
func Apply(ctx context.Context, db *sql.DB, d Dialect) error {
	stmts, err := Statements(d)
	if err != nil {
		return err
	}
	if d == SQLite {
		err = sqldb.RetryFor(ctx, sqldb.BusyTimeout, func() error { return applySQLite(ctx, db, stmts) })
	} else {
		for _, s := range stmts {
			if _, err = db.ExecContext(ctx, s); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("schema: apply %s DDL: %w", d, err)
	}
	if err := Verify(ctx, db, d); err != nil {
		return err
	}
	return VerifyLedger(ctx, db, d)
}

// applySQLite runs the DDL in one transaction that takes the write lock
// before it reads anything: several processes applying it to a new file at
// once then wait for each other (busy timeout) instead of one failing with
// SQLITE_BUSY on upgrading a read lock.
func applySQLite(ctx context.Context, db *sql.DB, stmts []string) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// Errors Verify wraps in a *Error, for errors.Is.
var (
	ErrMissingTable  = errors.New("table is missing")
	ErrMissingColumn = errors.New("column is missing")
	ErrWrongKey      = errors.New("table lacks the required unique key")
)

// Error describes one unusable table and how to fix it.
type Error struct {
	Table   string
	Dialect Dialect
	Err     error  // ErrMissingTable, ErrMissingColumn or ErrWrongKey
	Detail  string // what was found
	Fix     string // what to do about it
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("schema: %s: %v", e.Table, e.Err)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg + ": " + e.Fix
}

func (e *Error) Unwrap() error { return e.Err }

// table is what Verify requires of one table.
type table struct {
	name    string
	columns []string
	key     []string // a primary or unique key on exactly these columns
}

var coordinationTables = []table{
	{name: "token_holder", columns: []string{"task_id", "group_id", "term"}, key: []string{"group_id"}},
	{name: "health_check", columns: []string{"task_id", "group_id", "last_heartbeat"}, key: []string{"task_id", "group_id"}},
}

var ledgerTables = []table{
	{name: "ftpcoord_file", columns: []string{"group_id", "version_key", "path", "size", "mtime_ms", "status", "tries",
		"owner_member", "claim_token", "term", "lease_expires", "last_try", "retry_after", "first_seen", "done_at", "last_error"},
		key: []string{"group_id", "version_key"}},
}

// Verify checks that the coordination tables of dialect d exist in db with
// the columns and unique keys ftpcoord and Ballerina rely on. It returns a
// *Error for the first problem found.
func Verify(ctx context.Context, db *sql.DB, d Dialect) error {
	return verifyTables(ctx, db, d, coordinationTables)
}

// VerifyLedger checks the ledger's table as Verify checks the coordination
// tables.
func VerifyLedger(ctx context.Context, db *sql.DB, d Dialect) error {
	if err := verifyTables(ctx, db, d, ledgerTables); err != nil {
		return err
	}
	return verifyCharset(ctx, db, d)
}

func verifyTables(ctx context.Context, db *sql.DB, d Dialect, tables []table) error {
	if !d.Valid() {
		return fmt.Errorf("schema: unknown dialect %q", d)
	}
	for _, t := range tables {
		if err := verifyTable(ctx, db, d, t); err != nil {
			return err
		}
	}
	return nil
}

func verifyTable(ctx context.Context, db *sql.DB, d Dialect, t table) error {
	applyFix := fmt.Sprintf("create it with schema.Apply or the %s DDL of schema.DDL (schema/%s)", d, FileName(d))
	exists, err := tableExists(ctx, db, d, t.name)
	if err != nil {
		return fmt.Errorf("schema: look up table %s: %w", t.name, err)
	}
	if !exists {
		return &Error{Table: t.name, Dialect: d, Err: ErrMissingTable, Fix: applyFix}
	}
	have, err := columns(ctx, db, d, t.name)
	if err != nil {
		return fmt.Errorf("schema: look up columns of %s: %w", t.name, err)
	}
	for _, c := range t.columns {
		if !slices.Contains(have, c) {
			return &Error{Table: t.name, Dialect: d, Err: ErrMissingColumn,
				Detail: fmt.Sprintf("no column %s; found %s", c, strings.Join(have, ", ")),
				Fix:    "the table must have the columns of ballerina/task (" + strings.Join(t.columns, ", ") + "); drop it and run schema.Apply, or alter it to match"}
		}
	}
	keys, err := uniqueKeys(ctx, db, d, t.name)
	if err != nil {
		return fmt.Errorf("schema: look up keys of %s: %w", t.name, err)
	}
	want := strings.Join(sorted(t.key), ",")
	for _, k := range keys {
		if k == want {
			return nil
		}
	}
	found := "none"
	if len(keys) > 0 {
		found = "(" + strings.Join(keys, "), (") + ")"
	}
	return &Error{Table: t.name, Dialect: d, Err: ErrWrongKey,
		Detail: "unique keys found: " + found,
		Fix: fmt.Sprintf("the upserts of ballerina/task need PRIMARY KEY (%s) on %s; add it, e.g. ALTER TABLE %s ADD PRIMARY KEY (%s)",
			strings.Join(t.key, ", "), t.name, t.name, strings.Join(t.key, ", "))}
}

// MySQLClaimIndex is the MySQL ledger table's claim index, which tables
// made before it lack; MySQLClaimIndexUpgrade adds it (with the column it
// needs) and drops the index it replaces. Apply never alters a table: the
// ledger works without it, more slowly, and says so.
const (
	MySQLClaimIndex        = "ftpcoord_file_claim_order"
	MySQLClaimIndexUpgrade = "ALTER TABLE ftpcoord_file ADD COLUMN path_prefix VARCHAR(200) AS (LEFT(path, 200)) STORED, " +
		"ADD INDEX ftpcoord_file_claim_order (group_id, status, mtime_ms, path_prefix), DROP INDEX ftpcoord_file_claim"
)

// HasIndex reports whether table has an index of that name (MySQL only).
func HasIndex(ctx context.Context, db *sql.DB, d Dialect, table, index string) (bool, error) {
	if d != MySQL {
		return false, fmt.Errorf("schema: HasIndex: %s is not supported", d)
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?`,
		table, index).Scan(&n)
	return n > 0, err
}

func tableExists(ctx context.Context, db *sql.DB, d Dialect, name string) (bool, error) {
	var n int
	var err error
	switch d {
	case Postgres:
		// to_regclass resolves the name through search_path, as an unqualified
		// table name in a query does.
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)`, name).Scan(&n)
	case MySQL:
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, name).Scan(&n)
	case SQLite:
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n)
	}
	return n > 0, err
}

func columns(ctx context.Context, db *sql.DB, d Dialect, name string) ([]string, error) {
	var q string
	switch d {
	case Postgres:
		q = `SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`
	case MySQL:
		q = `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`
	case SQLite:
		q = `SELECT name FROM pragma_table_info(?) ORDER BY cid`
	}
	return queryStrings(ctx, db, q, name)
}

// uniqueKeys returns every unique index of a table (primary keys included,
// partial indexes excluded) as its sorted, comma-joined column names.
func uniqueKeys(ctx context.Context, db *sql.DB, d Dialect, name string) ([]string, error) {
	var q string
	switch d {
	case Postgres:
		q = `SELECT string_agg(a.attname, ',' ORDER BY a.attname)
		     FROM pg_index i
		     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		     WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL
		     GROUP BY i.indexrelid`
	case MySQL:
		q = `SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME SEPARATOR ',')
		     FROM information_schema.STATISTICS
		     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0
		     GROUP BY INDEX_NAME`
	case SQLite:
		// A PRIMARY KEY is an automatic unique index (origin 'pk').
		q = `SELECT group_concat(c.name, ',' ORDER BY c.name)
		     FROM pragma_index_list(?) i JOIN pragma_index_info(i.name) c
		     WHERE i."unique" = 1 AND i.partial = 0
		     GROUP BY i.name`
	}
	return queryStrings(ctx, db, q, name)
}

func queryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}
