package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
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
	_, err := f.db.Exec(testdb.Q(f.d, q), member, -ageMS)
	require.NoError(t, err)
}

func TestExpireOrphansOfEndedTerms(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a, b := f.ledger(t, "a", WarmBackup), f.ledger(t, "b", WarmBackup)
		f.holdToken(t, "a", 1)
		old, err := a.RecordClaimed(ctx, files(6), time.Hour, 1)
		require.NoError(t, err, "a's claims")
		require.Len(t, old, 6, "a's claims")
		require.NoError(t, a.Commit(ctx, old[5]))
		// a dies; b takes over with term 2 and claims one file of its own.
		f.holdToken(t, "b", 2)
		mustRecord(t, b, []File{{Path: "/in/b-own", Size: 1, MTime: 1}}, 1)
		own, err := b.Claim(ctx, 1, time.Hour, 2)
		require.NoError(t, err, "b's own claim")
		require.Len(t, own, 1, "b's own claim")
		require.Equal(t, "/in/b-own", own[0].File.Path, "b's own claim: %+v", own)
		// The leases (an hour) have not run out: nothing to claim yet.
		got, _ := b.Claim(ctx, 10, time.Hour, 2)
		require.Empty(t, got, "claimed files whose leases still run")
		// A member whose term is not current ends nothing.
		n, err := a.ExpireOrphans(ctx, 3, nil)
		require.NoError(t, err, "ExpireOrphans by a deposed member")
		require.Zero(t, n, "ExpireOrphans by a deposed member")
		n, err = b.ExpireOrphans(ctx, 2, nil)
		require.NoError(t, err, "ExpireOrphans")
		require.Equal(t, 5, n, "ExpireOrphans: want a's 5 unfinished claims")
		n, _ = b.ExpireOrphans(ctx, 2, nil)
		require.Zero(t, n, "second ExpireOrphans ended more")
		again, err := b.Claim(ctx, 10, time.Hour, 2)
		require.NoError(t, err, "reclaimed")
		require.Len(t, again, 5, "reclaimed")
		for i, c := range again {
			require.Equal(t, old[i].Key, c.Key, "reclaim %d: %+v; want %s", i, c, old[i].File.Path)
			require.Equal(t, 2, c.Tries, "reclaim %d: %+v; want its attempt counted (tries 2)", i, c)
		}
		// b's own claim of its current term kept its lease.
		require.NoError(t, b.Commit(ctx, own[0]), "b's own claim")
		// The dead member's late commit changes nothing.
		require.ErrorIs(t, a.Commit(ctx, old[0]), ErrLost, "late commit of an ended term")
		_, err = b.CommitAll(ctx, again)
		require.NoError(t, err)
		c, _ := b.Counts(ctx)
		require.Equal(t, 7, c[Done], "counts %v", c)
		require.Zero(t, c[InProgress], "counts %v", c)
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
		require.Equal(t, 9, len(ca)+len(cb)+len(cc), "claims %d+%d+%d", len(ca), len(cb), len(cc))
		// Which members are stale is the coordinator's judgement
		// (taskcompat's StaleMembers); the ledger takes its word, and
		// counts members without a heartbeat row as dead too.
		f.heartbeat(t, "a", 4500)
		f.heartbeat(t, "b", 1500)
		// c has no heartbeat row at all, but runs the statement: its own
		// claims are never its orphans.
		n, err := c.ExpireOrphans(ctx, 0, []string{"a"})
		require.NoError(t, err, "ExpireOrphans")
		require.Equal(t, 3, n, "ExpireOrphans: want a's 3")
		got, _ := c.Claim(ctx, 10, time.Hour, 0)
		require.Len(t, got, 3, "reclaimed %+v; want a's 3 files", got)
		require.Equal(t, ca[0].Key, got[0].Key, "reclaimed %+v; want a's 3 files", got)
		require.Equal(t, 2, got[0].Tries, "reclaimed %+v; want tries 2", got)
		require.ErrorIs(t, a.Commit(ctx, ca[0]), ErrLost, "commit by the stale member")
		// b's claims are reclaimed once b is stale; c's by a member that
		// sees c without a heartbeat row.
		f.heartbeat(t, "b", 3500)
		n, _ = a.ExpireOrphans(ctx, 0, []string{"b"})
		require.Equal(t, 9, n, "ExpireOrphans: want b's 3 and c's 6")
	})
}

func TestSupersede(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a := f.ledger(t, "a", WarmBackup)
		f.holdToken(t, "a", 1)
		claims, err := a.RecordClaimed(ctx, files(2), time.Hour, 1)
		require.NoError(t, err, "claims")
		require.Len(t, claims, 2, "claims")
		forged := claims[0]
		forged.Token = newToken()
		require.ErrorIs(t, a.Supersede(ctx, forged), ErrLost, "Supersede with another token")
		require.NoError(t, a.Supersede(ctx, claims[0]))
		rows, _ := a.Get(ctx, claims[0].File.Path)
		require.Empty(t, rows, "superseded version still there")
		// The file's current version is new to the ledger; tries start over.
		grown := claims[0].File
		grown.Size += 9
		mustRecord(t, a, []File{grown}, 1)
		// Fenced: a member whose term ended supersedes nothing.
		f.holdToken(t, "b", 2)
		require.ErrorIs(t, a.Supersede(ctx, claims[1]), ErrLost, "Supersede after the term ended")
		c, _ := a.Counts(ctx)
		require.Equal(t, 1, c[Pending], "counts %v", c)
		require.Equal(t, 1, c[InProgress], "counts %v", c)
	})
}

// On MySQL a claim's transaction keeps locks, until it commits, on the rows
// it takes and on claimed rows it passed over. A member paused (SIGSTOP) in
// the middle of one must not hold up the others' reclaim of a stale
// member's claims, and the poll it runs in, for as long as the pause lasts:
// ExpireOrphans passes over the rows it holds (the next call takes them)
// instead of waiting for them until its statement times out.
func TestExpireOrphansPassesOverRowsAnOpenClaimHolds(t *testing.T) {
	f := setup(t, schema.MySQL)
	ctx := context.Background()
	mustRecord(t, f.ledger(t, "x", Shared), files(100), 100)
	a, c := f.ledger(t, "a", Shared), f.ledger(t, "c", Shared)
	b := f.ledger(t, "b", Shared, func(c *Config) { c.StatementTimeout = 2 * time.Second })
	stale, err := c.Claim(ctx, 5, time.Hour, 0)
	require.NoError(t, err, "c's claims")
	require.Len(t, stale, 5, "c's claims")
	f.heartbeat(t, "c", 5000) // dead: past liveness + 1 s
	f.heartbeat(t, "a", 0)
	var during int
	var duringErr error
	a.claimPicked = func() { // a's claim transaction is open, its rows locked
		a.claimPicked = nil
		during, duringErr = b.ExpireOrphans(ctx, 0, []string{"c"})
	}
	_, err = a.Claim(ctx, 10, time.Hour, 0)
	require.NoError(t, err, "a's claim")
	require.NoError(t, duringErr, "ExpireOrphans while a's claim transaction held its rows")
	after, err := b.ExpireOrphans(ctx, 0, []string{"c"})
	require.NoError(t, err, "ExpireOrphans after a's claim")
	require.Equal(t, 5, during+after, "c's claims expired: %d while a's claim was open, %d after; want all 5", during, after)
	got, err := b.Claim(ctx, 10, time.Hour, 0)
	require.NoError(t, err, "b's claim")
	require.Len(t, got, 10, "b's claim")
	for i, c := range stale {
		require.Equal(t, c.Key, got[i].Key, "claim %d: %+v; want c's %s first (the oldest), reclaimed", i, got[i], c.File.Path)
		require.Equal(t, 2, got[i].Tries, "claim %d: %+v; want its attempt counted", i, got[i])
	}
}

// On MySQL a claim's transaction locks only the rows it takes: a member
// paused (SIGSTOP) in the middle of one holds up no other member's commit,
// renewal or reclaim of the claims it passed over on its way.
func TestOpenClaimHoldsNoOtherClaim(t *testing.T) {
	f := setup(t, schema.MySQL)
	ctx := context.Background()
	mustRecord(t, f.ledger(t, "x", Shared), files(100), 100)
	a := f.ledger(t, "a", Shared)
	c := f.ledger(t, "c", Shared, func(c *Config) { c.StatementTimeout = 2 * time.Second })
	b := f.ledger(t, "b", Shared, func(c *Config) { c.StatementTimeout = 2 * time.Second })
	held, err := c.Claim(ctx, 5, time.Hour, 0)
	require.NoError(t, err, "c's claims")
	require.Len(t, held, 5, "c's claims")
	f.heartbeat(t, "c", 5000) // c looks dead, b reclaims its last claim
	f.heartbeat(t, "a", 0)
	var renewed, expired int
	var commitErr, renewErr, expireErr error
	a.claimPicked = func() { // a's claim transaction is open
		a.claimPicked = nil
		commitErr = c.Commit(ctx, held[0])
		renewed, renewErr = c.Renew(ctx, held[1:4], time.Hour)
		expired, expireErr = b.ExpireOrphans(ctx, 0, []string{"c"})
	}
	got, err := a.Claim(ctx, 10, time.Hour, 0)
	require.NoError(t, err, "a's claim")
	require.Len(t, got, 10, "a's claim")
	require.NoError(t, commitErr, "c's commit while a's claim transaction was open")
	require.NoError(t, renewErr, "c's renewal while a's claim transaction was open")
	require.Equal(t, 3, renewed, "c's renewal while a's claim transaction was open")
	require.NoError(t, expireErr, "b's reclaim while a's claim transaction was open")
	require.Equal(t, 4, expired, "b's reclaim of c's 4 unfinished claims while a's claim transaction was open")
}
