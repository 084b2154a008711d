package listener

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
