package ledger

// Forgetting the finished rows of files gone from the server.

import (
	"context"
	"fmt"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
)

// Purge deletes the DONE and REJECTED rows of paths that are gone from the
// server, once their last change is older than retention, and returns how
// many it deleted.
func (l *Ledger) Purge(ctx context.Context, gone []string, retention time.Duration) (int, error) {
	total := 0
	for len(gone) > 0 {
		n := min(len(gone), l.cfg.BatchSize)
		args := []any{l.cfg.GroupID, -retention.Milliseconds()}
		for _, p := range gone[:n] {
			args = append(args, p)
		}
		gone = gone[n:]
		q := `DELETE FROM ftpcoord_file WHERE group_id = ? AND status IN ('DONE', 'REJECTED')
			AND COALESCE(done_at, last_try, first_seen) < ` + l.later() + ` AND path IN (` + sqldb.Placeholders(n, 0) + `)`
		res, err := l.exec(ctx, l.q(q), args...)
		if err != nil {
			return total, fmt.Errorf("ledger: purge: %w", err)
		}
		k, _ := res.RowsAffected()
		total += int(k)
		if len(gone) > 0 {
			if err := l.yield(ctx); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// Finished returns up to limit paths with DONE or REJECTED rows whose last
// change is older than retention: candidates for Purge once the caller has
// checked they are gone from the server.
func (l *Ledger) Finished(ctx context.Context, retention time.Duration, limit int) ([]string, error) {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	rows, err := l.cfg.DB.QueryContext(ctx, l.q(`SELECT DISTINCT path FROM ftpcoord_file WHERE group_id = ? AND status IN ('DONE', 'REJECTED')
		AND COALESCE(done_at, last_try, first_seen) < `+l.later()+` LIMIT ?`), l.cfg.GroupID, -retention.Milliseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("ledger: finished: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
