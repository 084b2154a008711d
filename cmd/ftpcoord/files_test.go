package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/shell"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file whose command keeps failing is REJECTED after maxTries with the
// command's stderr in its last error; `files retry` requeues it and it is
// processed once the command succeeds. `files reject` rejects a waiting file
// by hand; `files show` and `list --status` see it. The member stages files
// (--download-dir) and the command gets the local path as its argument.
func TestFilesRetryAndReject(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	out := filepath.Join(work, "out")
	os.Mkdir(out, 0o755)
	fixed := filepath.Join(work, "fixed")
	cfg := writeJSON(t, filepath.Join(work, "m.json"), memberConfig(srv, db, "cmd-files", "m", map[string]any{"maxTries": 2}))
	// bad.csv fails until the file "fixed" exists; the others are copied to out/.
	handler := `case "$FTPCOORD_PATH" in */bad.csv) [ -e ` + shell.Quote(fixed) + ` ] || { echo "cannot parse line 7 (attempt $FTPCOORD_ATTEMPT)" >&2; exit 3; } ;; esac
test "$1" = "$FTPCOORD_LOCAL_PATH" && cp "$1" ` + shell.Quote(out) + `/`
	m := startRun(t, "--config", cfg, "--exec", handler, "--download-dir", filepath.Join(work, "staging"))

	srv.put(t, "good.csv", "good content")
	srv.put(t, "bad.csv", "bad content")
	bad := srv.path + "/bad.csv"
	eventually(t, 30*time.Second, "good DONE and bad REJECTED", func() bool {
		rows := filesList(t, cfg)
		return countStatus(rows, "DONE") == 1 && countStatus(rows, "REJECTED") == 1
	})
	b, err := os.ReadFile(filepath.Join(out, "good.csv"))
	require.NoError(t, err, "the staged copy handed to the command")
	require.Equal(t, "good content", string(b), "the staged copy handed to the command")
	rej := filesList(t, cfg, "--status", "REJECTED")
	require.Len(t, rej, 1, "rejected rows")
	require.Equal(t, bad, rej[0].Path, "rejected rows: %+v", rej)
	require.Equal(t, 2, rej[0].Tries, "rejected rows: %+v", rej)
	require.Contains(t, rej[0].LastError, "cannot parse line 7 (attempt 2)", "rejected rows: %+v", rej)
	require.Contains(t, rej[0].LastError, "exit status 3", "rejected rows: %+v", rej)
	assert.Contains(t, m.log(), "ftpcoord files retry --config "+cfg+" "+bad, "the member's log does not say how to requeue the rejected file")
	show := ftpcoord(t, "files", "show", "--config", cfg, bad)
	require.Zero(t, show.code, "files show: exit code\n%s%s", show.stdout, show.stderr)
	require.Contains(t, show.stdout, "REJECTED", "files show")
	require.Contains(t, show.stdout, "cannot parse line 7", "files show")
	// Retry of a file that is not rejected does nothing and says why.
	r := ftpcoord(t, "files", "retry", "--config", cfg, srv.path+"/good.csv")
	require.Equal(t, exitcode.Failure, r.code, "retry of a DONE file: exit code %s", r.stderr)
	require.Contains(t, r.stderr, "DONE", "retry of a DONE file")
	os.WriteFile(fixed, nil, 0o644)
	r = ftpcoord(t, "files", "retry", "--config", cfg, bad)
	require.Zero(t, r.code, "files retry: exit code %s%s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "requeued 1", "files retry")
	eventually(t, 30*time.Second, "the requeued file DONE", func() bool {
		return countStatus(filesList(t, cfg), "DONE") == 2
	})
	_, err = os.Stat(filepath.Join(out, "bad.csv"))
	require.NoError(t, err, "the requeued file was not handled")

	// Reject by hand: a version recorded but not yet claimed (no member
	// of this group runs, so it stays PENDING).
	sqlDB := testdb.Open(t, db, "UTC")
	lg, err := ledger.New(context.Background(), ledger.Config{DB: sqlDB, Dialect: schema.Postgres, GroupID: "cmd-files-idle", MemberID: "x"})
	require.NoError(t, err)
	lg.Record(context.Background(), []ledger.File{{Path: "/in/stuck.csv", Size: 3, MTime: 1}})
	idle := writeJSON(t, filepath.Join(work, "idle.json"), memberConfig(srv, db, "cmd-files-idle", "x", nil))
	r = ftpcoord(t, "files", "reject", "--config", idle, "--reason", "poison message, see ticket 42", "/in/stuck.csv")
	require.Zero(t, r.code, "files reject: exit code %s%s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "rejected 1", "files reject")
	rows := filesList(t, idle, "--status", "REJECTED")
	require.Len(t, rows, 1, "after reject")
	require.Equal(t, "poison message, see ticket 42", rows[0].LastError, "after reject: %+v", rows)
	r = ftpcoord(t, "files", "reject", "--config", idle, "/in/nothing.csv")
	require.Equal(t, exitcode.Failure, r.code, "reject of an unknown path: exit code %s", r.stderr)
	require.Contains(t, r.stderr, "no such file", "reject of an unknown path")
	r = ftpcoord(t, "files", "show", "--config", idle, "/in/nothing.csv")
	require.Equal(t, exitcode.Failure, r.code, "show of an unknown path: exit code %s", r.stderr)
	require.Contains(t, r.stderr, "no such file", "show of an unknown path")
}
