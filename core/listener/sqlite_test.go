package listener

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On SQLite another process may hold the database's write lock for a moment
// (here 800 ms, while the handler finishes): the commit waits for it (busy
// timeout) instead of failing, and the file is DONE after one attempt.
func TestSQLiteLockMidCommitCostsNothing(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, db := withLedger(t, cfg, schema.SQLite, "m")
	cfg.PollingInterval = 0.05
	direct := testdb.Open(t, db, "UTC")
	ctx := context.Background()
	released := make(chan struct{})
	svc := &cutter{flaky: newFlaky(0), cut: func() {
		conn, err := direct.Conn(ctx)
		if !assert.NoError(t, err) {
			close(released)
			return
		}
		_, err = conn.ExecContext(ctx, "BEGIN EXCLUSIVE")
		assert.NoError(t, err)
		time.AfterFunc(800*time.Millisecond, func() {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			close(released)
		})
	}}
	startedListener(t, cfg, svc)
	write(t, local, "held.csv", "wait for me", time.Hour)
	p := cfg.Path + "/held.csv"
	status := func() (s string, tries int) {
		direct.QueryRow(`SELECT status, tries FROM ftpcoord_file WHERE path = ?`, p).Scan(&s, &tries)
		return s, tries
	}
	select {
	case <-svc.arrivals:
	case <-time.After(20 * time.Second):
		t.Fatal("the file was never handled")
	}
	// The handler is done; its commit waits for the lock (reads go on).
	s, _ := status()
	require.Equal(t, "IN_PROGRESS", s, "status while another connection held the write lock")
	<-released
	waitUntil(t, "the waiting commit", func() bool { s, _ := status(); return s == "DONE" })
	svc.mu.Lock()
	attempts := svc.attempts[p]
	svc.mu.Unlock()
	svc.recorder.mu.Lock()
	errs := svc.recorder.errs
	svc.recorder.mu.Unlock()
	_, tries := status()
	require.Len(t, attempts, 1, "attempts: want one attempt")
	require.Equal(t, 1, tries, "tries: want one attempt")
	require.Empty(t, errs, "errors: want none")
}
