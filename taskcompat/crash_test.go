package taskcompat_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// defaults is the configuration users get: livenessCheckInterval 30,
// heartbeatFrequency 1.
func defaults(c *taskcompat.Config) {
	c.LivenessCheckInterval = 0
	c.HeartbeatFrequency = 0
}

// A holder whose session ends (Halt stands for a crash here: it writes
// nothing and its sessions end) is replaced long before its heartbeat could
// go stale, at the default settings: the standby waited on its session lock.
func TestCrashedHolderReplacedAtOnce(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMember(t, cfg, "a", "gc", defaults)
		b := startMember(t, cfg, "b", "gc", defaults)
		require.True(t, a.IsActive(), "a=%+v b=%+v, want a active", a.State(), b.State())
		require.Equal(t, 30, b.Config().LivenessCheckInterval, "the defaults")
		waitBlocked(t, d, db, func() bool { return taskcompat.Polling() > 0 })
		crashedAt := time.Now()
		a.Halt()
		t.Cleanup(func() {
			if t.Failed() {
				t.Log(b.logs.String())
			}
		})
		ev := b.waitEvent(t, taskcompat.BecameActive, 1, 15*time.Second)
		require.Equal(t, int64(2), ev.Term, "b's term")
		t.Logf("%s: takeover %v after the crash", d, ev.At.Sub(crashedAt).Round(time.Millisecond))
		require.Less(t, ev.At.Sub(crashedAt), 15*time.Second, "well before livenessCheckInterval")
	})
}

// waitBlocked waits until a member is blocked on a session lock held by
// another, as seen from outside (the server's lock table), or for SQLite
// until sqlitePolling says a member polls one.
func waitBlocked(t *testing.T, d schema.Dialect, db *sql.DB, sqlitePolling func() bool) {
	t.Helper()
	q := map[schema.Dialect]string{
		schema.Postgres: `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted ` +
			`AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
		schema.MySQL: `SELECT count(*) FROM information_schema.PROCESSLIST WHERE STATE = 'User lock' AND DB = DATABASE()`,
	}[d]
	if q == "" {
		// SQLite waits by polling the file lock: a member that polls
		// started its wait while the lock was held.
		waitFor(t, 5*time.Second, "a member polling the session lock", sqlitePolling)
		return
	}
	waitFor(t, 5*time.Second, "a member blocked on the session lock", func() bool {
		var n int
		require.NoError(t, db.QueryRow(q).Scan(&n))
		return n > 0
	})
}

// The holder's path to the database is reset on both sides (a proxy host
// that dies): the server ends its sessions, so a standby takes over at once,
// and the holder, whose next heartbeat on its lock session fails and which
// cannot open another, stops being active within about a heartbeat: long
// before its self-fence (29 s at the defaults).
func TestPathResetHolderStepsDownWithinAHeartbeat(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		proxy, viaProxy := throughProxy(t, cfg)
		a := startMember(t, viaProxy, "a", "gr", defaults)
		b := startMember(t, cfg, "b", "gr", defaults)
		require.True(t, a.IsActive(), "a=%+v b=%+v, want a active", a.State(), b.State())
		waitBlocked(t, d, db, nil)
		proxy.SetMode(tcpproxy.Refuse)
		took := b.waitEvent(t, taskcompat.BecameActive, 1, 10*time.Second)
		lost := a.waitEvent(t, taskcompat.LostActive, 1, 10*time.Second)
		require.Contains(t, lost.Reason, "lost its lock session", "a stepped down for %q", lost.Reason)
		gap := lost.At.Sub(took.At)
		t.Logf("%s: b took over; a stepped down %v later", d, gap.Round(time.Millisecond))
		require.Less(t, gap, 5*time.Second, "a stepped down %v after b took over: want about a heartbeat, not the self-fence", gap)
		h, term := token(t, db, d, "gr")
		require.Equal(t, "b", h, "token %s/%d", h, term)
		require.Equal(t, int64(2), term, "token %s/%d", h, term)
	})
}

// crashSignal = false keeps the heartbeat rule only: the holder holds no
// session lock (a probe takes it), and the standby waits on none.
func TestCrashSignalOff(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		off := func(c *taskcompat.Config) { no := false; c.CrashSignal = &no }
		a := startMember(t, cfg, "a", "go", defaults, off)
		b := startMember(t, cfg, "b", "go", defaults, off)
		require.True(t, a.IsActive(), "a=%+v b=%+v, want a active", a.State(), b.State())
		waitFor(t, 5*time.Second, "a few checks of b", func() bool { return b.Stats().Checks >= 3 })
		p, err := taskcompat.OpenLockSession(context.Background(), db, d, cfg.Database, "go")
		require.NoError(t, err)
		defer p.Close()
		ok, err := p.Acquire(context.Background(), 1)
		require.NoError(t, err)
		require.True(t, ok, "the holder holds its session lock with crashSignal = false")
		require.False(t, taskcompat.Waiting(b.Coordinator), "b waits on a session lock with crashSignal = false")
		require.Contains(t, a.logs.String(), "crash signal off", "a did not say the crash signal is off")
	})
}

// A standby blocked on the holder's session lock sends nothing while it
// waits: its idle load stays two statements per heartbeat (the heartbeat and
// the check), plus, once per term, the test of the holder that starts the
// wait, and at start the record of its timings.
func TestWaitingStandbyIdleLoad(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMember(t, cfg, "a", "gi")
		b := startMember(t, cfg, "b", "gi")
		require.True(t, a.IsActive(), "a=%+v b=%+v, want a active", a.State(), b.State())
		waitBlocked(t, d, db, func() bool { return taskcompat.Polling() > 0 })
		waitFor(t, 10*time.Second, "20 heartbeats of b", func() bool { return b.Stats().Heartbeats >= 20 })
		st := b.Stats()
		require.LessOrEqual(t, st.Statements, 2*st.Heartbeats+3, "%d statements for %d heartbeats: more than two per heartbeat", st.Statements, st.Heartbeats)
		require.True(t, b.State().CrashSignal, "b is not waiting on a's session lock")
		require.True(t, a.State().CrashSignal, "a does not hold its session lock")
	})
}
