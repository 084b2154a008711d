package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Operator actions: what the `ftpcoord files` command does by hand. They
// carry no fencing term (an operator holds none); instead each one changes a
// row only in a state where no member is working on it, so a member's
// fenced writes and an operator's never both succeed on one attempt.

// ErrBusy is returned by Reject when a member is processing the file now
// (it is IN_PROGRESS under a lease that has not run out).
var ErrBusy = errors.New("ledger: a member is processing the file now")

// ErrNotFound is returned when the group's ledger has no row for a path.
var ErrNotFound = errors.New("ledger: no such file in the ledger")

// Entry is a ledger row with its times (database clock), for operators.
type Entry struct {
	Row
	FirstSeen time.Time
	LastTry   time.Time // zero before the first attempt
	DoneAt    time.Time // zero until DONE
}

const entryColumns = `version_key, path, size, mtime_ms, status, tries, COALESCE(owner_member, ''), COALESCE(term, 0),
	COALESCE(last_error, ''), first_seen, last_try, done_at`

// List returns up to limit rows of the group, oldest first, all of them
// or those in one state (status "").
func (l *Ledger) List(ctx context.Context, status Status, limit int) ([]Entry, error) {
	q := `SELECT ` + entryColumns + ` FROM ftpcoord_file WHERE group_id = ?`
	args := []any{l.cfg.GroupID}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, string(status))
	}
	q += ` ORDER BY mtime_ms, path LIMIT ?`
	args = append(args, limit)
	return l.entries(ctx, "list", q, args...)
}

// Show returns every version of one path, oldest first (ErrNotFound when
// there is none).
func (l *Ledger) Show(ctx context.Context, path string) ([]Entry, error) {
	out, err := l.entries(ctx, "show", `SELECT `+entryColumns+` FROM ftpcoord_file WHERE group_id = ? AND path = ? ORDER BY mtime_ms`, l.cfg.GroupID, path)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	return out, err
}

func (l *Ledger) entries(ctx context.Context, op, q string, args ...any) ([]Entry, error) {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	rows, err := l.cfg.DB.QueryContext(ctx, l.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", op, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var s string
		var first, last, done sql.NullTime
		if err := rows.Scan(&e.Key, &e.Path, &e.Size, &e.MTime, &s, &e.Tries, &e.Owner, &e.Term, &e.LastError,
			&first, &last, &done); err != nil {
			return nil, fmt.Errorf("ledger: %s: %w", op, err)
		}
		e.Status = Status(s)
		e.FirstSeen, e.LastTry, e.DoneAt = first.Time, last.Time, done.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

// Reject marks the versions of a path that are waiting (PENDING or FAILED)
// or abandoned (IN_PROGRESS with an expired lease) REJECTED by hand, with
// reason as their last error, and returns how many it changed. A version a
// member is processing now is left alone (ErrBusy when that was all there
// was); DONE and REJECTED ones are never changed.
func (l *Ledger) Reject(ctx context.Context, path, reason string) (int, error) {
	res, err := l.exec(ctx, l.q(`UPDATE ftpcoord_file SET status = 'REJECTED', lease_expires = NULL, claim_token = NULL,
		retry_after = NULL, last_error = ? WHERE group_id = ? AND path = ?
		AND (status IN ('PENDING', 'FAILED') OR (status = 'IN_PROGRESS' AND lease_expires < `+l.now()+`))`), clipError(reason), l.cfg.GroupID, path)
	if err != nil {
		return 0, fmt.Errorf("ledger: reject: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		return int(n), nil
	}
	rows, err := l.Show(ctx, path)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if r.Status == InProgress {
			return 0, fmt.Errorf("%w: %s is claimed by %s; wait for its attempt to end (processingTimeout) and try again", ErrBusy, path, r.Owner)
		}
	}
	return 0, nil
}

// Counts returns the number of versions in each state.
func (l *Ledger) Counts(ctx context.Context) (map[Status]int, error) {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	rows, err := l.cfg.DB.QueryContext(ctx, l.q(`SELECT status, count(*) FROM ftpcoord_file WHERE group_id = ? GROUP BY status`), l.cfg.GroupID)
	if err != nil {
		return nil, fmt.Errorf("ledger: counts: %w", err)
	}
	defer rows.Close()
	out := map[Status]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[Status(s)] = n
	}
	return out, rows.Err()
}

// Row is a ledger row as operators see it.
type Row struct {
	Key, Path   string
	Size, MTime int64
	Status      Status
	Tries       int
	Owner       string
	Term        int64
	LastError   string
}

// Get returns the rows of a path, every version.
func (l *Ledger) Get(ctx context.Context, path string) ([]Row, error) {
	es, err := l.entries(ctx, "get", `SELECT `+entryColumns+` FROM ftpcoord_file WHERE group_id = ? AND path = ? ORDER BY mtime_ms`, l.cfg.GroupID, path)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(es))
	for i, e := range es {
		out[i] = e.Row
	}
	return out, nil
}
