package listener

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// A shared member that was paused (SIGSTOP) just past its fence deadline
// (livenessCheckInterval - heartbeatFrequency) but not long enough for the
// others to see its heartbeat stale, or while they were busy, wakes with
// its heartbeat not current: it commits nothing (its claims may be theirs
// by now). Once its next heartbeat lands, its row is fresh and no member
// reclaims its claims any more; so it must give back the files it
// processed but did not commit, and those it did not start, at once, or
// they wait for their leases (processingTimeout, 300 s by default).
//
// The pause is played by holding the member's health_check row locked
// (on SQLite: the database's write lock): its heartbeat statements hang
// until the member's heartbeat is no longer current, as after a SIGSTOP;
// the handler finishes then, as a woken member's does; the lock is let
// go, the heartbeat lands. Every step is awaited, nothing is timed.
func TestPausedSharedMemberGivesBackWhatItDoesNotCommit(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg.Workers, cfg.Mode = 1, "shared"
		cfg, db := withLedger(t, cfg, d, "a")
		require.Equal(t, 300*time.Second, cfg.WithDefaults().processingTimeout(), "processingTimeout: want the documented default 300s")
		for i := range 2 {
			write(t, local, fmt.Sprintf("f%d", i), fmt.Sprint(i), time.Hour)
		}
		h := newHolding()
		a := startedListener(t, cfg, h)                                     // alone, it becomes active and polls at once
		require.Equal(t, cfg.Path+"/f0", <-h.started, "first file at work") // f1 is claimed too, queued

		// The pause: a's heartbeats hang on its locked row.
		direct := testdb.Open(t, db, "UTC")
		tx, err := direct.Begin()
		require.NoError(t, err)
		defer tx.Rollback()
		_, err = tx.Exec(testdb.Q(d, `UPDATE health_check SET last_heartbeat = last_heartbeat WHERE task_id = 'a' AND group_id = 'inbox'`))
		require.NoError(t, err, "lock a's heartbeat row")
		waitUntil(t, "a's heartbeat to be no longer current", func() bool { return !a.Coordinator().HeartbeatCurrent() })

		// It wakes: the handler ends, the commit is declined.
		close(h.release)
		waitUntil(t, "a to decline to commit f0", func() bool {
			h.recorder.mu.Lock()
			defer h.recorder.mu.Unlock()
			for _, e := range h.errs {
				if errors.Is(e, ledger.ErrLost) && strings.Contains(e.Error(), "not committed") {
					return true
				}
			}
			return false
		})
		require.NoError(t, tx.Commit(), "let a's heartbeat through")
		waitUntil(t, "a's heartbeat to be current again", a.Coordinator().HeartbeatCurrent)

		// Its heartbeat is fresh: no member reclaims its claims any more.
		// What it gave back is taken at once, by another member's poll (or
		// its own, as it became active again), whatever the lease.
		lb := startedListener(t, member2(cfg, db, "b"), newRecorder())
		pollHand(t, lb)
		pollHand(t, a)
		for i := range 2 {
			p := fmt.Sprintf("%s/f%d", cfg.Path, i)
			rows := ledgerRows(t, lb, p)
			require.Len(t, rows, 1, "%s", p)
			require.Equal(t, ledger.Done, rows[0].Status, "%s: %+v; want DONE (a claim left IN_PROGRESS waits for its 300 s lease)", p, rows[0])
		}
	})
}
