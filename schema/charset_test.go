package schema_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// The MySQL ledger holds any file name, and one created with a charset
// that cannot is refused with the statement that fixes it.
func TestMySQLLedgerHoldsEveryName(t *testing.T) {
	ctx := context.Background()
	cfg := testdb.NewWithSchema(t, schema.MySQL)
	db := testdb.Open(t, cfg, "UTC")
	name := "/in/📦 Ünïcödé A.csv"
	for i, p := range []string{name, strings.ToLower(name)} {
		_, err := db.ExecContext(ctx, `INSERT INTO ftpcoord_file (group_id, version_key, path, size, mtime_ms, last_error)
			VALUES ('g', ?, ?, 1, 1, ?)`, strings.Repeat("a", 63)+string(rune('0'+i)), p, "failed on "+p)
		require.NoError(t, err, "insert %q", p)
	}
	var got string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT path FROM ftpcoord_file WHERE path = ?`, name).Scan(&got), "read back %q", name)
	require.Equal(t, name, got, "read back: names that differ in case only must stay apart")
	_, err := db.ExecContext(ctx, `DELETE FROM ftpcoord_file`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `ALTER TABLE ftpcoord_file CONVERT TO CHARACTER SET latin1`)
	require.NoError(t, err)
	err = schema.VerifyLedger(ctx, db, schema.MySQL)
	require.ErrorIs(t, err, schema.ErrWrongCharset, "VerifyLedger on a latin1 table")
	require.ErrorContains(t, err, "CONVERT TO CHARACTER SET utf8mb4", "VerifyLedger on a latin1 table: want the fix")
}
