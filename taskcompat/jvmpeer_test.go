package taskcompat_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
	"github.com/ftpcoord/ftpcoord/tests/jvmpeer"
)

// The JVM peer (tests/jvmpeer): a ballerina/task node in Java, through the
// JDBC drivers Ballerina bundles, in the JVM's own time zone.

func jvmPeerClasspath(t *testing.T) string {
	t.Helper()
	cp, err := jvmpeer.Build()
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// jvmOptions are the JVM's zone settings: -Duser.timezone=ZONE, or a zone
// with DST changes at given instants (dst=... of the peer).
type jvmOptions struct {
	zone string // -Duser.timezone
	dst  string // the peer's dst= argument, when set
}

func startJVMNode(t *testing.T, cfg taskcompat.DatabaseConfig, id, group string, o jvmOptions) *jvmpeer.Node {
	t.Helper()
	n, err := jvmpeer.Start(jvmpeer.Config{Database: cfg, TaskID: id, GroupID: group, LivenessCheckInterval: liveness,
		HeartbeatFrequency: heartbeat, PollingInterval: heartbeat, Zone: o.zone, DST: o.dst})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Halt)
	return n
}

// The scenario of TestZonesMemberAndBallerinaNode with real JVM nodes: the
// JDBC drivers Ballerina bundles, -Duser.timezone in each zone, and a zone
// whose clocks go forward and back while the scenario runs; the member on
// UTC, and on PostgreSQL also one in Asia/Kolkata with JVMs in Los Angeles.
func TestZonesJVMPeer(t *testing.T) {
	t.Parallel()
	jvmPeerClasspath(t) // build before the clocks start
	heavy.Lock()
	defer heavy.Unlock()
	eachServerDialectAtOnce(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		all := atOnce(t)
		type combo struct{ member, node string }
		combos := []combo{{"UTC", "UTC"}, {"UTC", "Asia/Kolkata"}, {"UTC", "America/Los_Angeles"}}
		if d == schema.Postgres {
			combos = append(combos, combo{"Asia/Kolkata", "America/Los_Angeles"})
		}
		for _, c := range combos {
			all.run(fmt.Sprintf("member=%s/jvm=%s", c.member, c.node), func(t *testing.T) {
				group := fmt.Sprintf("j-%s-%s", c.member, c.node)
				start := func(t *testing.T, id string) node {
					return startJVMNode(t, cfg, id, group, jvmOptions{zone: c.node})
				}
				loc, _ := time.LoadLocation(c.node)
				zoneScenario(t, d, cfg, group, memberZone(d, c.member), start, loc, d == schema.Postgres && offsetsDiffer(c.member, c.node))
			})
		}
		if d == schema.Postgres {
			all.run("member=UTC/jvm=DST-change", func(t *testing.T) { jvmDSTScenario(t, cfg) })
		} else {
			all.run("member=UTC/jvm=DST-gap", func(t *testing.T) { jvmMySQLDSTGap(t, cfg) })
		}
		all.wait()
	})
}

// jvmDSTScenario: JVMs whose zone is 8 h west of UTC and moves its clocks
// an hour forward a few seconds after the start, and back a few seconds
// later. PostgreSQL stores the JVM's local times, so the changes show in the
// heartbeats as they happen.
func jvmDSTScenario(t *testing.T, cfg taskcompat.DatabaseConfig) {
	const std = -8 * time.Hour
	now := time.Now()
	spring, fall := now.Add(4*time.Second), now.Add(12*time.Second)
	posix, loc, err := ballerinapeer.DSTZone(std, spring, fall)
	if err != nil {
		t.Fatal(err)
	}
	o := jvmOptions{zone: "UTC", dst: fmt.Sprintf("%d,%d,%d,%s", int(std/time.Second), spring.UnixMilli(), fall.UnixMilli(), posix)}
	start := func(t *testing.T, id string) node { return startJVMNode(t, cfg, id, "j-dst", o) }
	zoneScenario(t, schema.Postgres, cfg, "j-dst", "UTC", start, loc, true)
}

// On MySQL, Connector/J (8.2.0, as Ballerina bundles it, with no connection
// properties) leaves the session on the server's zone and reads each DATETIME
// and TIMESTAMP wall clock as a JVM-local time. When the server's UTC wall
// clock reads a local time that the JVM's zone skips (the hour its clocks
// move forward), getTimestamp throws, and a Ballerina node's token
// acquisition fails: at start the listener does not start; in a tick its
// polling is unscheduled for good while its heartbeats go on. Nothing a
// member does can prevent it (docs/timezones.md); this pins the behaviour
// down, and that the member holding the token is not disturbed.
func jvmMySQLDSTGap(t *testing.T, cfg taskcompat.DatabaseConfig) {
	const std = -8 * time.Hour
	now := time.Now()
	// The zone skips the local hour from the server's UTC wall clock now on.
	spring := now.Add(-time.Second).Add(-std)
	fall := spring.Add(2 * time.Hour)
	posix, _, err := ballerinapeer.DSTZone(std, spring, fall)
	if err != nil {
		t.Fatal(err)
	}
	m := startMember(t, cfg, "m", "j-gap")
	if !m.IsActive() {
		t.Fatal("member not active")
	}
	// The node must read the holder's heartbeat, a wall clock in the gap.
	o := jvmOptions{zone: "UTC", dst: fmt.Sprintf("%d,%d,%d,%s", int(std/time.Second), spring.UnixMilli(), fall.UnixMilli(), posix)}
	n, err := jvmpeer.Start(jvmpeer.Config{Database: cfg, TaskID: "jvm", GroupID: "j-gap", LivenessCheckInterval: liveness,
		HeartbeatFrequency: heartbeat, PollingInterval: heartbeat, Zone: o.zone, DST: o.dst})
	if err == nil {
		n.Halt()
		t.Fatal("a JVM node whose zone skips the server's UTC wall clock started; want its token acquisition to fail")
	}
	if !strings.Contains(err.Error(), "HOUR_OF_DAY") {
		t.Fatalf("JVM node in the skipped hour: %v; want Connector/J's HOUR_OF_DAY error", err)
	}
	c0 := m.Stats().Checks
	waitFor(t, 5*time.Second, "two more checks", func() bool { return m.Stats().Checks > c0+2 })
	if !m.IsActive() || m.Stats().Takeovers != 1 {
		t.Fatalf("member disturbed: active %v, stats %+v", m.IsActive(), m.Stats())
	}
}
