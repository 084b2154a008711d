package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// heartbeat writes member's health_check row, ageMS old by the database
// clock (in the test sessions' zone, UTC).
func (f fixture) heartbeat(t *testing.T, member string, ageMS int64) {
	t.Helper()
	f.db.Exec(testdb.Q(f.d, `DELETE FROM health_check WHERE task_id = ? AND group_id = 'g'`), member)
	l := Ledger{cfg: Config{Dialect: f.d}}
	q := `INSERT INTO health_check (task_id, group_id, last_heartbeat) VALUES (?, 'g', ` + l.later() + `)`
	if f.d == schema.Postgres {
		q = `INSERT INTO health_check (task_id, group_id, last_heartbeat) VALUES (?, 'g', LOCALTIMESTAMP + ? * INTERVAL '1 millisecond')`
	}
	if _, err := f.db.Exec(testdb.Q(f.d, q), member, -ageMS); err != nil {
		t.Fatal(err)
	}
}

func TestExpireOrphansOfEndedTerms(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a, b := f.ledger(t, "a", WarmBackup), f.ledger(t, "b", WarmBackup)
		f.holdToken(t, "a", 1)
		old, err := a.RecordClaimed(ctx, files(6), time.Hour, 1)
		if err != nil || len(old) != 6 {
			t.Fatalf("a's claims: %d, %v", len(old), err)
		}
		if err := a.Commit(ctx, old[5]); err != nil {
			t.Fatal(err)
		}
		// a dies; b takes over with term 2 and claims one file of its own.
		f.holdToken(t, "b", 2)
		mustRecord(t, b, []File{{Path: "/in/b-own", Size: 1, MTime: 1}}, 1)
		own, err := b.Claim(ctx, 1, time.Hour, 2)
		if err != nil || len(own) != 1 || own[0].File.Path != "/in/b-own" {
			t.Fatalf("b's own claim: %+v, %v", own, err)
		}
		// The leases (an hour) have not run out: nothing to claim yet.
		if got, _ := b.Claim(ctx, 10, time.Hour, 2); len(got) != 0 {
			t.Fatalf("claimed %d files whose leases still run", len(got))
		}
		// A member whose term is not current ends nothing.
		if n, err := a.ExpireOrphans(ctx, 3, 0); err != nil || n != 0 {
			t.Fatalf("ExpireOrphans by a deposed member: %d, %v; want 0", n, err)
		}
		n, err := b.ExpireOrphans(ctx, 2, 0)
		if err != nil || n != 5 {
			t.Fatalf("ExpireOrphans: %d, %v; want a's 5 unfinished claims", n, err)
		}
		if n, _ := b.ExpireOrphans(ctx, 2, 0); n != 0 {
			t.Fatalf("second ExpireOrphans ended %d more", n)
		}
		again, err := b.Claim(ctx, 10, time.Hour, 2)
		if err != nil || len(again) != 5 {
			t.Fatalf("reclaimed %d, %v; want 5", len(again), err)
		}
		for i, c := range again {
			if c.Key != old[i].Key || c.Tries != 2 {
				t.Fatalf("reclaim %d: %+v; want %s with its attempt counted (tries 2)", i, c, old[i].File.Path)
			}
		}
		// b's own claim of its current term kept its lease.
		if err := b.Commit(ctx, own[0]); err != nil {
			t.Fatalf("b's own claim: %v", err)
		}
		// The dead member's late commit changes nothing.
		if err := a.Commit(ctx, old[0]); !errors.Is(err, ErrLost) {
			t.Fatalf("late commit of an ended term: %v, want ErrLost", err)
		}
		if _, err := b.CommitAll(ctx, again); err != nil {
			t.Fatal(err)
		}
		if c, _ := b.Counts(ctx); c[Done] != 7 || c[InProgress] != 0 {
			t.Fatalf("counts %v", c)
		}
	})
}

func TestExpireOrphansOfStaleMembersInSharedMode(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a, b, c := f.ledger(t, "a", Shared), f.ledger(t, "b", Shared), f.ledger(t, "c", Shared)
		mustRecord(t, a, files(9), 9)
		ca, _ := a.Claim(ctx, 3, time.Hour, 0)
		cb, _ := b.Claim(ctx, 3, time.Hour, 0)
		cc, _ := c.Claim(ctx, 3, time.Hour, 0)
		if len(ca)+len(cb)+len(cc) != 9 {
			t.Fatalf("claims %d+%d+%d", len(ca), len(cb), len(cc))
		}
		liveness := 2 * time.Second
		f.heartbeat(t, "a", 4500) // dead: past liveness + 1 s
		f.heartbeat(t, "b", 1500) // late, but not yet stale by Ballerina's rule (MySQL keeps whole seconds)
		// c has no heartbeat row at all, but runs the statement: its own
		// claims are never its orphans.
		n, err := c.ExpireOrphans(ctx, 0, liveness)
		if err != nil || n != 3 {
			t.Fatalf("ExpireOrphans: %d, %v; want a's 3", n, err)
		}
		got, _ := c.Claim(ctx, 10, time.Hour, 0)
		if len(got) != 3 || got[0].Key != ca[0].Key || got[0].Tries != 2 {
			t.Fatalf("reclaimed %+v; want a's 3 files, tries 2", got)
		}
		if err := a.Commit(ctx, ca[0]); !errors.Is(err, ErrLost) {
			t.Fatalf("commit by the stale member: %v, want ErrLost", err)
		}
		// b's claims are reclaimed once b is stale; c's by a member that
		// sees c without a heartbeat row.
		f.heartbeat(t, "b", 3500)
		if n, _ := a.ExpireOrphans(ctx, 0, liveness); n != 9 {
			t.Fatalf("ExpireOrphans: %d, want b's 3 and c's 6", n)
		}
	})
}

func TestSupersede(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a := f.ledger(t, "a", WarmBackup)
		f.holdToken(t, "a", 1)
		claims, err := a.RecordClaimed(ctx, files(2), time.Hour, 1)
		if err != nil || len(claims) != 2 {
			t.Fatalf("claims: %d, %v", len(claims), err)
		}
		forged := claims[0]
		forged.Token = newToken()
		if err := a.Supersede(ctx, forged); !errors.Is(err, ErrLost) {
			t.Fatalf("Supersede with another token: %v, want ErrLost", err)
		}
		if err := a.Supersede(ctx, claims[0]); err != nil {
			t.Fatal(err)
		}
		if rows, _ := a.Get(ctx, claims[0].File.Path); len(rows) != 0 {
			t.Fatalf("superseded version still there: %+v", rows)
		}
		// The file's current version is new to the ledger; tries start over.
		grown := claims[0].File
		grown.Size += 9
		mustRecord(t, a, []File{grown}, 1)
		// Fenced: a member whose term ended supersedes nothing.
		f.holdToken(t, "b", 2)
		if err := a.Supersede(ctx, claims[1]); !errors.Is(err, ErrLost) {
			t.Fatalf("Supersede after the term ended: %v, want ErrLost", err)
		}
		if c, _ := a.Counts(ctx); c[Pending] != 1 || c[InProgress] != 1 {
			t.Fatalf("counts %v", c)
		}
	})
}
