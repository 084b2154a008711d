package listener

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// holding blocks in every handler until released, after telling started.
type holding struct {
	*recorder
	started chan string
	release chan struct{}
	mu      sync.Mutex
	tries   map[string][]int
}

func newHolding() *holding {
	return &holding{recorder: newRecorder(), started: make(chan string, 100), release: make(chan struct{}), tries: map[string][]int{}}
}

func (h *holding) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	h.mu.Lock()
	h.tries[f.Path] = append(h.tries[f.Path], f.Attempt)
	h.mu.Unlock()
	h.started <- f.Path
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.recorder.OnFile(ctx, f, r, c)
}

// A member that dies with files in hand (Halt: nothing written, as a
// crash) leaves them IN_PROGRESS under a lease of processingTimeout, the
// default 300 s. The member that takes over reclaims them at once, as a
// retry with the attempt counted, without a poll of its own schedule
// (pollingInterval is an hour here) and without waiting for the lease.
// In shared mode, where every member claims, the claims of a member whose
// heartbeat is stale are reclaimed the same way.
func TestTakeoverReclaimsTheDeadMembersClaims(t *testing.T) {
	for _, mode := range []string{"warm-backup", "shared"} {
		t.Run(mode, func(t *testing.T) { testReclaim(t, mode) })
	}
}

// The same with every coordination timing at its documented default
// (livenessCheckInterval 30 s, heartbeatFrequency 1 s): the dead member's
// session ended with it, so the takeover comes at once (the crash signal),
// and the files run again at once then.
func TestTakeoverReclaimsWithDefaultTimings(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"warm-backup", "shared"} {
		t.Run(mode, func(t *testing.T) {
			testReclaimWith(t, mode, func(c *ListenerConfig) {
				c.Coordination.LivenessCheckInterval, c.Coordination.HeartbeatFrequency = 0, 0
			})
		})
	}
}

func testReclaim(t *testing.T, mode string) { testReclaimWith(t, mode, func(*ListenerConfig) {}) }

func testReclaimWith(t *testing.T, mode string, edit func(*ListenerConfig)) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg.Workers, cfg.Mode = 2, mode
		cfg, db := withLedger(t, cfg, d, "a")
		edit(&cfg)
		require.Equal(t, 300*time.Second, cfg.WithDefaults().processingTimeout(), "processingTimeout: want the documented default 300s")
		for i := range 3 {
			write(t, local, fmt.Sprintf("f%d", i), fmt.Sprint(i), time.Hour)
		}
		dead := newHolding()
		a := startedListener(t, cfg, dead)
		go a.PollOnce(context.Background())
		<-dead.started
		<-dead.started // both workers hold a file; the third is claimed, queued
		b := newRecorder()
		cfgB := member2(cfg, db, "b")
		edit(&cfgB)
		lb := startedListener(t, cfgB, b)
		// The crash signal is armed (b waits on a's session lock; in
		// shared mode it has seen a's member lock too), as it is long
		// before a member dies, but for a moment at b's start.
		waitUntil(t, "b to wait on a's session lock", func() bool { return lb.Coordinator().State().CrashSignal })
		if mode == "shared" {
			waitUntil(t, "b to see a's member lock", func() bool { return slices.Contains(lb.Coordinator().LockedMembers(), "a") })
		}
		require.NoError(t, a.Halt())
		killed := time.Now()
		for range 3 {
			select {
			case <-b.arrivals:
			case <-time.After(90 * time.Second):
				t.Fatalf("after %v the new active member has processed %d of the dead member's 3 files (their leases run 300 s)", time.Since(killed), b.delivered())
			}
		}
		t.Logf("%s: the dead member's files were processed again %v after it died", d, time.Since(killed).Round(time.Millisecond))
		for i := range 3 {
			p := fmt.Sprintf("%s/f%d", cfg.Path, i)
			waitUntil(t, p+" to be committed", func() bool {
				rows := ledgerRows(t, lb, p)
				return len(rows) == 1 && rows[0].Status != ledger.InProgress
			})
			rows := ledgerRows(t, lb, p)
			require.Len(t, rows, 1, "%s", p)
			require.Equal(t, ledger.Done, rows[0].Status, "%s: %+v, want DONE by b", p, rows)
			require.Equal(t, "b", rows[0].Owner, "%s: %+v, want DONE by b", p, rows)
			if i < 2 {
				require.Equal(t, 2, rows[0].Tries, "%s: tries (the dead member's attempt counted)", p)
			}
		}
		_, _, errs := b.take()
		require.Empty(t, errs, "OnError")
	})
}

// grower appends to a file on the server's disk while the handler of
// another file runs: the second file's listed version is gone by the time
// it is transferred, as with a file that is still being written.
type grower struct {
	*recorder
	dir, name, more string
	once            sync.Once
	mu              sync.Mutex
	runs            map[string]int
	readErrs        []error
}

func (g *grower) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	g.mu.Lock()
	g.runs[f.Name]++
	g.mu.Unlock()
	if f.Name != g.name {
		g.once.Do(func() {
			p := filepath.Join(g.dir, g.name)
			if g.more == "" {
				os.Truncate(p, 3)
			} else {
				fh, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
				if err == nil {
					fh.WriteString(g.more)
					fh.Close()
				}
			}
			old := time.Now().Add(-30 * time.Minute)
			os.Chtimes(p, old, old)
		})
	}
	b, err := io.ReadAll(r)
	if err != nil {
		g.mu.Lock()
		g.readErrs = append(g.readErrs, err)
		g.mu.Unlock()
		return err
	}
	g.mu.Lock()
	g.files[f.Path] = string(b)
	g.order = append(g.order, f.Path)
	g.mu.Unlock()
	return nil
}

// A file that changes between its listing and its transfer (it grows as a
// file being written does, or shrinks) is superseded: its handler never
// takes the stale version for a whole file (it never starts, for a file
// small enough to be read whole first; a larger one sees ErrFileChanged
// from its stream), no try is counted, nothing is retried, rejected or
// reported to OnError, and the current version is processed once.
func TestFileChangedUnderItsTransferIsSuperseded(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, content, more string
		staged              bool
		handlerSeesIt       bool // the stale version reached a handler (and its stream failed)
	}{
		{name: "grows", content: "", more: "123456789"},
		{name: "grows-large", content: big, more: big[:50<<10], handlerSeesIt: true},
		{name: "shrinks", content: "123456789"},
		{name: "grows-staged", content: "12345", more: "6789", staged: true},
	}
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cfg, local := pureDir(t)
				cfg.Workers = 1 // a's handler runs before b's transfer
				if tc.staged {
					cfg.StagingDir = t.TempDir()
				}
				cfg, _ = withLedger(t, cfg, d, "m")
				cfg.MaxTries = 2
				write(t, local, "a", "first", 2*time.Hour)
				write(t, local, "b", tc.content, time.Hour)
				svc := &grower{recorder: newRecorder(), dir: local, name: "b", more: tc.more, runs: map[string]int{}}
				l := startedListener(t, cfg, svc)
				pb := cfg.Path + "/b"
				want := tc.content + tc.more
				if tc.more == "" {
					want = tc.content[:3]
				}
				pollUntil(t, l, "b's current version", func() bool {
					svc.mu.Lock()
					defer svc.mu.Unlock()
					return svc.files[pb] != ""
				})
				pollHand(t, l) // and nothing more happens
				svc.mu.Lock()
				defer svc.mu.Unlock()
				require.True(t, svc.files[pb] == want, "b processed with %d bytes, want its current %d", len(svc.files[pb]), len(want))
				wantRuns := 1
				if tc.handlerSeesIt {
					wantRuns = 2
					require.Len(t, svc.readErrs, 1, "the stale version's stream: want ErrFileChanged")
					require.ErrorIs(t, svc.readErrs[0], ErrFileChanged, "the stale version's stream")
				}
				require.Equal(t, wantRuns, svc.runs["b"], "handler runs %v, want a once and b %d", svc.runs, wantRuns)
				require.Equal(t, 1, svc.runs["a"], "handler runs %v, want a once and b %d", svc.runs, wantRuns)
				require.Empty(t, svc.errs, "OnError")
				rows := ledgerRows(t, l, pb)
				require.Len(t, rows, 1, "b's ledger rows: want only its current version")
				require.Equal(t, ledger.Done, rows[0].Status, "b's ledger rows %+v, want DONE at the first try", rows)
				require.Equal(t, 1, rows[0].Tries, "b's ledger rows %+v, want DONE at the first try", rows)
				require.Equal(t, int64(len(want)), rows[0].Size, "b's ledger rows %+v, want its current version", rows)
			})
		}
	})
}
