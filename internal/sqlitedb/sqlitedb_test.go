package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// locked returns a database file's write lock, held by an open
// transaction, and another handle on the file with no busy timeout.
func locked(t *testing.T) (*sql.Tx, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "locked.db")
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	holder.SetMaxOpenConns(1)
	if _, err := holder.Exec("CREATE TABLE t (x INT)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx, other
}

// A real lock conflict: one connection holds the write lock, another with
// no busy timeout fails with SQLITE_BUSY; Retry gives up after Attempts and
// succeeds once the lock is gone.
func TestBusyIsRecognisedAndRetried(t *testing.T) {
	ctx := context.Background()
	tx, other := locked(t)
	runs := 0
	err := Retry(ctx, func() error {
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

// RetryFor keeps trying every millisecond or two: it gives up with
// SQLITE_BUSY once its time is over, and gets through as soon as the lock
// is released.
func TestRetryForWaitsForTheLock(t *testing.T) {
	ctx := context.Background()
	tx, other := locked(t)
	insert := func(runs *int) func() error {
		return func() error { *runs++; _, err := other.Exec("INSERT INTO t VALUES (2)"); return err }
	}
	var runs int
	start := time.Now()
	if err := RetryFor(ctx, 100*time.Millisecond, insert(&runs)); !IsBusy(err) || time.Since(start) < 100*time.Millisecond || runs < 20 {
		t.Fatalf("while locked: %v after %v and %d runs; want SQLITE_BUSY after 100 ms of frequent tries", err, time.Since(start), runs)
	}
	time.AfterFunc(50*time.Millisecond, func() { tx.Commit() })
	runs = 0
	start = time.Now()
	if err := RetryFor(ctx, 5*time.Second, insert(&runs)); err != nil || time.Since(start) > time.Second {
		t.Fatalf("lock released after 50 ms: %v after %v", err, time.Since(start))
	}
}
