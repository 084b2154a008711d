// Package jvmpeer runs the JVM peer of this directory: a ballerina/task
// warm-backup node in Java (src/main/java, see its comment), through the
// JDBC drivers Ballerina bundles, in the JVM's own time zone. Tests start
// it as a process and read its state from its output.
package jvmpeer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/taskcompat"
)

var (
	buildOnce sync.Once
	classpath string
	buildErr  error
)

// Build compiles the peer with Maven once per process (build.sh installs a
// JDK and Maven on Debian when they are missing) and returns its classpath.
func Build() (string, error) {
	buildOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			buildErr = errors.New("jvmpeer: cannot locate the source directory")
			return
		}
		dir := filepath.Dir(file)
		out, err := exec.Command("bash", filepath.Join(dir, "build.sh")).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("tests/jvmpeer/build.sh: %v\n%s", err, out)
			return
		}
		classpath = filepath.Join(dir, "target", "classes") + string(os.PathListSeparator) + filepath.Join(dir, "target", "lib", "*")
	})
	return classpath, buildErr
}

// Config is one node's WarmBackupConfig, trigger period and JVM zone.
type Config struct {
	Database              taskcompat.DatabaseConfig
	TaskID, GroupID       string
	LivenessCheckInterval int // seconds
	HeartbeatFrequency    time.Duration
	PollingInterval       time.Duration
	// Zone is the JVM's -Duser.timezone.
	Zone string
	// DST, when set, is the peer's dst= argument: a default zone with DST
	// changes at given instants (see the Java source).
	DST string
}

// Node is one running JVM peer.
type Node struct {
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

// Start runs a node and waits until it has made its first token
// acquisition, as a Ballerina listener does when it starts.
func Start(cfg Config) (*Node, error) {
	cp, err := Build()
	if err != nil {
		return nil, err
	}
	d, err := cfg.Database.Dialect()
	if err != nil {
		return nil, err
	}
	db := cfg.Database
	if db.Port == 0 {
		db.Port = map[bool]int{true: taskcompat.DefaultPostgresPort, false: taskcompat.DefaultMySQLPort}[d == "postgresql"]
	}
	if cfg.Zone == "" {
		cfg.Zone = "UTC"
	}
	args := []string{"-XX:TieredStopAtLevel=1", "-Duser.timezone=" + cfg.Zone, "-cp", cp, "ftpcoord.jvmpeer.Main",
		"dialect=" + string(d), "host=" + db.Host, "port=" + strconv.Itoa(db.Port), "database=" + db.Database,
		"user=" + db.User, "password=" + db.Password, "task=" + cfg.TaskID, "group=" + cfg.GroupID,
		"liveness=" + strconv.Itoa(cfg.LivenessCheckInterval),
		"heartbeatMs=" + strconv.FormatInt(cfg.HeartbeatFrequency.Milliseconds(), 10),
		"pollMs=" + strconv.FormatInt(cfg.PollingInterval.Milliseconds(), 10)}
	if cfg.DST != "" {
		args = append(args, "dst="+cfg.DST)
	}
	cmd := exec.Command("java", args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("jvmpeer: java: %w", err)
	}
	n := &Node{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go n.read(stdout)
	deadline := time.Now().Add(30 * time.Second)
	for !n.hasStarted() && !n.exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !n.hasStarted() {
		n.Halt()
		return nil, fmt.Errorf("jvmpeer: node %s did not start (%v):\n%s", cfg.TaskID, cmd.ProcessState, n.Output())
	}
	return n, nil
}

func (n *Node) hasStarted() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.started
}

func (n *Node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

func (n *Node) read(r io.Reader) {
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

// IsActive is the outcome of the node's last tick: whether it would poll.
func (n *Node) IsActive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.active && n.dead == "" && !n.exited()
}

// Ticks counts the election ticks run.
func (n *Node) Ticks() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ticks
}

// Dead is the SQL error that ended the node's ticking, if any.
func (n *Node) Dead() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dead
}

// Output is the node's first lines of output.
func (n *Node) Output() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

// Halt kills the JVM: a crash, and all a Ballerina graceful stop does for
// coordination (it keeps its row and releases nothing).
func (n *Node) Halt() {
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
