package listener

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/stretchr/testify/require"
)

// The documented defaults of the deadlines and bounds (docs/listener.md,
// docs/configuration.md).
func TestDeadlineAndBoundDefaults(t *testing.T) {
	c := ListenerConfig{}.WithDefaults()
	require.Equal(t, 30*time.Second, c.idleTimeout(), "idle bound: connectTimeout")
	require.Equal(t, 300*time.Second, c.processingTimeout(), "listing and attempt deadline: processingTimeout")
	require.Equal(t, 5*time.Second, c.attemptGrace(), "grace after the attempt's deadline")
	require.Equal(t, 600*time.Second, c.stuckAfter(), "a poll without progress is stuck after")
	require.Equal(t, 500_000, c.MaxListingEntries)
	require.Equal(t, 10_000, c.MaxListingDirectories)
	short := ListenerConfig{ProcessingTimeout: 3}.WithDefaults()
	require.Equal(t, 1500*time.Millisecond, short.attemptGrace(), "the grace stays within half the lease")

	err := ListenerConfig{MaxListingEntries: -1, MaxListingDirectories: -2}.Validate()
	require.ErrorContains(t, err, "maxListingEntries: must be at least 1 (default 500000), got -1")
	require.ErrorContains(t, err, "maxListingDirectories: must be at least 1 (default 10000), got -2")
}

// A poll that makes no progress for twice processingTimeout is stuck, in
// PollHealth and Status; progress or its end clear it.
func TestPollWithoutProgressIsStuck(t *testing.T) {
	l, err := New(ListenerConfig{ProcessingTimeout: 1})
	require.NoError(t, err)
	require.False(t, l.PollHealth().Running)
	ended := l.pollBegan()
	require.True(t, l.PollHealth().Running)
	require.False(t, l.PollHealth().Stuck, "a poll that just began")
	require.Eventually(t, func() bool { return l.PollHealth().Stuck }, 10*time.Second, 50*time.Millisecond, "a poll without progress")
	st, err := l.Status(context.Background())
	require.NoError(t, err)
	require.True(t, st.Poll.Stuck, "Status")
	l.progressed()
	require.False(t, l.PollHealth().Stuck, "after progress")
	ended()
	require.Equal(t, PollHealth{}, l.PollHealth(), "after the poll")
}

// A claim at work is renewed until its attempt's deadline, and no more
// after it; a claim still queued (no deadline yet) is renewed.
func TestClaimsAreNotRenewedPastTheirDeadline(t *testing.T) {
	queued, atWork, late := ledger.Claim{Key: "q"}, ledger.Claim{Key: "w"}, ledger.Claim{Key: "l"}
	s := newClaimSet([]ledger.Claim{queued, atWork, late})
	s.limit(time.Now().Add(time.Hour), atWork)
	s.limit(time.Now().Add(-time.Millisecond), late)
	var keys []string
	for _, c := range s.list() {
		keys = append(keys, c.Key)
	}
	require.ElementsMatch(t, []string{"q", "w"}, keys, "claims renewed")
}

// A panic in the listener's own goroutines is logged with its stack and
// goes no further.
func TestSurviveLogsAndStopsAPanic(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	l, err := New(ListenerConfig{}, WithLogger(slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))))
	require.NoError(t, err)
	func() {
		defer l.survive("worker")
		panic("a bug past the attempt")
	}()
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, buf.String(), "a bug past the attempt")
	require.Contains(t, buf.String(), "in=worker")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
