package taskcompat

// The election's local timing with a fake clock: pure logic, no database.

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clockedCoordinator is a member with the documented default timings
// (livenessCheckInterval 30 s, heartbeatFrequency 1 s, checkPeriod 1 s) that
// reads time from fc and never touches its database.
func clockedCoordinator(t *testing.T, fc *fakeClock, cb Callbacks) *Coordinator {
	t.Helper()
	cfg := Config{GroupID: "clock-group", TaskID: "clock-member",
		Database: DatabaseConfig{Type: "sqlite", Database: filepath.Join(t.TempDir(), "never-opened.db")}}
	require.NoError(t, cfg.Validate())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := build(cfg.WithDefaults(), newOptions([]Option{withClock(fc), WithLogger(log), WithCallbacks(cb)}))
	c.events = newDispatcher(cb)
	t.Cleanup(c.events.close)
	c.initMemberLocks(false)
	return c
}

// heartbeated records a successful heartbeat begun now, as sendHeartbeat does.
func heartbeated(c *Coordinator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastHBOK = c.now()
	c.armFenceLocked()
}

// checked records a successful check begun now, as check does.
func checked(c *Coordinator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastCheckOK = c.now()
	c.armFenceLocked()
}

// roleNow reads the role without State, which fences by itself: what the
// fence timer alone did.
func roleNow(c *Coordinator) (Role, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Role, c.stats.SelfFences
}

// activeCoordinator is a clocked member that heartbeated and became active now.
func activeCoordinator(t *testing.T, fc *fakeClock) (*Coordinator, chan Event) {
	lost := make(chan Event, 4)
	c := clockedCoordinator(t, fc, Callbacks{OnLostActive: func(e Event) { lost <- e }})
	heartbeated(c)
	c.becomeActive(7, time.Time{}, fc.Now())
	require.Equal(t, 1, fc.pending(), "becoming active arms the self-fence")
	return c, lost
}

func TestDefaultFenceBound(t *testing.T) {
	c := clockedCoordinator(t, newFakeClock(), Callbacks{})
	// livenessCheckInterval 30 s - heartbeatFrequency 1 s.
	assert.Equal(t, 29*time.Second, c.fenceAfter)
}

// The self-fence timer steps an active member down exactly when its last
// successful heartbeat becomes fenceAfter old, not a nanosecond before, and
// a later heartbeat moves that moment.
func TestSelfFenceFiresAtTheFenceBound(t *testing.T) {
	fc := newFakeClock()
	c, lost := activeCoordinator(t, fc)
	t0 := fc.Now()

	// Checks keep succeeding every second; heartbeats stop after 20 s.
	for range 20 {
		fc.advance(time.Second)
		checked(c)
	}
	heartbeated(c) // at t0+20s: the bound is now t0+49s
	for fc.Now().Before(t0.Add(48 * time.Second)) {
		fc.advance(time.Second)
		checked(c)
		role, fences := roleNow(c)
		require.Equal(t, Active, role, "at t0+%v", fc.Now().Sub(t0))
		require.Zero(t, fences)
	}
	fc.advance(time.Second - time.Nanosecond) // t0+49s-1ns
	role, fences := roleNow(c)
	assert.Equal(t, Active, role, "heartbeat one nanosecond younger than the bound")
	assert.Zero(t, fences)
	assert.True(t, c.IsActive())

	fc.advance(time.Nanosecond) // t0+49s: the heartbeat is fenceAfter old
	role, fences = roleNow(c)
	assert.Equal(t, Standby, role)
	assert.EqualValues(t, 1, fences)
	select {
	case e := <-lost:
		assert.Equal(t, int64(7), e.Term)
		assert.Contains(t, e.Reason, "self-fenced")
		assert.Equal(t, t0.Add(49*time.Second), e.At, "the event carries the clock's time")
	case <-time.After(10 * time.Second):
		t.Fatal("no LostActive event after the self-fence")
	}
}

// Heartbeats that keep succeeding while checks fail: the fence gives the
// checks one checkPeriod more than the heartbeats.
func TestSelfFenceOnFailingChecks(t *testing.T) {
	fc := newFakeClock()
	c, _ := activeCoordinator(t, fc)
	t0 := fc.Now()
	for range 29 {
		fc.advance(time.Second)
		heartbeated(c)
	}
	fc.advance(time.Second - time.Nanosecond) // t0+30s-1ns
	role, _ := roleNow(c)
	require.Equal(t, Active, role)
	fc.advance(time.Nanosecond) // last check + checkPeriod + fenceAfter
	role, fences := roleNow(c)
	assert.Equal(t, Standby, role, "at t0+%v", fc.Now().Sub(t0))
	assert.EqualValues(t, 1, fences)
}

// A process paused past its deadline wakes before its timer runs: reading
// the role fences by itself.
func TestReadingTheRoleFencesWhenTheTimerIsLate(t *testing.T) {
	fc := newFakeClock()
	c, _ := activeCoordinator(t, fc)
	StopFenceTimer(c)
	fc.advance(c.fenceAfter - time.Nanosecond)
	require.True(t, c.IsActive())
	fc.advance(time.Nanosecond)
	role, _ := roleNow(c)
	require.Equal(t, Active, role, "the timer did not run")
	assert.False(t, c.IsActive())
	assert.EqualValues(t, 1, c.Stats().SelfFences)
}

// A member that stepped aside competes again exactly when its while ends.
func TestStepAsideEndsAtItsTime(t *testing.T) {
	fc := newFakeClock()
	c, lost := activeCoordinator(t, fc)
	t0 := fc.Now()
	const d = 90 * time.Second

	c.mu.Lock()
	c.goAsideLocked("cannot log in", d)
	c.mu.Unlock()
	s := c.State()
	assert.Equal(t, Standby, s.Role)
	assert.Equal(t, t0.Add(d), s.AsideUntil)
	select {
	case e := <-lost:
		assert.Equal(t, "stepped aside: cannot log in", e.Reason)
	case <-time.After(10 * time.Second):
		t.Fatal("no LostActive event after stepping aside")
	}

	for fc.Now().Before(t0.Add(d - time.Second)) {
		fc.advance(time.Second)
		heartbeated(c) // fresh, so only the while keeps it out
		require.True(t, c.isAside(), "at t0+%v", fc.Now().Sub(t0))
		require.False(t, c.mayTakeToken(observation{}))
		require.False(t, c.HeartbeatCurrent())
	}
	fc.advance(time.Second - time.Nanosecond)
	assert.True(t, c.isAside(), "one nanosecond before the end")
	assert.Equal(t, t0.Add(d), c.State().AsideUntil)

	fc.advance(time.Nanosecond)
	assert.False(t, c.isAside())
	assert.Zero(t, c.State().AsideUntil)
	assert.True(t, c.mayTakeToken(observation{}))
	assert.EqualValues(t, 1, c.Stats().StepAsides)
}

// HeartbeatCurrent holds while the last successful heartbeat is younger
// than fenceAfter, whatever the role, and turns false at that age.
func TestHeartbeatCurrentEndsAtTheFenceBound(t *testing.T) {
	fc := newFakeClock()
	c := clockedCoordinator(t, fc, Callbacks{})
	assert.False(t, c.HeartbeatCurrent(), "no heartbeat yet")

	heartbeated(c)
	assert.True(t, c.HeartbeatCurrent())
	fc.advance(c.fenceAfter - time.Nanosecond)
	assert.True(t, c.HeartbeatCurrent(), "one nanosecond younger than fenceAfter")
	assert.True(t, c.mayTakeToken(observation{}))
	fc.advance(time.Nanosecond)
	assert.False(t, c.HeartbeatCurrent(), "fenceAfter old")
	assert.False(t, c.mayTakeToken(observation{}), "a standby this stale waits for its next heartbeat")
	assert.EqualValues(t, 1, c.Stats().TakeoversDeferred)

	heartbeated(c)
	assert.True(t, c.HeartbeatCurrent(), "a new heartbeat makes it current again")
}
