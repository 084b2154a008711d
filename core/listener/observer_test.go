package listener

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	slow := &slowFlaky{flaky: svc, wait: 500 * time.Millisecond}
	require.NoError(t, l.Attach(slow))
	t.Cleanup(func() { l.Stop(context.Background()) })
	require.NoError(t, l.Start(context.Background()))
	write(t, local, "good.csv", "1", time.Hour)
	write(t, local, "bad.csv", "2", time.Hour)
	pollUntil(t, l, "good DONE and bad REJECTED", func() bool {
		g, b := ledgerRows(t, l, cfg.Path+"/good.csv"), ledgerRows(t, l, cfg.Path+"/bad.csv")
		return len(g) == 1 && g[0].Status == ledger.Done && len(b) == 1 && b[0].Status == ledger.Rejected
	})
	obs.mu.Lock()
	defer obs.mu.Unlock()
	for outcome, want := range map[string]int{"done": 1, "rejected": 1, "failed": 2, "lost": 0} {
		assert.Equal(t, want, obs.outcomes[outcome], "outcome %s in %v, want done 1, rejected 1, failed 2 (the first attempt of each)", outcome, obs.outcomes)
	}
	assert.GreaterOrEqual(t, obs.polls, 2, "polls")
	assert.GreaterOrEqual(t, obs.renewed, 1, "leases renewed")
	assert.Zero(t, obs.dbErrors, "database errors")
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
