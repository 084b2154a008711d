package listener

import "time"

// Observer is told what a listener does, for metrics. Its methods are
// called from the listener's goroutines, so they must be quick and safe for
// concurrent use; a nil Observer is allowed and ignored.
type Observer interface {
	// PollDone is called after every poll with its duration and error.
	PollDone(d time.Duration, err error)
	// FilesFinished counts files that reached an outcome: "done" (committed),
	// "failed" (an attempt failed, to be retried), "rejected" (out of tries),
	// "lost" (the claim was taken over before the commit) or "superseded"
	// (the version changed on the server under its transfer; the current
	// one is processed instead).
	FilesFinished(outcome string, n int)
	// LeasesRenewed counts the leases one renewal extended.
	LeasesRenewed(n int)
	// DatabaseError is called when a statement of the ledger fails.
	DatabaseError(op string, err error)
}

// WithObserver sets the Observer told about polls, files, lease renewals
// and database errors.
func WithObserver(o Observer) Option { return func(x *Listener) { x.obs = o } }

// nopObserver is the Observer used when none is set.
type nopObserver struct{}

func (nopObserver) PollDone(time.Duration, error) {}
func (nopObserver) FilesFinished(string, int)     {}
func (nopObserver) LeasesRenewed(int)             {}
func (nopObserver) DatabaseError(string, error)   {}
