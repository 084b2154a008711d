package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// A real lock conflict: one connection holds the write lock, another with
// no busy timeout fails with SQLITE_BUSY; Retry gives up after Attempts and
// succeeds once the lock is gone.
func TestBusyIsRecognisedAndRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.SetMaxOpenConns(1)
	if _, err := holder.Exec("CREATE TABLE t (x INT)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err = Retry(ctx, func() error {
		runs++
		_, err := other.Exec("INSERT INTO t VALUES (2)")
		return err
	})
	if !IsBusy(err) || runs != Attempts {
		t.Fatalf("while locked: %v after %d runs; want SQLITE_BUSY after %d", err, runs, Attempts)
	}
	if IsBusy(errors.New("database is locked")) || IsBusy(nil) {
		t.Fatal("IsBusy matched an error that is not SQLite's")
	}
	tx.Commit()
	runs = 0
	if err := Retry(ctx, func() error { runs++; _, err := other.Exec("INSERT INTO t VALUES (3)"); return err }); err != nil || runs != 1 {
		t.Fatalf("after the release: %v after %d runs", err, runs)
	}
}
