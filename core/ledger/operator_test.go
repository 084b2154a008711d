package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
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
		if err != nil || len(all) != 3 || all[0].Path != fs[0].Path || all[0].Status != Pending || all[0].FirstSeen.IsZero() {
			t.Fatalf("List: %+v, %v", all, err)
		}
		// Claim the first file: it is busy and cannot be rejected.
		claims, err := l.Claim(ctx, 1, time.Minute, 1)
		if err != nil || len(claims) != 1 || claims[0].File.Path != fs[0].Path {
			t.Fatalf("Claim: %+v, %v", claims, err)
		}
		if _, err := l.Reject(ctx, fs[0].Path, "by hand"); !errors.Is(err, ErrBusy) {
			t.Fatalf("Reject of a busy file: %v, want ErrBusy", err)
		}
		if n, err := l.Reject(ctx, fs[1].Path, "by hand"); err != nil || n != 1 {
			t.Fatalf("Reject: %d, %v", n, err)
		}
		rej, err := l.List(ctx, Rejected, 10)
		if err != nil || len(rej) != 1 || rej[0].Path != fs[1].Path || rej[0].LastError != "by hand" {
			t.Fatalf("List REJECTED: %+v, %v", rej, err)
		}
		// A rejected file is never claimed, until requeued.
		if c, _ := l.Claim(ctx, 10, time.Minute, 1); len(c) != 1 || c[0].File.Path != fs[2].Path {
			t.Fatalf("Claim after reject: %+v", c)
		}
		if n, err := l.Requeue(ctx, fs[1].Path); err != nil || n != 1 {
			t.Fatalf("Requeue: %d, %v", n, err)
		}
		shown, err := l.Show(ctx, fs[1].Path)
		if err != nil || len(shown) != 1 || shown[0].Status != Pending || shown[0].Tries != 0 {
			t.Fatalf("Show after requeue: %+v, %v", shown, err)
		}
		if _, err := l.Show(ctx, "/nowhere"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Show of an unknown path: %v, want ErrNotFound", err)
		}
		// The busy file's commit still works: the operator changed nothing of it.
		if err := l.Commit(ctx, claims[0]); err != nil {
			t.Fatalf("Commit of the busy file: %v", err)
		}
		if n, err := l.Reject(ctx, fs[0].Path, "too late"); err != nil || n != 0 {
			t.Fatalf("Reject of a DONE file: %d, %v; want 0, nil", n, err)
		}
	})
}
