package ledger

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
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
// In shared mode they are the claims of other members that are dead:
// stale, as the coordinator judges them (taskcompat's StaleMembers, by
// Ballerina's rule in the zone each member writes its heartbeat in), or
// without a heartbeat row. Such a member has fenced itself before it turned
// stale, and its late commit fails on the claim token.
func (l *Ledger) ExpireOrphans(ctx context.Context, term int64, stale []string) (int, error) {
	// A second in the past: lease_expires < now is then true for the next
	// claim even on a clock with whole-millisecond resolution.
	const past = -1000
	where := `group_id = ? AND status = 'IN_PROGRESS' AND lease_expires > ` + l.now()
	args := []any{l.cfg.GroupID}
	if l.cfg.Mode == Shared {
		goneSQL, goneArgs := taskcompat.OwnerGoneSQL("ftpcoord_file.owner_member", l.group, stale)
		where += ` AND owner_member <> ?` + goneSQL
		args = append(append(args, l.cfg.MemberID), goneArgs...)
	} else {
		fenceSQL, fenceArgs := l.fence(term)
		where += ` AND term < ?` + fenceSQL
		args = append(append(args, term), fenceArgs...)
	}
	set := `UPDATE ftpcoord_file SET lease_expires = ` + l.later() + ` WHERE `
	if l.cfg.Dialect != schema.MySQL {
		res, err := l.exec(ctx, l.q(set+where), append([]any{past}, args...)...)
		if err != nil {
			return 0, fmt.Errorf("ledger: expire orphaned claims: %w", err)
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
	// InnoDB: an UPDATE that searches by condition waits for every row
	// lock on its way, and a claim's transaction holds locks until it
	// commits, on the rows it takes and on some it passed over (claimed
	// rows of other members among them): a member paused in the middle
	// of one (SIGSTOP) would hold up every other member's reclaim, and
	// the poll it runs in, for as long as the pause lasts. So the orphans
	// are read and locked skipping rows another transaction holds (the
	// next reclaim takes those), then expired by key, in one short
	// transaction.
	var n int
	expire := func(tx *sql.Tx) error {
		keys, err := l.keysWhere(ctx, tx, `SELECT version_key FROM ftpcoord_file WHERE `+where+` FOR UPDATE SKIP LOCKED`, args...)
		if err != nil || len(keys) == 0 {
			return err
		}
		keySQL, keyArgs := l.keyIn(keys)
		res, err := tx.ExecContext(ctx, set+`group_id = ? AND `+keySQL, append([]any{past, l.cfg.GroupID}, keyArgs...)...)
		if err != nil {
			return err
		}
		rows, _ := res.RowsAffected()
		n = int(rows)
		return nil
	}
	// A deadlock victim is rolled back whole: run the transaction again.
	err := l.retry(ctx, func() error {
		n = 0
		bctx, cancel := l.bound(ctx)
		defer cancel()
		return l.inTx(bctx, expire)
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: expire orphaned claims: %w", err)
	}
	return n, nil
}

// keysWhere runs, in tx, a query of version keys, and returns them.
func (l *Ledger) keysWhere(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}
