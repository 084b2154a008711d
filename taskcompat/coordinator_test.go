package taskcompat_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const stale = (liveness + 1) * time.Second // a heartbeat this old is stale by Ballerina's rule

func TestOneMemberBecomesActive(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		m := startMember(t, cfg, "solo", "g1")
		// Start runs the first round: the role is known when it returns.
		s := m.State()
		require.Equal(t, taskcompat.Active, s.Role, "state after Start = %+v, want active holder solo term 1", s)
		require.Equal(t, "solo", s.Holder, "state after Start = %+v, want active holder solo term 1", s)
		require.Equal(t, int64(1), s.Term, "state after Start = %+v, want active holder solo term 1", s)
		require.True(t, s.Healthy, "state after Start = %+v, want active holder solo term 1", s)
		term, ok := m.FencingToken()
		require.True(t, ok, "FencingToken = %d, %v", term, ok)
		require.Equal(t, int64(1), term, "FencingToken = %d, %v", term, ok)
		h, term := token(t, db, d, "g1")
		require.Equal(t, "solo", h, "token_holder row = %s/%d", h, term)
		require.Equal(t, int64(1), term, "token_holder row = %s/%d", h, term)
		_, ok = lastHeartbeat(t, db, d, "solo", "g1")
		require.True(t, ok, "no health_check row")
		m.waitEvent(t, taskcompat.BecameActive, 1, time.Second)
		// An idle member issues two statements per heartbeat: the heartbeat
		// and the holder check; plus, once at start, the takeover, the
		// record of its timings (ftpcoord_member) and the session lock of
		// its term (crash signal; a file lock on SQLite, no statement).
		waitFor(t, 5*time.Second, "10 heartbeats", func() bool { return m.Stats().Heartbeats >= 10 })
		st := m.Stats()
		require.LessOrEqual(t, st.Statements, 2*st.Heartbeats+4, "%d statements for %d heartbeats: more than two per heartbeat", st.Statements, st.Heartbeats)
		require.Equal(t, int64(1), st.Takeovers, "stats %+v", st)
		require.Zero(t, st.HeartbeatFailures, "stats %+v", st)
	})
}

// Three members, the active one's host vanishing twice (its sessions stay
// open, so no crash signal): at every sample at most one member believes it
// is active, and every takeover happens only once the vanished holder's
// heartbeat is stale by more than livenessCheckInterval whole seconds of
// database time.
func TestThreeMembersNeverOverlap(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		var mu sync.Mutex
		var alive []*member
		for i := range 3 {
			alive = append(alive, startMember(t, cfg, fmt.Sprintf("m%d", i), "g3"))
		}
		s := sample(func() []*member { mu.Lock(); defer mu.Unlock(); return append([]*member(nil), alive...) })
		activeOne := func() *member {
			var found *member
			waitFor(t, 10*time.Second, "exactly one active member", func() bool {
				n := 0
				for _, m := range alive {
					if m.IsActive() {
						n, found = n+1, m
					}
				}
				return n == 1
			})
			return found
		}
		for round := range 2 {
			mu.Lock()
			victim := activeOne()
			mu.Unlock()
			_, termBefore := token(t, db, d, "g3")
			crashedAt := time.Now()
			// A host that vanishes keeps its sessions open as far as the
			// database knows: no crash signal, the heartbeat rule decides.
			t.Cleanup(taskcompat.Vanish(victim.Coordinator))
			last, ok := lastHeartbeat(t, db, d, victim.id, "g3")
			require.True(t, ok, "a vanished host must leave the heartbeat row")
			mu.Lock()
			for i, m := range alive {
				if m == victim {
					alive = append(alive[:i], alive[i+1:]...)
					break
				}
			}
			successors := append([]*member(nil), alive...)
			mu.Unlock()
			var winner *member
			var ev taskcompat.Event
			waitFor(t, 15*time.Second, "a successor", func() bool {
				for _, m := range successors {
					if evs := m.eventsOf(taskcompat.BecameActive); len(evs) > 0 && evs[len(evs)-1].Term == termBefore+1 {
						winner, ev = m, evs[len(evs)-1]
						return true
					}
				}
				return false
			})
			staleMS := ev.DBTime.Sub(last).Milliseconds()
			require.Greater(t, staleMS/1000, int64(liveness), "round %d: %s took over when the holder's heartbeat was %d ms old by database time; Ballerina's rule needs more than %d whole seconds",
				round, winner.id, staleMS, liveness)
			t.Logf("%s: round %d: %s took over %v after the crash (heartbeat %d ms old by database time)", d, round, winner.id, ev.At.Sub(crashedAt).Round(time.Millisecond), staleMS)
			h, term := token(t, db, d, "g3")
			require.Equal(t, winner.id, h, "token = %s/%d, want %s/%d", h, term, winner.id, termBefore+1)
			require.Equal(t, termBefore+1, term, "token = %s/%d, want %s/%d", h, term, winner.id, termBefore+1)
		}
		s.check(t)
	})
}

// A graceful Stop deletes the member's heartbeat row: a standby takes over at
// its next check, long before the heartbeat could have gone stale.
func TestGracefulStopHandsOverAtOnce(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		slow := func(c *taskcompat.Config) { c.LivenessCheckInterval = 30 }
		a := startMember(t, cfg, "a", "gs", slow)
		b := startMember(t, cfg, "b", "gs", slow)
		require.True(t, a.IsActive(), "a=%v b=%v, want a active", a.State(), b.State())
		require.False(t, b.IsActive(), "a=%v b=%v, want a active", a.State(), b.State())
		stopAt := time.Now()
		require.NoError(t, a.Stop(context.Background()))
		require.False(t, a.IsActive(), "a still active after Stop")
		lost := a.waitEvent(t, taskcompat.LostActive, 1, time.Second)
		require.Equal(t, "stopped", lost.Reason, "LostActive reason")
		_, ok := lastHeartbeat(t, db, d, "a", "gs")
		require.False(t, ok, "Stop left its health_check row")
		// Failing over by staleness would take 31 s here.
		ev := b.waitEvent(t, taskcompat.BecameActive, 1, 10*time.Second)
		t.Logf("%s: takeover %v after Stop", d, ev.At.Sub(stopAt).Round(time.Millisecond))
		h, term := token(t, db, d, "gs")
		require.Equal(t, "b", h, "token %s/%d, want b/2", h, term)
		require.Equal(t, int64(2), term, "token %s/%d, want b/2", h, term)
		require.NoError(t, a.Stop(context.Background()), "second Stop")
		require.Error(t, a.Start(context.Background()), "Start after Stop succeeded")
	})
}

// Several standbys see a dead holder at the same moment: the compare-and-swap
// lets exactly one win, and the term grows by exactly one.
func TestRacingStandbysOneWinner(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		deadHolder(t, db, d, "gr")
		const n = 6
		members := make([]*member, n)
		for i := range n {
			members[i] = newMember(t, cfg, fmt.Sprintf("r%d", i), "gr")
		}
		var start, ready sync.WaitGroup
		start.Add(1)
		for _, m := range members {
			ready.Add(1)
			go func() {
				defer ready.Done()
				start.Wait()
				assert.NoError(t, m.Start(context.Background()))
			}()
		}
		start.Done()
		ready.Wait()
		s := sample(func() []*member { return members })
		// Let every member check several more times.
		waitFor(t, 10*time.Second, "5 more checks each", func() bool {
			for _, m := range members {
				if m.Stats().Checks < 6 {
					return false
				}
			}
			return true
		})
		s.check(t)
		winners := 0
		for _, m := range members {
			winners += len(m.eventsOf(taskcompat.BecameActive))
		}
		holder, term := token(t, db, d, "gr")
		require.Equal(t, 1, winners, "%d takeovers, term %d; want exactly 1 takeover and term 42", winners, term)
		require.Equal(t, int64(42), term, "%d takeovers, term %d; want exactly 1 takeover and term 42", winners, term)
		for _, m := range members {
			require.Equal(t, m.id == holder, m.IsActive(), "%s active=%v, holder %s", m.id, m.IsActive(), holder)
		}
	})
}

// A member whose own last heartbeat is too old to hold the token (the
// statement ran long) leaves a dead holder's token where it is: it would
// fence itself the moment it took it. Its next heartbeat makes it eligible.
func TestNoTakeoverWithOwnHeartbeatStale(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		deadHolder(t, db, d, "gs")
		m := newMember(t, cfg, "late", "gs") // not started: its rounds run by hand
		ctx := context.Background()
		taskcompat.Tick(m.Coordinator, ctx, true, false)
		taskcompat.AgeHeartbeat(m.Coordinator, stale)
		taskcompat.Tick(m.Coordinator, ctx, false, true)
		h, term := token(t, db, d, "gs")
		msg := fmt.Sprintf("token %s/%d, active %v after a check with its own heartbeat %v old; want it left to ghost/41", h, term, m.IsActive(), stale)
		require.Equal(t, "ghost", h, msg)
		require.Equal(t, int64(41), term, msg)
		require.False(t, m.IsActive(), msg)
		st := m.Stats()
		require.Equal(t, int64(1), st.TakeoversDeferred, "stats %+v, want one deferred takeover and none made", st)
		require.Zero(t, st.Takeovers, "stats %+v, want one deferred takeover and none made", st)
		taskcompat.Tick(m.Coordinator, ctx, true, true)
		h, term = token(t, db, d, "gs")
		msg = fmt.Sprintf("token %s/%d, active %v after a fresh heartbeat; want late/42, active", h, term, m.IsActive())
		require.Equal(t, "late", h, msg)
		require.Equal(t, int64(42), term, msg)
		require.True(t, m.IsActive(), msg)
		st = m.Stats()
		require.Zero(t, st.SelfFences, "stats %+v, want one takeover and no self-fence", st)
		require.Equal(t, int64(1), st.Takeovers, "stats %+v, want one takeover and no self-fence", st)
	})
}

// When another node takes the token (a Ballerina node's unconditional upsert),
// the active member steps down at its next check and takes over again once
// the intruder's heartbeat is stale.
func TestLostTokenNoticedAndRegained(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMember(t, cfg, "a", "gl")
		require.True(t, a.IsActive(), "a not active")
		upsert := map[schema.Dialect]string{
			schema.Postgres: `INSERT INTO token_holder(task_id, group_id, term) VALUES ('intruder', 'gl', 1) ON CONFLICT (group_id) DO UPDATE SET task_id = EXCLUDED.task_id, term = token_holder.term + 1`,
			schema.MySQL:    `INSERT INTO token_holder(task_id, group_id, term) VALUES ('intruder', 'gl', 1) ON DUPLICATE KEY UPDATE task_id = VALUES(task_id), term = term + 1`,
			schema.SQLite:   `INSERT INTO token_holder(task_id, group_id, term) VALUES ('intruder', 'gl', 1) ON CONFLICT (group_id) DO UPDATE SET task_id = excluded.task_id, term = token_holder.term + 1`,
		}[d]
		beat := map[schema.Dialect]string{
			schema.Postgres: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES ('intruder', 'gl', CURRENT_TIMESTAMP) ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = EXCLUDED.last_heartbeat`,
			schema.MySQL:    `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES ('intruder', 'gl', CURRENT_TIMESTAMP) ON DUPLICATE KEY UPDATE last_heartbeat = CURRENT_TIMESTAMP`,
			schema.SQLite: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES ('intruder', 'gl', strftime('%Y-%m-%d %H:%M:%f', 'now')) ` +
				`ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat`,
		}[d]
		mustExec(t, db, d, beat)
		checksBefore := a.Stats().Checks
		mustExec(t, db, d, upsert)
		lost := a.waitEvent(t, taskcompat.LostActive, 1, 5*time.Second)
		require.Contains(t, lost.Reason, "intruder", "LostActive %+v, want the intruder named with term 2", lost)
		require.Equal(t, int64(2), lost.Term, "LostActive %+v, want the intruder named with term 2", lost)
		n := a.Stats().Checks - checksBefore
		require.LessOrEqual(t, n, int64(2), "noticed after %d checks, want within one", n)
		// While the intruder heartbeats, a stays standby.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(heartbeat):
					db.Exec(beat)
				}
			}
		}()
		c0 := a.Stats().Checks
		waitFor(t, 10*time.Second, "a to check through a whole liveness interval", func() bool {
			return a.Stats().Checks > c0+int64(stale/heartbeat)+2
		})
		require.False(t, a.IsActive(), "a took the token from a live holder")
		close(stop)
		wg.Wait()
		// The intruder is gone: a takes over again, with a new term.
		back := a.waitEvent(t, taskcompat.BecameActive, 2, 15*time.Second)
		require.Equal(t, int64(3), back.Term, "regained with term")
	})
}

// deadHolder makes "ghost" the holder of group's token, with term 41 and a
// heartbeat 67 minutes old: a holder that died long ago. (Not a whole number
// of quarter hours: a heartbeat exactly an hour old may be a live writer's
// one zone west, see TestHourOldHolderMayBeLive.)
func deadHolder(t *testing.T, db *sql.DB, d schema.Dialect, group string) {
	t.Helper()
	oldHeartbeat(t, db, d, "ghost", group, 67)
}

// oldHeartbeat makes id the holder with term 41 and a heartbeat minutes old.
func oldHeartbeat(t *testing.T, db *sql.DB, d schema.Dialect, id, group string, minutes int) {
	t.Helper()
	mustExec(t, db, d, `INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 41)`, id, group)
	ago := fmt.Sprintf(`CURRENT_TIMESTAMP - INTERVAL '%d' MINUTE`, minutes)
	if d == schema.SQLite {
		ago = fmt.Sprintf(`strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-%d minutes')`, minutes)
	}
	mustExec(t, db, d, `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES (?, ?, `+ago+`)`, id, group)
}

// A heartbeat exactly an hour old is what a live holder one zone west of
// this member writes: a fresh member does not take it at once, but once it
// has stayed unchanged for the staleness limit, timed on the database clock.
func TestHourOldHolderMayBeLive(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		oldHeartbeat(t, db, d, "west", "gw", 60)
		start := time.Now()
		m := startMember(t, cfg, "m", "gw")
		require.False(t, m.IsActive(), "took an hour-old heartbeat's token at once")
		ev := m.waitEvent(t, taskcompat.BecameActive, 1, stale+5*time.Second)
		// MySQL's whole-second heartbeat may be up to a second older than
		// the moment it was written.
		least := stale
		if d == schema.MySQL {
			least -= time.Second
		}
		took := ev.At.Sub(start)
		require.GreaterOrEqual(t, took, least, "took over %v after start, want between %v and %v", took, least, stale+2*time.Second)
		require.LessOrEqual(t, took, stale+2*time.Second, "took over %v after start, want between %v and %v", took, least, stale+2*time.Second)
		h, term := token(t, db, d, "gw")
		require.Equal(t, "m", h, "token %s/%d, want m/42", h, term)
		require.Equal(t, int64(42), term, "token %s/%d, want m/42", h, term)
	})
}

func mustExec(t *testing.T, db *sql.DB, d schema.Dialect, q string, args ...any) {
	t.Helper()
	_, err := db.Exec(testdb.Q(d, q), args...)
	require.NoError(t, err, "%s", q)
}

// With heartbeats as slow as the configuration allows relative to the
// liveness interval, a healthy active member must never fence itself.
func TestNoSelfFenceWhenHealthy(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		m := startMember(t, cfg, "steady", "gh", func(c *taskcompat.Config) {
			c.LivenessCheckInterval = 1
			c.HeartbeatFrequency = taskcompat.Secs(0.5)
		})
		b := startMember(t, cfg, "standby", "gh", func(c *taskcompat.Config) {
			c.LivenessCheckInterval = 1
			c.HeartbeatFrequency = taskcompat.Secs(0.5)
		})
		waitFor(t, 15*time.Second, "8 heartbeats", func() bool { return m.Stats().Heartbeats >= 8 })
		st := m.Stats()
		msg := fmt.Sprintf("healthy member: %+v, active %v; standby active %v", st, m.IsActive(), b.IsActive())
		require.Zero(t, st.SelfFences, msg)
		require.Equal(t, int64(1), st.Takeovers, msg)
		require.True(t, m.IsActive(), msg)
		require.False(t, b.IsActive(), msg)
	})
}
