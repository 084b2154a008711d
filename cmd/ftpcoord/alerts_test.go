package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// servedSeries is every series name /metrics serves (with a ledger: the
// backlog series too), histograms by their base name.
func servedSeries(t *testing.T) map[string]bool {
	t.Helper()
	m := newMetrics()
	m.coordinated = true
	m.DatabaseError("claim", errors.New("x"))
	m.backlog = func(context.Context) (ledger.Backlog, error) {
		return ledger.Backlog{ListedToCommit: ledger.Histogram{Bounds: ledger.ListedToCommitBounds, Counts: make([]uint64, len(ledger.ListedToCommitBounds))}}, nil
	}
	served := map[string]bool{}
	for _, l := range strings.Split(scrape(t, m), "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[1] == "TYPE" {
			served[f[2]] = true
		}
	}
	return served
}

// seriesIn is the ftpcoord_ series a text (PromQL in rules or a dashboard)
// queries, by base name (a histogram's _bucket, _sum and _count cut).
func seriesIn(text string) map[string]bool {
	out := map[string]bool{}
	for _, name := range regexp.MustCompile(`\bftpcoord_[a-z_]+`).FindAllString(text, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			name = strings.TrimSuffix(name, suffix)
		}
		out[name] = true
	}
	return out
}

// The example alerts (deploy/prometheus) are valid rules, their unit tests
// pass (each alert fires when it should, none on a healthy group), and
// every series they use is one /metrics serves.
func TestPrometheusRules(t *testing.T) {
	promtool := deployTool(t, "promtool")
	for _, args := range [][]string{{"check", "rules", "ftpcoord-rules.yml"}, {"test", "rules", "ftpcoord-rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../deploy/prometheus"
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
		require.Contains(t, string(out), "SUCCESS", "promtool %s:\n%s", strings.Join(args, " "), out)
	}
	rules, err := os.ReadFile("../../deploy/prometheus/ftpcoord-rules.yml")
	require.NoError(t, err)
	served := servedSeries(t)
	used := seriesIn(string(rules))
	require.NotEmpty(t, used)
	for name := range used {
		require.True(t, served[name], "deploy/prometheus/ftpcoord-rules.yml uses %s, which /metrics does not serve", name)
	}
	// docs/metrics.md names every alert.
	doc, err := os.ReadFile("../../docs/metrics.md")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(?m)^\s+- alert: (\w+)`).FindAllStringSubmatch(string(rules), -1) {
		require.Contains(t, string(doc), "| "+m[1]+" |", "docs/metrics.md does not describe the alert %s in its table", m[1])
	}
}
