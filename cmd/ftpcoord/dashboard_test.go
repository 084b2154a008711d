package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grafanaDashboard is what the test reads of a Grafana dashboard's JSON.
type grafanaDashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name string `json:"name"`
			Expr string `json:"expr"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// The Grafana dashboard of a group (deploy/grafana) is a well-formed
// dashboard (a datasource and a group variable, unique panels on the
// 24-column grid, each querying the chosen Prometheus), shows who is
// active, the term, the backlog, the oldest file and the failures, and
// every series it queries is one /metrics serves, in PromQL that
// Prometheus's own parser (promtool) accepts.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../../deploy/grafana/ftpcoord-group.json")
	require.NoError(t, err)
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(b, &d), "the dashboard is not JSON")
	require.NotEmpty(t, d.UID)
	require.NotEmpty(t, d.Title)
	require.GreaterOrEqual(t, d.SchemaVersion, 36, "schemaVersion: Grafana 9 and later")
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	require.Equal(t, map[string]string{"datasource": "datasource", "group": "query"}, vars, "template variables")

	var exprs []string
	ids := map[int]bool{}
	titles := map[string]bool{}
	for _, p := range d.Panels {
		assert.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		titles[p.Title] = true
		assert.Contains(t, []string{"stat", "timeseries", "state-timeline"}, p.Type, "panel %q", p.Title)
		assert.Equal(t, "prometheus", p.Datasource.Type, "panel %q", p.Title)
		assert.Equal(t, "${datasource}", p.Datasource.UID, "panel %q: the dashboard's datasource variable", p.Title)
		assert.True(t, p.GridPos.W > 0 && p.GridPos.H > 0 && p.GridPos.X >= 0 && p.GridPos.X+p.GridPos.W <= 24, "panel %q: gridPos %+v", p.Title, p.GridPos)
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		refs := map[string]bool{}
		for _, q := range p.Targets {
			assert.False(t, refs[q.RefID], "panel %q: refId %s twice", p.Title, q.RefID)
			refs[q.RefID] = true
			require.NotEmpty(t, q.Expr, "panel %q", p.Title)
			assert.Contains(t, q.Expr, `group="$group"`, "panel %q: a query not limited to the chosen group", p.Title)
			exprs = append(exprs, q.Expr)
		}
	}
	for _, a := range d.Annotations.List {
		exprs = append(exprs, a.Expr)
	}
	for _, want := range []string{"Who is active", "Term changes and takeovers", "Backlog by state", "Oldest file", "Failures"} {
		assert.True(t, titles[want], "no panel %q", want)
	}

	served := servedSeries(t)
	used := seriesIn(strings.Join(exprs, "\n"))
	for _, name := range []string{"ftpcoord_active", "ftpcoord_term", "ftpcoord_ledger_files", "ftpcoord_ledger_oldest_seconds", "ftpcoord_files_total"} {
		assert.True(t, used[name], "the dashboard does not query %s", name)
	}
	for name := range used {
		assert.True(t, served[name], "the dashboard queries %s, which /metrics does not serve", name)
	}

	// Each query, its Grafana variables given values, as a recording rule
	// for promtool to parse.
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		e = strings.NewReplacer("$group", "inv", "$__rate_interval", "1m").Replace(e)
		fmt.Fprintf(&rules, "      - record: dashboard_query_%d\n        expr: %q\n", i, e)
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	require.NoError(t, os.WriteFile(file, []byte(rules.String()), 0o644))
	out, err := exec.Command(deployTool(t, "promtool"), "check", "rules", file).CombinedOutput()
	require.NoError(t, err, "promtool check rules on the dashboard's queries:\n%s\n%s", out, rules.String())
}
