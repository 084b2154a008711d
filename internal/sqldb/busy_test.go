package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// locked returns a database file's write lock, held by an open
// transaction, and another handle on the file with no busy timeout.
func locked(t *testing.T) (*sql.Tx, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "locked.db")
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	t.Cleanup(func() { holder.Close() })
	holder.SetMaxOpenConns(1)
	_, err = holder.Exec("CREATE TABLE t (x INT)")
	require.NoError(t, err)
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	tx, err := holder.Begin()
	require.NoError(t, err)
	_, err = tx.Exec("INSERT INTO t VALUES (1)")
	require.NoError(t, err)
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
	require.True(t, IsBusy(err), "while locked: %v; want SQLITE_BUSY", err)
	require.Equal(t, Attempts, runs, "while locked: runs")
	require.False(t, IsBusy(errors.New("database is locked")), "IsBusy matched an error that is not SQLite's")
	require.False(t, IsBusy(nil), "IsBusy matched nil")
	tx.Commit()
	runs = 0
	require.NoError(t, Retry(ctx, func() error { runs++; _, err := other.Exec("INSERT INTO t VALUES (3)"); return err }), "after the release")
	require.Equal(t, 1, runs, "after the release: runs")
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
	err := RetryFor(ctx, 100*time.Millisecond, insert(&runs))
	took := time.Since(start)
	require.True(t, IsBusy(err), "while locked: %v; want SQLITE_BUSY", err)
	require.GreaterOrEqual(t, took, 100*time.Millisecond, "while locked: gave up before 100 ms")
	require.GreaterOrEqual(t, runs, 20, "while locked: %v after %v; want frequent tries", err, took)
	time.AfterFunc(50*time.Millisecond, func() { tx.Commit() })
	runs = 0
	start = time.Now()
	err = RetryFor(ctx, 5*time.Second, insert(&runs))
	took = time.Since(start)
	require.NoError(t, err, "lock released after 50 ms")
	require.LessOrEqual(t, took, time.Second, "lock released after 50 ms: took")
}
