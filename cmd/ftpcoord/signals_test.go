package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// A member's /metrics carries its group's backlog from the ledger, on
// each database: a file rejected after its one try counts as rejected, two
// committed ones in the time from listing to commit, and the member is
// ready (every reason 0).
func TestBacklogMetricsOnARealDatabase(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		srv := newFTPDir(t)
		db := testdb.NewWithSchema(t, d)
		work := t.TempDir()
		cfg := writeJSON(t, filepath.Join(work, "m.json"), memberConfig(srv, db, "signals-"+string(d), "m", map[string]any{"maxTries": 1}))
		m := startRun(t, "--config", cfg, "--metrics-addr", "127.0.0.1:0",
			"--exec", `case "$FTPCOORD_PATH" in */bad.csv) echo "no" >&2; exit 3 ;; esac; cat >/dev/null`)
		url := "http://" + metricsAddr(t, m) + "/metrics"
		srv.put(t, "a.csv", "a")
		srv.put(t, "b.csv", "b")
		srv.put(t, "bad.csv", "bad")
		var out string
		eventually(t, 30*time.Second, "two files committed and one rejected in /metrics", func() bool {
			out = get(t, url)
			return strings.Contains(out, "ftpcoord_file_listed_to_commit_seconds_count 2\n") &&
				strings.Contains(out, `ftpcoord_ledger_files{state="rejected"} 1`+"\n")
		})
		for _, want := range []string{`ftpcoord_ledger_files{state="pending"} 0`, `ftpcoord_ledger_files{state="in_progress"} 0`,
			`ftpcoord_ledger_files{state="failed"} 0`, `ftpcoord_ledger_oldest_seconds{state="pending"} 0`, "ftpcoord_ledger_retries 0",
			`ftpcoord_file_listed_to_commit_seconds_bucket{le="+Inf"} 2`, `ftpcoord_not_ready{reason="starting"} 0`,
			`ftpcoord_not_ready{reason="unable_to_work"} 0`, `ftpcoord_database_errors_total{op="heartbeat"} 0`} {
			assert.Contains(t, out, want+"\n")
		}
		age := regexp.MustCompile(`ftpcoord_ledger_oldest_seconds\{state="rejected"\} (\S+)`).FindStringSubmatch(out)
		require.NotNil(t, age, "no age of the oldest rejected file:\n%s", out)
		v, err := strconv.ParseFloat(age[1], 64)
		require.NoError(t, err)
		assert.True(t, v > 0 && v < 600, "age of the oldest rejected file %v s: want since its listing, moments ago", v)
	})
}

// Without a ledger (polling alone) the backlog series are absent, not 0;
// a failed read counts a database error and drops only those series.
func TestBacklogMetricsWithoutALedger(t *testing.T) {
	m := newMetrics()
	out := scrape(t, m)
	assert.NotContains(t, out, "ftpcoord_ledger_files")
	assert.Contains(t, out, `ftpcoord_not_ready{reason="starting"} 1`+"\n", "before the member joined")
	m.phase.Store(phaseRunning)
	m.backlog = func(context.Context) (ledger.Backlog, error) { return ledger.Backlog{}, context.DeadlineExceeded }
	out = scrape(t, m)
	assert.NotContains(t, out, "ftpcoord_ledger_files")
	out = scrape(t, m)
	// The collectors of one scrape run at once: the error counted at this
	// scrape may or may not show in it, the one of the scrape before does.
	m1 := regexp.MustCompile(`ftpcoord_database_errors_total\{op="backlog"\} (\d+)\n`).FindStringSubmatch(out)
	require.NotNil(t, m1, "the failed backlog reads are counted")
	assert.Contains(t, []string{"1", "2"}, m1[1], "one failed read per scrape")
	assert.Contains(t, out, `ftpcoord_not_ready{reason="starting"} 0`+"\n", "running")
}
