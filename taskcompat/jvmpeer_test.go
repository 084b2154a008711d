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
	"github.com/stretchr/testify/require"
)

// The JVM peer (tests/jvmpeer): a ballerina/task node in Java, through the
// JDBC drivers Ballerina bundles, in the JVM's own time zone.

func jvmPeerClasspath(t *testing.T) string {
	t.Helper()
	cp, err := jvmpeer.Build()
	require.NoError(t, err)
	return cp
}

// jvmOptions are the JVM's zone settings: -Duser.timezone=ZONE, or a zone
// with DST changes at given instants (dst=... of the peer).
type jvmOptions struct {
	zone string // -Duser.timezone
	dst  string // the peer's dst= argument, when set
}

// jvmTick is the JVM nodes' heartbeat and trigger period: twice the Go
// peer's, as each JVM connects anew for every unit of work (as Ballerina
// does) and a dozen of them at once are a load.
const jvmTick = 2 * heartbeat

// jvmLiveness is the livenessCheckInterval of the JVM scenarios: a second
// more than the Go peer's, as a dozen JVMs that connect anew every 500 ms
// stall on a loaded machine (make test runs other packages meanwhile).
const jvmLiveness = liveness + 1

func startJVMNode(t *testing.T, cfg taskcompat.DatabaseConfig, id, group string, o jvmOptions) *jvmpeer.Node {
	t.Helper()
	n, err := jvmpeer.Start(jvmpeer.Config{Database: cfg, TaskID: id, GroupID: group, LivenessCheckInterval: jvmLiveness,
		HeartbeatFrequency: jvmTick, PollingInterval: jvmTick, Zone: o.zone, DST: o.dst})
	require.NoError(t, err)
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
				zoneScenario(t, d, cfg, group, memberZone(d, c.member), start, loc, jvmTick, jvmLiveness, d == schema.Postgres && offsetsDiffer(c.member, c.node))
			})
		}
		if d == schema.Postgres {
			all.run("member=UTC/jvm=DST", func(t *testing.T) {
				dstScenarios(t, cfg, d, "j-dst", jvmTick, jvmLiveness, func(t *testing.T, id, group string, std time.Duration, spring, fall time.Time) node {
					return startJVMNode(t, cfg, id, group, jvmOptions{zone: "UTC", dst: dstArg(t, std, spring, fall)})
				})
			})
			all.run("two-jvms-in-two-zones", func(t *testing.T) { twoJVMZones(t, cfg) })
		} else {
			all.run("member=UTC/jvm=DST-gap", func(t *testing.T) { jvmMySQLDSTGap(t, cfg) })
		}
		all.wait()
	})
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
	now := time.Now()
	// The zone skips the local hour from the server's UTC wall clock now on.
	std, spring, fall := dstStd(t, func(std time.Duration) (time.Time, time.Time) {
		spring := now.Add(-time.Second).Add(-std)
		return spring, spring.Add(2 * time.Hour)
	})
	posix, _, err := ballerinapeer.DSTZone(std, spring, fall)
	require.NoError(t, err)
	m := startMember(t, cfg, "m", "j-gap")
	require.True(t, m.IsActive(), "member not active")
	// The node must read the holder's heartbeat, a wall clock in the gap.
	o := jvmOptions{zone: "UTC", dst: fmt.Sprintf("%d,%d,%d,%s", int(std/time.Second), spring.UnixMilli(), fall.UnixMilli(), posix)}
	n, err := jvmpeer.Start(jvmpeer.Config{Database: cfg, TaskID: "jvm", GroupID: "j-gap", LivenessCheckInterval: liveness,
		HeartbeatFrequency: heartbeat, PollingInterval: heartbeat, Zone: o.zone, DST: o.dst})
	if err == nil {
		n.Halt()
		t.Fatal("a JVM node whose zone skips the server's UTC wall clock started; want its token acquisition to fail")
	}
	require.ErrorContains(t, err, "HOUR_OF_DAY", "JVM node in the skipped hour: want Connector/J's HOUR_OF_DAY error")
	c0 := m.Stats().Checks
	waitFor(t, 5*time.Second, "two more checks", func() bool { return m.Stats().Checks > c0+2 })
	require.True(t, m.IsActive(), "member disturbed: active %v, stats %+v", m.IsActive(), m.Stats())
	require.Equal(t, int64(1), m.Stats().Takeovers, "member disturbed: active %v, stats %+v", m.IsActive(), m.Stats())
}

// Two Ballerina nodes in different zones on PostgreSQL disagree whatever a
// member does: the node east of the holder reads the live holder's
// heartbeat as hours old and takes the token at once. A member in the group
// sees both zones and says that they disagree among themselves.
func twoJVMZones(t *testing.T, cfg taskcompat.DatabaseConfig) {
	west := startJVMNode(t, cfg, "west", "j-two", jvmOptions{zone: "UTC"})
	require.True(t, west.IsActive(), "the first JVM node did not start active")
	m := startMember(t, cfg, "m", "j-two", func(c *taskcompat.Config) { c.LivenessCheckInterval = jvmLiveness })
	east := startJVMNode(t, cfg, "east", "j-two", jvmOptions{zone: "Asia/Kolkata"})
	require.True(t, east.IsActive(), "the JVM node 5.5 h east did not take the token from the live one at once (Ballerina's rule in its zone)")
	waitFor(t, 10*time.Second, "the member's warning that the zones disagree", func() bool {
		return strings.Contains(m.logs.String(), "disagree among themselves")
	})
	require.False(t, m.IsActive(), "the member took the token from a live JVM node")
}

// dstArg is the JVM peer's dst= argument: a SimpleTimeZone std east of UTC
// with DST from spring to fall, named by the same rule in POSIX form (which
// pgjdbc sends PostgreSQL as the session TimeZone).
func dstArg(t *testing.T, std time.Duration, spring, fall time.Time) string {
	t.Helper()
	posix, _, err := ballerinapeer.DSTZone(std, spring, fall)
	require.NoError(t, err)
	return fmt.Sprintf("%d,%d,%d,%s", int(std/time.Second), spring.UnixMilli(), fall.UnixMilli(), posix)
}
