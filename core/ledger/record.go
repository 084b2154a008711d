package ledger

// Entering new file versions, alone or already claimed.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Record enters file versions not yet known, in batches, and returns how many
// were new. Known versions are left as they are, whatever their state.
func (l *Ledger) Record(ctx context.Context, files []File) (int, error) {
	k, err := l.record(ctx, files)
	l.stats.after(ctx, l, k)
	return k, err
}

func (l *Ledger) record(ctx context.Context, files []File) (int, error) {
	total := 0
	for len(files) > 0 {
		n := min(len(files), l.cfg.BatchSize)
		batch := files[:n]
		files = files[n:]
		var q string
		var args []any
		switch l.cfg.Dialect {
		case schema.Postgres:
			q = `INSERT INTO ftpcoord_file (group_id, version_key, path, size, mtime_ms)
				SELECT ?, u.k, u.p, u.s, u.m FROM ` + unnestFiles + ` ON CONFLICT (group_id, version_key) DO NOTHING`
			args = append([]any{l.cfg.GroupID}, l.columns(batch)...)
		default:
			args = make([]any, 0, 5*n)
			for _, f := range batch {
				args = append(args, l.cfg.GroupID, VersionKey(l.cfg.GroupID, l.cfg.Version, f), f.Path, f.Size, f.MTime)
			}
			q = "INSERT INTO ftpcoord_file (group_id, version_key, path, size, mtime_ms) VALUES " + sqldb.Placeholders(n, 5)
			if l.cfg.Dialect == schema.MySQL {
				q += " ON DUPLICATE KEY UPDATE version_key = version_key" // no-op: 0 rows affected
			} else {
				q += " ON CONFLICT (group_id, version_key) DO NOTHING"
			}
		}
		res, err := l.exec(ctx, l.q(q), args...)
		if err != nil {
			return total, fmt.Errorf("ledger: record: %w", err)
		}
		k, _ := res.RowsAffected()
		total += int(k)
		if len(files) > 0 {
			if err := l.yield(ctx); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// Oldest splits files into the n oldest (by mtime, then path, the claim's
// order) and the others, both in that order.
func Oldest(files []File, n int) (first, rest []File) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int {
		return cmp.Or(cmp.Compare(a.MTime, b.MTime), strings.Compare(a.Path, b.Path))
	})
	n = max(0, min(n, len(files)))
	return files[:n], files[n:]
}

// RecordClaimed is Record for the member that lists and will process what
// it finds at once: new versions are entered already claimed by this member
// under a lease, in the same row write, and returned as claims, oldest
// first. A file enters the ledger and is claimed with one row write instead
// of two, and with no claim statement to find it again. Versions already
// known are left as they are (and not claimed), as Record leaves them. In
// warm-backup mode a member whose term no longer holds the token claims
// nothing: the versions are entered PENDING, for the active member.
func (l *Ledger) RecordClaimed(ctx context.Context, files []File, lease time.Duration, term int64) ([]Claim, error) {
	if len(files) == 0 {
		return nil, nil
	}
	holds, err := l.holdsTerm(ctx, term)
	if err != nil || !holds {
		_, rerr := l.Record(ctx, files)
		return nil, errors.Join(err, rerr)
	}
	token := newToken()
	var claims []Claim
	for i := 0; i < len(files); i += l.cfg.BatchSize {
		c, err := l.insertClaimed(ctx, files[i:min(len(files), i+l.cfg.BatchSize)], lease, term, token)
		claims = append(claims, c...)
		if err != nil {
			return claims, fmt.Errorf("ledger: record: %w", err)
		}
	}
	sortClaims(claims)
	l.stats.after(ctx, l, len(claims))
	return claims, nil
}

// holdsTerm reports whether this member's term still holds the group's
// token (always, in shared mode).
func (l *Ledger) holdsTerm(ctx context.Context, term int64) (bool, error) {
	if l.cfg.Mode == Shared {
		return true, nil
	}
	ctx, cancel := l.bound(ctx)
	defer cancel()
	holds, err := taskcompat.HoldsTerm(ctx, l.cfg.DB, l.cfg.Dialect, l.group, l.cfg.MemberID, term)
	if err != nil {
		return false, fmt.Errorf("ledger: read the fencing term: %w", err)
	}
	return holds, nil
}

// insertClaimed enters one batch of new versions claimed under token and
// returns the claims of those that were new.
func (l *Ledger) insertClaimed(ctx context.Context, batch []File, lease time.Duration, term int64, token string) ([]Claim, error) {
	const columns = `INSERT INTO ftpcoord_file (group_id, version_key, path, size, mtime_ms, status, tries, owner_member, claim_token, term, lease_expires, last_try)`
	var q string
	var args []any
	var keys []string // MySQL reads its rows back by key
	if l.cfg.Dialect == schema.Postgres {
		q = columns + ` SELECT ?, u.k, u.p, u.s, u.m, 'IN_PROGRESS', 1, ?, ?, ?::bigint, ` + l.later() + `, ` + l.now() + ` FROM ` + unnestFiles
		args = append([]any{l.cfg.GroupID, l.cfg.MemberID, token, term, lease.Milliseconds()}, l.columns(batch)...)
	} else {
		row := "(?, ?, ?, ?, ?, 'IN_PROGRESS', 1, ?, ?, ?, " + l.later() + ", " + l.now() + ")"
		rows := make([]string, len(batch))
		args = make([]any, 0, 9*len(batch))
		keys = make([]string, len(batch))
		for i, f := range batch {
			rows[i] = row
			keys[i] = VersionKey(l.cfg.GroupID, l.cfg.Version, f)
			args = append(args, l.cfg.GroupID, keys[i], f.Path, f.Size, f.MTime, l.cfg.MemberID, token, term, lease.Milliseconds())
		}
		q = columns + ` VALUES ` + strings.Join(rows, ", ")
	}
	var claims []Claim
	scan := func(rows *sql.Rows) (err error) {
		claims, err = scanClaims(rows, token, term)
		return err
	}
	if l.cfg.Dialect != schema.MySQL {
		q += ` ON CONFLICT (group_id, version_key) DO NOTHING RETURNING version_key, path, size, mtime_ms, tries, ` + l.ageMS()
		err := l.retry(ctx, func() error {
			sctx, cancel := l.bound(ctx)
			defer cancel()
			rs, err := l.cfg.DB.QueryContext(sctx, l.q(q), args...)
			if err != nil {
				return err
			}
			claims = nil
			return scan(rs)
		})
		return claims, err
	}
	// MySQL has no INSERT ... RETURNING: the rows this token entered are
	// read back by key, in the same short transaction.
	q += ` ON DUPLICATE KEY UPDATE version_key = version_key`
	keySQL, keyArgs := l.keyIn(keys)
	err := l.retry(ctx, func() error {
		claims = nil
		sctx, cancel := l.bound(ctx)
		defer cancel()
		return l.inTx(sctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(sctx, q, args...); err != nil {
				return err
			}
			rs, err := tx.QueryContext(sctx, `SELECT version_key, path, size, mtime_ms, tries, `+l.ageMS()+` FROM ftpcoord_file WHERE group_id = ? AND `+
				keySQL+` AND claim_token = ?`, append(append([]any{l.cfg.GroupID}, keyArgs...), token)...)
			if err != nil {
				return err
			}
			return scan(rs)
		})
	})
	return claims, err
}

// yieldSQLite is the pause between two batches of one write on SQLite: the
// database has one write lock for everybody, and back-to-back batches would
// keep the other members' heartbeats from it.
const yieldSQLite = 3 * time.Millisecond

// yield pauses between the batches of a long write on SQLite, so that
// waiting writers of other connections and processes take the lock in
// between (they try every few milliseconds).
func (l *Ledger) yield(ctx context.Context) error {
	if l.cfg.Dialect != schema.SQLite {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(yieldSQLite):
		return nil
	}
}
