package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's quickstart of the command, run as written (its three blocks,
// with this build's binary for `make build`, and a directory and a server
// directory of its own in place of /tmp/ftpcoord-quickstart and
// /quickstart): node-a is active and commits the file, node-b stands by, and
// after node-a's SIGTERM node-b holds the token under term 2, as its
// comments say.
func TestREADMECommandQuickstart(t *testing.T) {
	var setup, member, steps string
	for _, b := range codeBlocks(t, "../../README.md") {
		switch {
		case b.lang == "sh" && strings.Contains(b.body, "mkdir -p /tmp/ftpcoord-quickstart"):
			setup = b.body
		case b.lang == "toml" && member == "" && strings.Contains(b.before, "Write `member.toml`"):
			member = b.body
		case b.lang == "sh" && strings.Contains(b.body, "kill %1"):
			steps = b.body
		}
	}
	require.NotEmpty(t, setup, "the README's command quickstart: no setup block")
	require.NotEmpty(t, member, "the README's command quickstart: no member.toml")
	require.NotEmpty(t, steps, "the README's command quickstart: no block that runs the members")

	dir := t.TempDir()
	srv := newFTPDir(t)
	remote := strings.TrimPrefix(srv.path, "/")
	const build = "make build && F=$PWD/build/ftpcoord\n"
	require.True(t, strings.HasPrefix(setup, build), "the setup no longer starts with %q", build)
	script := "F=" + bin + "\n" + strings.TrimPrefix(setup, build) +
		"cat > member.toml <<'EOF'\n" + strings.Replace(member, `path = "/quickstart"`, `path = "/`+remote+`"`, 1) + "EOF\n" + steps
	require.Contains(t, member, `path = "/quickstart"`)
	require.Contains(t, member, fmt.Sprintf("host = %q\nport = %d\n", srv.host, srv.port), "the quickstart's server is not the test pure-ftpd")
	script = strings.ReplaceAll(script, "/tmp/ftpcoord-quickstart", dir)
	script = strings.ReplaceAll(script, "$FTPCOORD_TEST_PUREFTPD_ROOT/quickstart", "$FTPCOORD_TEST_PUREFTPD_ROOT/"+remote)

	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = "../.."
	cmd.Env = os.Environ()
	// Its own process group: members it started in the background end with the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the quickstart did not finish in 3 minutes:\n%s", out)
	}
	require.NoError(t, err, "%s", out)
	o := string(out)
	first := strings.Index(o, "holder: node-a, term 1, active")
	last := strings.Index(o, "holder: node-b, term 2, active")
	assert.True(t, first >= 0 && last > first, "want node-a active (term 1), then node-b (term 2):\n%s", o)
	assert.Contains(t, o, "/"+remote+"/2026-12-03.csv  DONE    1      10    node-a", "the file committed by node-a:\n%s", o)
	assert.Contains(t, o, "ledger: PENDING 0, IN_PROGRESS 0, DONE 1, FAILED 0, REJECTED 0")
	_, statErr := os.Stat(filepath.Join(dir, "coord.db"))
	assert.NoError(t, statErr, "the group's SQLite file")
}
