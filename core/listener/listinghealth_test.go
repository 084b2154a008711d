package listener

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type listingWatch struct {
	nopObserver
	mu      sync.Mutex
	changes []bool
}

func (w *listingWatch) ListingFailing(failing bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changes = append(w.changes, failing)
}

// Once the watched directory is deleted, every poll fails the same way: the
// first failure is reported, then reminders after 2, 4, 8 ... failures; the
// state shows in Status and reaches the observer; the recovery is one line.
func TestListingFailingIsReportedAtAFallingRate(t *testing.T) {
	cfg, local := pureDir(t)
	rec := newRecorder()
	watch := &listingWatch{}
	l, err := New(cfg, WithObserver(watch))
	require.NoError(t, err)
	require.NoError(t, l.Attach(rec))
	write(t, local, "a", "1", time.Hour)
	poll(t, l)
	require.NoError(t, os.RemoveAll(local), "cannot remove the watched directory")
	for range 10 {
		require.Error(t, l.PollOnce(t.Context()), "a poll of a deleted directory succeeded")
	}
	_, _, errs := rec.take()
	var reported []string
	for _, e := range errs {
		reported = append(reported, e.Error())
	}
	if len(errs) != 4 || strings.Contains(reported[0], "still failing") ||
		!strings.Contains(reported[1], "still failing: 2 polls in a row") || !strings.Contains(reported[3], "still failing: 8 polls in a row") {
		t.Fatalf("OnError got %d reports for 10 failed polls, want 4 (failures 1, 2, 4, 8):\n%s", len(errs), strings.Join(reported, "\n"))
	}
	st, err := l.Status(t.Context())
	require.NoError(t, err)
	require.True(t, st.Listing.Failing, "status %+v, want failing", st.Listing)
	require.EqualValues(t, 10, st.Listing.Failures, "status %+v, want failing for 10 polls", st.Listing)
	require.False(t, st.Listing.Since.IsZero(), "status %+v, want a failing-since time", st.Listing)
	require.Contains(t, st.Listing.Error, cfg.Path, "status %+v, want the error naming the path", st.Listing)
	require.NoError(t, os.Mkdir(local, 0o777))
	os.Chmod(local, 0o777)
	poll(t, l)
	h := l.ListingHealth()
	require.False(t, h.Failing, "after a listing that worked: %+v", h)
	require.Zero(t, h.Failures, "after a listing that worked: %+v", h)
	watch.mu.Lock()
	defer watch.mu.Unlock()
	require.Equal(t, []bool{true, false}, watch.changes, "observer told")
}
