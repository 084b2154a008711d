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
					zoneScenario(t, d, cfg, group, memberZone(d, mz), start, loc, wantWarning)
				})
			}
		}
		if d == schema.Postgres {
			all.run("member=UTC/node=DST-change", func(t *testing.T) { dstScenario(t, cfg) })
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

// dstScenario: the node's zone is 8 h west of UTC and moves its clocks an
// hour forward 2 s after the start, and back 10 s after it.
func dstScenario(t *testing.T, cfg taskcompat.DatabaseConfig) {
	now := time.Now()
	posix, loc, err := ballerinapeer.DSTZone(-8*time.Hour, now.Add(2*time.Second), now.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start := func(t *testing.T, id string) node {
		p, err := ballerinapeer.Start(context.Background(), ballerinapeer.Config{
			Database: cfg, TaskID: id, GroupID: "z-dst", LivenessCheckInterval: liveness,
			HeartbeatFrequency: heartbeat, PollingInterval: heartbeat, JVMZone: posix, JVMLocation: loc,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Halt)
		return p
	}
	zoneScenario(t, schema.Postgres, cfg, "z-dst", "UTC", start, loc, true)
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
// nodeZone is the nodes' JVM zone, to read their heartbeats' instants.
func zoneScenario(t *testing.T, d schema.Dialect, cfg taskcompat.DatabaseConfig, group, mz string, start startNode, nodeZone *time.Location, wantWarning bool) {
	zone := func(c *taskcompat.Config) { c.SessionTimeZone = mz }
	db := testdb.Open(t, cfg, "UTC")
	// neverLooser checks that a member took over only once the node's last
	// heartbeat was stale by Ballerina's rule in the node's own zone.
	neverLooser := func(ev taskcompat.Event, id string) {
		t.Helper()
		last, ok := lastHeartbeat(t, db, d, id, group)
		if !ok {
			t.Fatalf("no heartbeat row of %s", id)
		}
		if d == schema.Postgres { // a wall clock in the node's zone
			last = ballerinapeer.WallIn(last, nodeZone)
		}
		// MySQL heartbeats have whole seconds, truncated: Ballerina's
		// rule on them passes up to a second sooner after the write.
		min := stale
		if d == schema.MySQL {
			min -= time.Second
		}
		if age := ev.DBTime.Sub(last); age < min {
			t.Errorf("took over when %s's heartbeat was %v old by the database clock, want at least %v", id, age, min)
		}
	}
	// The usual bound: the heartbeat is stale after `stale`, one check or
	// tick later it is seen; the rest is slack for a loaded machine.
	const bound = stale + 2*time.Second
	checkBound := func(what string, took time.Duration) {
		t.Helper()
		t.Logf("%s: %v", what, took.Round(time.Millisecond))
		if took > bound {
			t.Errorf("%s after %v, want at most %v", what, took.Round(time.Millisecond), bound)
		}
	}
	standbyFor := func(who string, m *member, n node) {
		t.Helper()
		c0 := m.Stats().Checks
		waitFor(t, 15*time.Second, who+": checks over more than a liveness interval", func() bool {
			return m.Stats().Checks > c0+int64(stale/heartbeat)+4
		})
		if m.IsActive() || !n.IsActive() {
			t.Fatalf("%s: member active %v, node active %v: the member took the token from a live node", who, m.IsActive(), n.IsActive())
		}
	}

	// 1.
	n1 := start(t, "n1")
	if !n1.IsActive() {
		t.Fatal("n1 did not start active")
	}
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
	waitFor(t, 15*time.Second, "n2: ticks over more than a liveness interval", func() bool { return n2.Ticks() > t0+int(stale/heartbeat)+4 })
	if n2.IsActive() || !m1.IsActive() {
		t.Fatalf("n2 active %v, member active %v: the node took the token from a live member; member logs:\n%s", n2.IsActive(), m1.IsActive(), m1.logs.String())
	}
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
	if n3.IsActive() || !m2.IsActive() {
		t.Fatalf("n3 active %v, member active %v before the member's stop", n3.IsActive(), m2.IsActive())
	}
	stop := time.Now()
	if err := m2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "n3 to take over after the member's graceful stop", n3.IsActive)
	if took := time.Since(stop); took > time.Second+2*heartbeat {
		t.Errorf("node took over %v after the member's graceful stop, want at its next tick", took)
	} else {
		t.Logf("node took over after a graceful stop: %v", took.Round(time.Millisecond))
	}

	logs := m1.logs.String() + m2.logs.String()
	if warned := strings.Contains(logs, zoneWarning); warned != wantWarning {
		t.Errorf("zone warning logged %v, want %v; logs:\n%s", warned, wantWarning, logs)
	}
}
