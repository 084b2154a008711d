package listener

import (
	"context"
	"fmt"
	"time"
)

// A listing that keeps failing (the watched directory was deleted, the
// server refuses the login) would tell the same thing at every poll, every
// second if so configured. It is reported at its first failure and again
// at a falling rate (after 2, 4, 8, ... failures in a row), at once when the
// problem changes, and with one line when listing works again. Status
// shows the state meanwhile, and an Observer that implements
// ListingObserver is told of each change.

// ListingHealth is whether the watched directory can be listed.
type ListingHealth struct {
	Failing bool `json:"failing"`
	// Error, Since and Failures describe the failure in progress: the
	// last error, the first failure's time and the failed polls since.
	Error    string    `json:"error,omitempty"`
	Since    time.Time `json:"since,omitzero"`
	Failures int       `json:"failures,omitempty"`
}

// ListingObserver is an Observer that also wants to know when listing
// starts and stops failing.
type ListingObserver interface {
	ListingFailing(failing bool)
}

// listingFailed records a failed listing and returns the error to report
// now, or nil when this failure is a repeat not due for a reminder. Called
// under polling.
func (l *Listener) listingFailed(err error) error {
	l.listingUnreachable(err)
	msg := err.Error()
	l.mu.Lock()
	h := &l.services.cur.listHealth
	first := !h.Failing
	changed := !first && msg != h.Error
	if first {
		*h = ListingHealth{Failing: true, Since: l.now()}
		l.listReminder = 1
	}
	h.Error = msg
	h.Failures++
	n, since := h.Failures, h.Since
	due := first || changed || n >= l.listReminder
	if due {
		l.listReminder = 2 * n
	}
	l.mu.Unlock()
	if first {
		if o, ok := l.obs.(ListingObserver); ok {
			o.ListingFailing(true)
		}
	}
	switch {
	case !due:
		return nil
	case first:
		return err
	}
	return fmt.Errorf("%w (still failing: %d polls in a row since %s; next reminder after %d)",
		err, n, since.UTC().Format(time.RFC3339), 2*n)
}

// listingWorked ends a failure in progress, if any, with one line.
func (l *Listener) listingWorked(ctx context.Context) {
	l.accessWorked(ctx)
	l.mu.Lock()
	h := l.services.cur.listHealth
	l.services.cur.listHealth = ListingHealth{}
	l.mu.Unlock()
	if !h.Failing {
		return
	}
	l.log.InfoContext(ctx, "listener: listing works again", "path", l.cfg.Path, "failedPolls", h.Failures,
		"failingFor", l.now().Sub(h.Since).Round(time.Second))
	if o, ok := l.obs.(ListingObserver); ok {
		o.ListingFailing(false)
	}
}

// ListingHealth returns whether the watched directories can be listed:
// with several services, the first failing one's (its error naming it).
func (l *Listener) ListingHealth() ListingHealth {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.services.listingHealth()
}
