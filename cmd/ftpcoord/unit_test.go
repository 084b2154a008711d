package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{nil, exitcode.OK},
		{errors.New("x"), exitcode.Failure},
		{exitcode.Usagef("bad"), exitcode.Usage},
		{&listener.FieldError{Field: "port", Problem: "x"}, exitcode.Config},
		{fmt.Errorf("wrapped: %w", &schema.Error{Table: "t", Err: schema.ErrMissingTable}), exitcode.Database},
		{fmt.Errorf("x: %w", taskcompat.ErrDatabase), exitcode.Database},
		{fmt.Errorf("x: %w", remote.ErrHostKey), exitcode.Remote},
		{exitcode.With(exitcode.Inactive, errors.New("none")), exitcode.Inactive},
	}
	for _, c := range cases {
		assert.Equal(t, c.code, exitCode(c.err), "exitCode(%v)", c.err)
	}
	var b strings.Builder
	configPath = "FILE"
	report(&schema.Error{Table: "token_holder", Err: schema.ErrMissingTable, Fix: "create it"}, &b)
	require.Contains(t, b.String(), "ftpcoord schema apply --config FILE", "a missing table does not point at schema apply")
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tb := &tailBuffer{max: 8}
	tb.Write([]byte("hello "))
	tb.Write([]byte("world, again"))
	require.Equal(t, "...d, again", tb.String(), "tail")
	short := &tailBuffer{max: 8}
	short.Write([]byte("ok"))
	require.Equal(t, "ok", short.String(), "tail")
}

func TestFileEnv(t *testing.T) {
	f := listener.FileInfo{Path: "/in/a.csv", Size: 12, LastModifiedTimestamp: 1_700_000_000_123, Attempt: 2, IdempotencyKey: "k", LocalPath: "/tmp/a.csv"}
	env := fileEnv(f, "node-a")
	for _, want := range []string{"FTPCOORD_PATH=/in/a.csv", "FTPCOORD_SIZE=12", "FTPCOORD_MTIME=2023-11-14T22:13:20.123Z",
		"FTPCOORD_MTIME_MS=1700000000123", "FTPCOORD_ATTEMPT=2", "FTPCOORD_IDEMPOTENCY_KEY=k", "FTPCOORD_MEMBER_ID=node-a", "FTPCOORD_LOCAL_PATH=/tmp/a.csv"} {
		assert.Contains(t, env, want)
	}
}

func TestStaleIsBallerinasRule(t *testing.T) {
	require.False(t, groupstatus.Stale(30999, 30), "a heartbeat is stale when its age in whole seconds exceeds livenessCheckInterval")
	require.True(t, groupstatus.Stale(31000, 30), "a heartbeat is stale when its age in whole seconds exceeds livenessCheckInterval")
}

func TestMetricsExposition(t *testing.T) {
	m := newMetrics()
	m.coordinated = true
	m.PollDone(30*time.Millisecond, nil)
	m.PollDone(2*time.Second, errors.New("x"))
	m.FilesFinished("done", 3)
	m.FilesFinished("rejected", 1)
	m.LeasesRenewed(4)
	m.DatabaseError("claim", errors.New("x"))
	out := scrape(t, m)
	for _, want := range []string{
		"ftpcoord_active 0", `ftpcoord_role{role="standby"} 1`, "ftpcoord_term 0", "ftpcoord_failovers_total 0", "ftpcoord_takeovers_deferred_total 0",
		`ftpcoord_poll_duration_seconds_bucket{le="0.05"} 1`, `ftpcoord_poll_duration_seconds_bucket{le="+Inf"} 2`,
		"ftpcoord_poll_duration_seconds_count 2", "ftpcoord_poll_errors_total 1",
		`ftpcoord_files_total{outcome="done"} 3`, `ftpcoord_files_total{outcome="rejected"} 1`, `ftpcoord_files_total{outcome="failed"} 0`,
		"ftpcoord_lease_renewals_total 4", `ftpcoord_database_errors_total{op="claim"} 1`, `ftpcoord_database_errors_total{op="heartbeat"} 0`,
	} {
		assert.Contains(t, out, want+"\n", "metrics")
	}
	// The Go runtime and process collectors are there too.
	for _, want := range []string{"# TYPE go_goroutines gauge", "# TYPE go_memstats_heap_alloc_bytes gauge", "# TYPE process_cpu_seconds_total counter",
		"# TYPE process_resident_memory_bytes gauge", "# TYPE ftpcoord_poll_duration_seconds histogram", "# TYPE ftpcoord_files_total counter"} {
		assert.Contains(t, out, want+"\n", "metrics lack %q", want)
	}
	alone := scrape(t, newMetrics())
	assert.Contains(t, alone, "ftpcoord_active 1\n", "a member without coordination polls alone")
	assert.Contains(t, alone, `ftpcoord_role{role="alone"} 1`, "a member without coordination polls alone")
}

// scrape reads /metrics of m.
func scrape(t *testing.T, m *metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code, "/metrics: status code")
	require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4"), "/metrics: Content-Type %q", rec.Header().Get("Content-Type"))
	return rec.Body.String()
}

func TestFilesFlags(t *testing.T) {
	f, err := parseFilesFlags([]string{"show", "/in/a.csv", "--config", "c.json"}, &strings.Builder{})
	require.NoError(t, err)
	require.Equal(t, "/in/a.csv", f.path, "%+v", f)
	require.Equal(t, "c.json", f.config, "%+v", f)
	for _, bad := range [][]string{{}, {"frob"}, {"show", "--config", "c.json"}, {"list", "--config", "c.json", "--status", "DONEISH"},
		{"retry", "/a", "/b", "--config", "c.json"}, {"list", "/a", "--config", "c.json"}} {
		_, err := parseFilesFlags(bad, &strings.Builder{})
		assert.Equal(t, exitcode.Usage, exitCode(err), "%v: %v: want a usage error", bad, err)
	}
}

// The metrics endpoint has no authentication: a port alone binds loopback.
func TestMetricsBindLoopbackByDefault(t *testing.T) {
	for in, want := range map[string]string{":9464": "127.0.0.1:9464", "9464": "127.0.0.1:9464",
		"127.0.0.1:0": "127.0.0.1:0", "0.0.0.0:9464": "0.0.0.0:9464", "[::1]:9464": "[::1]:9464"} {
		got, err := metricsListenAddr(in)
		if assert.NoError(t, err, "metricsListenAddr(%q)", in) {
			assert.Equal(t, want, got, "metricsListenAddr(%q)", in)
		}
	}
	_, err := metricsListenAddr("a:b:c")
	assert.Error(t, err, "a:b:c accepted")
}

// docs/metrics.md lists every series /metrics serves, with its type and
// labels, and nothing it does not serve.
func TestMetricsDocListsEverySeries(t *testing.T) {
	b, err := os.ReadFile("../../docs/metrics.md")
	require.NoError(t, err)
	type row struct{ typ, labels string }
	doc := map[string]row{}
	for _, l := range strings.Split(string(b), "\n") {
		cells := strings.Split(l, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if strings.HasPrefix(name, "/") {
			continue // the endpoints' table
		}
		doc[name] = row{strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3])}
	}
	m := newMetrics()
	m.coordinated = true
	m.DatabaseError("claim", errors.New("x"))
	m.backlog = func(context.Context) (ledger.Backlog, error) {
		return ledger.Backlog{ListedToCommit: ledger.Histogram{Bounds: ledger.ListedToCommitBounds, Counts: make([]uint64, len(ledger.ListedToCommitBounds))}}, nil
	}
	out := scrape(t, m)
	served := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[1] == "TYPE" {
			served[f[2]] = true
			d, ok := doc[f[2]]
			switch {
			case !ok:
				t.Errorf("docs/metrics.md does not list %s (%s)", f[2], f[3])
			case d.typ != f[3]:
				t.Errorf("docs/metrics.md says %s is a %s; it is a %s", f[2], d.typ, f[3])
			}
		}
	}
	labels := regexp.MustCompile(`(?m)^(\w+)\{(\w+)=`)
	for _, mm := range labels.FindAllStringSubmatch(out, -1) {
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(mm[1], "_bucket"), "_sum"), "_count")
		if d, ok := doc[name]; ok && !strings.Contains(d.labels, "`"+mm[2]+"`") {
			t.Errorf("docs/metrics.md does not name the label %s of %s", mm[2], name)
		}
	}
	for name := range doc {
		assert.True(t, served[name], "docs/metrics.md lists %s, which /metrics does not serve", name)
	}
	assert.GreaterOrEqual(t, len(served), 40, "series served")
}
