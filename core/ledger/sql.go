package ledger

// The SQL every operation shares: placeholders, the database clock, the
// fence, one write, retries, transactions, key lists and claim rows.

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

func (l *Ledger) q(s string) string { return sqldb.Rebind(l.cfg.Dialect, s) }

// bound is ctx limited to the statement timeout.
func (l *Ledger) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, l.cfg.StatementTimeout)
}

// now and later are the database clock in SQL, now plus a number of
// milliseconds given as a parameter.
// SQLite stores UTC text with milliseconds (schema/sqlite.sql), whose text
// order is time order.
func (l *Ledger) now() string {
	switch l.cfg.Dialect {
	case schema.MySQL:
		return "CURRENT_TIMESTAMP(3)"
	case schema.SQLite:
		return "strftime('%Y-%m-%d %H:%M:%f', 'now')"
	}
	return "CURRENT_TIMESTAMP"
}

func (l *Ledger) later() string {
	switch l.cfg.Dialect {
	case schema.MySQL:
		return "TIMESTAMPADD(MICROSECOND, ? * 1000, CURRENT_TIMESTAMP(3))"
	case schema.SQLite:
		return "strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', ? / 1000.0))"
	}
	return "(CURRENT_TIMESTAMP + ? * INTERVAL '1 millisecond')"
}

// fence is the condition that this member's term still holds the token, in
// warm-backup mode, with its arguments; nothing in shared mode.
func (l *Ledger) fence(term int64) (string, []any) {
	if l.cfg.Mode == Shared {
		return "", nil
	}
	return taskcompat.FenceSQL(l.group, l.cfg.MemberID, term)
}

// one runs a write that must change exactly one row.
func (l *Ledger) one(ctx context.Context, op, q string, args ...any) error {
	res, err := l.exec(ctx, l.q(q), args...)
	if err != nil {
		return fmt.Errorf("ledger: %s: %w", op, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLost
	}
	return nil
}

// exec runs a write; on SQLite, again when it could not take the write lock
// within the busy timeout (it changed nothing then).
func (l *Ledger) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := l.retry(ctx, func() (err error) {
		sctx, cancel := l.bound(ctx) // each try: a hung connection must not hold the member
		defer cancel()
		res, err = l.cfg.DB.ExecContext(sctx, q, args...)
		return err
	})
	return res, err
}

// retry runs f again when it failed without changing anything and may
// succeed if repeated: on SQLite, a write that found the database locked; on
// the servers, a statement or transaction chosen as a deadlock victim (rolled
// back whole), which concurrent claims, renewals and commits of one group
// can meet by locking rows in different orders.
func (l *Ledger) retry(ctx context.Context, f func() error) error {
	switch l.cfg.Dialect {
	case schema.SQLite:
		return sqldb.Retry(ctx, f)
	}
	return retryDeadlock(ctx, f)
}

// query is exec for a write that returns rows (UPDATE ... RETURNING).
func (l *Ledger) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	var rows *sql.Rows
	err := sqldb.Retry(ctx, func() (err error) {
		rows, err = l.cfg.DB.QueryContext(ctx, q, args...)
		return err
	})
	return rows, err
}

// inTx runs f in a transaction (MySQL's: SQLite and PostgreSQL do without).
// Read committed: a locking read keeps locks on the rows it returns only,
// not on those it passed over, and takes no gap locks that would hold up
// other members entering new files meanwhile.
func (l *Ledger) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := l.cfg.DB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// batch is the claims of one claim token.
type batch struct {
	term int64
	keys []string
}

// unnestFiles is, on PostgreSQL, a batch of files as rows (k, p, s, m) of
// four array parameters (see columns): one statement text whatever the
// batch's size, with four parameters to encode and parse instead of five
// or nine per file.
const unnestFiles = `unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[]) AS u(k, p, s, m)`

// columns is the arguments of unnestFiles for files.
func (l *Ledger) columns(files []File) []any {
	keys, paths := make([]string, len(files)), make([]string, len(files))
	sizes, mtimes := make([]int64, len(files)), make([]int64, len(files))
	for i, f := range files {
		keys[i], paths[i], sizes[i], mtimes[i] = VersionKey(l.cfg.GroupID, l.cfg.Version, f), f.Path, f.Size, f.MTime
	}
	return []any{keys, paths, sizes, mtimes}
}

// keyIn is the test that a row's version_key is one of keys, with its
// arguments: on PostgreSQL one array parameter, so that a batch of any size
// is the same statement text, prepared once per connection and planned
// generically; elsewhere a list of placeholders.
func (l *Ledger) keyIn(keys []string) (string, []any) {
	if l.cfg.Dialect == schema.Postgres {
		return "version_key = ANY(?)", []any{keys}
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return "version_key IN (" + sqldb.Placeholders(len(keys), 0) + ")", args
}

// statusIs is the test that a row is in state s, for statements that find
// their rows by key. On PostgreSQL it is written so that the planner cannot
// answer it from the claim index (status, group_id, mtime_ms): that would
// visit every entry of the state, live or dead, as many as the files in
// flight and their old versions, for each batch, where the primary key
// finds the batch's own rows directly (it made commits 85 us per file).
func (l *Ledger) statusIs(s Status) string {
	if l.cfg.Dialect == schema.Postgres {
		return "status || '' = '" + string(s) + "'"
	}
	return "status = '" + string(s) + "'"
}

func byToken(claims []Claim) map[string]*batch {
	out := map[string]*batch{}
	for _, c := range claims {
		b := out[c.Token]
		if b == nil {
			b = &batch{term: c.Term}
			out[c.Token] = b
		}
		b.keys = append(b.keys, c.Key)
	}
	return out
}

// scanClaims reads the claims made under token and term from rows of
// (version_key, path, size, mtime_ms, tries, age in ms: Ledger.ageMS), and
// closes rows.
func scanClaims(rows *sql.Rows, token string, term int64) ([]Claim, error) {
	defer rows.Close()
	var claims []Claim
	for rows.Next() {
		c := Claim{Token: token, Term: term}
		var age int64
		if err := rows.Scan(&c.Key, &c.File.Path, &c.File.Size, &c.File.MTime, &c.Tries, &age); err != nil {
			return claims, err // those read so far are claims all the same
		}
		c.Listed = listedAt(age)
		claims = append(claims, c)
	}
	return claims, rows.Err()
}

// sortClaims orders claims oldest first, then by path, as they were picked.
func sortClaims(c []Claim) {
	slices.SortFunc(c, func(a, b Claim) int {
		if a.File.MTime != b.File.MTime {
			return cmp.Compare(a.File.MTime, b.File.MTime)
		}
		return strings.Compare(a.File.Path, b.File.Path)
	})
}
