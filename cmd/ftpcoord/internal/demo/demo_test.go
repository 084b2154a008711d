package demo

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/cmdtest"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bin is the ftpcoord binary the demo tests run, built once.
var bin string

func TestMain(m *testing.M) { cmdtest.Main(m, &bin) }

// `ftpcoord demo` passes on its own (in-process FTP server, SQLite, three
// member processes, a SIGKILL of the active member) well under a minute,
// and its summary shows every file processed once and the failover.
func TestDemo(t *testing.T) {
	demoRun(t)
}

// With --database-config the demo runs on PostgreSQL instead, and leaves
// no rows of its group behind.
func TestDemoOnPostgres(t *testing.T) {
	db := testdb.NewWithSchema(t, schema.Postgres)
	b, _ := json.Marshal(db)
	demoRun(t, "--database-config", string(b))
	var n int
	require.NoError(t, testdb.Open(t, db, "UTC").QueryRow(`SELECT (SELECT count(*) FROM ftpcoord_file) + (SELECT count(*) FROM health_check) + (SELECT count(*) FROM token_holder)`).Scan(&n))
	require.Zero(t, n, "the demo left rows behind")
}

func demoRun(t *testing.T, args ...string) {
	t.Helper()
	start := time.Now()
	tmp := t.TempDir()
	cmd := exec.Command(bin, append([]string{"demo", "--files", "45"}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	require.NoError(t, err, "demo failed after %v\n%s", took, out)
	assert.LessOrEqual(t, took, 45*time.Second, "the demo took %v; it must finish well under a minute", took)
	s := string(out)
	for _, want := range []string{"SIGKILL", "took over (term 2)", "files uploaded          45", "files seen (ledger)     45",
		"processed once each     yes (45 DONE", "lost                    0", "duplicates              0", "failover delay", "ok: every file was processed once"} {
		assert.Contains(t, s, want, "demo output")
	}
	// Between the SIGKILL and the takeover (milliseconds with the crash
	// signal; the heartbeat rule's seconds without it), no progress line
	// calls the killed holder active; one that names it says it was killed.
	kill := regexp.MustCompile(`SIGKILL (m\d), the active member`).FindStringSubmatch(s)
	require.NotNil(t, kill, "no SIGKILL line:\n%s", s)
	window := s[strings.Index(s, kill[0]):strings.Index(s, "took over (term 2)")]
	if strings.Contains(window, "active "+kill[1]+" ") {
		t.Errorf("a progress line calls the killed %s active:\n%s", kill[1], window)
	}
	if strings.Contains(window, "holder "+kill[1]+" ") && !strings.Contains(window, "holder "+kill[1]+" (killed)") {
		t.Errorf("a progress line names the killed %s without saying so:\n%s", kill[1], window)
	}
	// It cleaned up: its directory is gone and none of its processes is left.
	left, _ := os.ReadDir(tmp)
	assert.Empty(t, left, "the demo left files in its temporary directory")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), tmp) {
			t.Errorf("a demo process is still running: %s", strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	t.Logf("demo took %v", took.Round(100*time.Millisecond))
}

// While the killed holder is not replaced, the demo's progress line says its
// heartbeat is ageing, not that it is active.
func TestHolderPhrase(t *testing.T) {
	for _, c := range []struct {
		holder string
		killed bool
		age    time.Duration
		want   string
	}{
		{"m1", false, -1, "active m1  term 1"},
		{"", false, -1, "active -   term 1"},
		{"m1", true, 1340 * time.Millisecond, "holder m1 (killed) term 1, heartbeat ageing: 1.3 s old, takeover at 3 s"},
		{"m1", true, -1, "holder m1 (killed) term 1, no heartbeat row: takeover at the next check"},
	} {
		if got := holderPhrase(c.holder, 1, c.killed, c.age); got != c.want {
			t.Errorf("holderPhrase(%q, %v, %v) = %q, want %q", c.holder, c.killed, c.age, got, c.want)
		}
	}
}

// The demo's verdict: a second run is excused only when the first was the
// killed member's.
func TestDemoJudge(t *testing.T) {
	up := map[string]bool{"/a": true, "/b": true, "/c": true, "/d": true}
	rows := []ledger.Entry{{Row: ledger.Row{Path: "/a", Status: ledger.Done}}, {Row: ledger.Row{Path: "/b", Status: ledger.Done}},
		{Row: ledger.Row{Path: "/c", Status: ledger.Done}}, {Row: ledger.Row{Path: "/d", Status: ledger.Pending}}}
	log := map[string]*handled{"/a": {ends: []string{"m1"}}, "/b": {ends: []string{"m1", "m2"}, fails: 1},
		"/c": {ends: []string{"m2", "m3"}}, "/d": {ends: []string{"m2"}}}
	v := judge(up, rows, log, "m1")
	if !slices.Equal(v.lost, []string{"/d"}) || !slices.Equal(v.duplicates, []string{"/c"}) || !slices.Equal(v.redelivered, []string{"/b"}) ||
		v.retries != 1 || v.done != 3 || v.seen != 4 {
		t.Fatalf("verdict %+v", v)
	}
}
