package ledger

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/childproc"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// claimerEnv, when set, makes the test binary a claimer process (see
// runClaimer) instead of running the tests: its value is the JSON of the
// database configuration.
const claimerEnv = "FTPCOORD_LEDGER_TEST_CLAIMER"

func TestMain(m *testing.M) { childproc.Main(m, claimerEnv, runClaimer) }

// runClaimer waits for a line on stdin, then claims and commits with two
// goroutines until every file is DONE, printing "claimed KEY" for every
// claim.
func runClaimer(rawCfg, id string) error {
	var cfg taskcompat.DatabaseConfig
	if err := json.Unmarshal([]byte(rawCfg), &cfg); err != nil {
		return err
	}
	d, err := cfg.Dialect()
	if err != nil {
		return err
	}
	db, err := taskcompat.OpenDB(cfg, "UTC", 5*time.Second)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	l, err := New(ctx, Config{DB: db, Dialect: d, GroupID: "g", MemberID: id, Mode: Shared})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failures := 0
			for {
				c, err := l.Claim(ctx, 7, time.Minute, 0)
				if err != nil {
					// A listener retries a failed claim at its next poll
					// (MariaDB may report a deadlock among claimers).
					if failures++; failures > 20 {
						errs <- err
						return
					}
					mu.Lock()
					fmt.Println("retry", err)
					mu.Unlock()
					continue
				}
				if len(c) == 0 {
					// Nothing claimable now; on MariaDB, SKIP LOCKED may
					// also skip past rows of a claim still in flight.
					// Done once nothing is left to claim.
					n, err := l.Counts(ctx)
					if err != nil {
						errs <- err
						return
					}
					if n[Pending] == 0 && n[InProgress] == 0 {
						return
					}
					time.Sleep(5 * time.Millisecond)
					continue
				}
				mu.Lock()
				for _, x := range c {
					fmt.Println("claimed", x.Key)
				}
				mu.Unlock()
				time.Sleep(2 * time.Millisecond) // the work, so that the processes interleave
				for {
					lost, err := l.CommitAll(ctx, c)
					if err == nil && len(lost) == 0 {
						break
					}
					// A commit that failed changed nothing and is repeated
					// (CommitAll is idempotent); a lost claim is an error.
					if failures++; failures > 20 || len(lost) > 0 {
						errs <- fmt.Errorf("commit: %d lost, %v", len(lost), err)
						return
					}
					mu.Lock()
					fmt.Println("retry", err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// Several processes, two claimers each, claim from one database at once:
// never the same file twice, and every file once. On SQLite this is several
// processes sharing one file, the single-host setup.
func TestClaimsAcrossProcessesAreDisjoint(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		const total, procs = 700, 3
		cfg := testdb.NewWithSchema(t, d)
		f := fixture{d: d, db: testdb.Open(t, cfg, "UTC")}
		mustRecord(t, f.ledger(t, "x", Shared), files(total), total)
		raw, _ := json.Marshal(cfg)
		type proc struct {
			*childproc.Child
			lines []string
		}
		var ps []*proc
		for i := range procs {
			ps = append(ps, &proc{Child: childproc.Start(t, claimerEnv, string(raw), fmt.Sprintf("p%d", i))})
		}
		for _, p := range ps { // all at once
			io.WriteString(p.In, "go\n")
		}
		count := map[string]int{}
		busy := 0
		for i, p := range ps {
			for p.Out.Scan() {
				p.lines = append(p.lines, p.Out.Text())
			}
			require.NoError(t, p.Cmd.Wait(), "claimer %d; last output %q", i, p.lines[max(0, len(p.lines)-3):])
			claimed, retries := 0, 0
			for _, line := range p.lines {
				if strings.HasPrefix(line, "retry ") {
					retries++
					t.Logf("%s: process %d: %s", d, i, line)
					continue
				}
				key, ok := strings.CutPrefix(line, "claimed ")
				require.True(t, ok, "claimer %d said %q", i, line)
				count[key]++
				claimed++
			}
			if d == schema.SQLite {
				// One writer at a time: a claimer waits for the write
				// lock (busy timeout) instead of failing.
				assert.Zero(t, retries, "process %d: SQLite claims failed", i)
			}
			if claimed > 0 {
				busy++
			}
			t.Logf("%s: process %d claimed %d files (%d failed claims retried)", d, i, claimed, retries)
		}
		require.GreaterOrEqual(t, busy, 2, "only %d process claimed anything: no contention was tested", busy)
		require.Len(t, count, total, "distinct files claimed")
		for k, n := range count {
			require.Equal(t, 1, n, "%s claimed %d times", k, n)
		}
		c, err := f.ledger(t, "x", Shared).Counts(context.Background())
		require.NoError(t, err, "counts")
		require.Equal(t, total, c[Done], "counts %v; want all %d DONE", c, total)
	})
}
