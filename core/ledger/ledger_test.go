package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fixture struct {
	d  schema.Dialect
	db *sql.DB
}

func setup(t *testing.T, d schema.Dialect) fixture {
	t.Helper()
	cfg := testdb.NewWithSchema(t, d)
	return fixture{d: d, db: testdb.Open(t, cfg, "UTC")}
}

func (f fixture) ledger(t *testing.T, member string, mode Mode, edit ...func(*Config)) *Ledger {
	t.Helper()
	cfg := Config{DB: f.db, Dialect: f.d, GroupID: "g", MemberID: member, Mode: mode}
	for _, e := range edit {
		e(&cfg)
	}
	l, err := New(context.Background(), cfg)
	require.NoError(t, err)
	return l
}

// holdToken makes member the group's token holder under term.
func (f fixture) holdToken(t *testing.T, member string, term int64) {
	t.Helper()
	f.db.Exec(testdb.Q(f.d, `DELETE FROM token_holder WHERE group_id = 'g'`))
	_, err := f.db.Exec(testdb.Q(f.d, `INSERT INTO token_holder (task_id, group_id, term) VALUES (?, 'g', ?)`), member, term)
	require.NoError(t, err)
}

func files(n int) []File {
	out := make([]File, n)
	for i := range out {
		out[i] = File{Path: fmt.Sprintf("/in/f%05d.csv", i), Size: int64(i), MTime: int64(1_700_000_000_000 + i)}
	}
	return out
}

func mustRecord(t *testing.T, l *Ledger, f []File, want int) {
	t.Helper()
	n, err := l.Record(context.Background(), f)
	require.NoError(t, err, "Record")
	require.Equal(t, want, n, "Record: new versions")
}

func TestRecordIsIdempotentAndBatched(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		l := f.ledger(t, "m", Shared, func(c *Config) { c.BatchSize = 300 })
		fs := files(1000)
		mustRecord(t, l, fs, 1000)
		mustRecord(t, l, fs, 0)
		mustRecord(t, l, append(fs[:2:2], File{Path: "/in/new", Size: 1, MTime: 1}), 1)
		// A new size is a new version by default ...
		changed := fs[0]
		changed.Size++
		mustRecord(t, l, []File{changed}, 1)
		// ... but not when versions are keyed by path only.
		po := f.ledger(t, "m", Shared, func(c *Config) { c.Version = PathOnly; c.GroupID = "paths" })
		mustRecord(t, po, []File{fs[0]}, 1)
		mustRecord(t, po, []File{changed}, 0)
		c, _ := l.Counts(context.Background())
		require.Equal(t, 1002, c[Pending], "counts %v", c)
	})
}

func TestClaimCommitAndLostClaims(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a, b := f.ledger(t, "a", Shared), f.ledger(t, "b", Shared)
		mustRecord(t, a, files(5), 5)
		claims, err := a.Claim(ctx, 3, time.Minute, 0)
		require.NoError(t, err, "Claim")
		require.Len(t, claims, 3, "Claim")
		for i, c := range claims { // oldest first
			require.Equal(t, fmt.Sprintf("/in/f%05d.csv", i), c.File.Path, "claim %d: %+v", i, c)
			require.Equal(t, 1, c.Tries, "claim %d: %+v", i, c)
			require.Equal(t, VersionKey("g", PathSizeMTime, c.File), c.Key, "claim %d: %+v", i, c)
		}
		rest, _ := b.Claim(ctx, 10, time.Minute, 0)
		require.Len(t, rest, 2, "b claimed %d, want the 2 unclaimed", len(rest))
		require.NoError(t, a.Commit(ctx, claims[0]))
		require.NoError(t, a.Commit(ctx, claims[0]), "repeated commit: want success (idempotent)")
		forged := claims[1]
		forged.Token = newToken()
		require.ErrorIs(t, b.Commit(ctx, forged), ErrLost, "commit with another token")
		// a's lease on claims[1] runs out; b claims it again and completes
		// it; a's late commit changes nothing.
		short, _ := a.Claim(ctx, 1, time.Millisecond, 0)
		require.Empty(t, short, "claimed with nothing claimable")
		_, err = f.db.Exec(testdb.Q(d, `UPDATE ftpcoord_file SET lease_expires = '2000-01-01 00:00:00' WHERE claim_token = ? AND version_key = ?`), claims[1].Token, claims[1].Key)
		require.NoError(t, err)
		again, err := b.Claim(ctx, 10, time.Minute, 0)
		require.NoError(t, err, "reclaim after expiry")
		require.Len(t, again, 1, "reclaim after expiry")
		require.Equal(t, claims[1].Key, again[0].Key, "reclaim after expiry: %+v", again)
		require.Equal(t, 2, again[0].Tries, "reclaim after expiry: %+v", again)
		require.NoError(t, b.Commit(ctx, again[0]))
		require.ErrorIs(t, a.Commit(ctx, claims[1]), ErrLost, "late commit of an expired claim")
		c, _ := a.Counts(ctx)
		require.Equal(t, 2, c[Done], "counts %v", c)
		require.Equal(t, 3, c[InProgress], "counts %v", c)
	})
}

func TestRetriesThenReject(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", Shared)
		mustRecord(t, l, files(1), 1)
		var statuses []Status
		for try := 1; try <= 3; try++ {
			c, err := l.Claim(ctx, 1, time.Minute, 0)
			require.NoError(t, err, "try %d", try)
			require.Len(t, c, 1, "try %d", try)
			require.Equal(t, try, c[0].Tries, "try %d: %+v", try, c)
			s, err := l.Fail(ctx, c[0], fmt.Sprintf("boom %d", try), 0, 3)
			require.NoError(t, err)
			statuses = append(statuses, s)
		}
		require.Equal(t, []Status{Failed, Failed, Rejected}, statuses)
		c, _ := l.Claim(ctx, 1, time.Minute, 0)
		require.Empty(t, c, "a rejected file was claimed")
		rows, _ := l.Get(ctx, "/in/f00000.csv")
		require.Len(t, rows, 1, "row %+v", rows)
		require.Equal(t, Rejected, rows[0].Status, "row %+v", rows)
		require.Equal(t, 3, rows[0].Tries, "row %+v", rows)
		require.Equal(t, "boom 3", rows[0].LastError, "row %+v", rows)
		n, err := l.Requeue(ctx, "/in/f00000.csv")
		require.NoError(t, err, "Requeue")
		require.Equal(t, 1, n, "Requeue")
		c, _ = l.Claim(ctx, 1, time.Minute, 0)
		require.Len(t, c, 1, "after requeue: %+v", c)
		require.Equal(t, 1, c[0].Tries, "after requeue: %+v", c)
		// A failed attempt waits for retryAfter before it is claimed again.
		l.Fail(ctx, c[0], "later", time.Hour, 3)
		c, _ = l.Claim(ctx, 1, time.Minute, 0)
		require.Empty(t, c, "claimed before retryAfter")
	})
}

// In warm-backup mode a member whose term no longer holds the token can
// neither claim nor complete anything.
func TestWarmBackupFencing(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", WarmBackup)
		mustRecord(t, l, files(4), 4)
		f.holdToken(t, "m", 7)
		stale, _ := l.Claim(ctx, 1, time.Minute, 6)
		require.Empty(t, stale, "claimed under a stale term")
		c, err := l.Claim(ctx, 2, time.Minute, 7)
		require.NoError(t, err, "claim under the current term")
		require.Len(t, c, 2, "claim under the current term")
		require.Equal(t, int64(7), c[0].Term, "claim under the current term: %+v", c)
		require.NoError(t, l.Commit(ctx, c[0]))
		f.holdToken(t, "other", 8) // a standby took over
		require.ErrorIs(t, l.Commit(ctx, c[1]), ErrLost, "commit after losing the token")
		_, err = l.Fail(ctx, c[1], "x", 0, 3)
		require.ErrorIs(t, err, ErrLost, "fail after losing the token")
		n, _ := l.Renew(ctx, c[1:], time.Minute)
		require.Zero(t, n, "renewed after losing the token")
		after, _ := l.Claim(ctx, 5, time.Minute, 7)
		require.Empty(t, after, "claimed after losing the token")
	})
}

// Several members claiming at once never get the same file.
func TestConcurrentClaimsAreDisjoint(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		mustRecord(t, f.ledger(t, "x", Shared), files(600), 600)
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for w := range 6 {
			l := f.ledger(t, fmt.Sprintf("w%d", w), Shared)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					c, err := l.Claim(ctx, 25, time.Minute, 0)
					if !assert.NoError(t, err) {
						return
					}
					if len(c) == 0 {
						return
					}
					for _, x := range c {
						mu.Lock()
						got[x.Key]++
						mu.Unlock()
						assert.NoError(t, l.Commit(ctx, x))
					}
				}
			}()
		}
		wg.Wait()
		require.Len(t, got, 600, "distinct files claimed")
		for k, n := range got {
			require.Equal(t, 1, n, "%s claimed %d times", k, n)
		}
	})
}

func TestRenewAndPurge(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", Shared)
		mustRecord(t, l, files(3), 3)
		c, _ := l.Claim(ctx, 3, time.Minute, 0)
		n, err := l.Renew(ctx, c, time.Hour)
		require.NoError(t, err, "Renew")
		require.Equal(t, 3, n, "Renew")
		l.Commit(ctx, c[0])
		l.Commit(ctx, c[1])
		// Only DONE/REJECTED rows of gone paths, past the retention, go.
		n, _ = l.Purge(ctx, []string{c[0].File.Path, c[2].File.Path}, time.Hour)
		require.Zero(t, n, "purged inside the retention")
		n, err = l.Purge(ctx, []string{c[0].File.Path, c[2].File.Path}, -time.Second)
		require.NoError(t, err, "Purge")
		require.Equal(t, 1, n, "Purge: want the one DONE row")
		counts, _ := l.Counts(ctx)
		require.Equal(t, 1, counts[Done], "counts %v", counts)
		require.Equal(t, 1, counts[InProgress], "counts %v", counts)
	})
}

func TestMissingTableAndBadConfig(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.New(t, d)
		db := testdb.Open(t, cfg, "UTC")
		_, err := New(context.Background(), Config{DB: db, Dialect: d, GroupID: "g", MemberID: "m"})
		require.ErrorIs(t, err, schema.ErrMissingTable, "no table")
		_, err = New(context.Background(), Config{DB: db, Dialect: d, GroupID: "g", MemberID: "m", Mode: "sometimes"})
		require.Error(t, err, "bad mode accepted")
	})
}

func TestVersionKeys(t *testing.T) {
	f := File{Path: "/a/../b\x00c", Size: 1, MTime: 2}
	k := VersionKey("g", PathSizeMTime, f)
	if len(k) != 64 || k == VersionKey("h", PathSizeMTime, f) || k == VersionKey("g", PathMTime, f) {
		t.Fatal("keys must differ by group and mode")
	}
	g := f
	g.Size = 9
	if VersionKey("g", PathMTime, f) != VersionKey("g", PathMTime, g) || VersionKey("g", PathSizeMTime, f) == VersionKey("g", PathSizeMTime, g) {
		t.Fatal("size must count only in path+size+mtime")
	}
}

func TestCommitAll(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", WarmBackup)
		f.holdToken(t, "m", 3)
		mustRecord(t, l, files(10), 10)
		c, _ := l.Claim(ctx, 10, time.Minute, 3)
		l.Commit(ctx, c[4]) // already done by this claim: CommitAll is idempotent
		lost, err := l.CommitAll(ctx, c)
		require.NoError(t, err, "CommitAll")
		require.Empty(t, lost, "CommitAll: want none lost")
		mustRecord(t, l, files(12), 2)
		c, _ = l.Claim(ctx, 10, time.Minute, 3)
		f.holdToken(t, "other", 4)
		lost, err = l.CommitAll(ctx, c)
		require.NoError(t, err, "CommitAll after losing the token")
		require.Len(t, lost, 2, "CommitAll after losing the token: want all 2 lost")
		counts, _ := l.Counts(ctx)
		require.Equal(t, 10, counts[Done], "counts %v", counts)
		require.Equal(t, 2, counts[InProgress], "counts %v", counts)
	})
}

// A claim takes the oldest claimable versions whatever makes them
// claimable (new, failed and due, or leased and expired), in (mtime, path)
// order, and leaves those that are not claimable yet.
func TestClaimOrdersAcrossStates(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", Shared)
		fs := []File{{Path: "/early-failed-later", MTime: 1}, {Path: "/early-leased", MTime: 2}, {Path: "/a-failed-due", MTime: 3},
			{Path: "/b-pending", MTime: 4}, {Path: "/c-expired", MTime: 5}, {Path: "/d-pending", MTime: 6}}
		mustRecord(t, l, fs, len(fs))
		set := func(path, q string) {
			t.Helper()
			_, err := f.db.Exec(testdb.Q(d, `UPDATE ftpcoord_file SET `+q+` WHERE group_id = 'g' AND path = ?`), path)
			require.NoError(t, err)
		}
		set("/early-failed-later", `status = 'FAILED', retry_after = '2037-01-01 00:00:00'`)
		set("/early-leased", `status = 'IN_PROGRESS', lease_expires = '2037-01-01 00:00:00'`)
		set("/a-failed-due", `status = 'FAILED', retry_after = '2000-01-01 00:00:00', tries = 1`)
		set("/c-expired", `status = 'IN_PROGRESS', lease_expires = '2000-01-01 00:00:00', tries = 1`)
		c, err := l.Claim(ctx, 3, time.Minute, 0)
		var got []string
		for _, x := range c {
			got = append(got, fmt.Sprintf("%s:%d", x.File.Path, x.Tries))
		}
		require.NoError(t, err, "claim 3")
		require.Equal(t, []string{"/a-failed-due:2", "/b-pending:1", "/c-expired:2"}, got, "claim 3")
		c, err = l.Claim(ctx, 10, time.Minute, 0)
		require.NoError(t, err, "claim the rest")
		require.Len(t, c, 1, "claim the rest")
		require.Equal(t, "/d-pending", c[0].File.Path, "claim the rest: %+v", c)
	})
}

// A connection that hangs (a partition that drops packets; here a relay
// that keeps the connection open and answers nothing) fails each call
// after StatementTimeout instead of stalling the member until TCP gives up;
// once the network is back, the ledger works again.
func TestStatementTimeoutOnHungConnection(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) { // a network cut needs a server
		cfg := testdb.NewWithSchema(t, d)
		proxy, err := tcpproxy.Start(cfg.Address())
		require.NoError(t, err)
		t.Cleanup(func() { proxy.Close() })
		cfg.Host, cfg.Port = "127.0.0.1", proxy.Addr().Port
		db := testdb.Open(t, cfg, "UTC")
		f := fixture{d: d, db: db}
		l := f.ledger(t, "m", Shared, func(c *Config) { c.StatementTimeout = 500 * time.Millisecond })
		mustRecord(t, l, files(3), 3)
		claims, err := l.Claim(context.Background(), 3, time.Minute, 0)
		require.NoError(t, err, "claim")
		require.Len(t, claims, 3, "claim")

		proxy.SetMode(tcpproxy.Blackhole)
		for name, call := range map[string]func() error{
			"Commit": func() error { return l.Commit(context.Background(), claims[0]) },
			"Record": func() error { _, err := l.Record(context.Background(), files(5)); return err },
			"Claim":  func() error { _, err := l.Claim(context.Background(), 1, time.Minute, 0); return err },
			"Counts": func() error { _, err := l.Counts(context.Background()); return err },
		} {
			start := time.Now()
			err := call()
			took := time.Since(start)
			require.Error(t, err, "%s on a hung connection after %v, want an error after about 500ms", name, took.Round(time.Millisecond))
			require.LessOrEqual(t, took, 5*time.Second, "%s on a hung connection: %v after %v, want an error after about 500ms", name, err, took.Round(time.Millisecond))
		}

		proxy.SetMode(tcpproxy.Pass)
		require.NoError(t, l.Commit(context.Background(), claims[0]), "commit after the network came back")
	})
}

// Writes that a deadlock (or a lock wait timeout) rolled back are
// repeated; other errors are not.
func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40P01"}), true},
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{fmt.Errorf("wrapped: %w", &mysql.MySQLError{Number: 1213}), true},
		{&mysql.MySQLError{Number: 1205}, true}, // lock wait timeout: the statement was rolled back
		{&mysql.MySQLError{Number: 1062}, false},
		{context.DeadlineExceeded, false},
		{ErrLost, false},
	} {
		assert.Equal(t, c.want, retryable(c.err), "retryable(%v)", c.err)
	}
}

// RecordClaimed enters new versions claimed, leaves known versions alone,
// and claims nothing for a member whose term no longer holds the token.
// Oldest picks what to enter so: the claim's order.
func TestRecordClaimed(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		l := f.ledger(t, "m", WarmBackup, func(c *Config) { c.BatchSize = 7 })
		f.holdToken(t, "m", 3)
		fs := files(40)
		// The oldest file is known already (and so not claimed again);
		// the listing comes newest first.
		mustRecord(t, l, fs[:1], 1)
		listing := slices.Clone(fs)
		slices.Reverse(listing)
		first, rest := Oldest(listing, 10)
		require.Equal(t, fs[:10], first, "Oldest: first")
		require.Equal(t, fs[10:], rest, "Oldest: rest")
		claims, err := l.RecordClaimed(ctx, first, time.Minute, 3)
		require.NoError(t, err, "RecordClaimed")
		require.Len(t, claims, 9, "RecordClaimed: want 9")
		for i, c := range claims {
			require.Equal(t, fs[i+1], c.File, "claim %d: %+v", i, c)
			require.Equal(t, 1, c.Tries, "claim %d: %+v, want try 1", i, c)
			require.Equal(t, int64(3), c.Term, "claim %d: %+v, want term 3", i, c)
			require.Equal(t, claims[0].Token, c.Token, "claim %d: %+v", i, c)
			require.Equal(t, VersionKey("g", PathSizeMTime, fs[i+1]), c.Key, "claim %d: %+v", i, c)
		}
		mustRecord(t, l, rest, 30)
		got, _ := l.Counts(ctx)
		require.Equal(t, 9, got[InProgress], "counts %v", got)
		require.Equal(t, 31, got[Pending], "counts %v", got)
		// They are claims like any other: renewed, committed, fenced.
		r, err := l.Renew(ctx, claims, time.Minute)
		require.NoError(t, err, "renew")
		require.Equal(t, 9, r, "renew")
		lost, err := l.CommitAll(ctx, claims)
		require.NoError(t, err, "commit")
		require.Empty(t, lost, "commit: lost")
		// The known file and the rest wait, oldest first, for Claim.
		next, err := l.Claim(ctx, 2, time.Minute, 3)
		require.NoError(t, err, "next claim")
		require.Len(t, next, 2, "next claim")
		require.Equal(t, fs[0], next[0].File, "next claim: %+v", next)
		require.Equal(t, fs[10], next[1].File, "next claim: %+v", next)
		// A deposed member enters new files for the active one.
		f.holdToken(t, "other", 4)
		claims, err = l.RecordClaimed(ctx, files(45)[40:], time.Minute, 3)
		require.NoError(t, err, "deposed RecordClaimed")
		require.Empty(t, claims, "deposed RecordClaimed: want none")
		got, _ = l.Counts(ctx)
		require.Equal(t, 34, got[Pending], "counts after the deposed member's record: %v", got)
	})
}

// After a burst of new rows the planner has not seen, the ledger analyzes
// the columns its plans turn on, in the background: the group (one value
// here) and the key (unique), so that a commit looks its batch up by key.
func TestPlanStatsAfterABurst(t *testing.T) {
	f := setup(t, schema.Postgres)
	l := f.ledger(t, "m", WarmBackup)
	mustRecord(t, l, files(burstRows+500), burstRows+500)
	distinct := func() map[string]float64 {
		rows, err := f.db.Query(`SELECT attname, n_distinct FROM pg_stats WHERE tablename = 'ftpcoord_file' AND schemaname = current_schema()`)
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]float64{}
		for rows.Next() {
			var col string
			var n float64
			require.NoError(t, rows.Scan(&col, &n))
			out[col] = n
		}
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	got := distinct()
	for len(got) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		got = distinct()
	}
	for col, want := range map[string]float64{"group_id": 1, "version_key": -1, "status": 1} {
		require.Equal(t, want, got[col], "statistics after %d new rows: n_distinct of %s in %v; want group_id 1, version_key -1 (unique), status 1", burstRows+500, col, got)
	}
	var tuples float64
	require.NoError(t, f.db.QueryRow(`SELECT reltuples FROM pg_class WHERE oid = to_regclass('ftpcoord_file')`).Scan(&tuples))
	require.Equal(t, float64(burstRows+500), tuples, "the rows the planner believes the table holds")
}

// On MySQL a claim locks only the rows it takes (and those it passed over on
// the way to them), not every claimable row: a second claimer running while
// the first one's transaction is still open takes the next batch instead of
// finding nothing.
func TestClaimWhileAnotherClaimHoldsItsBatch(t *testing.T) {
	f := setup(t, schema.MySQL)
	ctx := context.Background()
	mustRecord(t, f.ledger(t, "x", Shared), files(100), 100)
	a, b := f.ledger(t, "a", Shared), f.ledger(t, "b", Shared)
	require.True(t, a.orderedClaim, "a new table has no claim index")
	var bClaims []Claim
	var bErr error
	a.claimPicked = func() {
		a.claimPicked = nil // not again if the transaction is retried
		bClaims, bErr = b.Claim(ctx, 10, time.Minute, 0)
	}
	aClaims, err := a.Claim(ctx, 10, time.Minute, 0)
	require.NoError(t, err, "first claim")
	require.NoError(t, bErr, "second claim")
	paths := func(cs []Claim) (out []string) {
		for _, c := range cs {
			out = append(out, c.File.Path)
		}
		return out
	}
	var want []string
	for _, f := range files(20) {
		want = append(want, f.Path)
	}
	require.Equal(t, want[:10], paths(aClaims), "first claimer: want the 10 oldest")
	require.Equal(t, want[10:], paths(bClaims), "second claimer, during the first one's transaction: want the next 10")
}

// A MySQL table made before the claim index still works, more slowly, with
// a warning that gives the statement adding the index; once that has run,
// claims go by the index.
func TestMySQLTableWithoutTheClaimIndex(t *testing.T) {
	f := setup(t, schema.MySQL)
	ctx := context.Background()
	for _, q := range []string{
		`ALTER TABLE ftpcoord_file DROP INDEX ftpcoord_file_claim_order, DROP COLUMN path_prefix`,
		`ALTER TABLE ftpcoord_file ADD INDEX ftpcoord_file_claim (group_id, status, mtime_ms)`, // the table as it was made before
	} {
		_, err := f.db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	var logs strings.Builder
	old := f.ledger(t, "m", Shared, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	require.False(t, old.orderedClaim, "claim index used on a table without it")
	require.Contains(t, logs.String(), schema.MySQLClaimIndexUpgrade, "no warning with the upgrade statement for a table without the claim index")
	mustRecord(t, old, files(30), 30)
	claims, err := old.Claim(ctx, 10, time.Minute, 0)
	require.NoError(t, err, "claim on the old table")
	require.Len(t, claims, 10, "claim on the old table")
	require.Equal(t, files(1)[0].Path, claims[0].File.Path, "claim on the old table: %v", claims)
	_, err = f.db.ExecContext(ctx, schema.MySQLClaimIndexUpgrade)
	require.NoError(t, err, "the upgrade statement the warning gives")
	upgraded := f.ledger(t, "m", Shared)
	require.True(t, upgraded.orderedClaim, "the upgraded table's claim index is not used")
	claims, err = upgraded.Claim(ctx, 10, time.Minute, 0)
	require.NoError(t, err, "claim after the upgrade")
	require.Len(t, claims, 10, "claim after the upgrade")
	require.Equal(t, files(11)[10].Path, claims[0].File.Path, "claim after the upgrade: %v; want files 10-19", claims)
}
