package main

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
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

// status says which livenessCheckInterval judged the heartbeats (the
// reader's: members do not record theirs), and --liveness judges by
// another: a killed member whose heartbeat is 1-3 s old is stale by
// --liveness 1 although its own interval (3 s) has not run out.
func TestStatusSaysWhichIntervalJudged(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	cfg := writeJSON(t, filepath.Join(t.TempDir(), "m.json"), memberConfig(srv, db, "cmd-liveness", "solo", nil))
	m := startRun(t, "--config", cfg, "--exec", "cat >/dev/null")
	eventually(t, 20*time.Second, "the member active", func() bool {
		st, r := statusOf(t, cfg)
		return r.code == 0 && st.Active
	})
	r := ftpcoord(t, "status", "--config", cfg)
	require.Zero(t, r.code, "status: %s", r.stderr)
	require.Contains(t, r.stdout, "roles judged by livenessCheckInterval 3s from --config "+cfg+": members do not record their own interval, and each standby judges the holder by its own\n")

	m.signal(syscall.SIGKILL)
	m.wait()
	var st groupstatus.Status
	eventually(t, 10*time.Second, "the killed member stale by --liveness 1", func() bool {
		r = ftpcoord(t, "status", "--config", cfg, "--liveness", "1", "--json")
		st = groupstatus.Status{}
		json.Unmarshal([]byte(r.stdout), &st)
		return len(st.Members) == 1 && st.Members[0].Role == "stale"
	})
	assert.Equal(t, exitcode.Inactive, r.code, "status --liveness 1 with the holder stale: %s", r.stderr)
	assert.Equal(t, 1, st.LivenessCheckInterval)
	assert.Equal(t, "--liveness", st.LivenessSource)
	assert.Less(t, st.Members[0].HeartbeatAgeSeconds, 3.0, "judged stale within the member's own interval")
	assert.GreaterOrEqual(t, st.Members[0].HeartbeatAgeSeconds, 2.0, "stale by Ballerina's rule: whole seconds over 1")
}
