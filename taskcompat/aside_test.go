package taskcompat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
	"github.com/stretchr/testify/require"
)

// A member that steps aside hands over as a graceful stop does (its row is
// deleted, a standby takes over long before livenessCheckInterval), writes no
// heartbeat while aside, and comes back as a standby afterwards.
func TestStepAsideHandsOverAtOnce(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		slow := func(c *taskcompat.Config) { c.LivenessCheckInterval = 30 }
		a := startMember(t, cfg, "a", "sa", slow)
		b := startMember(t, cfg, "b", "sa", slow)
		require.True(t, a.IsActive(), "a=%+v, want a active", a.State())
		const aside = 3 * time.Second
		at := time.Now()
		require.NoError(t, a.StepAside(context.Background(), "cannot reach the file server", aside))
		require.False(t, a.IsActive(), "a still active after StepAside")
		lost := a.waitEvent(t, taskcompat.LostActive, 1, time.Second)
		require.Contains(t, lost.Reason, "stepped aside: cannot reach the file server")
		require.False(t, a.State().AsideUntil.IsZero(), "State.AsideUntil unset while aside")
		// Failing over by staleness would take 31 s here.
		ev := b.waitEvent(t, taskcompat.BecameActive, 1, 10*time.Second)
		t.Logf("%s: takeover %v after StepAside", d, ev.At.Sub(at).Round(time.Millisecond))
		h, term := token(t, db, d, "sa")
		require.Equal(t, "b", h, "token %s/%d, want b/2", h, term)
		require.Equal(t, int64(2), term, "token %s/%d, want b/2", h, term)
		// While aside it writes no heartbeat: its row stays gone.
		for time.Since(at) < aside-500*time.Millisecond {
			_, ok := lastHeartbeat(t, db, d, "a", "sa")
			require.False(t, ok, "a heartbeats while aside (%v after StepAside)", time.Since(at))
			time.Sleep(100 * time.Millisecond)
		}
		waitFor(t, 10*time.Second, "a's heartbeat row back after its while", func() bool {
			_, ok := lastHeartbeat(t, db, d, "a", "sa")
			return ok
		})
		require.True(t, a.State().AsideUntil.IsZero(), "State.AsideUntil still set after the while")
		require.False(t, a.IsActive(), "a took the token back from a live b")
		require.Equal(t, int64(1), a.Stats().StepAsides, "stats")
	})
}

// A member alone in its group that steps aside leaves the token untaken for
// the while, then takes it back under a new term: a group of one keeps
// trying, no faster than once per while.
func TestStepAsideAloneTakesItBackAfterTheWhile(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMember(t, cfg, "a", "solo")
		require.True(t, a.IsActive())
		const aside = 2 * time.Second
		require.NoError(t, a.StepAside(context.Background(), "login refused", aside))
		until := a.State().AsideUntil
		require.False(t, until.IsZero())
		for time.Now().Before(until.Add(-200 * time.Millisecond)) {
			h, term := token(t, db, d, "solo")
			require.Equal(t, int64(1), term, "token %s/%d taken while aside", h, term)
			require.False(t, a.IsActive(), "active while aside")
			time.Sleep(50 * time.Millisecond)
		}
		ev := a.waitEvent(t, taskcompat.BecameActive, 2, 10*time.Second)
		require.False(t, ev.At.Before(until), "took the token back at %v, before its while ended at %v", ev.At, until)
		require.Equal(t, int64(2), ev.Term)
		require.True(t, a.IsActive())
		require.True(t, strings.Contains(a.logs.String(), "stepping aside"), "no log line")
	})
}

func TestStepAsideNotRunning(t *testing.T) {
	cfg := testdb.NewWithSchema(t, schema.SQLite)
	m := newMember(t, cfg, "a", "nr")
	require.ErrorIs(t, m.StepAside(context.Background(), "x", time.Second), taskcompat.ErrNotRunning)
}

// A Ballerina node, standby behind a member that steps aside, takes over at
// its next tick ("no heartbeat row for the holder"), not after the 31 s of
// staleness; the member does not take the token back from the live node
// once its while is over.
func TestStepAsideHandsOverToABallerinaPeer(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMember(t, cfg, "go-s", "g-aside", func(c *taskcompat.Config) { c.LivenessCheckInterval = 30 })
		p, err := ballerinapeer.Start(context.Background(), ballerinapeer.Config{
			Database: cfg, TaskID: "bal-s", GroupID: "g-aside", LivenessCheckInterval: 30,
			HeartbeatFrequency: heartbeat, PollingInterval: heartbeat,
		})
		require.NoError(t, err)
		t.Cleanup(p.Halt)
		require.True(t, a.IsActive())
		require.False(t, p.IsActive())
		const aside = time.Second
		require.NoError(t, a.StepAside(context.Background(), "cannot reach the file server", aside))
		waitFor(t, 10*time.Second, "the peer to take over", p.IsActive)
		h, term := token(t, db, d, "g-aside")
		require.Equal(t, "bal-s", h, "token %s/%d", h, term)
		waitFor(t, 10*time.Second, "the member's heartbeat row back after its while", func() bool {
			_, ok := lastHeartbeat(t, db, d, "go-s", "g-aside")
			return ok
		})
		c0 := a.Stats().Checks
		waitFor(t, 10*time.Second, "a few checks after the while", func() bool { return a.Stats().Checks > c0+8 })
		require.False(t, a.IsActive(), "the member took the token back from a live Ballerina node")
		require.True(t, p.IsActive())
		require.NoError(t, p.Dead(), "peer hit an SQL error")
	})
}
