package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// status reads heartbeat ages by each dialect's clock: one member on each
// of PostgreSQL, MariaDB and SQLite is active with a fresh heartbeat, and
// its files are counted by state.
func TestStatusOnEveryDialect(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		srv := newFTPDir(t)
		db := testdb.New(t, d)
		cfg := writeJSON(t, filepath.Join(t.TempDir(), "m.json"), memberConfig(srv, db, "cmd-status", "solo", nil))
		r := ftpcoord(t, "schema", "apply", "--config", cfg)
		require.Zero(t, r.code, "schema apply: %s", r.stderr)
		srv.put(t, "one.csv", "1")
		srv.put(t, "two.csv", "2")
		startRun(t, "--config", cfg, "--exec", "cat >/dev/null")
		var st groupstatus.Status
		eventually(t, 20*time.Second, "the member active with both files DONE", func() bool {
			var r result
			st, r = statusOf(t, cfg)
			return r.code == 0 && st.Ledger["DONE"] == 2
		})
		if st.Holder != "solo" || !st.Active || len(st.Members) != 1 || st.Members[0].Role != "active" ||
			st.Members[0].HeartbeatAgeSeconds < 0 || st.Members[0].HeartbeatAgeSeconds > 2 {
			t.Fatalf("status on %s: %+v", d, st)
		}
		ddl := ftpcoord(t, "schema", "print", "--config", cfg)
		require.Zero(t, ddl.code, "schema print on %s: exit code %s", d, ddl.stderr)
		require.Contains(t, ddl.stdout, "CREATE TABLE IF NOT EXISTS health_check", "schema print on %s", d)
	})
}
