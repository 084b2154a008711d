package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/shell"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two `ftpcoord run` members on pure-ftpd and PostgreSQL: status shows both
// and the holder, the holder's --exec handler gets every file with its
// environment, the metrics endpoint counts them, and SIGTERM hands over to
// the other member at once (well within the liveness interval).
func TestRunTwoMembersStatusAndHandover(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.New(t, schema.Postgres)
	work := t.TempDir()
	group := "cmd-run"
	cfgA := writeJSON(t, filepath.Join(work, "a.json"), memberConfig(srv, db, group, "a", nil))
	cfgB := writeJSON(t, filepath.Join(work, "b.json"), memberConfig(srv, db, group, "b", nil))

	r := ftpcoord(t, "schema", "apply", "--config", cfgA)
	require.Zero(t, r.code, "schema apply: exit code: %s", r.stderr)
	// Nobody runs yet: status says so and fails.
	st0, r := statusOf(t, cfgA)
	require.Equal(t, exitcode.Inactive, r.code, "status before any member: exit code: %s", r.stderr)
	require.False(t, st0.Active, "status before any member: %+v", st0)
	require.Empty(t, st0.Holder, "status before any member: %+v", st0)

	handled := filepath.Join(work, "handled.log")
	handler := `n=$(wc -c); echo "$FTPCOORD_MEMBER_ID $FTPCOORD_PATH $n $FTPCOORD_SIZE $FTPCOORD_ATTEMPT $FTPCOORD_IDEMPOTENCY_KEY $FTPCOORD_MTIME" >> ` + shell.Quote(handled)
	a := startRun(t, "--config", cfgA, "--exec", handler, "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	b := startRun(t, "--config", cfgB, "--exec", handler)

	var st groupstatus.Status
	eventually(t, 20*time.Second, "both members in status", func() bool {
		var r result
		st, r = statusOf(t, cfgA)
		return r.code == 0 && len(st.Members) == 2
	})
	require.Contains(t, []string{"a", "b"}, st.Holder, "status: %+v", st)
	require.True(t, st.Active, "status: %+v", st)
	require.GreaterOrEqual(t, st.Term, int64(1), "status: %+v", st)
	roles := map[string]string{}
	for _, m := range st.Members {
		roles[m.ID] = m.Role
		assert.True(t, m.HeartbeatAgeSeconds >= 0 && m.HeartbeatAgeSeconds <= 3, "member %s heartbeat age %v s", m.ID, m.HeartbeatAgeSeconds)
	}
	other := map[string]string{"a": "b", "b": "a"}[st.Holder]
	require.Equal(t, "active", roles[st.Holder], "roles %v with holder %s", roles, st.Holder)
	require.Equal(t, "standby", roles[other], "roles %v with holder %s", roles, st.Holder)
	text := ftpcoord(t, "status", "--config", cfgB)
	require.Zero(t, text.code, "status text: exit code\n%s%s", text.stdout, text.stderr)
	require.Contains(t, text.stdout, "holder: "+st.Holder+", term", "status text")
	require.Contains(t, text.stdout, "PENDING 0", "status text")

	const files = 5
	for i := range files {
		srv.put(t, fmt.Sprintf("f%d.csv", i), strings.Repeat("x", 100+i))
	}
	eventually(t, 30*time.Second, "every file DONE", func() bool {
		return countStatus(filesList(t, cfgA), "DONE") == files
	})
	lines := readLines(t, handled)
	require.Len(t, lines, files, "handler runs, one per file")
	for _, l := range lines {
		f := strings.Fields(l)
		// member path bytes-read size attempt key mtime
		if len(f) != 7 || f[0] != st.Holder || f[2] != f[3] || f[4] != "1" || len(f[5]) != 64 || !strings.HasSuffix(f[6], "Z") {
			t.Errorf("handler line %q: want the holder %s, the whole content on stdin, attempt 1, a key and an RFC 3339 mtime", l, st.Holder)
		}
	}

	// The metrics endpoint of member a.
	addr := metricsAddr(t, a)
	metrics := get(t, "http://"+addr+"/metrics")
	for _, want := range []string{"ftpcoord_active ", "ftpcoord_term ", "ftpcoord_poll_duration_seconds_count ", "ftpcoord_files_total{outcome=\"done\"} ",
		"ftpcoord_lease_renewals_total ", "ftpcoord_database_errors_total{op=\"heartbeat\"} 0", "ftpcoord_failovers_total "} {
		assert.Contains(t, metrics, want, "metrics")
	}
	if st.Holder == "a" && !strings.Contains(metrics, fmt.Sprintf("ftpcoord_files_total{outcome=\"done\"} %d\n", files)) {
		t.Errorf("the active member's metrics do not count %d files done:\n%s", files, metrics)
	}

	// SIGTERM the holder: it hands over and exits 0; the other takes over
	// long before the liveness interval (3 s) would let it.
	holder, standby := map[string]*proc{"a": a, "b": b}[st.Holder], map[string]*proc{"a": a, "b": b}[other]
	stopped := time.Now()
	holder.signal(syscall.SIGTERM)
	require.Zero(t, holder.wait(), "the holder's exit code after SIGTERM:\n%s", holder.log())
	eventually(t, 10*time.Second, "the standby to take over", func() bool {
		st, _ = statusOf(t, cfgA)
		return st.Holder == other && st.Active
	})
	took := time.Since(stopped)
	assert.LessOrEqual(t, took, 3*time.Second, "handover took %v; a graceful stop should hand over within about a heartbeat", took)
	if assert.Len(t, st.Members, 1, "after the handover; the stopped member deletes its heartbeat row") {
		assert.Equal(t, other, st.Members[0].ID, "after the handover status shows %+v; the stopped member deletes its heartbeat row", st.Members)
	}
	// The new holder processes new files.
	srv.put(t, "after.csv", "after")
	eventually(t, 20*time.Second, "the new holder to process a new file", func() bool {
		return slices.ContainsFunc(readLines(t, handled), func(l string) bool { return strings.HasPrefix(l, other+" "+srv.path+"/after.csv ") })
	})
	standby.signal(syscall.SIGINT)
	require.Zero(t, standby.wait(), "exit code after SIGINT")
	_, r = statusOf(t, cfgA)
	require.Equal(t, exitcode.Inactive, r.code, "status with every member stopped: exit code: %s", r.stderr)
	require.Contains(t, r.stderr, "no active member", "status with every member stopped")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' })
}

// metricsAddr reads the metrics address a member logged.
func metricsAddr(t *testing.T, p *proc) string {
	t.Helper()
	var addr string
	eventually(t, 5*time.Second, "the metrics address in the log", func() bool {
		log := p.log()
		i := strings.Index(log, "http://")
		if i < 0 {
			return false
		}
		rest := log[i+len("http://"):]
		addr, _, _ = strings.Cut(rest, "/metrics")
		return true
	})
	return addr
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "GET %s: %s", url, resp.Status)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"), "GET %s: Content-Type %s", url, resp.Header.Get("Content-Type"))
	return string(b)
}
