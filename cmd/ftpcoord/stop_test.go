package main

import (
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/shell"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SIGTERM in the middle of a command that outlasts --stop-timeout: the
// command is stopped, the member exits 0 and hands over, and its file is
// given back at once, the attempt uncounted: the other member processes it
// as attempt 1 without waiting for the lease (300 s). Nothing is lost and
// the file is finished once.
func TestSIGTERMDuringACommand(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	extra := map[string]any{"processingTimeout": 300}
	cfgA := writeJSON(t, filepath.Join(work, "a.json"), memberConfig(srv, db, "cmd-stop", "a", extra))
	cfgB := writeJSON(t, filepath.Join(work, "b.json"), memberConfig(srv, db, "cmd-stop", "b", extra))
	log := filepath.Join(work, "handled.log")
	// Member a's command takes long; b's is quick.
	handler := `cat >/dev/null; echo "start $FTPCOORD_MEMBER_ID $FTPCOORD_ATTEMPT" >> ` + shell.Quote(log) + `
[ "$FTPCOORD_MEMBER_ID" = a ] && sleep 30; echo "end $FTPCOORD_MEMBER_ID $FTPCOORD_ATTEMPT" >> ` + shell.Quote(log)
	a := startRun(t, "--config", cfgA, "--exec", handler, "--stop-timeout", "500ms")
	eventually(t, 10*time.Second, "a active", func() bool { st, _ := statusOf(t, cfgA); return st.Holder == "a" })
	b := startRun(t, "--config", cfgB, "--exec", handler)
	srv.put(t, "slow.csv", "slow")
	eventually(t, 20*time.Second, "a's command to start", func() bool { return slices.Contains(readLines(t, log), "start a 1") })
	stopped := time.Now()
	a.signal(syscall.SIGTERM)
	require.Zero(t, a.wait(), "exit code after SIGTERM:\n%s", a.log())
	took := time.Since(stopped)
	assert.LessOrEqual(t, took, 5*time.Second, "the stop took %v: the running command was not stopped after --stop-timeout", took)
	eventually(t, 20*time.Second, "b to finish the file", func() bool {
		return countStatus(filesList(t, cfgB), "DONE") == 1
	})
	lines := readLines(t, log)
	require.Equal(t, []string{"start a 1", "start b 1", "end b 1"}, lines, "handler log: want a's attempt stopped and given back, then b's attempt 1 finished")
	assert.Contains(t, a.log(), "stopping", "the member did not log its stop")
	b.signal(syscall.SIGTERM)
	b.wait()
}

// SIGTERM while a command runs that finishes within --stop-timeout: the
// member waits for it, commits the file, then hands over; nobody runs it
// again.
func TestSIGTERMLetsTheCommandFinish(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	cfgA := writeJSON(t, filepath.Join(work, "a.json"), memberConfig(srv, db, "cmd-drain", "a", nil))
	cfgB := writeJSON(t, filepath.Join(work, "b.json"), memberConfig(srv, db, "cmd-drain", "b", nil))
	log := filepath.Join(work, "handled.log")
	handler := `cat >/dev/null; echo "start $FTPCOORD_MEMBER_ID $FTPCOORD_ATTEMPT" >> ` + shell.Quote(log) + `
sleep 1; echo "end $FTPCOORD_MEMBER_ID $FTPCOORD_ATTEMPT" >> ` + shell.Quote(log)
	a := startRun(t, "--config", cfgA, "--exec", handler, "--stop-timeout", "20s")
	eventually(t, 10*time.Second, "a active", func() bool { st, _ := statusOf(t, cfgA); return st.Holder == "a" })
	b := startRun(t, "--config", cfgB, "--exec", handler)
	srv.put(t, "one.csv", "1")
	eventually(t, 20*time.Second, "a's command to start", func() bool { return slices.Contains(readLines(t, log), "start a 1") })
	a.signal(syscall.SIGTERM)
	require.Zero(t, a.wait(), "exit code after SIGTERM:\n%s", a.log())
	require.Equal(t, 1, countStatus(filesList(t, cfgB), "DONE"), "files DONE right after a's stop, want its file committed before it left")
	eventually(t, 10*time.Second, "b active", func() bool { st, _ := statusOf(t, cfgB); return st.Holder == "b" })
	require.Equal(t, []string{"start a 1", "end a 1"}, readLines(t, log), "handler log: want a's run only")
	b.signal(syscall.SIGTERM)
	b.wait()
}
