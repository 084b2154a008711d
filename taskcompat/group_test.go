package taskcompat_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// Issue 26: StaleMembers, which shared mode's reclaim takes its word from,
// judges each member in the zone it writes in: three members in UTC,
// Asia/Kolkata and America/Los_Angeles never see each other stale while
// alive, and see the Kolkata member stale within livenessCheckInterval + 1 s
// and a check period or two once it is halted (as a crash), though its
// heartbeat reads hours in the future in UTC. ReadGroup and HoldsTerm read
// the same group.
func TestStaleMembersAcrossZones(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		db := testdb.NewWithSchema(t, d)
		zoned := func(z string) func(*taskcompat.Config) {
			return func(c *taskcompat.Config) { c.SessionTimeZone = memberZone(d, z) }
		}
		utc := startMember(t, db, "utc", "gz", zoned("UTC"))
		kolkata := startMember(t, db, "kolkata", "gz", zoned("Asia/Kolkata"))
		la := startMember(t, db, "la", "gz", zoned("America/Los_Angeles"))
		// Alive: for longer than the stale limit, nobody is stale to anyone.
		limit := taskcompat.StaleAfter(liveness * time.Second)
		until := time.Now().Add(limit + 2*time.Second)
		for time.Now().Before(until) {
			for _, m := range []*member{utc, kolkata, la} {
				require.Empty(t, m.StaleMembers(), "%s sees live members stale", m.id)
			}
			time.Sleep(50 * time.Millisecond) // sampling pace
		}
		sqlDB := testdb.Open(t, db, "UTC")
		g, err := taskcompat.ReadGroup(context.Background(), sqlDB, d, "gz")
		require.NoError(t, err)
		require.Len(t, g.Members, 3, "ReadGroup: %+v", g)
		require.Equal(t, []string{"kolkata", "la", "utc"}, []string{g.Members[0].ID, g.Members[1].ID, g.Members[2].ID}, "ReadGroup: by task_id")
		holds, err := taskcompat.HoldsTerm(context.Background(), sqlDB, d, "gz", g.Holder, g.Term)
		require.NoError(t, err)
		require.True(t, holds, "HoldsTerm of the holder ReadGroup read (%s, term %d)", g.Holder, g.Term)
		holds, err = taskcompat.HoldsTerm(context.Background(), sqlDB, d, "gz", g.Holder, g.Term+1)
		require.NoError(t, err)
		require.False(t, holds, "HoldsTerm of a term not taken")

		kolkata.Halt()
		halted := time.Now()
		waitFor(t, limit+10*time.Second, "the others to see the halted Kolkata member stale", func() bool {
			for _, m := range []*member{utc, la} {
				if s := m.StaleMembers(); !slices.Contains(s, "kolkata") {
					require.Empty(t, s, "%s sees live members stale", m.id)
					return false
				}
			}
			return true
		})
		t.Logf("%s: the halted member was stale to both others %v after the halt (stale limit %v)", d, time.Since(halted).Round(time.Millisecond), limit)
		for _, m := range []*member{utc, la} {
			require.Equal(t, []string{"kolkata"}, m.StaleMembers(), "%s: only the halted member is stale", m.id)
		}
	})
}

func TestStaleRule(t *testing.T) {
	// Ballerina's rule: whole seconds of age past the interval.
	require.False(t, taskcompat.Stale(30999*time.Millisecond, 30*time.Second))
	require.True(t, taskcompat.Stale(31*time.Second, 30*time.Second))
	require.Equal(t, 31*time.Second, taskcompat.StaleAfter(30*time.Second))
}

func TestOwnerGoneSQL(t *testing.T) {
	q, args := taskcompat.OwnerGoneSQL("f.owner", "g", nil)
	require.Equal(t, " AND (NOT EXISTS (SELECT 1 FROM health_check h WHERE h.group_id = ? AND h.task_id = f.owner))", q)
	require.Equal(t, []any{"g"}, args)
	q, args = taskcompat.OwnerGoneSQL("f.owner", "g", []string{"a", "b"})
	require.Equal(t, " AND (f.owner IN (?, ?) OR NOT EXISTS (SELECT 1 FROM health_check h WHERE h.group_id = ? AND h.task_id = f.owner))", q)
	require.Equal(t, []any{"a", "b", "g"}, args)
}
