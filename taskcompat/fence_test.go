package taskcompat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// The active member loses its database (a partition: the proxy keeps both
// sides of its connections open and forwards nothing, so the server keeps
// its sessions, and no crash signal fires). It must step down before its
// heartbeat is stale, that is before any standby may take over; a standby
// then takes over; when the network heals the member rejoins as a standby.
func TestSelfFenceOnDatabaseCut(t *testing.T) {
	for _, mode := range []tcpproxy.Mode{tcpproxy.Partition} {
		name := map[tcpproxy.Mode]string{tcpproxy.Partition: "partition"}[mode]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A network cut needs a network: SQLite's counterpart is
			// TestSelfFenceOnSQLiteLock.
			testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
				selfFenceOnCut(t, d, mode)
			})
		})
	}
}

func selfFenceOnCut(t *testing.T, d schema.Dialect, mode tcpproxy.Mode) {
	cfg := testdb.NewWithSchema(t, d)
	proxy, viaProxy := throughProxy(t, cfg)
	a := startMember(t, viaProxy, "a", "gf")
	b := startMember(t, cfg, "b", "gf")
	require.True(t, a.IsActive(), "want a active, b standby: %+v %+v", a.State(), b.State())
	require.False(t, b.IsActive(), "want a active, b standby: %+v %+v", a.State(), b.State())
	members := []*member{a, b}
	s := sample(func() []*member { return members })

	proxy.SetMode(mode)
	lost := a.waitEvent(t, taskcompat.LostActive, 1, 10*time.Second)
	require.Contains(t, lost.Reason, "self-fenced", "a stepped down for %q, want self-fencing", lost.Reason)
	// a's last heartbeat that reached the database was sent at or before
	// LastHeartbeat; nobody may take over until livenessCheckInterval after
	// it, so a must have stepped down before that.
	lastOK := a.State().LastHeartbeat
	gap := lost.At.Sub(lastOK)
	require.Less(t, gap, liveness*time.Second, "a stepped down %v after its last heartbeat, not before livenessCheckInterval %ds", gap, liveness)
	took := b.waitEvent(t, taskcompat.BecameActive, 1, 15*time.Second)
	require.True(t, took.At.After(lost.At), "b became active at %v, before a stepped down at %v", took.At, lost.At)
	t.Logf("%s/%v: a fenced %v after its last heartbeat; b took over %v after that",
		d, mode, lost.At.Sub(lastOK).Round(time.Millisecond), took.At.Sub(lost.At).Round(time.Millisecond))

	proxy.SetMode(tcpproxy.Pass)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(a.logs.String())
		}
	})
	waitFor(t, 20*time.Second, "a to reach the database again", func() bool {
		st := a.State()
		return st.Healthy && st.Holder == "b" && st.LastHeartbeat.After(took.At)
	})
	require.False(t, a.IsActive(), "after healing: a=%+v b=%+v", a.State(), b.State())
	require.True(t, b.IsActive(), "after healing: a=%+v b=%+v", a.State(), b.State())
	s.check(t)
	n := strings.Count(a.logs.String(), "coordination database failing")
	require.Equal(t, 1, n, "the outage was logged %d times, want once:\n%s", n, a.logs)
	require.Contains(t, a.logs.String(), "coordination database answering again", "the recovery was not logged")
}

// A database that is down when the member is already running never stops it
// for good: a standby that loses the database keeps retrying and takes over
// once it is back and the holder is gone.
func TestStandbySurvivesOutage(t *testing.T) {
	// The outage is a refused TCP connection: servers only.
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		proxy, viaProxy := throughProxy(t, cfg)
		a := startMember(t, cfg, "a", "go")
		b := startMember(t, viaProxy, "b", "go")
		proxy.SetMode(tcpproxy.Refuse)
		waitFor(t, 10*time.Second, "b to notice the outage", func() bool { return !b.State().Healthy })
		a.Halt()
		proxy.SetMode(tcpproxy.Pass)
		b.waitEvent(t, taskcompat.BecameActive, 1, 20*time.Second)
		st := b.Stats()
		require.NotZero(t, st.HeartbeatFailures, "b saw no failures: %+v", st)
	})
}

// throughProxy starts a TCP proxy to the database of cfg and returns it with
// settings that reach the database through it.
func throughProxy(t *testing.T, cfg taskcompat.DatabaseConfig) (*tcpproxy.Proxy, taskcompat.DatabaseConfig) {
	t.Helper()
	proxy, err := tcpproxy.Start(cfg.Address())
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	cfg.Host, cfg.Port = "127.0.0.1", proxy.Addr().Port
	return proxy, cfg
}

// A process paused past its fence deadline (SIGSTOP, a suspended VM) wakes
// with its fence timer and its workers racing. Reading the role must fence
// by itself: with the timer stopped, a member cut from its database is
// still no longer active once the deadline has passed.
func TestRoleReadFencesWithoutTimer(t *testing.T) {
	cfg := testdb.NewWithSchema(t, schema.Postgres)
	proxy, viaProxy := throughProxy(t, cfg)
	a := startMember(t, viaProxy, "a", "gt")
	require.True(t, a.IsActive(), "want a active: %+v", a.State())
	// Cut first: no heartbeat succeeds after it to re-arm the timer. A
	// partition: the server keeps a's sessions, so its lock session is not
	// lost at once either.
	proxy.SetMode(tcpproxy.Partition)
	taskcompat.StopFenceTimer(a.Coordinator)
	cut := time.Now()
	// The deadline is livenessCheckInterval - heartbeatFrequency after the
	// last good heartbeat; without the check on reading, a would stay
	// active for good.
	waitFor(t, 3*liveness*time.Second, "a to see it is no longer active", func() bool {
		_, active := a.FencingToken()
		return !active
	})
	d := time.Since(cut)
	require.LessOrEqual(t, d, liveness*time.Second, "a was active %v after its database was cut, past livenessCheckInterval", d.Round(time.Millisecond))
	lost := a.waitEvent(t, taskcompat.LostActive, 1, time.Second)
	require.Contains(t, lost.Reason, "self-fenced", "a stepped down for %q, want self-fencing", lost.Reason)
}
