package listener

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// membership is this member's place in its coordination group while
// started: the coordinator and the ledger in the coordination database.
// The Listener joins at Start and leaves at stop; a poll is handed them
// (pollOnce), it never makes them.
type membership struct {
	coord  *taskcompat.Coordinator
	ledger *ledger.Ledger // the durable per-file state
	db     *sql.DB        // the ledger's
	terms  *terms         // ends the leadership contexts of a lost term (leadership.go)
}

// join starts the coordinator and opens the ledger for c.
func (l *Listener) join(ctx context.Context, c *taskcompat.CoordinationConfig) (*membership, error) {
	// A member that becomes active polls at once, not at its next
	// tick (pollingInterval, 60 s by default): the files the previous
	// holder had in hand are reclaimed then (see reclaimOrphans).
	ts := &terms{}
	wake := taskcompat.Callbacks{OnBecameActive: func(taskcompat.Event) { l.workAnew(); l.wakeUp() },
		OnLostActive: func(e taskcompat.Event) { ts.lost(e.Term) }}
	tc := c.TaskConfig()
	if l.mode == Shared {
		// Shared mode reclaims a dead member's claims by its heartbeat
		// (ledger.ExpireOrphans): a takeover before it is stale would
		// poll too early to reclaim them. Keep the heartbeat rule.
		off := false
		tc.CrashSignal = &off
	}
	coord, err := taskcompat.New(ctx, tc, taskcompat.WithLogger(l.log), taskcompat.WithCallbacks(wake))
	if err != nil {
		return nil, fmt.Errorf("listener: coordination: %w", err)
	}
	lg, db, err := l.openLedger(ctx)
	if err != nil {
		coord.Halt()
		return nil, err
	}
	if err := coord.Start(ctx); err != nil {
		coord.Halt()
		db.Close()
		return nil, err
	}
	return &membership{coord: coord, ledger: lg, db: db, terms: ts}, nil
}

// leave leaves the group, gracefully (a standby takes over at once) or as
// a crash would (the token left to expire), and closes the ledger's
// database.
func (m *membership) leave(ctx context.Context, graceful bool) error {
	var err error
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
