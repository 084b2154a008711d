package taskcompat_test

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

func startLocked(t *testing.T, db taskcompat.DatabaseConfig, id, group string, edit ...func(*taskcompat.Config)) *member {
	t.Helper()
	m := newMemberWith(t, db, id, group, []taskcompat.Option{taskcompat.WithMemberLocks()}, edit...)
	require.NoError(t, m.Start(t.Context()))
	return m
}

// waitLocked waits until m's checks see the member locks of others held.
func waitLocked(t *testing.T, m *member, others ...string) {
	t.Helper()
	waitFor(t, 10*time.Second, m.id+" to see the member locks of "+fmtList(others), func() bool {
		seen := m.LockedMembers()
		for _, o := range others {
			if !slices.Contains(seen, o) {
				return false
			}
		}
		return true
	})
}

func fmtList(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// A member whose session ends (Halt writes nothing and ends its sessions,
// as a crash does) is gone for every other member at their next check, at
// the default settings: StaleMembers lists it while its heartbeat is still
// young, and MemberGone tells the host to take its files back now.
func TestMemberGoneWhenItsSessionEnds(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startLocked(t, cfg, "a", "gm", defaults)
		b := startLocked(t, cfg, "b", "gm", defaults)
		c := startLocked(t, cfg, "c", "gm", defaults)
		waitLocked(t, a, "b", "c")
		waitLocked(t, b, "a", "c")
		// A member holding its lock is current once the others had a check
		// to see it held.
		waitFor(t, 10*time.Second, "c to be current", c.HeartbeatCurrent)
		require.Empty(t, b.StaleMembers(), "nobody is gone yet")
		c.Halt()
		for _, m := range []*member{a, b} {
			ev := m.waitEvent(t, taskcompat.MemberGone, 1, 10*time.Second)
			require.Equal(t, "c", ev.Holder, "%s: the member gone", m.id)
			require.Equal(t, []string{"c"}, m.StaleMembers(), "%s: its claims may be taken back", m.id)
		}
		last, ok := lastHeartbeat(t, db, d, "c", "gm")
		require.True(t, ok, "c's heartbeat row stays (a crash deletes nothing)")
		require.False(t, a.State().DBTime.IsZero())
		require.Less(t, a.State().DBTime.Sub(last), 30*time.Second, "gone long before its heartbeat could be stale")
		require.Len(t, b.eventsOf(taskcompat.MemberGone), 1, "only c is gone")
	})
}

// A member whose own lock session is ended by the server (a DBA's kill, a
// proxy) is taken for gone by the others: it learns of it at its next
// statement (LostSession), is not current (it starts and commits nothing)
// until it holds its lock again on a new session, and then the others see
// it back.
func TestMemberThatLosesItsLockSession(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startLocked(t, cfg, "a", "gs", defaults)
		b := startLocked(t, cfg, "b", "gs", defaults)
		waitLocked(t, b, "a")
		var session sql.NullInt64
		require.NoError(t, db.QueryRow(taskcompat.MemberLockHolderSQL(d), "gs", "a").Scan(&session))
		require.True(t, session.Valid, "a's member lock is held")
		kill := map[schema.Dialect]string{schema.Postgres: `SELECT pg_terminate_backend($1)`, schema.MySQL: `KILL ?`}[d]
		_, err := db.Exec(kill, session.Int64)
		require.NoError(t, err)
		lost := a.waitEvent(t, taskcompat.LostSession, 1, 10*time.Second)
		require.Equal(t, "a", lost.Holder)
		gone := b.waitEvent(t, taskcompat.MemberGone, 1, 10*time.Second)
		require.Equal(t, "a", gone.Holder)
		waitFor(t, 10*time.Second, "a to hold its lock again", a.HeartbeatCurrent)
		waitLocked(t, b, "a")
		require.Empty(t, b.StaleMembers(), "a is back")
	})
}

// Member locks cost no statement per heartbeat: a check reads the locks in
// its one statement, and the lock is taken once per connection. Once the
// group is settled (the one-time statements of start and takeover done),
// a member with one sends two statements per heartbeat, holder and standby.
func TestMemberLocksIdleLoad(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		a := startLocked(t, cfg, "a", "gl", defaults)
		b := startLocked(t, cfg, "b", "gl", defaults)
		waitLocked(t, b, "a")
		waitLocked(t, a, "b")
		before := []taskcompat.Stats{a.Stats(), b.Stats()}
		waitFor(t, 20*time.Second, "6 more heartbeats of each", func() bool {
			return a.Stats().Heartbeats >= before[0].Heartbeats+6 && b.Stats().Heartbeats >= before[1].Heartbeats+6
		})
		for i, m := range []*member{a, b} {
			st := m.Stats()
			stmts, beats := st.Statements-before[i].Statements, st.Heartbeats-before[i].Heartbeats
			// One heartbeat's statements may straddle each reading.
			require.LessOrEqual(t, stmts, 2*beats+2, "%s: %d statements for %d heartbeats: more than two per heartbeat", m.id, stmts, beats)
		}
		require.Empty(t, b.StaleMembers(), "nobody gone while both run")
	})
}
