package listener

import (
	"context"
	"fmt"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// overTries rejects, without running the handler again, each claim whose
// try count is past maxTries, and returns the others. Such a claim comes
// back through an expired lease: an earlier attempt never recorded its
// outcome (its member died, or the database refused the write), yet it
// counted. Without this check such a file would run on, one try more each
// lease, for good.
func (l *Listener) overTries(ctx context.Context, lg *ledger.Ledger, service any, claims []ledger.Claim) []ledger.Claim {
	if l.cfg.MaxTries <= 0 {
		return claims
	}
	keep := claims[:0:0]
	for _, c := range claims {
		if c.Tries <= l.cfg.MaxTries {
			keep = append(keep, c)
			continue
		}
		// Tries past maxTries: fail rejects it.
		l.fail(ctx, lg, service, c, fmt.Errorf("attempt %d of at most %d: an earlier attempt ended without recording its outcome (its member stopped, or the database refused the write)",
			c.Tries, l.cfg.MaxTries))
	}
	return keep
}
