package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
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
	handler := `case "$FTPCOORD_PATH" in */bad.csv) [ -e ` + shellQuote(fixed) + ` ] || { echo "cannot parse line 7 (attempt $FTPCOORD_ATTEMPT)" >&2; exit 3; } ;; esac
test "$1" = "$FTPCOORD_LOCAL_PATH" && cp "$1" ` + shellQuote(out) + `/`
	m := startRun(t, "--config", cfg, "--exec", handler, "--download-dir", filepath.Join(work, "staging"))

	srv.put(t, "good.csv", "good content")
	srv.put(t, "bad.csv", "bad content")
	bad := srv.path + "/bad.csv"
	eventually(t, 30*time.Second, "good DONE and bad REJECTED", func() bool {
		rows := filesList(t, cfg)
		return countStatus(rows, "DONE") == 1 && countStatus(rows, "REJECTED") == 1
	})
	if b, err := os.ReadFile(filepath.Join(out, "good.csv")); err != nil || string(b) != "good content" {
		t.Fatalf("the staged copy handed to the command: %q, %v", b, err)
	}
	rej := filesList(t, cfg, "--status", "REJECTED")
	if len(rej) != 1 || rej[0].Path != bad || rej[0].Tries != 2 || !strings.Contains(rej[0].LastError, "cannot parse line 7 (attempt 2)") ||
		!strings.Contains(rej[0].LastError, "exit status 3") {
		t.Fatalf("rejected rows: %+v", rej)
	}
	if !strings.Contains(m.log(), "ftpcoord files retry --config "+cfg+" "+bad) {
		t.Errorf("the member's log does not say how to requeue the rejected file:\n%s", m.log())
	}
	show := ftpcoord(t, "files", "show", "--config", cfg, bad)
	if show.code != 0 || !strings.Contains(show.stdout, "REJECTED") || !strings.Contains(show.stdout, "cannot parse line 7") {
		t.Fatalf("files show: exit %d\n%s%s", show.code, show.stdout, show.stderr)
	}
	// Retry of a file that is not rejected does nothing and says why.
	if r := ftpcoord(t, "files", "retry", "--config", cfg, srv.path+"/good.csv"); r.code != ExitFailure || !strings.Contains(r.stderr, "DONE") {
		t.Fatalf("retry of a DONE file: exit %d %s", r.code, r.stderr)
	}
	os.WriteFile(fixed, nil, 0o644)
	if r := ftpcoord(t, "files", "retry", "--config", cfg, bad); r.code != 0 || !strings.Contains(r.stdout, "requeued 1") {
		t.Fatalf("files retry: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	eventually(t, 30*time.Second, "the requeued file DONE", func() bool {
		return countStatus(filesList(t, cfg), "DONE") == 2
	})
	if _, err := os.Stat(filepath.Join(out, "bad.csv")); err != nil {
		t.Fatalf("the requeued file was not handled: %v", err)
	}

	// Reject by hand: a version recorded but not yet claimed (no member
	// of this group runs, so it stays PENDING).
	sqlDB := testdb.Open(t, db, "UTC")
	lg, err := ledger.New(context.Background(), ledger.Config{DB: sqlDB, Dialect: schema.Postgres, GroupID: "cmd-files-idle", MemberID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	lg.Record(context.Background(), []ledger.File{{Path: "/in/stuck.csv", Size: 3, MTime: 1}})
	idle := writeJSON(t, filepath.Join(work, "idle.json"), memberConfig(srv, db, "cmd-files-idle", "x", nil))
	r := ftpcoord(t, "files", "reject", "--config", idle, "--reason", "poison message, see ticket 42", "/in/stuck.csv")
	if r.code != 0 || !strings.Contains(r.stdout, "rejected 1") {
		t.Fatalf("files reject: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	if rows := filesList(t, idle, "--status", "REJECTED"); len(rows) != 1 || rows[0].LastError != "poison message, see ticket 42" {
		t.Fatalf("after reject: %+v", rows)
	}
	if r := ftpcoord(t, "files", "reject", "--config", idle, "/in/nothing.csv"); r.code != ExitFailure || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("reject of an unknown path: exit %d %s", r.code, r.stderr)
	}
	if r := ftpcoord(t, "files", "show", "--config", idle, "/in/nothing.csv"); r.code != ExitFailure || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("show of an unknown path: exit %d %s", r.code, r.stderr)
	}
}
