package taskcompat_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

const stale = (liveness + 1) * time.Second // a heartbeat this old is stale by Ballerina's rule

func TestOneMemberBecomesActive(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		m := startMember(t, cfg, "solo", "g1")
		// Start runs the first round: the role is known when it returns.
		if s := m.State(); s.Role != taskcompat.Active || s.Holder != "solo" || s.Term != 1 || !s.Healthy {
			t.Fatalf("state after Start = %+v, want active holder solo term 1", s)
		}
		if term, ok := m.FencingToken(); !ok || term != 1 {
			t.Fatalf("FencingToken = %d, %v", term, ok)
		}
		if h, term := token(t, db, d, "g1"); h != "solo" || term != 1 {
			t.Fatalf("token_holder row = %s/%d", h, term)
		}
		if _, ok := lastHeartbeat(t, db, d, "solo", "g1"); !ok {
			t.Fatal("no health_check row")
		}
		m.waitEvent(t, taskcompat.BecameActive, 1, time.Second)
		// An idle member issues two statements per heartbeat: the heartbeat
		// and the holder check.
		waitFor(t, 5*time.Second, "10 heartbeats", func() bool { return m.Stats().Heartbeats >= 10 })
		st := m.Stats()
		if st.Statements > 2*st.Heartbeats+2 {
			t.Fatalf("%d statements for %d heartbeats: more than two per heartbeat", st.Statements, st.Heartbeats)
		}
		if st.Takeovers != 1 || st.HeartbeatFailures != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// Three members, the active one crashing twice: at every sample at most one
// member believes it is active, and every takeover happens only once the
// crashed holder's heartbeat is stale by more than livenessCheckInterval whole
// seconds of database time.
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
			victim.Halt()
			last, ok := lastHeartbeat(t, db, d, victim.id, "g3")
			if !ok {
				t.Fatal("a crash must leave the heartbeat row")
			}
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
			if staleMS/1000 <= liveness {
				t.Fatalf("round %d: %s took over when the holder's heartbeat was %d ms old by database time; Ballerina's rule needs more than %d whole seconds",
					round, winner.id, staleMS, liveness)
			}
			t.Logf("%s: round %d: %s took over %v after the crash (heartbeat %d ms old by database time)", d, round, winner.id, ev.At.Sub(crashedAt).Round(time.Millisecond), staleMS)
			if h, term := token(t, db, d, "g3"); h != winner.id || term != termBefore+1 {
				t.Fatalf("token = %s/%d, want %s/%d", h, term, winner.id, termBefore+1)
			}
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
		if !a.IsActive() || b.IsActive() {
			t.Fatalf("a=%v b=%v, want a active", a.State(), b.State())
		}
		stopAt := time.Now()
		if err := a.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if a.IsActive() {
			t.Fatal("a still active after Stop")
		}
		if lost := a.waitEvent(t, taskcompat.LostActive, 1, time.Second); lost.Reason != "stopped" {
			t.Fatalf("LostActive reason %q", lost.Reason)
		}
		if _, ok := lastHeartbeat(t, db, d, "a", "gs"); ok {
			t.Fatal("Stop left its health_check row")
		}
		// Failing over by staleness would take 31 s here.
		ev := b.waitEvent(t, taskcompat.BecameActive, 1, 10*time.Second)
		t.Logf("%s: takeover %v after Stop", d, ev.At.Sub(stopAt).Round(time.Millisecond))
		if h, term := token(t, db, d, "gs"); h != "b" || term != 2 {
			t.Fatalf("token %s/%d, want b/2", h, term)
		}
		if err := a.Stop(context.Background()); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		if err := a.Start(context.Background()); err == nil {
			t.Fatal("Start after Stop succeeded")
		}
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
				if err := m.Start(context.Background()); err != nil {
					t.Error(err)
				}
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
		if winners != 1 || term != 42 {
			t.Fatalf("%d takeovers, term %d; want exactly 1 takeover and term 42", winners, term)
		}
		for _, m := range members {
			if m.IsActive() != (m.id == holder) {
				t.Fatalf("%s active=%v, holder %s", m.id, m.IsActive(), holder)
			}
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
		if h, term := token(t, db, d, "gs"); h != "ghost" || term != 41 || m.IsActive() {
			t.Fatalf("token %s/%d, active %v after a check with its own heartbeat %v old; want it left to ghost/41", h, term, m.IsActive(), stale)
		}
		if st := m.Stats(); st.TakeoversDeferred != 1 || st.Takeovers != 0 {
			t.Fatalf("stats %+v, want one deferred takeover and none made", st)
		}
		taskcompat.Tick(m.Coordinator, ctx, true, true)
		if h, term := token(t, db, d, "gs"); h != "late" || term != 42 || !m.IsActive() {
			t.Fatalf("token %s/%d, active %v after a fresh heartbeat; want late/42, active", h, term, m.IsActive())
		}
		if st := m.Stats(); st.SelfFences != 0 || st.Takeovers != 1 {
			t.Fatalf("stats %+v, want one takeover and no self-fence", st)
		}
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
		if !a.IsActive() {
			t.Fatal("a not active")
		}
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
		if !strings.Contains(lost.Reason, "intruder") || lost.Term != 2 {
			t.Fatalf("LostActive %+v, want the intruder named with term 2", lost)
		}
		if n := a.Stats().Checks - checksBefore; n > 2 {
			t.Fatalf("noticed after %d checks, want within one", n)
		}
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
		if a.IsActive() {
			t.Fatal("a took the token from a live holder")
		}
		close(stop)
		wg.Wait()
		// The intruder is gone: a takes over again, with a new term.
		back := a.waitEvent(t, taskcompat.BecameActive, 2, 15*time.Second)
		if back.Term != 3 {
			t.Fatalf("regained with term %d, want 3", back.Term)
		}
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
		if m.IsActive() {
			t.Fatal("took an hour-old heartbeat's token at once")
		}
		ev := m.waitEvent(t, taskcompat.BecameActive, 1, stale+5*time.Second)
		// MySQL's whole-second heartbeat may be up to a second older than
		// the moment it was written.
		least := stale
		if d == schema.MySQL {
			least -= time.Second
		}
		if took := ev.At.Sub(start); took < least || took > stale+2*time.Second {
			t.Fatalf("took over %v after start, want between %v and %v", took, least, stale+2*time.Second)
		}
		if h, term := token(t, db, d, "gw"); h != "m" || term != 42 {
			t.Fatalf("token %s/%d, want m/42", h, term)
		}
	})
}

func mustExec(t *testing.T, db *sql.DB, d schema.Dialect, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(testdb.Q(d, q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
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
		if st := m.Stats(); st.SelfFences != 0 || st.Takeovers != 1 || !m.IsActive() || b.IsActive() {
			t.Fatalf("healthy member: %+v, active %v; standby active %v", st, m.IsActive(), b.IsActive())
		}
	})
}
