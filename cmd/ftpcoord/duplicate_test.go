package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// Two `ftpcoord run` processes with one memberId, started a moment apart:
// the second refuses to start (exit code 3, the id and the fix named), the
// first keeps the token and processes files, on every dialect.
func TestRunWithAMemberIDInUseRefusesToStart(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		srv := newFTPDir(t)
		db := testdb.New(t, d)
		work := t.TempDir()
		cfg := writeJSON(t, filepath.Join(work, "a.json"), memberConfig(srv, db, "dup", "node-1", nil))
		r := ftpcoord(t, "schema", "apply", "--config", cfg)
		require.Zero(t, r.code, "schema apply: %s", r.stderr)
		first := startRun(t, "--config", cfg, "--exec", "cat >/dev/null")
		eventually(t, 20*time.Second, "the first member active", func() bool {
			st, r := statusOf(t, cfg)
			return r.code == 0 && st.Holder == "node-1" && st.Active
		})
		second := ftpcoord(t, "run", "--config", cfg, "--exec", "cat >/dev/null")
		assert.Equal(t, exitcode.Config, second.code, "second run: %s", second.stderr)
		assert.Contains(t, second.stderr, `memberId "node-1"`)
		assert.Contains(t, second.stderr, "give every member its own memberId")
		st, _ := statusOf(t, cfg)
		assert.Equal(t, int64(1), st.Term, "the token must not have moved: %+v", st)
		srv.put(t, "after.csv", "1")
		eventually(t, 30*time.Second, "the first member to process a file", func() bool {
			return strings.Contains(first.log(), "after.csv")
		})
	})
}
