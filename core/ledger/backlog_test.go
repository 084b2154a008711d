package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// One file in each state, first listed long ago (on the database clock):
// the backlog counts them, ages them, counts the failed attempt, the
// supersession and the commit's wait since the first listing.
func TestBacklog(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", Shared)

		empty, err := l.Backlog(ctx)
		require.NoError(t, err, "Backlog of an empty ledger")
		require.Zero(t, empty.Pending.Files+empty.InProgress.Files+empty.Failed.Files+empty.Rejected.Files, "%+v", empty)
		require.Equal(t, ListedToCommitBounds, empty.ListedToCommit.Bounds)

		fs := files(6)
		mustRecord(t, l, fs, 6)
		backdate := func(path string, by time.Duration) {
			t.Helper()
			_, err := f.db.Exec(l.q(`UPDATE ftpcoord_file SET first_seen = `+l.later()+` WHERE group_id = 'g' AND path = ?`), -by.Milliseconds(), path)
			require.NoError(t, err)
		}
		for _, x := range fs[:5] {
			backdate(x.Path, 90*time.Second)
		}
		backdate(fs[5].Path, 2*time.Hour)
		claim := func() Claim {
			t.Helper()
			c, err := l.Claim(ctx, 1, time.Hour, 0)
			require.NoError(t, err)
			require.Len(t, c, 1)
			return c[0]
		}
		require.NoError(t, l.Commit(ctx, claim()), "commit f0")
		_, err = l.Fail(ctx, claim(), "retry me", time.Hour, 3) // f1: FAILED, one try
		require.NoError(t, err)
		_, err = l.Fail(ctx, claim(), "give up", 0, 1) // f2: REJECTED
		require.NoError(t, err)
		require.NoError(t, l.Supersede(ctx, claim()), "supersede f3")
		claim() // f4: IN_PROGRESS

		b, err := l.Backlog(ctx)
		require.NoError(t, err)
		for name, s := range map[string]StateBacklog{"inProgress": b.InProgress, "failed": b.Failed, "rejected": b.Rejected} {
			require.Equal(t, 1, s.Files, "%s: %+v", name, b)
			require.InDelta(t, 90, s.OldestSeconds, 30, "%s: age of the oldest: %+v", name, b)
		}
		require.Equal(t, 1, b.Pending.Files, "%+v", b)
		require.InDelta(t, 7200, b.Pending.OldestSeconds, 30, "age of the oldest pending: %+v", b)
		require.Equal(t, 2*time.Hour, b.Pending.Oldest().Round(time.Hour), "Oldest()")
		require.EqualValues(t, 1, b.Retries, "failed attempts of unfinished files (f1's): %+v", b)
		require.EqualValues(t, 1, b.Supersessions, "%+v", b)

		h := b.ListedToCommit
		require.EqualValues(t, 1, h.Count, "one commit: %+v", h)
		require.InDelta(t, 90, h.SumSeconds, 30, "its wait since the first listing: %+v", h)
		for i, bound := range h.Bounds {
			want := uint64(0)
			if bound >= 120 {
				want = 1 // 90 s waited: in the bucket up to 120 s and every one above
			}
			require.Equal(t, want, h.Counts[i], "bucket <= %gs: %+v", bound, h)
		}

		// A batch commit counts its files too.
		backdate(fs[5].Path, time.Second)
		c := claim()
		lost, err := l.CommitAll(ctx, []Claim{c})
		require.NoError(t, err)
		require.Empty(t, lost)
		b, err = l.Backlog(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, b.ListedToCommit.Count, "%+v", b.ListedToCommit)
		require.Zero(t, b.Pending.Files, "%+v", b)
		require.Zero(t, b.Pending.OldestSeconds, "no pending file, no age: %+v", b)
	})
}
