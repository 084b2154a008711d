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

// status judges heartbeats by the members' own livenessCheckInterval (they
// record it when they start), not by the one in the file it was given, and
// says which judged: a killed member (interval 3 s) is stale once its
// heartbeat is more than 3 whole seconds old, although the status file says
// 30; --liveness judges by another interval.
func TestStatusJudgesByTheMembersInterval(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	cfg := writeJSON(t, filepath.Join(work, "m.json"), memberConfig(srv, db, "cmd-liveness", "solo", nil))
	reader := memberConfig(srv, db, "cmd-liveness", "reader", nil)
	reader["coordination"].(map[string]any)["livenessCheckInterval"] = 30
	reader["coordination"].(map[string]any)["heartbeatFrequency"] = 1
	readerCfg := writeJSON(t, filepath.Join(work, "reader.json"), reader)

	m := startRun(t, "--config", cfg, "--exec", "cat >/dev/null")
	eventually(t, 20*time.Second, "the member active", func() bool {
		st, r := statusOf(t, readerCfg)
		return r.code == 0 && st.Active
	})
	r := ftpcoord(t, "status", "--config", readerCfg)
	require.Zero(t, r.code, "status: %s", r.stderr)
	require.Contains(t, r.stdout, "roles judged by livenessCheckInterval 3s, the members' own (recorded by solo 3s)\n")

	m.signal(syscall.SIGKILL)
	m.wait()
	var st groupstatus.Status
	eventually(t, 10*time.Second, "the killed member stale by --liveness 1", func() bool {
		r = ftpcoord(t, "status", "--config", readerCfg, "--liveness", "1", "--json")
		st = groupstatus.Status{}
		json.Unmarshal([]byte(r.stdout), &st)
		return len(st.Members) == 1 && st.Members[0].Role == "stale"
	})
	assert.Equal(t, exitcode.Inactive, r.code, "status --liveness 1 with the holder stale: %s", r.stderr)
	assert.Equal(t, 1, st.LivenessCheckInterval)
	assert.Equal(t, "as --liveness asked", st.LivenessSource)
	assert.Less(t, st.Members[0].HeartbeatAgeSeconds, 4.0, "judged stale by --liveness 1 while its own interval (3 s) still counts it alive")

	eventually(t, 10*time.Second, "the killed member stale by its own interval", func() bool {
		r = ftpcoord(t, "status", "--config", readerCfg, "--json")
		st = groupstatus.Status{}
		json.Unmarshal([]byte(r.stdout), &st)
		return len(st.Members) == 1 && st.Members[0].Role == "stale"
	})
	assert.Equal(t, exitcode.Inactive, r.code, "status with the holder stale: %s", r.stderr)
	assert.Equal(t, 3, st.LivenessCheckInterval, "the members' interval, not the file's 30")
	assert.Equal(t, 3, st.Members[0].LivenessCheckInterval)
	assert.Less(t, st.Members[0].HeartbeatAgeSeconds, 30.0)
	assert.GreaterOrEqual(t, st.Members[0].HeartbeatAgeSeconds, 4.0, "stale by Ballerina's rule: whole seconds over 3")
}
