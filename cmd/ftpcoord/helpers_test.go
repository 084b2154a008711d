package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/cmdtest"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// bin is the ftpcoord binary the end-to-end tests run, built once.
var bin string

func TestMain(m *testing.M) { cmdtest.Main(m, &bin) }

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make services` (tests/services/start.sh) and export what it prints, or `make test`", name)
	}
	return v
}

// result is how a finished ftpcoord run ended.
type result struct {
	code           int
	stdout, stderr string
}

// ftpcoord runs the binary to completion.
func ftpcoord(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ftpcoord %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ftpServer is a directory of the test pure-ftpd, seen both locally and
// over FTP.
type ftpServer struct {
	host        string
	port        int
	user, pass  string
	local, path string // local directory, remote path
}

func newFTPDir(t *testing.T) ftpServer {
	t.Helper()
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), ":")
	p, _ := strconv.Atoi(port)
	name := fmt.Sprintf("cmd-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	local := filepath.Join(env(t, "FTPCOORD_TEST_PUREFTPD_ROOT"), name)
	require.NoError(t, os.Mkdir(local, 0o777))
	os.Chmod(local, 0o777)
	t.Cleanup(func() { os.RemoveAll(local) })
	return ftpServer{host: host, port: p, user: env(t, "FTPCOORD_TEST_PUREFTPD_USER"), pass: env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD"),
		local: local, path: "/" + name}
}

// put writes a file under a hidden name and renames it, as a careful sender does.
func (s ftpServer) put(t *testing.T, name, body string) {
	t.Helper()
	tmp := filepath.Join(s.local, "."+name+".part")
	require.NoError(t, os.WriteFile(tmp, []byte(body), 0o644))
	old := time.Now().Add(-time.Minute)
	os.Chtimes(tmp, old, old)
	require.NoError(t, os.Rename(tmp, filepath.Join(s.local, name)))
}

// memberConfig is a listener configuration for one member.
func memberConfig(s ftpServer, db taskcompat.DatabaseConfig, group, member string, extra map[string]any) map[string]any {
	cfg := map[string]any{
		"protocol": "FTP", "host": s.host, "port": s.port, "path": s.path, "pollingInterval": 0.2,
		"auth": map[string]any{"credentials": map[string]any{"username": s.user, "password": s.pass}},
		"coordination": map[string]any{"databaseConfig": db, "coordinationGroup": group, "memberId": member,
			"livenessCheckInterval": 3, "heartbeatFrequency": 0.25},
		"retryTimeout": 0.2, "processingTimeout": 5,
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	b, _ := json.MarshalIndent(v, "", "  ")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// proc is a running `ftpcoord run`.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

// startRun starts `ftpcoord run` and waits for its "member started" line.
func startRun(t *testing.T, args ...string) *proc {
	t.Helper()
	return startMember(t, exec.Command(bin, append([]string{"run"}, args...)...))
}

// startMember starts a command that runs a member (its stdout discarded
// unless cmd.Stdout is set) and waits for its "member started" line.
func startMember(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	args := cmd.Args[1:]
	p := &proc{cmd: cmd, done: make(chan struct{})}
	stderr, _ := p.cmd.StderrPipe()
	if p.cmd.Stdout == nil {
		p.cmd.Stdout = io.Discard
	}
	require.NoError(t, p.cmd.Start())
	started := make(chan struct{})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "member started") {
				once.Do(func() { close(started) })
			}
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.wait()
		if t.Failed() {
			t.Logf("ftpcoord run %v logs:\n%s", args, p.log())
		}
	})
	select {
	case <-started:
	case <-p.done:
		t.Fatalf("ftpcoord run exited before starting:\n%s", p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("ftpcoord run did not start in 60 s:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// wait waits for the process and returns its exit code.
func (p *proc) wait() int {
	<-p.done
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) signal(s syscall.Signal) { p.cmd.Process.Signal(s) }

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// statusOf runs `ftpcoord status --json`.
func statusOf(t *testing.T, config string) (groupstatus.Status, result) {
	t.Helper()
	r := ftpcoord(t, "status", "--config", config, "--json")
	var st groupstatus.Status
	if r.stdout != "" {
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &st), "status --json\n%s", r.stdout)
	}
	return st, r
}

// filesList runs `ftpcoord files list --json`.
func filesList(t *testing.T, config string, extra ...string) []entryJSON {
	t.Helper()
	r := ftpcoord(t, append([]string{"files", "list", "--config", config, "--json"}, extra...)...)
	require.Zero(t, r.code, "files list: exit code: %s", r.stderr)
	var out []entryJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), "files list --json\n%s", r.stdout)
	return out
}

func countStatus(rows []entryJSON, status string) int {
	n := 0
	for _, r := range rows {
		if r.Status == status {
			n++
		}
	}
	return n
}
