package listener

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// membership is this member's place in its coordination group while
// started: the coordinator and the ledger in the coordination database.
// The Listener joins at Start and leaves at stop; a poll is handed them
// (pollOnce), it never makes them.
type membership struct {
	coord    *taskcompat.Coordinator
	ledger   *ledger.Ledger // the durable per-file state
	db       *sql.DB        // the ledger's
	terms    *terms         // ends the leadership contexts of a lost term (leadership.go): no new start
	standing *standing      // the handlers' claim to their work (standing.go): running ones cut
	leaving  *atomic.Bool
}

// join starts the coordinator and opens the ledger for c.
func (l *Listener) join(ctx context.Context, c *taskcompat.CoordinationConfig) (*membership, error) {
	// A member that becomes active polls at once, not at its next
	// tick (pollingInterval, 60 s by default): the files the previous
	// holder had in hand are reclaimed then (see reclaimOrphans).
	ts := &terms{}
	wake := taskcompat.Callbacks{OnBecameActive: func(taskcompat.Event) { l.workAnew(); l.wakeUp() },
		OnLostActive: func(e taskcompat.Event) { ts.lost(e.Term) }}
	st, leaving, refs := newStanding(), &atomic.Bool{}, &memberRefs{}
	opts := []taskcompat.Option{taskcompat.WithLogger(l.log), taskcompat.WithCallbacks(l.standingCallbacks(st, leaving.Load, refs, wake))}
	if l.mode == Shared {
		// Every member holds claims: each holds a member lock, and the
		// others take back its claims the moment its session ends
		// (StaleMembers lists it), as they do once its heartbeat is stale.
		opts = append(opts, taskcompat.WithMemberLocks())
	}
	coord, err := taskcompat.New(ctx, c.TaskConfig(), opts...)
	if err != nil {
		return nil, fmt.Errorf("listener: coordination: %w", err)
	}
	lg, db, err := l.openLedger(ctx)
	if err != nil {
		coord.Halt()
		return nil, err
	}
	refs.coord.Store(coord)
	refs.ledger.Store(lg)
	if err := coord.Start(ctx); err != nil {
		coord.Halt()
		db.Close()
		return nil, err
	}
	return &membership{coord: coord, ledger: lg, db: db, terms: ts, standing: st, leaving: leaving}, nil
}

// leave leaves the group, gracefully (a standby takes over at once) or as
// a crash would (the token left to expire), and closes the ledger's
// database.
func (m *membership) leave(ctx context.Context, graceful bool) error {
	var err error
	m.leaving.Store(true)
	if graceful {
		// ctx may have been spent on the drain: leaving the group must
		// still happen, or no standby takes over before the liveness ends.
		lctx, cancelLeave := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = m.coord.Stop(lctx)
		cancelLeave()
	} else {
		m.coord.Halt()
	}
	m.db.Close()
	return err
}
