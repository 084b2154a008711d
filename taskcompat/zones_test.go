package taskcompat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// node is a Ballerina node in a test: the Go peer, or the JVM peer.
type node interface {
	IsActive() bool
	Ticks() int
	Halt()
}

// startNode starts one Ballerina node of a scenario with the given task id.
type startNode func(t *testing.T, id string) node

// zoneWarning is the start of the warning a member logs when the group's
// heartbeats are written in other zones than its session's.
const zoneWarning = "members of this group write heartbeats in other time zones"

// The zones of issue 19: UTC, one east with a half-hour offset, one west.
var testZones = []string{"UTC", "Asia/Kolkata", "America/Los_Angeles"}

// memberZone is the sessionTimeZone a member in zone z is configured with.
// The MariaDB test server has no time zone tables, so MySQL sessions take
// offsets (the zone of a TIMESTAMP session does not change what is stored).
func memberZone(d schema.Dialect, z string) string {
	if d != schema.MySQL {
		return z
	}
	return map[string]string{"UTC": "UTC", "Asia/Kolkata": "+05:30", "America/Los_Angeles": "-08:00"}[z]
}

// offsetsDiffer reports whether two zones have different offsets now.
func offsetsDiffer(a, b string) bool {
	la, _ := time.LoadLocation(a)
	lb, _ := time.LoadLocation(b)
	now := time.Now()
	_, oa := now.In(la).Zone()
	_, ob := now.In(lb).Zone()
	return oa != ob
}

// Every combination of member zone and Ballerina node zone, on PostgreSQL
// and MariaDB: no takeover from a live holder, crash takeover within the
// usual bound and graceful handover, in both directions; on PostgreSQL also a
// node whose zone moves its clocks forward, then back, while the scenario
// runs (a DST change both ways).
//
// The scenarios mostly wait, so they run all at once (together).
func TestZonesMemberAndBallerinaNode(t *testing.T) {
	t.Parallel()
	heavy.Lock()
	defer heavy.Unlock()
	eachServerDialectAtOnce(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		all := atOnce(t)
		for _, mz := range testZones {
			for _, nz := range testZones {
				all.run(fmt.Sprintf("member=%s/node=%s", mz, nz), func(t *testing.T) {
					group := fmt.Sprintf("z-%s-%s", mz, nz)
					start := func(t *testing.T, id string) node { return startPeer(t, cfg, id, group, nz) }
					wantWarning := d == schema.Postgres && offsetsDiffer(mz, nz)
					loc, _ := time.LoadLocation(nz)
					zoneScenario(t, d, cfg, group, memberZone(d, mz), start, loc, heartbeat, liveness, wantWarning)
				})
			}
		}
		if d == schema.Postgres {
			all.run("member=UTC/node=DST", func(t *testing.T) {
				dstScenarios(t, cfg, d, "z-dst", heartbeat, liveness, func(t *testing.T, id, group string, std time.Duration, spring, fall time.Time) node {
					posix, loc, err := ballerinapeer.DSTZone(std, spring, fall)
					require.NoError(t, err)
					p, err := ballerinapeer.Start(context.Background(), ballerinapeer.Config{
						Database: cfg, TaskID: id, GroupID: group, LivenessCheckInterval: liveness,
						HeartbeatFrequency: heartbeat, PollingInterval: heartbeat, JVMZone: posix, JVMLocation: loc,
					})
					require.NoError(t, err)
					t.Cleanup(p.Halt)
					return p
				})
			})
		}
		all.wait()
	})
}

// heavy lets one of the zone matrices run at a time: each starts dozens of
// nodes that connect anew for every statement, as Ballerina's do; both at
// once starve a small machine.
var heavy sync.Mutex

// together runs subtests all at once: t.Run from goroutines, which the
// -parallel limit (GOMAXPROCS) does not queue, for scenarios that mostly
// wait.
type together struct {
	t  *testing.T
	wg sync.WaitGroup
}

func atOnce(t *testing.T) *together { return &together{t: t} }

func (g *together) run(name string, f func(t *testing.T)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.t.Run(name, f)
	}()
}

func (g *together) wait() { g.wg.Wait() }

// eachServerDialectAtOnce runs f for PostgreSQL and MySQL at once.
func eachServerDialectAtOnce(t *testing.T, f func(t *testing.T, d schema.Dialect)) {
	all := atOnce(t)
	for _, d := range schema.ServerDialects {
		all.run(string(d), func(t *testing.T) { f(t, d) })
	}
	all.wait()
}

// dstStart starts a node whose zone is std east of UTC (negative: west)
// and an hour ahead from spring to fall.
type dstStart func(t *testing.T, id, group string, std time.Duration, spring, fall time.Time) node

// dstScenarios runs two scenarios with nodes in a synthetic zone (8 h west
// of UTC, or another of dstOffsets at hours when its changes would straddle
// the local midnight; members on UTC) that has DST changes while they run:
//
//   - "spring-forward": the whole zoneScenario, the clocks going forward
//     2 s after the start, while a node holds the token (a member that holds
//     it when a Ballerina standby's clocks go forward, in a zone it only
//     learned from the rows, writes in the old offset until it sees the
//     change: a standby that ticks in between reads an hour-old heartbeat,
//     see docs/timezones.md);
//   - "fall-back": a member holds the token, a node in daylight time joins,
//     its clocks go back 8 s after the start: for the hour after that, every local time
//     occurs twice and the JDBC driver reads a heartbeat written in it as the
//     first, an hour old, so the member must keep writing in the daylight
//     offset: no takeover from the live member.
func dstScenarios(t *testing.T, cfg taskcompat.DatabaseConfig, d schema.Dialect, prefix string, tick time.Duration, live int, start dstStart) {
	stale := time.Duration(live+1) * time.Second
	all := atOnce(t)
	all.run("spring-forward", func(t *testing.T) {
		now := time.Now()
		std, spring, fall := dstStd(t, func(time.Duration) (time.Time, time.Time) { return now.Add(2 * time.Second), now.Add(2 * time.Hour) })
		_, loc, err := ballerinapeer.DSTZone(std, spring, fall)
		require.NoError(t, err)
		group := prefix + "-spring"
		zoneScenario(t, d, cfg, group, "UTC", func(t *testing.T, id string) node {
			return start(t, id, group, std, spring, fall)
		}, loc, tick, live, true)
	})
	all.run("fall-back", func(t *testing.T) {
		now := time.Now()
		std, spring, fall := dstStd(t, func(time.Duration) (time.Time, time.Time) { return now.Add(-time.Minute), now.Add(8 * time.Second) })
		group := prefix + "-fall"
		m := startMember(t, cfg, "m", group, func(c *taskcompat.Config) { c.LivenessCheckInterval = live })
		require.True(t, m.IsActive(), "member not active in an empty group")
		n := start(t, "n", group, std, spring, fall)
		waitFor(t, 10*time.Second, "the member to write in the node's daylight offset", func() bool {
			return strings.Contains(m.logs.String(), "heartbeatZone="+taskcompat.UTCOffset(std+time.Hour))
		})
		require.False(t, time.Now().After(fall), "the node's clocks went back before the member saw its daylight offset: the machine is too slow for this test")
		waitFor(t, 15*time.Second, "the clocks to go back", func() bool { return time.Now().After(fall) })
		t0 := n.Ticks()
		waitFor(t, 20*time.Second, "node ticks over more than a liveness interval after the change", func() bool {
			return n.Ticks() > t0+int(stale/tick)+4
		})
		require.False(t, n.IsActive(), "after the node's clocks went back: node active %v, member active %v; member logs:\n%s", n.IsActive(), m.IsActive(), m.logs.String())
		require.True(t, m.IsActive(), "after the node's clocks went back: node active %v, member active %v; member logs:\n%s", n.IsActive(), m.IsActive(), m.logs.String())
	})
	all.wait()
}

// dstOffsets are the standard offsets a synthetic DST zone may take: the
// first whose two clock changes fall on one local day (as DSTZone needs) is
// used, so that the scenarios run at any hour of the day; two offsets 12 h
// apart would do, these are spread wider.
var dstOffsets = []time.Duration{-8 * time.Hour, -3 * time.Hour, 2 * time.Hour, 7 * time.Hour}

// dstStd returns the first of dstOffsets whose changes, as changes gives
// them for it, DSTZone accepts.
func dstStd(t *testing.T, changes func(std time.Duration) (spring, fall time.Time)) (std time.Duration, spring, fall time.Time) {
	t.Helper()
	for _, std := range dstOffsets {
		spring, fall := changes(std)
		if _, _, err := ballerinapeer.DSTZone(std, spring, fall); err == nil {
			return std, spring, fall
		}
	}
	t.Fatalf("no offset of %v has both DST changes on one local day at %s", dstOffsets, time.Now().UTC())
	return 0, time.Time{}, time.Time{}
}

// zoneScenario runs one group of members (in session zone mz) and nodes
// through every role change:
//
//  1. a node holds the token, a member joins: the member stays standby;
//  2. the node crashes: the member takes over within the bound;
//  3. a node joins behind the member: it stays standby;
//  4. the member crashes: the node takes over within the bound;
//  5. a fresh member joins behind it, the node stops (a Ballerina node's
//     graceful stop releases nothing): the member takes over within the bound;
//  6. a node joins, the member stops gracefully: the node takes over at once.
//
// nodeZone is the nodes' JVM zone, to read their heartbeats' instants;
// nodeTick the period of their ticks; live the group's livenessCheckInterval.
func zoneScenario(t *testing.T, d schema.Dialect, cfg taskcompat.DatabaseConfig, group, mz string, start startNode, nodeZone *time.Location, nodeTick time.Duration, live int, wantWarning bool) {
	zone := func(c *taskcompat.Config) { c.SessionTimeZone, c.LivenessCheckInterval = mz, live }
	stale := time.Duration(live+1) * time.Second
	db := testdb.Open(t, cfg, "UTC")
	// neverLooser checks that a member took over only once the node's last
	// heartbeat was stale by Ballerina's rule in the node's own zone.
	neverLooser := func(ev taskcompat.Event, id string) {
		t.Helper()
		last, ok := lastHeartbeat(t, db, d, id, group)
		require.True(t, ok, "no heartbeat row of %s", id)
		if d == schema.Postgres { // a wall clock in the node's zone
			last = ballerinapeer.WallIn(last, nodeZone)
		}
		// MySQL heartbeats have whole seconds, truncated: Ballerina's
		// rule on them passes up to a second sooner after the write.
		min := stale
		if d == schema.MySQL {
			min -= time.Second
		}
		age := ev.DBTime.Sub(last)
		assert.GreaterOrEqual(t, age, min, "took over when %s's heartbeat was %v old by the database clock, want at least %v", id, age, min)
	}
	// The usual bound: the heartbeat is stale after `stale`, one check or
	// tick later it is seen; the rest is slack for a loaded machine.
	bound := stale + 2*time.Second
	checkBound := func(what string, took time.Duration) {
		t.Helper()
		t.Logf("%s: %v", what, took.Round(time.Millisecond))
		assert.LessOrEqual(t, took, bound, "%s after %v, want at most %v", what, took.Round(time.Millisecond), bound)
	}
	standbyFor := func(who string, m *member, n node) {
		t.Helper()
		c0 := m.Stats().Checks
		waitFor(t, 15*time.Second, who+": checks over more than a liveness interval", func() bool {
			return m.Stats().Checks > c0+int64(stale/heartbeat)+4
		})
		msg := fmt.Sprintf("%s: member active %v, node active %v: the member took the token from a live node; member logs:\n%s", who, m.IsActive(), n.IsActive(), m.logs.String())
		require.False(t, m.IsActive(), msg)
		require.True(t, n.IsActive(), msg)
	}

	// 1.
	n1 := start(t, "n1")
	require.True(t, n1.IsActive(), "n1 did not start active")
	m1 := startMember(t, cfg, "m1", group, zone)
	standbyFor("m1 behind n1", m1, n1)
	// 2.
	crash := time.Now()
	n1.Halt()
	ev := m1.waitEvent(t, taskcompat.BecameActive, 1, bound+3*time.Second)
	checkBound("member took over from a crashed node", ev.At.Sub(crash))
	neverLooser(ev, "n1")
	// 3.
	n2 := start(t, "n2")
	t0 := n2.Ticks()
	waitFor(t, 20*time.Second, "n2: ticks over more than a liveness interval", func() bool { return n2.Ticks() > t0+int(stale/nodeTick)+4 })
	msg := fmt.Sprintf("n2 active %v, member active %v: the node took the token from a live member; member logs:\n%s", n2.IsActive(), m1.IsActive(), m1.logs.String())
	require.False(t, n2.IsActive(), msg)
	require.True(t, m1.IsActive(), msg)
	age := m1.State().HolderHeartbeatAge
	assert.GreaterOrEqual(t, age, time.Duration(0), "the active member sees its own heartbeat %v old, want its true age", age)
	assert.LessOrEqual(t, age, 2*time.Second, "the active member sees its own heartbeat %v old, want its true age", age)
	// 4.
	crash = time.Now()
	m1.Halt()
	waitFor(t, bound+3*time.Second, "n2 to take over", n2.IsActive)
	checkBound("node took over from a crashed member", time.Since(crash))
	// 5.
	m2 := startMember(t, cfg, "m2", group, zone)
	standbyFor("fresh m2 behind n2", m2, n2)
	crash = time.Now()
	n2.Halt()
	ev = m2.waitEvent(t, taskcompat.BecameActive, 1, bound+3*time.Second)
	checkBound("member took over from a stopped node", ev.At.Sub(crash))
	neverLooser(ev, "n2")
	// 6.
	n3 := start(t, "n3")
	t0 = n3.Ticks()
	waitFor(t, 10*time.Second, "n3: a few ticks", func() bool { return n3.Ticks() > t0+4 })
	require.False(t, n3.IsActive(), "n3 active %v, member active %v before the member's stop", n3.IsActive(), m2.IsActive())
	require.True(t, m2.IsActive(), "n3 active %v, member active %v before the member's stop", n3.IsActive(), m2.IsActive())
	stop := time.Now()
	require.NoError(t, m2.Stop(context.Background()))
	waitFor(t, 3*time.Second, "n3 to take over after the member's graceful stop", n3.IsActive)
	took := time.Since(stop)
	if assert.LessOrEqual(t, took, time.Second+2*nodeTick, "node took over %v after the member's graceful stop, want at its next tick", took) {
		t.Logf("node took over after a graceful stop: %v", took.Round(time.Millisecond))
	}

	logs := m1.logs.String() + m2.logs.String()
	warned := strings.Contains(logs, zoneWarning)
	assert.Equal(t, wantWarning, warned, "zone warning logged %v, want %v; logs:\n%s", warned, wantWarning, logs)
	// Once seen, and again at each of m1's role changes (active, halted).
	if n := strings.Count(m1.logs.String(), zoneWarning); wantWarning {
		assert.GreaterOrEqual(t, n, 3, "m1 logged the zone warning %d times, want it at first sight and at both its role changes", n)
	}
}
