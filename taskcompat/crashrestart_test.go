package taskcompat_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// A database restart ends every session at once, the standbys' waits
// included: that is no crash signal (a wait that errors signals nothing), so
// the token goes to nobody new. The holder, whose lock session ended too,
// steps down and takes the token back under a new term once the server
// answers. The server is a PostgreSQL cluster of this test's own, on another
// port, since other tests share the usual one.
func TestDatabaseRestartMovesTokenToNobodyNew(t *testing.T) {
	dir, err := os.MkdirTemp("", "ftpcoord-restart-pg-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	script, err := filepath.Abs("../tests/services/postgres.sh")
	require.NoError(t, err)
	pg := func(verb string) {
		cmd := exec.Command("bash", script, verb)
		cmd.Env = append(os.Environ(), "FTPCOORD_SERVICES_DIR="+dir, "FTPCOORD_TEST_PG_PORT="+strconv.Itoa(port))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "postgres.sh %s: %s", verb, out)
	}
	pg("start")
	t.Cleanup(func() {
		cmd := exec.Command("bash", script, "stop")
		cmd.Env = append(os.Environ(), "FTPCOORD_SERVICES_DIR="+dir, "FTPCOORD_TEST_PG_PORT="+strconv.Itoa(port))
		cmd.Run()
		os.RemoveAll(dir)
	})
	cfg := taskcompat.DatabaseConfig{Type: "postgresql", Host: "127.0.0.1", Port: port, User: "ftpcoord", Password: "ftpcoord-test", Database: "postgres"}
	db, err := taskcompat.OpenDB(cfg, "UTC", 5*time.Second)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, schema.Apply(context.Background(), db, schema.Postgres))
	d := schema.Postgres

	a := startMemberProc(t, cfg, "a")
	waitFor(t, 10*time.Second, "a active", holderIs(t, db, d, "a", 1))
	b := startMemberProc(t, cfg, "b")
	waitBlocked(t, d, db, nil)
	pg("stop")
	pg("start") // pg_ctl stop -m fast, then start: every session ends
	restarted := time.Now()
	// a steps down (its lock session ended) and takes the token back under
	// term 2; b, whose wait errored, must not take it.
	waitFor(t, 20*time.Second, "a to hold the token again under term 2", holderIs(t, db, d, "a", 2))
	// Both heartbeat again: the group is settled.
	for _, id := range []string{"a", "b"} {
		waitFor(t, 10*time.Second, id+" to heartbeat after the restart", func() bool {
			var last time.Time
			err := db.QueryRow(`SELECT last_heartbeat FROM health_check WHERE task_id = $1 AND group_id = 'gk'`, id).Scan(&last)
			return err == nil && last.After(restarted.Add(-time.Second))
		})
	}
	waitBlocked(t, d, db, nil)
	require.Empty(t, b.terms(), "b became active across a database restart")
	require.Equal(t, []string{"1", "2"}, a.terms(), "a's terms")
}
