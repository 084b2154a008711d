package taskcompat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// SQLite's outage: another process holds the database's write lock (stuck
// in a transaction) for longer than the liveness interval. Reads go on (WAL),
// writes wait and fail. The active member cannot heartbeat and must step down
// before its heartbeat is stale; nobody can take over while the lock is held;
// once it is released exactly one member becomes active under the next term.
func TestSelfFenceOnSQLiteLock(t *testing.T) {
	d := schema.SQLite
	cfg := testdb.NewWithSchema(t, d)
	db := testdb.Open(t, cfg, "UTC")
	a := startMember(t, cfg, "a", "gk")
	b := startMember(t, cfg, "b", "gk")
	require.True(t, a.IsActive(), "want a active, b standby: %+v %+v", a.State(), b.State())
	require.False(t, b.IsActive(), "want a active, b standby: %+v %+v", a.State(), b.State())
	members := []*member{a, b}
	s := sample(func() []*member { return members })

	ctx := context.Background()
	stuck, err := db.Conn(ctx)
	require.NoError(t, err)
	defer stuck.Close()
	_, err = stuck.ExecContext(ctx, "BEGIN EXCLUSIVE")
	require.NoError(t, err)
	lockedAt := time.Now()
	lost := a.waitEvent(t, taskcompat.LostActive, 1, 10*time.Second)
	require.Contains(t, lost.Reason, "self-fenced", "a stepped down for %q, want self-fencing", lost.Reason)
	lastOK := a.State().LastHeartbeat
	gap := lost.At.Sub(lastOK)
	require.Less(t, gap, liveness*time.Second, "a stepped down %v after its last heartbeat, not before livenessCheckInterval %ds", gap, liveness)
	// Hold the lock until a's heartbeat is stale by the rule (reads still
	// work in WAL mode): b may take over by then, but cannot write it.
	waitFor(t, 10*time.Second, "a's heartbeat to be stale while the lock is held", func() bool {
		last, ok := lastHeartbeat(t, db, d, "a", "gk")
		return ok && time.Since(last) > stale
	})
	waitFor(t, 5*time.Second, "b to fail a write", func() bool { return b.Stats().HeartbeatFailures > 2 })
	require.False(t, b.IsActive(), "b became active while another process held the write lock")
	require.Empty(t, b.eventsOf(taskcompat.BecameActive), "b became active while another process held the write lock")
	_, term := token(t, db, d, "gk")
	require.Equal(t, int64(1), term, "term while the lock was held")
	_, err = stuck.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	releasedAt := time.Now()
	waitFor(t, 10*time.Second, "one member active again", func() bool { return a.IsActive() || b.IsActive() })
	t.Logf("locked for %v; a fenced itself %v after its last heartbeat; a member was active %v after the release",
		releasedAt.Sub(lockedAt).Round(time.Millisecond), lost.At.Sub(lastOK).Round(time.Millisecond), time.Since(releasedAt).Round(time.Millisecond))
	waitFor(t, 5*time.Second, "both members healthy", func() bool { return a.State().Healthy && b.State().Healthy })
	s.check(t)
	holder, term := token(t, db, d, "gk")
	msg := fmt.Sprintf("token %s/%d, a active %v, b active %v: want one takeover, term 2", holder, term, a.IsActive(), b.IsActive())
	require.Equal(t, int64(2), term, msg)
	require.Equal(t, holder == "a", a.IsActive(), msg)
	require.Equal(t, holder == "b", b.IsActive(), msg)
	n := strings.Count(a.logs.String(), "coordination database failing")
	require.Equal(t, 1, n, "the outage was logged %d times, want once:\n%s", n, a.logs)
	require.Contains(t, a.logs.String(), "coordination database answering again", "the recovery was not logged")
}

// Another connection records a large listing in the ledger, batch after
// batch: the active member's heartbeats still get the write lock in time, and
// it never fences itself.
func TestSQLiteHeartbeatsNotStarvedByABusyWriter(t *testing.T) {
	d := schema.SQLite
	cfg := testdb.NewWithSchema(t, d)
	m := startMember(t, cfg, "steady", "gw")
	require.True(t, m.IsActive(), "not active: %+v", m.State())
	db := testdb.Open(t, cfg, "UTC")
	ctx := context.Background()
	lg, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: "gw", MemberID: "lister", Mode: ledger.Shared})
	require.NoError(t, err)
	hb0 := m.Stats().Heartbeats
	recorded := 0
	for start := time.Now(); time.Since(start) < 2*stale; {
		files := make([]ledger.File, 5000)
		for i := range files {
			files[i] = ledger.File{Path: fmt.Sprintf("/in/%07d.csv", recorded+i), Size: 1, MTime: int64(recorded + i)}
		}
		n, err := lg.Record(ctx, files)
		require.NoError(t, err)
		recorded += n
	}
	st := m.Stats()
	t.Logf("%d files recorded; heartbeats %d (%d failed), self-fences %d", recorded, st.Heartbeats-hb0, st.HeartbeatFailures, st.SelfFences)
	require.Zero(t, st.SelfFences, "the member lost its role while another connection wrote: %+v", st)
	require.True(t, m.IsActive(), "the member lost its role while another connection wrote: %+v", st)
	require.Empty(t, m.eventsOf(taskcompat.LostActive), "the member lost its role while another connection wrote: %+v", st)
	require.GreaterOrEqual(t, st.Heartbeats-hb0, int64(stale/heartbeat), "%d heartbeats in %v", st.Heartbeats-hb0, 2*stale)
}
