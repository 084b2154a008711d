package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A member without a handler refuses to start, naming both flags, and
// commits nothing: the file stays where it is and the ledger stays empty.
// Only --commit-unprocessed, asked for by name, commits files unprocessed.
func TestRunWithoutAHandlerCommitsNothing(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	cfg := writeJSON(t, filepath.Join(t.TempDir(), "m.json"), memberConfig(srv, db, "cmd-nohandler", "solo",
		map[string]any{"afterProcess": map[string]any{"moveTo": srv.path + "/archive"}}))
	require.NoError(t, os.Mkdir(filepath.Join(srv.local, "archive"), 0o777))
	os.Chmod(filepath.Join(srv.local, "archive"), 0o777)
	srv.put(t, "a.csv", "1")

	r := ftpcoord(t, "run", "--config", cfg)
	assert.Equal(t, exitcode.Usage, r.code, "run without a handler: %s", r.stderr)
	assert.Contains(t, r.stderr, "run: no handler: add --exec CMD")
	assert.Contains(t, r.stderr, "add --commit-unprocessed")
	assert.Empty(t, filesList(t, cfg), "the ledger after a run without a handler")
	assert.FileExists(t, filepath.Join(srv.local, "a.csv"), "the file after a run without a handler")

	m := startRun(t, "--config", cfg, "--commit-unprocessed")
	eventually(t, 20*time.Second, "a.csv DONE and archived by --commit-unprocessed", func() bool {
		rows := filesList(t, cfg)
		_, err := os.Stat(filepath.Join(srv.local, "archive", "a.csv"))
		return len(rows) == 1 && countStatus(rows, "DONE") == 1 && err == nil
	})
	assert.Contains(t, m.log(), "--commit-unprocessed: every file is committed without being processed")
}
