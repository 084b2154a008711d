package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// A remote name (or an error text) with a newline, a carriage return or an
// escape sequence cannot forge a row of `files list`, or a line of `files
// show` and `files reject`: the command prints it escaped. (--json keeps
// the real name.)
func TestFilesTextOutputEscapesControlCharacters(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	forged := "/in/a.csv\n/in/forged.csv  DONE  1  5\r\x1b[2K"
	lg, err := ledger.New(context.Background(), ledger.Config{DB: testdb.Open(t, db, "UTC"), Dialect: schema.Postgres, GroupID: "cmd-escape", MemberID: "x"})
	require.NoError(t, err)
	_, err = lg.Record(context.Background(), []ledger.File{{Path: forged, Size: 3, MTime: 1}})
	require.NoError(t, err)
	cfg := writeJSON(t, filepath.Join(work, "m.json"), memberConfig(srv, db, "cmd-escape", "x", nil))
	escaped := `/in/a.csv\n/in/forged.csv  DONE  1  5\r\x1b[2K`

	r := ftpcoord(t, "files", "reject", "--config", cfg, "--reason", "line one\nREJECTED forged", forged)
	require.Zero(t, r.code, "files reject: %s", r.stderr)
	require.Equal(t, 1, strings.Count(r.stdout, "\n"), "files reject printed more than one line:\n%s", r.stdout)
	require.Contains(t, r.stdout, escaped)

	r = ftpcoord(t, "files", "list", "--config", cfg)
	require.Zero(t, r.code, "files list: %s", r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2, "files list: a header and one row:\n%s", r.stdout)
	require.Contains(t, lines[1], escaped)
	require.Contains(t, lines[1], `line one\nREJECTED forged`)
	require.NotContains(t, r.stdout, "\r")
	require.NotContains(t, r.stdout, "\x1b")

	r = ftpcoord(t, "files", "show", "--config", cfg, forged)
	require.Zero(t, r.code, "files show: %s", r.stderr)
	require.Contains(t, r.stdout, "path        "+escaped+"\n")
	require.Contains(t, r.stdout, "last error  line one\\nREJECTED forged\n")

	rows := filesList(t, cfg)
	require.Len(t, rows, 1)
	require.Equal(t, forged, rows[0].Path, "--json keeps the real name")
}
