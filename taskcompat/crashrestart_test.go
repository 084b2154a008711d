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

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// A database restart ends every session at once, the standbys' waits
// included: that is no crash signal (a wait that errors signals nothing), so
// the token goes to nobody new. The holder, whose lock session ended too,
// steps down and takes the token back under a new term once the server
// answers. Member locks alike: every member's connection ended too, so none
// takes another for gone. The servers are a PostgreSQL cluster and a MariaDB
// server of this test's own, on other ports, since other tests share the
// usual ones.
func TestDatabaseRestartMovesTokenToNobodyNew(t *testing.T) {
	for _, d := range []schema.Dialect{schema.Postgres, schema.MySQL} {
		t.Run(string(d), func(t *testing.T) {
			cfg, restart := privateServer(t, d)
			db, err := taskcompat.OpenDB(cfg, "UTC", 5*time.Second)
			require.NoError(t, err)
			defer db.Close()
			require.NoError(t, schema.Apply(context.Background(), db, d))

			a := startLockedProc(t, cfg, "a")
			waitFor(t, 20*time.Second, "a active", holderIs(t, db, d, "a", 1))
			b := startLockedProc(t, cfg, "b")
			waitBlocked(t, d, db, nil)
			waitFor(t, 10*time.Second, "a to see b's member lock", a.sees("b"))
			waitFor(t, 10*time.Second, "b to see a's member lock", b.sees("a"))
			restart() // every session ends
			restarted := time.Now()
			// a steps down (its lock session ended) and takes the token back
			// under term 2; b, whose wait errored, must not take it.
			waitFor(t, 30*time.Second, "a to hold the token again under term 2", holderIs(t, db, d, "a", 2))
			// Both heartbeat again: the group is settled.
			for _, id := range []string{"a", "b"} {
				waitFor(t, 10*time.Second, id+" to heartbeat after the restart", func() bool {
					var last time.Time
					err := db.QueryRow(testdb.Q(d, `SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = 'gk'`), id).Scan(&last)
					// MySQL's whole seconds.
					return err == nil && last.After(restarted.Add(-2*time.Second))
				})
			}
			waitBlocked(t, d, db, nil)
			waitFor(t, 10*time.Second, "a to see b's member lock again", a.sees("b"))
			waitFor(t, 10*time.Second, "b to see a's member lock again", b.sees("a"))
			require.Empty(t, b.terms(), "b became active across a database restart")
			require.Equal(t, []string{"1", "2"}, a.terms(), "a's terms")
			require.Empty(t, a.goneSeen(), "a took a member for gone across a database restart")
			require.Empty(t, b.goneSeen(), "b took a member for gone across a database restart")
		})
	}
}

// privateServer starts a database server of d for this test alone, with the
// tests/services script, and returns its configuration and a restart (a
// fast shutdown, then a start: every session ends).
func privateServer(t *testing.T, d schema.Dialect) (taskcompat.DatabaseConfig, func()) {
	t.Helper()
	dir, err := os.MkdirTemp("", "ftpcoord-restart-"+string(d)+"-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	name, portVar := "postgres.sh", "FTPCOORD_TEST_PG_PORT"
	if d == schema.MySQL {
		name, portVar = "mariadb.sh", "FTPCOORD_TEST_MYSQL_PORT"
	}
	script, err := filepath.Abs("../tests/services/" + name)
	require.NoError(t, err)
	run := func(verb string) error {
		cmd := exec.Command("bash", script, verb)
		cmd.Env = append(os.Environ(), "FTPCOORD_SERVICES_DIR="+dir, portVar+"="+strconv.Itoa(port))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("%s %s: %s", name, verb, out)
		}
		return err
	}
	require.NoError(t, run("start"))
	t.Cleanup(func() {
		run("stop")
		os.RemoveAll(dir)
	})
	cfg := taskcompat.DatabaseConfig{Type: "postgresql", Host: "127.0.0.1", Port: port, User: "ftpcoord", Password: "ftpcoord-test", Database: "postgres"}
	if d == schema.MySQL {
		cfg.Type, cfg.Database = "mysql", "mysql"
		db, err := taskcompat.OpenDB(cfg, "UTC", 5*time.Second)
		require.NoError(t, err)
		_, err = db.Exec(`CREATE DATABASE restarttest`)
		db.Close()
		require.NoError(t, err)
		cfg.Database = "restarttest"
	}
	return cfg, func() {
		require.NoError(t, run("stop"))
		if d == schema.MySQL {
			// mariadb-admin shutdown returns before the server has gone.
			waitFor(t, 30*time.Second, "the server to stop", func() bool {
				c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
				if err == nil {
					c.Close()
				}
				return err != nil
			})
		}
		require.NoError(t, run("start"))
	}
}
