package ledger

import (
	"context"
	"fmt"
)

// Release gives claims back unfinished, for a member that stops (or loses
// its token) with work in hand: each goes back to PENDING with its try
// uncounted (the attempt was cut short by the member, not by the file) and
// no lease, so that another member claims it at once instead of waiting
// for the lease to run out. Fenced by the claim token: a claim that was
// already committed, failed or taken over is left alone. It returns how
// many were released.
func (l *Ledger) Release(ctx context.Context, claims []Claim) (int, error) {
	total := 0
	for token, b := range byToken(claims) {
		keySQL, keyArgs := l.keyIn(b.keys)
		q := `UPDATE ftpcoord_file SET status = 'PENDING', tries = CASE WHEN tries > 0 THEN tries - 1 ELSE 0 END,
			owner_member = NULL, claim_token = NULL, lease_expires = NULL
			WHERE group_id = ? AND ` + keySQL + ` AND claim_token = ? AND ` + l.statusIs(InProgress)
		res, err := l.exec(ctx, l.q(q), append(append([]any{l.cfg.GroupID}, keyArgs...), token)...)
		if err != nil {
			return total, fmt.Errorf("ledger: release: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}
