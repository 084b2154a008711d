package listener

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
)

// countingObserver records what an Observer is told.
type countingObserver struct {
	mu       sync.Mutex
	polls    int
	outcomes map[string]int
	renewed  int
	dbErrors int
}

func (o *countingObserver) PollDone(time.Duration, error) { o.mu.Lock(); o.polls++; o.mu.Unlock() }
func (o *countingObserver) FilesFinished(outcome string, n int) {
	o.mu.Lock()
	o.outcomes[outcome] += n
	o.mu.Unlock()
}
func (o *countingObserver) LeasesRenewed(n int)         { o.mu.Lock(); o.renewed += n; o.mu.Unlock() }
func (o *countingObserver) DatabaseError(string, error) { o.mu.Lock(); o.dbErrors++; o.mu.Unlock() }

// The Observer hears of every poll, each file's outcome (a failed attempt,
// a rejection, a commit) and the leases renewed while a slow handler runs.
func TestObserverCountsPollsOutcomesAndRenewals(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	cfg.MaxTries = 2
	cfg.ProcessingTimeout = 1 // renewed every third of a second
	svc := newFlaky(1)        // every file fails its first attempt
	svc.failOn = "bad.csv"    // and this one every attempt
	obs := &countingObserver{outcomes: map[string]int{}}
	l, err := New(cfg, WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowFlaky{flaky: svc, wait: 500 * time.Millisecond}
	if err := l.Attach(slow); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop(context.Background()) })
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	write(t, local, "good.csv", "1", time.Hour)
	write(t, local, "bad.csv", "2", time.Hour)
	pollUntil(t, l, "good DONE and bad REJECTED", func() bool {
		g, b := ledgerRows(t, l, cfg.Path+"/good.csv"), ledgerRows(t, l, cfg.Path+"/bad.csv")
		return len(g) == 1 && g[0].Status == ledger.Done && len(b) == 1 && b[0].Status == ledger.Rejected
	})
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.outcomes["done"] != 1 || obs.outcomes["rejected"] != 1 || obs.outcomes["failed"] != 2 || obs.outcomes["lost"] != 0 {
		t.Errorf("outcomes %v, want done 1, rejected 1, failed 2 (the first attempt of each)", obs.outcomes)
	}
	if obs.polls < 2 || obs.renewed < 1 || obs.dbErrors != 0 {
		t.Errorf("polls %d, leases renewed %d, database errors %d", obs.polls, obs.renewed, obs.dbErrors)
	}
}

// slowFlaky takes a while over each file, so that its lease is renewed.
type slowFlaky struct {
	*flaky
	wait time.Duration
}

func (s *slowFlaky) OnFile(ctx context.Context, info FileInfo, r io.Reader, c *Caller) error {
	time.Sleep(s.wait)
	return s.flaky.OnFile(ctx, info, r, c)
}
