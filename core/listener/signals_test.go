package listener

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// Status (the Go API, and the C and Java status JSON made from it) carries
// the group's backlog from the ledger, and the member's readiness: a file
// that failed once waits for its retry, one rejected, one committed.
func TestStatusCarriesTheBacklog(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 3
		cfg.RetryTimeout = 3600 // the failed file waits
		svc := newFlaky(1)      // every file's first attempt fails
		svc.failOn = "bad.csv"  // bad.csv always
		l := startedListener(t, cfg, svc)
		write(t, local, "a.csv", "a", time.Hour)
		pollUntil(t, l, "a.csv failed once", func() bool {
			b, err := l.Backlog(context.Background())
			require.NoError(t, err)
			return b.Failed.Files == 1
		})
		st, err := l.Status(context.Background())
		require.NoError(t, err)
		require.NotNil(t, st.Backlog, "Status.Backlog with the ledger")
		require.Equal(t, 1, st.Backlog.Failed.Files, "%+v", st.Backlog)
		require.EqualValues(t, 1, st.Backlog.Retries, "one failed attempt of an unfinished file: %+v", st.Backlog)
		require.Zero(t, st.Backlog.Pending.Files, "%+v", st.Backlog)
		require.Equal(t, Readiness{Ready: true}, st.Readiness)
		require.Zero(t, st.Backlog.ListedToCommit.Count, "nothing committed yet")
	})
}

// Without a ledger there is no backlog to read.
func TestBacklogWithoutALedger(t *testing.T) {
	l, err := New(ListenerConfig{})
	require.NoError(t, err)
	_, err = l.Backlog(context.Background())
	require.ErrorIs(t, err, ErrNoLedger)
	st, err := l.Status(context.Background())
	require.NoError(t, err)
	require.Nil(t, st.Backlog)
}

// Readiness says why a member is not ready: stopping first, then unable to
// work, then a stuck poll.
func TestReadinessSaysWhy(t *testing.T) {
	l, err := New(ListenerConfig{ProcessingTimeout: 1})
	require.NoError(t, err)
	require.Equal(t, Readiness{Ready: true}, l.Readiness())
	ended := l.pollBegan()
	defer ended()
	require.Eventually(t, func() bool { return l.PollHealth().Stuck }, 10*time.Second, 50*time.Millisecond, "a poll without progress")
	r := l.Readiness()
	require.Equal(t, NotReadyStuck, r.Reason, "%+v", r)
	require.Contains(t, r.Detail, "has made no progress since", "%+v", r)
	l.work.mu.Lock()
	l.work.unable, l.work.reason = true, "530 Login incorrect"
	l.work.mu.Unlock()
	require.Equal(t, Readiness{Reason: NotReadyUnableToWork, Detail: "this member cannot do the work: 530 Login incorrect"}, l.Readiness())
	l.draining.Store(true)
	require.Equal(t, NotReadyStopping, l.Readiness().Reason)
}

// In warm-backup mode the active member enters a listing in batches, as
// its workers need them: the backlog counts the rest, not entered yet, as
// pending, as old as the listing that found it; once every file is done,
// nothing is pending.
func TestBacklogCountsTheListingNotEnteredYet(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.PollingInterval = 0.05
		cfg.Workers = 1
		cfg.MaxFilesPerPoll = 10 // batches of 10, at most 10 queued for the worker
		const files = 60
		for i := range files {
			write(t, local, fmt.Sprintf("f%02d.csv", i), "x", time.Hour)
		}
		svc := newBlocking()
		l := startedListener(t, cfg, svc)
		var release sync.Once // before the listener's stop, should the test end early
		t.Cleanup(func() { release.Do(func() { close(svc.release) }) })
		waitStarted(t, svc) // the worker holds the first file; the feed waits for room
		var b ledger.Backlog
		require.Eventually(t, func() bool {
			var err error
			b, err = l.Backlog(context.Background())
			require.NoError(t, err)
			return b.InProgress.Files+b.Pending.Files == files
		}, 30*time.Second, 10*time.Millisecond, "every listed file is entered claimed or counted pending")
		require.Positive(t, b.Pending.Files, "the listing's versions not entered yet are pending: %+v", b)
		require.Positive(t, b.Pending.OldestSeconds, "as old as their listing: %+v", b)
		st, err := l.Status(context.Background())
		require.NoError(t, err)
		require.Equal(t, b.Pending.Files, st.Backlog.Pending.Files, "Status reports the same backlog")

		release.Do(func() { close(svc.release) })
		for range files - 1 {
			waitStarted(t, svc)
		}
		require.Eventually(t, func() bool {
			b, err := l.Backlog(context.Background())
			require.NoError(t, err)
			return b.Pending.Files == 0 && b.InProgress.Files == 0 && svc.delivered() == files
		}, 30*time.Second, 10*time.Millisecond, "every file done, nothing pending")
	})
}
