package taskcompat_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
)

// The JVM peer (tests/jvmpeer): a ballerina/task node in Java, through the
// JDBC drivers Ballerina bundles, in the JVM's own time zone.

var (
	jvmBuild    sync.Once
	jvmBuildErr error
)

// jvmPeerClasspath builds the peer once per test binary (installing a JDK
// and Maven where tests/services may) and returns its classpath.
func jvmPeerClasspath(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../tests/jvmpeer")
	if err != nil {
		t.Fatal(err)
	}
	jvmBuild.Do(func() {
		out, err := exec.Command("bash", filepath.Join(dir, "build.sh")).CombinedOutput()
		if err != nil {
			jvmBuildErr = fmt.Errorf("tests/jvmpeer/build.sh: %v\n%s", err, out)
		}
	})
	if jvmBuildErr != nil {
		t.Fatal(jvmBuildErr)
	}
	return filepath.Join(dir, "target", "classes") + string(os.PathListSeparator) + filepath.Join(dir, "target", "lib", "*")
}

// jvmNode is one running JVM peer.
type jvmNode struct {
	cmd   *exec.Cmd
	stdin io.Closer
	once  sync.Once
	done  chan struct{}

	mu      sync.Mutex
	started bool
	active  bool
	dead    string
	ticks   int
	lines   []string
}

// jvmOptions are the JVM's zone settings: -Duser.timezone=ZONE, or a zone
// with DST changes at given instants (dst=... of the peer).
type jvmOptions struct {
	zone string // -Duser.timezone
	dst  string // the peer's dst= argument, when set
}

func startJVMNode(t *testing.T, cfg taskcompat.DatabaseConfig, id, group string, o jvmOptions) *jvmNode {
	t.Helper()
	cp := jvmPeerClasspath(t)
	d, _ := cfg.Dialect()
	args := []string{"-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Duser.timezone=" + o.zone, "-cp", cp, "ftpcoord.jvmpeer.Main",
		"dialect=" + string(d), "host=" + cfg.Host, "port=" + strconv.Itoa(cfg.Port), "database=" + cfg.Database,
		"user=" + cfg.User, "password=" + cfg.Password, "task=" + id, "group=" + group,
		"liveness=" + strconv.Itoa(liveness), "heartbeatMs=" + strconv.Itoa(int(heartbeat/time.Millisecond)),
		"pollMs=" + strconv.Itoa(int(heartbeat/time.Millisecond))}
	if o.dst != "" {
		args = append(args, "dst="+o.dst)
	}
	cmd := exec.Command("java", args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("java: %v", err)
	}
	n := &jvmNode{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go n.read(stdout)
	t.Cleanup(n.Halt)
	waitFor(t, 30*time.Second, "the JVM peer "+id+" to start", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.started || n.exited()
	})
	if n.exited() {
		n.cmd.Wait()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.started {
		t.Fatalf("JVM peer %s did not start (%v):\n%s", id, n.cmd.ProcessState, strings.Join(n.lines, "\n"))
	}
	return n
}

func (n *jvmNode) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

func (n *jvmNode) read(r io.Reader) {
	defer close(n.done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		n.mu.Lock()
		if len(n.lines) < 200 {
			n.lines = append(n.lines, line)
		}
		switch {
		case strings.HasPrefix(line, "started "):
			n.started, n.active = true, strings.HasSuffix(line, "active=true")
		case strings.HasPrefix(line, "tick "):
			n.ticks++
			n.active = strings.HasSuffix(line, "active=true")
		case strings.HasPrefix(line, "dead "):
			n.dead, n.active = line, false
		}
		n.mu.Unlock()
	}
}

func (n *jvmNode) IsActive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.active && n.dead == "" && !n.exited()
}

func (n *jvmNode) Ticks() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ticks
}

// Halt kills the JVM: a crash, and all a Ballerina graceful stop does for
// coordination.
func (n *jvmNode) Halt() {
	n.once.Do(func() {
		n.cmd.Process.Kill()
		n.stdin.Close()
		n.cmd.Wait()
		<-n.done
		n.mu.Lock()
		n.active = false
		n.mu.Unlock()
	})
}

// The scenario of TestZonesMemberAndBallerinaNode with real JVM nodes: the
// JDBC drivers Ballerina bundles, -Duser.timezone in each zone, and a zone
// whose clocks go forward and back while the scenario runs; the member on
// UTC, and on PostgreSQL also one in Asia/Kolkata with JVMs in Los Angeles.
func TestZonesJVMPeer(t *testing.T) {
	jvmPeerClasspath(t) // build before the clocks start
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		var wg sync.WaitGroup
		run := func(name string, f func(t *testing.T)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(name, f)
			}()
		}
		type combo struct{ member, node string }
		combos := []combo{{"UTC", "UTC"}, {"UTC", "Asia/Kolkata"}, {"UTC", "America/Los_Angeles"}}
		if d == schema.Postgres {
			combos = append(combos, combo{"Asia/Kolkata", "America/Los_Angeles"})
		}
		for _, c := range combos {
			run(fmt.Sprintf("member=%s/jvm=%s", c.member, c.node), func(t *testing.T) {
				group := fmt.Sprintf("j-%s-%s", c.member, c.node)
				start := func(t *testing.T, id string) node {
					return startJVMNode(t, cfg, id, group, jvmOptions{zone: c.node})
				}
				loc, _ := time.LoadLocation(c.node)
				zoneScenario(t, d, cfg, group, memberZone(d, c.member), start, loc, d == schema.Postgres && offsetsDiffer(c.member, c.node))
			})
		}
		if d == schema.Postgres {
			run("member=UTC/jvm=DST-change", func(t *testing.T) { jvmDSTScenario(t, cfg) })
		} else {
			run("member=UTC/jvm=DST-gap", func(t *testing.T) { jvmMySQLDSTGap(t, cfg) })
		}
		wg.Wait()
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
	cp := jvmPeerClasspath(t)
	args := []string{"-Duser.timezone=" + o.zone, "-cp", cp, "ftpcoord.jvmpeer.Main",
		"dialect=mysql", "host=" + cfg.Host, "port=" + strconv.Itoa(cfg.Port), "database=" + cfg.Database,
		"user=" + cfg.User, "password=" + cfg.Password, "task=jvm", "group=j-gap",
		"liveness=" + strconv.Itoa(liveness), "heartbeatMs=250", "pollMs=250", "dst=" + o.dst}
	out, err := exec.Command("java", args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "HOUR_OF_DAY") {
		t.Fatalf("JVM node in the skipped hour: err %v, output:\n%s\nwant its start to fail on the skipped hour (HOUR_OF_DAY)", err, out)
	}
	c0 := m.Stats().Checks
	waitFor(t, 5*time.Second, "two more checks", func() bool { return m.Stats().Checks > c0+2 })
	if !m.IsActive() || m.Stats().Takeovers != 1 {
		t.Fatalf("member disturbed: active %v, stats %+v", m.IsActive(), m.Stats())
	}
}
