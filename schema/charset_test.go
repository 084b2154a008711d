package schema_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// The MySQL ledger holds any file name, and one created with a charset
// that cannot is refused with the statement that fixes it.
func TestMySQLLedgerHoldsEveryName(t *testing.T) {
	ctx := context.Background()
	cfg := testdb.NewWithSchema(t, schema.MySQL)
	db := testdb.Open(t, cfg, "UTC")
	name := "/in/📦 Ünïcödé A.csv"
	for i, p := range []string{name, strings.ToLower(name)} {
		if _, err := db.ExecContext(ctx, `INSERT INTO ftpcoord_file (group_id, version_key, path, size, mtime_ms, last_error)
			VALUES ('g', ?, ?, 1, 1, ?)`, strings.Repeat("a", 63)+string(rune('0'+i)), p, "failed on "+p); err != nil {
			t.Fatalf("insert %q: %v", p, err)
		}
	}
	var got string
	if err := db.QueryRowContext(ctx, `SELECT path FROM ftpcoord_file WHERE path = ?`, name).Scan(&got); err != nil || got != name {
		t.Fatalf("read back %q (%v), want %q: names that differ in case only must stay apart", got, err, name)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM ftpcoord_file`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE ftpcoord_file CONVERT TO CHARACTER SET latin1`); err != nil {
		t.Fatal(err)
	}
	err := schema.VerifyLedger(ctx, db, schema.MySQL)
	if !errors.Is(err, schema.ErrWrongCharset) || !strings.Contains(err.Error(), "CONVERT TO CHARACTER SET utf8mb4") {
		t.Fatalf("VerifyLedger on a latin1 table: %v, want ErrWrongCharset with the fix", err)
	}
}
