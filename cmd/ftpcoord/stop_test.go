package main

import (
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// SIGTERM in the middle of a command: the command is stopped, the member
// exits 0 and hands over, and the other member processes the file once its
// lease runs out, as attempt 2. Nothing is lost and the file is finished once.
func TestSIGTERMDuringACommand(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	extra := map[string]any{"processingTimeout": 2}
	cfgA := writeJSON(t, filepath.Join(work, "a.json"), memberConfig(srv, db, "cmd-stop", "a", extra))
	cfgB := writeJSON(t, filepath.Join(work, "b.json"), memberConfig(srv, db, "cmd-stop", "b", extra))
	log := filepath.Join(work, "handled.log")
	// Attempt 1 takes long; later attempts are quick.
	handler := `cat >/dev/null; echo "start $FTPCOORD_MEMBER_ID $FTPCOORD_ATTEMPT" >> ` + shellQuote(log) + `
[ "$FTPCOORD_ATTEMPT" = 1 ] && sleep 30; echo "end $FTPCOORD_MEMBER_ID $FTPCOORD_ATTEMPT" >> ` + shellQuote(log)
	a := startRun(t, "--config", cfgA, "--exec", handler)
	eventually(t, 10*time.Second, "a active", func() bool { st, _ := statusOf(t, cfgA); return st.Holder == "a" })
	b := startRun(t, "--config", cfgB, "--exec", handler)
	srv.put(t, "slow.csv", "slow")
	eventually(t, 20*time.Second, "a's command to start", func() bool { return slices.Contains(readLines(t, log), "start a 1") })
	stopped := time.Now()
	a.signal(syscall.SIGTERM)
	if code := a.wait(); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, a.log())
	}
	if took := time.Since(stopped); took > 5*time.Second {
		t.Errorf("the stop took %v: the running command was not stopped", took)
	}
	eventually(t, 20*time.Second, "b to finish the file", func() bool {
		return countStatus(filesList(t, cfgB), "DONE") == 1
	})
	lines := readLines(t, log)
	if !slices.Equal(lines, []string{"start a 1", "start b 2", "end b 2"}) {
		t.Fatalf("handler log %q: want a's attempt stopped, then b's attempt 2 finished", lines)
	}
	if !strings.Contains(a.log(), "stopping") {
		t.Errorf("the member did not log its stop:\n%s", a.log())
	}
	b.signal(syscall.SIGTERM)
	b.wait()
}
