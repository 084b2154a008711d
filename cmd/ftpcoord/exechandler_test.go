package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/shell"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// alive says whether a process still runs (a zombie nobody reaped does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// pidsIn reads the pids a handler wrote, one a line.
func pidsIn(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the handler wrote no pid file")
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		p, err := strconv.Atoi(f)
		require.NoError(t, err, "pid file %q", b)
		pids = append(pids, p)
	}
	require.NotEmpty(t, pids, "pid file")
	return pids
}

// A handler that exits 0 but leaves background children holding its
// stdin, stdout and stderr open succeeds on its first attempt (no "WaitDelay
// expired", no second run, no REJECTED) and leaves nothing behind: its
// process group ends with it. Real member, real pure-ftpd, the default
// maxTries.
func TestExecBackgroundChildDoesNotFailTheFile(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	pids := filepath.Join(work, "pids")
	runs := filepath.Join(work, "runs")
	cfg := writeJSON(t, filepath.Join(work, "m.json"), memberConfig(srv, db, "cmd-exec-bg", "m", nil))
	handler := `echo run >> ` + shell.Quote(runs) + `
sleep 300 & echo $! >> ` + shell.Quote(pids) + `
(sleep 300 <&0 >&1 2>&2) & echo $! >> ` + shell.Quote(pids) + `
exit 0`
	startRun(t, "--config", cfg, "--exec", handler)
	srv.put(t, "a.csv", "content")
	eventually(t, 30*time.Second, "a.csv DONE", func() bool { return countStatus(filesList(t, cfg), "DONE") == 1 })
	rows := filesList(t, cfg)
	require.Len(t, rows, 1)
	require.Equal(t, 1, rows[0].Tries, "the file was run more than once: %+v", rows)
	require.Empty(t, rows[0].LastError, "the file's first attempt failed")
	b, _ := os.ReadFile(runs)
	require.Equal(t, "run\n", string(b), "the handler ran more than once")
	for _, pid := range pidsIn(t, pids) {
		require.False(t, alive(pid), "the handler's background child %d outlived it", pid)
	}
}

// A cancelled attempt (processingTimeout, stop) kills the handler's whole
// process group, its children included, and the attempt fails naming why.
func TestExecCancelKillsProcessGroup(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	h := &execHandler{shell: `sleep 300 & echo $! >> ` + shell.Quote(pids) + `; echo $$ >> ` + shell.Quote(pids) + `; sleep 300`,
		memberID: "m", log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- h.OnFile(ctx, listener.FileInfo{Path: "/in/a.csv", Attempt: 1}, strings.NewReader("x"), nil)
	}()
	eventually(t, 10*time.Second, "the handler started its children", func() bool {
		b, _ := os.ReadFile(pids)
		return strings.Count(string(b), "\n") == 2
	})
	cancel(context.DeadlineExceeded)
	err := <-done
	require.Error(t, err, "a killed handler succeeded")
	require.ErrorIs(t, err, context.DeadlineExceeded, "the error does not say why the handler was stopped")
	for _, pid := range pidsIn(t, pids) {
		eventually(t, 10*time.Second, "process "+strconv.Itoa(pid)+" gone", func() bool { return !alive(pid) })
	}
}

// A handler that never reads its stdin, with a background child that holds
// it, still finishes: the content is not waited for once the command exited.
func TestExecUnreadStdinHeldByChild(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	h := &execHandler{shell: `(sleep 300 <&0) & echo $! >> ` + shell.Quote(pids) + `; exit 0`, memberID: "m", log: slog.New(slog.DiscardHandler)}
	big := io.LimitReader(zeros{}, 64<<20) // far more than a pipe buffers
	require.NoError(t, h.OnFile(context.Background(), listener.FileInfo{Path: "/in/a.csv", Attempt: 1}, big, nil))
	for _, pid := range pidsIn(t, pids) {
		eventually(t, 10*time.Second, "process "+strconv.Itoa(pid)+" gone", func() bool { return !alive(pid) })
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// The handler's environment lacks the member's secrets: the variables the
// configuration refers to as ${NAME} and FTPCOORD_* (as deploy/ sets
// FTPCOORD_DB_PASSWORD), except those named with --exec-env; the rest of
// the environment and the file's own variables are there.
func TestExecEnvWithholdsSecrets(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	t.Setenv("CMDTEST_FTP_SECRET", srv.pass)
	t.Setenv("FTPCOORD_DB_PASSWORD", "db-secret-value")
	t.Setenv("FTPCOORD_HANDLER_TOKEN", "handler-token-value")
	t.Setenv("CMDTEST_PLAIN", "plain-value")
	c := memberConfig(srv, db, "cmd-exec-env", "m", nil)
	c["auth"] = map[string]any{"credentials": map[string]any{"username": srv.user, "password": "${CMDTEST_FTP_SECRET}"}}
	cfg := writeJSON(t, filepath.Join(work, "m.json"), c)
	out := filepath.Join(work, "env")
	startRun(t, "--config", cfg, "--exec", "env > "+shell.Quote(out), "--exec-env", "FTPCOORD_HANDLER_TOKEN")
	srv.put(t, "a.csv", "content")
	eventually(t, 30*time.Second, "a.csv DONE", func() bool { return countStatus(filesList(t, cfg), "DONE") == 1 })
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	got := string(b)
	require.NotContains(t, got, srv.pass, "the FTP password reached the handler")
	require.NotContains(t, got, "CMDTEST_FTP_SECRET=", "a variable the configuration refers to reached the handler")
	require.NotContains(t, got, "db-secret-value", "FTPCOORD_DB_PASSWORD reached the handler")
	require.Contains(t, got, "FTPCOORD_HANDLER_TOKEN=handler-token-value\n", "--exec-env did not pass the variable")
	require.Contains(t, got, "CMDTEST_PLAIN=plain-value\n", "an ordinary variable was withheld")
	require.Contains(t, got, "FTPCOORD_PATH="+srv.path+"/a.csv\n", "the file's variables are missing")
	require.Contains(t, got, "PATH=", "PATH was withheld")
}

// handlerEnv withholds exactly what execEnv names (pure logic).
func TestHandlerEnv(t *testing.T) {
	e := newExecEnv([]byte(`password = "${DB_PW}" x = "$${NOT_A_REF}" y = "${FTPCOORD_X}"`), []string{"FTPCOORD_KEEP"})
	got := handlerEnv([]string{"DB_PW=1", "NOT_A_REF=2", "FTPCOORD_X=3", "FTPCOORD_KEEP=4", "HOME=/h", "FTPCOORD_FTP_PASSWORD=5"}, e)
	require.Equal(t, []string{"NOT_A_REF=2", "FTPCOORD_KEEP=4", "HOME=/h"}, got)
}
