package taskcompat_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// The session lock's three promises, on every dialect: a wait on a lock that
// nobody holds returns at once without taking it; a wait on a held lock
// returns holding it once the holder's session ends; a lock held by one
// session cannot be taken by another.
func TestSessionLock(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		ctx := context.Background()
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		path := cfg.Database
		if d == schema.SQLite {
			path = filepath.Join(t.TempDir(), "x.db")
		}
		open := func() *taskcompat.LockSession {
			s, err := taskcompat.OpenLockSession(ctx, db, d, path, "g")
			require.NoError(t, err)
			t.Cleanup(s.Close)
			return s
		}
		a, b, c := open(), open(), open()
		held, err := b.Wait(ctx, 7)
		require.NoError(t, err)
		require.False(t, held, "a wait on a free lock must not take it")
		ok, err := a.Acquire(ctx, 7)
		require.NoError(t, err)
		require.True(t, ok, "a takes the free lock")
		ok, err = c.Acquire(ctx, 7)
		require.NoError(t, err)
		require.False(t, ok, "c must not take a's lock")
		ok, err = c.Acquire(ctx, 8)
		require.NoError(t, err)
		require.True(t, ok, "another term's lock is another lock")
		type res struct {
			held bool
			err  error
		}
		got := make(chan res, 1)
		go func() { h, err := b.Wait(ctx, 7); got <- res{h, err} }()
		select {
		case r := <-got:
			t.Fatalf("the wait returned %+v while a held the lock", r)
		case <-time.After(300 * time.Millisecond):
		}
		a.Close() // a's session ends, as when its process dies
		select {
		case r := <-got:
			require.NoError(t, r.err)
			require.True(t, r.held, "the wait must return holding the lock")
		case <-time.After(10 * time.Second):
			t.Fatal("the wait did not return after the holder's session ended")
		}
	})
}
