package listener

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
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
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Attach(rec); err != nil {
		t.Fatal(err)
	}
	write(t, local, "a", "1", time.Hour)
	poll(t, l)
	if os.RemoveAll(local) != nil {
		t.Fatal("cannot remove the watched directory")
	}
	for range 10 {
		if err := l.PollOnce(t.Context()); err == nil {
			t.Fatal("a poll of a deleted directory succeeded")
		}
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
	if err != nil {
		t.Fatal(err)
	}
	if !st.Listing.Failing || st.Listing.Failures != 10 || st.Listing.Since.IsZero() || !strings.Contains(st.Listing.Error, cfg.Path) {
		t.Fatalf("status %+v, want failing for 10 polls, naming %s", st.Listing, cfg.Path)
	}
	if err := os.Mkdir(local, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(local, 0o777)
	poll(t, l)
	if h := l.ListingHealth(); h.Failing || h.Failures != 0 {
		t.Fatalf("after a listing that worked: %+v", h)
	}
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if len(watch.changes) != 2 || !watch.changes[0] || watch.changes[1] {
		t.Fatalf("observer told %v, want [true false]", watch.changes)
	}
}
