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

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
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

	if r := ftpcoord(t, "schema", "apply", "--config", cfgA); r.code != 0 {
		t.Fatalf("schema apply: exit %d: %s", r.code, r.stderr)
	}
	// Nobody runs yet: status says so and fails.
	if st, r := statusOf(t, cfgA); r.code != ExitInactive || st.Active || st.Holder != "" {
		t.Fatalf("status before any member: exit %d, %+v, %s", r.code, st, r.stderr)
	}

	handled := filepath.Join(work, "handled.log")
	handler := `n=$(wc -c); echo "$FTPCOORD_MEMBER_ID $FTPCOORD_PATH $n $FTPCOORD_SIZE $FTPCOORD_ATTEMPT $FTPCOORD_IDEMPOTENCY_KEY $FTPCOORD_MTIME" >> ` + shellQuote(handled)
	a := startRun(t, "--config", cfgA, "--exec", handler, "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	b := startRun(t, "--config", cfgB, "--exec", handler)

	var st groupStatus
	eventually(t, 20*time.Second, "both members in status", func() bool {
		var r result
		st, r = statusOf(t, cfgA)
		return r.code == 0 && len(st.Members) == 2
	})
	if st.Holder != "a" && st.Holder != "b" || !st.Active || st.Term < 1 {
		t.Fatalf("status: %+v", st)
	}
	roles := map[string]string{}
	for _, m := range st.Members {
		roles[m.ID] = m.Role
		if m.HeartbeatAgeSeconds < 0 || m.HeartbeatAgeSeconds > 3 {
			t.Errorf("member %s heartbeat age %v s", m.ID, m.HeartbeatAgeSeconds)
		}
	}
	other := map[string]string{"a": "b", "b": "a"}[st.Holder]
	if roles[st.Holder] != "active" || roles[other] != "standby" {
		t.Fatalf("roles %v with holder %s", roles, st.Holder)
	}
	text := ftpcoord(t, "status", "--config", cfgB)
	if text.code != 0 || !strings.Contains(text.stdout, "holder: "+st.Holder+", term") || !strings.Contains(text.stdout, "PENDING 0") {
		t.Fatalf("status text: exit %d\n%s%s", text.code, text.stdout, text.stderr)
	}

	const files = 5
	for i := range files {
		srv.put(t, fmt.Sprintf("f%d.csv", i), strings.Repeat("x", 100+i))
	}
	eventually(t, 30*time.Second, "every file DONE", func() bool {
		return countStatus(filesList(t, cfgA), "DONE") == files
	})
	lines := readLines(t, handled)
	if len(lines) != files {
		t.Fatalf("handler ran %d times for %d files:\n%s", len(lines), files, strings.Join(lines, "\n"))
	}
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
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if st.Holder == "a" && !strings.Contains(metrics, fmt.Sprintf("ftpcoord_files_total{outcome=\"done\"} %d\n", files)) {
		t.Errorf("the active member's metrics do not count %d files done:\n%s", files, metrics)
	}

	// SIGTERM the holder: it hands over and exits 0; the other takes over
	// long before the liveness interval (3 s) would let it.
	holder, standby := map[string]*proc{"a": a, "b": b}[st.Holder], map[string]*proc{"a": a, "b": b}[other]
	stopped := time.Now()
	holder.signal(syscall.SIGTERM)
	if code := holder.wait(); code != 0 {
		t.Fatalf("the holder exited %d after SIGTERM:\n%s", code, holder.log())
	}
	eventually(t, 10*time.Second, "the standby to take over", func() bool {
		st, _ = statusOf(t, cfgA)
		return st.Holder == other && st.Active
	})
	if took := time.Since(stopped); took > 3*time.Second {
		t.Errorf("handover took %v; a graceful stop should hand over within about a heartbeat", took)
	}
	if len(st.Members) != 1 || st.Members[0].ID != other {
		t.Errorf("after the handover status shows %+v; the stopped member deletes its heartbeat row", st.Members)
	}
	// The new holder processes new files.
	srv.put(t, "after.csv", "after")
	eventually(t, 20*time.Second, "the new holder to process a new file", func() bool {
		return slices.ContainsFunc(readLines(t, handled), func(l string) bool { return strings.HasPrefix(l, other+" "+srv.path+"/after.csv ") })
	})
	standby.signal(syscall.SIGINT)
	if code := standby.wait(); code != 0 {
		t.Fatalf("exit %d after SIGINT", code)
	}
	if _, r := statusOf(t, cfgA); r.code != ExitInactive || !strings.Contains(r.stderr, "no active member") {
		t.Fatalf("status with every member stopped: exit %d, %s", r.code, r.stderr)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
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
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	return string(b)
}
