package taskcompat

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testLimit = 3 * time.Second // livenessCheckInterval 2

func TestZoneOffsetNear(t *testing.T) {
	for _, c := range []struct {
		age  time.Duration
		want time.Duration
		ok   bool
	}{
		{300 * time.Millisecond, 0, true},
		{-500 * time.Millisecond, 0, true},
		{-(5*time.Hour + 30*time.Minute) + 200*time.Millisecond, -(5*time.Hour + 30*time.Minute), true},
		{8*time.Hour + 900*time.Millisecond, 8 * time.Hour, true},
		{5*time.Hour + 45*time.Minute + time.Second, 5*time.Hour + 45*time.Minute, true},
		{7 * time.Minute, 0, false},             // neither fresh nor an offset
		{27 * time.Hour, 0, false},              // no two zones are this far apart
		{-2 * time.Second, 0, false},            // in the future beyond the tolerance
		{2*time.Hour - 3*time.Second, 0, false}, // a value cannot be older than fresh by less than zero
	} {
		got, ok := zoneOffsetNear(c.age)
		if assert.Equal(t, c.ok, ok, "zoneOffsetNear(%v) = %v, %v; want %v, %v", c.age, got, ok, c.want, c.ok) && ok {
			assert.Equal(t, c.want, got, "zoneOffsetNear(%v) = %v, %v; want %v, %v", c.age, got, ok, c.want, c.ok)
		}
	}
}

func TestMayBeLive(t *testing.T) {
	for _, c := range []struct {
		age  time.Duration
		live bool
	}{
		{time.Second, true},
		{-time.Second, true},
		{testLimit, false},                                    // stale in our zone, and no offset explains it
		{time.Hour + 67*time.Minute, false},                   // dead in any zone
		{8*time.Hour + 400*time.Millisecond, true},            // a live writer 8 h west
		{-(5*time.Hour + 30*time.Minute) + time.Second, true}, // a live writer 5.5 h east
		{-(5*time.Hour + 20*time.Minute), false},              // one 5.5 h east, dead 10 minutes
		{time.Hour + 2*time.Second, true},                     // one hour west, or dead an hour: may be live
		{30 * time.Hour, false},                               // older than any zone difference
		{-30 * time.Hour, false},                              // further in the future than any zone
	} {
		assert.Equal(t, c.live, mayBeLive(c.age, testLimit), "mayBeLive(%v)", c.age)
	}
	// With a liveness interval longer than a quarter hour every age may be live.
	assert.True(t, mayBeLive(20*time.Minute, 31*time.Minute), "mayBeLive(20m, limit 31m)")
}

// The judgement of a holder, step by step, for a writer 8 h west of our
// session zone (a JVM in Los Angeles, a member on UTC): live while its value
// changes, dead once its corrected age passes the limit, and dead by the
// unchanged rule when no change was ever seen.
func TestJudgeWriterInAnotherZone(t *testing.T) {
	var z zoneTracker
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	west := 8 * time.Hour // skew: our session's offset minus the writer's
	wall := func(at time.Time) int64 { return at.Add(-west).UnixMicro() }
	see := func(writtenAt, now time.Time) (time.Duration, bool) {
		z.update([]hbRow{{taskID: "jvm", wallUS: wall(writtenAt), age: now.Sub(writtenAt) + west}}, "me", now)
		return z.judge("jvm", now.Sub(writtenAt)+west, testLimit, now)
	}
	// First sighting: 8 h old to us, but it may be live: not dead.
	_, dead := see(t0, t0.Add(100*time.Millisecond))
	require.False(t, dead, "a fresh member took a heartbeat 8 h west for dead at first sight")
	// It changes: the zone is learned, the age is right.
	age, dead := see(t0.Add(time.Second), t0.Add(1100*time.Millisecond))
	require.False(t, dead, "after a change: age %v dead %v; want 100ms, alive", age, dead)
	require.Equal(t, 100*time.Millisecond, age, "after a change: age %v dead %v; want 100ms, alive", age, dead)
	s := z.knownSkews("me")
	require.Equal(t, west, s["jvm"], "live skews %v, want jvm at %v", s, west)
	// It stops: dead exactly when the corrected age reaches the limit.
	last := t0.Add(time.Second)
	_, dead = see(last, last.Add(testLimit-time.Millisecond))
	require.False(t, dead, "dead before the limit")
	age, dead = see(last, last.Add(testLimit))
	require.True(t, dead, "at the limit: age %v dead %v", age, dead)
	require.Equal(t, testLimit, age, "at the limit: age %v dead %v", age, dead)

	// A holder never seen changing whose age looks like an offset: dead
	// once unchanged for the limit, timed from the first sighting.
	var y zoneTracker
	first := t0
	y.update([]hbRow{{taskID: "ghost", wallUS: 1, age: time.Hour}}, "me", first)
	_, dead = y.judge("ghost", time.Hour, testLimit, first)
	require.False(t, dead, "an hour-old heartbeat judged dead at first sight")
	now := first.Add(testLimit)
	y.update([]hbRow{{taskID: "ghost", wallUS: 1, age: time.Hour + testLimit}}, "me", now)
	_, dead = y.judge("ghost", time.Hour+testLimit, testLimit, now)
	require.True(t, dead, "an unchanged heartbeat not dead after the limit")
	// One that no zone explains is dead at once.
	var x zoneTracker
	x.update([]hbRow{{taskID: "old", wallUS: 1, age: time.Hour + 7*time.Minute}}, "me", first)
	_, dead = x.judge("old", time.Hour+7*time.Minute, testLimit, first)
	require.True(t, dead, "a heartbeat 67 minutes old not dead at once")
}

func TestWriteSkewAndMismatch(t *testing.T) {
	ist := 5*time.Hour + 30*time.Minute
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	row := func(skew time.Duration, changed time.Time) *rowTrack {
		return &rowTrack{skew: skew, known: true, changedAt: changed}
	}
	for _, c := range []struct {
		name string
		rows map[string]*rowTrack
		want time.Duration
	}{
		{"nobody", nil, 0},
		{"live standbys agree", map[string]*rowTrack{"a": row(-ist, t0), "b": row(-ist, t0)}, -ist},
		{"live standbys disagree: the easternmost", map[string]*rowTrack{"a": row(-ist, t0), "b": row(8*time.Hour, t0)}, -ist},
		{"members of ours in our zone, a node east stopped", map[string]*rowTrack{"m1": row(0, t0), "m2": row(0, t0), "jvm": row(-ist, t0.Add(-time.Minute))}, -ist},
		{"a node west stopped long ago, one in our zone alive", map[string]*rowTrack{"b": row(0, t0), "old": row(8*time.Hour, t0.Add(-time.Hour))}, 0},
		{"a node alive after its DST change, one stopped before it", map[string]*rowTrack{"n1": row(7*time.Hour, t0.Add(-10*time.Second)), "n2": row(8*time.Hour, t0)}, 8 * time.Hour},
		{"only our own row", map[string]*rowTrack{"me": row(-ist, t0)}, 0},
		{"a node whose clocks went back within the hour", map[string]*rowTrack{"n": {skew: 8 * time.Hour, known: true, changedAt: t0, east: 7 * time.Hour, eastUntil: t0.Add(time.Minute)}}, 7 * time.Hour},
		{"a node whose clocks went back an hour ago", map[string]*rowTrack{"n": {skew: 8 * time.Hour, known: true, changedAt: t0, east: 7 * time.Hour, eastUntil: t0}}, 8 * time.Hour},
	} {
		z := zoneTracker{rows: c.rows}
		assert.Equal(t, c.want, z.writeSkew("me", testLimit, t0), "%s: writeSkew", c.name)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	require.Empty(t, mismatch("UTC", map[string]time.Duration{"a": 0}, now), "same zone")
	require.Equal(t, "jvm writes in UTC+05:30", mismatch("UTC", map[string]time.Duration{"jvm": -ist}, now), "mismatch")
	m := mismatch("UTC", map[string]time.Duration{"jvm": -ist, "b": 0}, now)
	require.True(t, strings.HasPrefix(m, "jvm writes in UTC+05:30; the other members disagree among themselves"), "mismatch: %q", m)
	require.Equal(t, "jvm writes in UTC+00:00", mismatch("America/Los_Angeles", map[string]time.Duration{"jvm": -8 * time.Hour}, now), "mismatch")
}
