package ledger

import (
	"context"
	"fmt"
	"time"
)

// ExpireOrphans ends at once the leases of claims whose holder can no longer
// finish them, so that the next claim takes them as a retry (the attempt is
// counted) instead of waiting out processingTimeout, and returns how many it
// ended. The lease stays the guard for a live member whose handler hangs.
//
// In warm-backup mode these are the claims of ended terms: term is this
// member's current fencing term, and a claim made under an older one can no
// longer be committed (every commit is fenced by its term), so it is dead
// the moment a new term begins. The statement is fenced too: a member that
// lost the token meanwhile changes nothing.
//
// In shared mode they are the claims of other members whose heartbeat, by
// the database clock, is older than liveness plus one second (Ballerina's
// stale rule: whole seconds strictly past the interval). Such a member has
// fenced itself before that point, and its late commit fails on the claim
// token. The heartbeat is compared in the session zone it was written in,
// so every member of a shared group must use the same sessionTimeZone, as
// for the takeover.
func (l *Ledger) ExpireOrphans(ctx context.Context, term int64, liveness time.Duration) (int, error) {
	var q string
	var args []any
	expired := `UPDATE ftpcoord_file SET lease_expires = ` + l.later() + `
		WHERE group_id = ? AND status = 'IN_PROGRESS' AND lease_expires > ` + l.now()
	// A second in the past: lease_expires < now is then true for the next
	// claim even on a clock with whole-millisecond resolution.
	const past = -1000
	if l.cfg.Mode == Shared {
		q = expired + ` AND owner_member <> ? AND NOT EXISTS (SELECT 1 FROM health_check h
			WHERE h.group_id = ? AND h.task_id = ftpcoord_file.owner_member AND h.last_heartbeat > ` + l.later() + `)`
		args = []any{past, l.cfg.GroupID, l.cfg.MemberID, l.cfg.GroupID, -(liveness + time.Second).Milliseconds()}
	} else {
		fenceSQL, fenceArgs := l.fence(term)
		q = expired + ` AND term < ?` + fenceSQL
		args = append([]any{past, l.cfg.GroupID, term}, fenceArgs...)
	}
	res, err := l.exec(ctx, l.q(q), args...)
	if err != nil {
		return 0, fmt.Errorf("ledger: expire orphaned claims: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
