package ledger

// Finishing a claim: renewing its lease, committing, failing, requeueing,
// superseding.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Renew extends the leases of claims still being worked on and returns how
// many were renewed; a claim that was lost is not.
func (l *Ledger) Renew(ctx context.Context, claims []Claim, lease time.Duration) (int, error) {
	renewed := 0
	for token, b := range byToken(claims) {
		fenceSQL, fenceArgs := l.fence(b.term)
		keySQL, keyArgs := l.keyIn(b.keys)
		q := `UPDATE ftpcoord_file SET lease_expires = ` + l.later() + ` WHERE group_id = ? AND ` + keySQL +
			` AND claim_token = ? AND ` + l.statusIs(InProgress) + fenceSQL
		args := append(append(append([]any{lease.Milliseconds(), l.cfg.GroupID}, keyArgs...), token), fenceArgs...)
		res, err := l.exec(ctx, l.q(q), args...)
		if err != nil {
			return renewed, fmt.Errorf("ledger: renew: %w", err)
		}
		n, _ := res.RowsAffected()
		renewed += int(n)
	}
	return renewed, nil
}

// Commit marks a claimed version DONE. It is idempotent: committing a claim
// that this claim already completed succeeds (a commit whose answer was lost
// to a database outage can simply be repeated). ErrLost means the claim is
// not this member's any more and nothing changed.
func (l *Ledger) Commit(ctx context.Context, c Claim) error {
	fenceSQL, fenceArgs := l.fence(c.Term)
	q := `UPDATE ftpcoord_file SET status = 'DONE', done_at = ` + l.now() + `, lease_expires = NULL, last_error = NULL
		WHERE group_id = ? AND version_key = ? AND claim_token = ? AND ` + l.statusIs(InProgress) + fenceSQL
	err := l.one(ctx, "commit", q, append([]any{l.cfg.GroupID, c.Key, c.Token}, fenceArgs...)...)
	if err == nil {
		l.signals.committed(c.Listed)
	}
	if errors.Is(err, ErrLost) {
		if done, derr := l.doneBy(ctx, c.Token, []string{c.Key}); derr == nil && done[c.Key] {
			return nil // committed before: counted then
		}
	}
	return err
}

// doneBy returns which of keys are DONE under claim token.
func (l *Ledger) doneBy(ctx context.Context, token string, keys []string) (map[string]bool, error) {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	keySQL, keyArgs := l.keyIn(keys)
	rows, err := l.cfg.DB.QueryContext(ctx, l.q(`SELECT version_key FROM ftpcoord_file WHERE group_id = ? AND `+keySQL+
		` AND claim_token = ? AND `+l.statusIs(Done)), append(append([]any{l.cfg.GroupID}, keyArgs...), token)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		done[k] = true
	}
	return done, rows.Err()
}

// CommitAll marks a batch of claimed versions DONE, one statement per claim
// token when all goes well, and returns the claims it could not commit (see
// ErrLost). Like Commit it is idempotent.
func (l *Ledger) CommitAll(ctx context.Context, claims []Claim) (lost []Claim, err error) {
	for token, b := range byToken(claims) {
		fenceSQL, fenceArgs := l.fence(b.term)
		keySQL, keyArgs := l.keyIn(b.keys)
		q := `UPDATE ftpcoord_file SET status = 'DONE', done_at = ` + l.now() + `, lease_expires = NULL, last_error = NULL
			WHERE group_id = ? AND ` + keySQL + ` AND claim_token = ? AND ` + l.statusIs(InProgress) + fenceSQL
		res, err := l.exec(ctx, l.q(q), append(append(append([]any{l.cfg.GroupID}, keyArgs...), token), fenceArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("ledger: commit: %w", err)
		}
		if n, _ := res.RowsAffected(); int(n) == len(b.keys) {
			for _, c := range claims {
				if c.Token == token {
					l.signals.committed(c.Listed)
				}
			}
			continue
		}
		// Some were not updated: those DONE under this token are ours
		// (now or by an earlier commit); the others are lost.
		done, err := l.doneBy(ctx, token, b.keys)
		if err != nil {
			return nil, fmt.Errorf("ledger: commit: %w", err)
		}
		for _, c := range claims {
			switch {
			case c.Token != token:
			case !done[c.Key]:
				lost = append(lost, c)
			default:
				l.signals.committed(c.Listed) // now or by an earlier commit: counted at most twice, after a lost answer
			}
		}
	}
	return lost, nil
}

// Fail records a failed attempt: the version is claimed again after
// retryAfter, or, when it has had maxTries attempts, REJECTED for good. It
// returns the new status; ErrLost means it changed nothing.
func (l *Ledger) Fail(ctx context.Context, c Claim, cause string, retryAfter time.Duration, maxTries int) (Status, error) {
	status := Failed
	if maxTries > 0 && c.Tries >= maxTries {
		status = Rejected
	}
	fenceSQL, fenceArgs := l.fence(c.Term)
	q := `UPDATE ftpcoord_file SET status = ?, retry_after = ` + l.later() + `, lease_expires = NULL, last_error = ?
		WHERE group_id = ? AND version_key = ? AND claim_token = ? AND ` + l.statusIs(InProgress) + fenceSQL
	write := func(text string) error {
		return l.one(ctx, "fail", q, append([]any{string(status), retryAfter.Milliseconds(), text, l.cfg.GroupID, c.Key, c.Token}, fenceArgs...)...)
	}
	err := write(clipError(cause))
	if err != nil && !errors.Is(err, ErrLost) && ctx.Err() == nil {
		// The cause is the one value of the statement that is not of our
		// making: record the attempt without it rather than leave the
		// claim in flight (its lease would bring it back, one try more).
		if write(unstorableCause) == nil {
			l.cfg.logger().Warn("ledger: stored a failed attempt without its error text, which the database refused", "path", c.File.Path, "err", err)
			return status, nil
		}
	}
	return status, err
}

// unstorableCause is the last_error of a failed attempt whose own error
// text the database refused.
const unstorableCause = "(the error text of this attempt could not be stored; see the member's log)"

// Requeue puts the rejected versions of a path back to PENDING with their
// tries reset, and returns how many there were.
func (l *Ledger) Requeue(ctx context.Context, path string) (int, error) {
	res, err := l.exec(ctx, l.q(`UPDATE ftpcoord_file SET status = 'PENDING', tries = 0, retry_after = NULL, last_error = NULL
		WHERE group_id = ? AND path = ? AND status = 'REJECTED'`), l.cfg.GroupID, path)
	if err != nil {
		return 0, fmt.Errorf("ledger: requeue: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Supersede drops a claimed version that no longer exists on the server as
// it was listed (its size or modification time changed under the transfer,
// as a file still being written does): it was never processed, and never
// will be; the next listing enters the file's current version, which is
// processed once. No try is counted, no retry or rejection follows. Fenced
// like Commit; ErrLost means it changed nothing.
func (l *Ledger) Supersede(ctx context.Context, c Claim) error {
	fenceSQL, fenceArgs := l.fence(c.Term)
	q := `DELETE FROM ftpcoord_file WHERE group_id = ? AND version_key = ? AND claim_token = ? AND ` + l.statusIs(InProgress) + fenceSQL
	err := l.one(ctx, "supersede", q, append([]any{l.cfg.GroupID, c.Key, c.Token}, fenceArgs...)...)
	if err == nil {
		l.signals.supersessions.Add(1)
	}
	return err
}
