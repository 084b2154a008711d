package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// An operator lists and shows rows, rejects waiting files by hand but not one
// a member is processing, and requeues what was rejected.
func TestOperatorListShowRejectRequeue(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		ctx := context.Background()
		f := setup(t, d)
		f.holdToken(t, "m", 1)
		l := f.ledger(t, "m", WarmBackup)
		fs := files(3)
		mustRecord(t, l, fs, 3)

		all, err := l.List(ctx, "", 10)
		require.NoError(t, err, "List")
		require.Len(t, all, 3, "List")
		require.Equal(t, fs[0].Path, all[0].Path, "List: %+v", all)
		require.Equal(t, Pending, all[0].Status, "List: %+v", all)
		require.False(t, all[0].FirstSeen.IsZero(), "List: %+v: no first-seen time", all)
		// Claim the first file: it is busy and cannot be rejected.
		claims, err := l.Claim(ctx, 1, time.Minute, 1)
		require.NoError(t, err, "Claim")
		require.Len(t, claims, 1, "Claim")
		require.Equal(t, fs[0].Path, claims[0].File.Path, "Claim: %+v", claims)
		_, err = l.Reject(ctx, fs[0].Path, "by hand")
		require.ErrorIs(t, err, ErrBusy, "Reject of a busy file")
		n, err := l.Reject(ctx, fs[1].Path, "by hand")
		require.NoError(t, err, "Reject")
		require.Equal(t, 1, n, "Reject")
		rej, err := l.List(ctx, Rejected, 10)
		require.NoError(t, err, "List REJECTED")
		require.Len(t, rej, 1, "List REJECTED")
		require.Equal(t, fs[1].Path, rej[0].Path, "List REJECTED: %+v", rej)
		require.Equal(t, "by hand", rej[0].LastError, "List REJECTED: %+v", rej)
		// A rejected file is never claimed, until requeued.
		c, _ := l.Claim(ctx, 10, time.Minute, 1)
		require.Len(t, c, 1, "Claim after reject")
		require.Equal(t, fs[2].Path, c[0].File.Path, "Claim after reject: %+v", c)
		n, err = l.Requeue(ctx, fs[1].Path)
		require.NoError(t, err, "Requeue")
		require.Equal(t, 1, n, "Requeue")
		shown, err := l.Show(ctx, fs[1].Path)
		require.NoError(t, err, "Show after requeue")
		require.Len(t, shown, 1, "Show after requeue")
		require.Equal(t, Pending, shown[0].Status, "Show after requeue: %+v", shown)
		require.Zero(t, shown[0].Tries, "Show after requeue: %+v", shown)
		_, err = l.Show(ctx, "/nowhere")
		require.ErrorIs(t, err, ErrNotFound, "Show of an unknown path")
		// The busy file's commit still works: the operator changed nothing of it.
		require.NoError(t, l.Commit(ctx, claims[0]), "Commit of the busy file")
		n, err = l.Reject(ctx, fs[0].Path, "too late")
		require.NoError(t, err, "Reject of a DONE file")
		require.Zero(t, n, "Reject of a DONE file")
	})
}
