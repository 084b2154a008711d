package ledger

import (
	"context"
	"database/sql"
	"errors"
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
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// holdToken makes member the group's token holder under term.
func (f fixture) holdToken(t *testing.T, member string, term int64) {
	t.Helper()
	f.db.Exec(testdb.Q(f.d, `DELETE FROM token_holder WHERE group_id = 'g'`))
	if _, err := f.db.Exec(testdb.Q(f.d, `INSERT INTO token_holder (task_id, group_id, term) VALUES (?, 'g', ?)`), member, term); err != nil {
		t.Fatal(err)
	}
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
	if err != nil || n != want {
		t.Fatalf("Record: %d new, %v; want %d", n, err, want)
	}
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
		if c[Pending] != 1002 {
			t.Fatalf("counts %v", c)
		}
	})
}

func TestClaimCommitAndLostClaims(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		a, b := f.ledger(t, "a", Shared), f.ledger(t, "b", Shared)
		mustRecord(t, a, files(5), 5)
		claims, err := a.Claim(ctx, 3, time.Minute, 0)
		if err != nil || len(claims) != 3 {
			t.Fatalf("Claim: %d, %v", len(claims), err)
		}
		for i, c := range claims { // oldest first
			if c.File.Path != fmt.Sprintf("/in/f%05d.csv", i) || c.Tries != 1 || c.Key != VersionKey("g", PathSizeMTime, c.File) {
				t.Fatalf("claim %d: %+v", i, c)
			}
		}
		rest, _ := b.Claim(ctx, 10, time.Minute, 0)
		if len(rest) != 2 {
			t.Fatalf("b claimed %d, want the 2 unclaimed", len(rest))
		}
		if err := a.Commit(ctx, claims[0]); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(ctx, claims[0]); err != nil {
			t.Fatalf("repeated commit: %v, want success (idempotent)", err)
		}
		forged := claims[1]
		forged.Token = newToken()
		if err := b.Commit(ctx, forged); !errors.Is(err, ErrLost) {
			t.Fatalf("commit with another token: %v", err)
		}
		// a's lease on claims[1] runs out; b claims it again and completes
		// it; a's late commit changes nothing.
		short, _ := a.Claim(ctx, 1, time.Millisecond, 0)
		if len(short) != 0 {
			t.Fatalf("claimed %d with nothing claimable", len(short))
		}
		if _, err := f.db.Exec(testdb.Q(d, `UPDATE ftpcoord_file SET lease_expires = '2000-01-01 00:00:00' WHERE claim_token = ? AND version_key = ?`), claims[1].Token, claims[1].Key); err != nil {
			t.Fatal(err)
		}
		again, err := b.Claim(ctx, 10, time.Minute, 0)
		if err != nil || len(again) != 1 || again[0].Key != claims[1].Key || again[0].Tries != 2 {
			t.Fatalf("reclaim after expiry: %+v, %v", again, err)
		}
		if err := b.Commit(ctx, again[0]); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(ctx, claims[1]); !errors.Is(err, ErrLost) {
			t.Fatalf("late commit of an expired claim: %v, want ErrLost", err)
		}
		c, _ := a.Counts(ctx)
		if c[Done] != 2 || c[InProgress] != 3 {
			t.Fatalf("counts %v", c)
		}
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
			if err != nil || len(c) != 1 || c[0].Tries != try {
				t.Fatalf("try %d: %+v, %v", try, c, err)
			}
			s, err := l.Fail(ctx, c[0], fmt.Sprintf("boom %d", try), 0, 3)
			if err != nil {
				t.Fatal(err)
			}
			statuses = append(statuses, s)
		}
		if fmt.Sprint(statuses) != "[FAILED FAILED REJECTED]" {
			t.Fatalf("statuses %v", statuses)
		}
		if c, _ := l.Claim(ctx, 1, time.Minute, 0); len(c) != 0 {
			t.Fatal("a rejected file was claimed")
		}
		rows, _ := l.Get(ctx, "/in/f00000.csv")
		if len(rows) != 1 || rows[0].Status != Rejected || rows[0].Tries != 3 || rows[0].LastError != "boom 3" {
			t.Fatalf("row %+v", rows)
		}
		if n, err := l.Requeue(ctx, "/in/f00000.csv"); n != 1 || err != nil {
			t.Fatalf("Requeue: %d, %v", n, err)
		}
		c, _ := l.Claim(ctx, 1, time.Minute, 0)
		if len(c) != 1 || c[0].Tries != 1 {
			t.Fatalf("after requeue: %+v", c)
		}
		// A failed attempt waits for retryAfter before it is claimed again.
		l.Fail(ctx, c[0], "later", time.Hour, 3)
		if c, _ := l.Claim(ctx, 1, time.Minute, 0); len(c) != 0 {
			t.Fatal("claimed before retryAfter")
		}
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
		if c, _ := l.Claim(ctx, 1, time.Minute, 6); len(c) != 0 {
			t.Fatal("claimed under a stale term")
		}
		c, err := l.Claim(ctx, 2, time.Minute, 7)
		if err != nil || len(c) != 2 || c[0].Term != 7 {
			t.Fatalf("claim under the current term: %+v, %v", c, err)
		}
		if err := l.Commit(ctx, c[0]); err != nil {
			t.Fatal(err)
		}
		f.holdToken(t, "other", 8) // a standby took over
		if err := l.Commit(ctx, c[1]); !errors.Is(err, ErrLost) {
			t.Fatalf("commit after losing the token: %v", err)
		}
		if _, err := l.Fail(ctx, c[1], "x", 0, 3); !errors.Is(err, ErrLost) {
			t.Fatalf("fail after losing the token: %v", err)
		}
		if n, _ := l.Renew(ctx, c[1:], time.Minute); n != 0 {
			t.Fatal("renewed after losing the token")
		}
		if c, _ := l.Claim(ctx, 5, time.Minute, 7); len(c) != 0 {
			t.Fatal("claimed after losing the token")
		}
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
					if err != nil {
						t.Error(err)
						return
					}
					if len(c) == 0 {
						return
					}
					for _, x := range c {
						mu.Lock()
						got[x.Key]++
						mu.Unlock()
						if err := l.Commit(ctx, x); err != nil {
							t.Error(err)
						}
					}
				}
			}()
		}
		wg.Wait()
		if len(got) != 600 {
			t.Fatalf("%d distinct files claimed, want 600", len(got))
		}
		for k, n := range got {
			if n != 1 {
				t.Fatalf("%s claimed %d times", k, n)
			}
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
		if n, err := l.Renew(ctx, c, time.Hour); n != 3 || err != nil {
			t.Fatalf("Renew: %d, %v", n, err)
		}
		l.Commit(ctx, c[0])
		l.Commit(ctx, c[1])
		// Only DONE/REJECTED rows of gone paths, past the retention, go.
		if n, _ := l.Purge(ctx, []string{c[0].File.Path, c[2].File.Path}, time.Hour); n != 0 {
			t.Fatalf("purged %d inside the retention", n)
		}
		n, err := l.Purge(ctx, []string{c[0].File.Path, c[2].File.Path}, -time.Second)
		if err != nil || n != 1 {
			t.Fatalf("Purge: %d, %v; want the one DONE row", n, err)
		}
		counts, _ := l.Counts(ctx)
		if counts[Done] != 1 || counts[InProgress] != 1 {
			t.Fatalf("counts %v", counts)
		}
	})
}

func TestMissingTableAndBadConfig(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.New(t, d)
		db := testdb.Open(t, cfg, "UTC")
		_, err := New(context.Background(), Config{DB: db, Dialect: d, GroupID: "g", MemberID: "m"})
		if !errors.Is(err, schema.ErrMissingTable) {
			t.Fatalf("no table: %v", err)
		}
		_, err = New(context.Background(), Config{DB: db, Dialect: d, GroupID: "g", MemberID: "m", Mode: "sometimes"})
		if err == nil {
			t.Fatal("bad mode accepted")
		}
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
		if err != nil || len(lost) != 0 {
			t.Fatalf("CommitAll: lost %v, %v; want none", lost, err)
		}
		mustRecord(t, l, files(12), 2)
		c, _ = l.Claim(ctx, 10, time.Minute, 3)
		f.holdToken(t, "other", 4)
		if lost, err := l.CommitAll(ctx, c); err != nil || len(lost) != 2 {
			t.Fatalf("CommitAll after losing the token: lost %d, %v; want all 2", len(lost), err)
		}
		counts, _ := l.Counts(ctx)
		if counts[Done] != 10 || counts[InProgress] != 2 {
			t.Fatalf("counts %v", counts)
		}
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
			if _, err := f.db.Exec(testdb.Q(d, `UPDATE ftpcoord_file SET `+q+` WHERE group_id = 'g' AND path = ?`), path); err != nil {
				t.Fatal(err)
			}
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
		if err != nil || fmt.Sprint(got) != "[/a-failed-due:2 /b-pending:1 /c-expired:2]" {
			t.Fatalf("claim 3: %v, %v", got, err)
		}
		c, err = l.Claim(ctx, 10, time.Minute, 0)
		if err != nil || len(c) != 1 || c[0].File.Path != "/d-pending" {
			t.Fatalf("claim the rest: %+v, %v", c, err)
		}
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
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { proxy.Close() })
		cfg.Host, cfg.Port = "127.0.0.1", proxy.Addr().Port
		db := testdb.Open(t, cfg, "UTC")
		f := fixture{d: d, db: db}
		l := f.ledger(t, "m", Shared, func(c *Config) { c.StatementTimeout = 500 * time.Millisecond })
		mustRecord(t, l, files(3), 3)
		claims, err := l.Claim(context.Background(), 3, time.Minute, 0)
		if err != nil || len(claims) != 3 {
			t.Fatalf("claim: %d claims, %v", len(claims), err)
		}

		proxy.SetMode(tcpproxy.Blackhole)
		for name, call := range map[string]func() error{
			"Commit": func() error { return l.Commit(context.Background(), claims[0]) },
			"Record": func() error { _, err := l.Record(context.Background(), files(5)); return err },
			"Claim":  func() error { _, err := l.Claim(context.Background(), 1, time.Minute, 0); return err },
			"Counts": func() error { _, err := l.Counts(context.Background()); return err },
		} {
			start := time.Now()
			err := call()
			if took := time.Since(start); err == nil || took > 5*time.Second {
				t.Fatalf("%s on a hung connection: %v after %v, want an error after about 500ms", name, err, took.Round(time.Millisecond))
			}
		}

		proxy.SetMode(tcpproxy.Pass)
		if err := l.Commit(context.Background(), claims[0]); err != nil {
			t.Fatalf("commit after the network came back: %v", err)
		}
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
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v) = %v, want %v", c.err, got, c.want)
		}
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
		if !slices.Equal(first, fs[:10]) || !slices.Equal(rest, fs[10:]) {
			t.Fatalf("Oldest: %v and %v", first, rest)
		}
		claims, err := l.RecordClaimed(ctx, first, time.Minute, 3)
		if err != nil || len(claims) != 9 {
			t.Fatalf("RecordClaimed: %d claims, %v; want 9", len(claims), err)
		}
		for i, c := range claims {
			if c.File != fs[i+1] || c.Tries != 1 || c.Term != 3 || c.Token != claims[0].Token || c.Key != VersionKey("g", PathSizeMTime, fs[i+1]) {
				t.Fatalf("claim %d: %+v, want %+v at try 1 under term 3", i, c, fs[i+1])
			}
		}
		mustRecord(t, l, rest, 30)
		if got, _ := l.Counts(ctx); got[InProgress] != 9 || got[Pending] != 31 {
			t.Fatalf("counts %v", got)
		}
		// They are claims like any other: renewed, committed, fenced.
		if r, err := l.Renew(ctx, claims, time.Minute); err != nil || r != 9 {
			t.Fatalf("renew: %d, %v", r, err)
		}
		if lost, err := l.CommitAll(ctx, claims); err != nil || len(lost) != 0 {
			t.Fatalf("commit: %v lost, %v", lost, err)
		}
		// The known file and the rest wait, oldest first, for Claim.
		next, err := l.Claim(ctx, 2, time.Minute, 3)
		if err != nil || len(next) != 2 || next[0].File != fs[0] || next[1].File != fs[10] {
			t.Fatalf("next claim: %+v, %v", next, err)
		}
		// A deposed member enters new files for the active one.
		f.holdToken(t, "other", 4)
		claims, err = l.RecordClaimed(ctx, files(45)[40:], time.Minute, 3)
		if err != nil || len(claims) != 0 {
			t.Fatalf("deposed RecordClaimed: %d claims, %v; want none", len(claims), err)
		}
		if got, _ := l.Counts(ctx); got[Pending] != 34 {
			t.Fatalf("counts after the deposed member's record: %v", got)
		}
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
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]float64{}
		for rows.Next() {
			var col string
			var n float64
			if err := rows.Scan(&col, &n); err != nil {
				t.Fatal(err)
			}
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
	if got["group_id"] != 1 || got["version_key"] != -1 || got["status"] != 1 {
		t.Fatalf("statistics after %d new rows: n_distinct %v; want group_id 1, version_key -1 (unique), status 1", burstRows+500, got)
	}
	var tuples float64
	if err := f.db.QueryRow(`SELECT reltuples FROM pg_class WHERE oid = to_regclass('ftpcoord_file')`).Scan(&tuples); err != nil || tuples != burstRows+500 {
		t.Fatalf("the planner believes the table holds %v rows (%v), want %d", tuples, err, burstRows+500)
	}
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
	if !a.orderedClaim {
		t.Fatal("a new table has no claim index")
	}
	var bClaims []Claim
	var bErr error
	a.claimPicked = func() {
		a.claimPicked = nil // not again if the transaction is retried
		bClaims, bErr = b.Claim(ctx, 10, time.Minute, 0)
	}
	aClaims, err := a.Claim(ctx, 10, time.Minute, 0)
	if err != nil || bErr != nil {
		t.Fatalf("claims: %v, %v", err, bErr)
	}
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
	if got := paths(aClaims); !slices.Equal(got, want[:10]) {
		t.Fatalf("first claimer took %q, want the 10 oldest", got)
	}
	if got := paths(bClaims); !slices.Equal(got, want[10:]) {
		t.Fatalf("second claimer, during the first one's transaction, took %q; want the next 10", got)
	}
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
		if _, err := f.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var logs strings.Builder
	old := f.ledger(t, "m", Shared, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	if old.orderedClaim || !strings.Contains(logs.String(), schema.MySQLClaimIndexUpgrade) {
		t.Fatalf("no warning with the upgrade statement for a table without the claim index; logs: %s", logs.String())
	}
	mustRecord(t, old, files(30), 30)
	claims, err := old.Claim(ctx, 10, time.Minute, 0)
	if err != nil || len(claims) != 10 || claims[0].File.Path != files(1)[0].Path {
		t.Fatalf("claim on the old table: %d claims (%v), %v", len(claims), claims, err)
	}
	if _, err := f.db.ExecContext(ctx, schema.MySQLClaimIndexUpgrade); err != nil {
		t.Fatalf("the upgrade statement the warning gives: %v", err)
	}
	upgraded := f.ledger(t, "m", Shared)
	if !upgraded.orderedClaim {
		t.Fatal("the upgraded table's claim index is not used")
	}
	claims, err = upgraded.Claim(ctx, 10, time.Minute, 0)
	if err != nil || len(claims) != 10 || claims[0].File.Path != files(11)[10].Path {
		t.Fatalf("claim after the upgrade: %d claims (%v), %v; want files 10-19", len(claims), claims, err)
	}
}
