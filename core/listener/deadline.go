package listener

// Deadlines: nothing a file server or a handler does may hold a member for
// good. Each bound comes from the configuration:
//
//   - idle: a listing or a transfer that gets no byte from the server for
//     connectTimeout ends (remote.ErrIdle): a failed listing, a failed
//     transfer;
//   - a poll's listing, every directory of it, ends after
//     processingTimeout;
//   - a file's attempt, its transfer and its handler together (an
//     OnFileChange batch, an OnFileDelete alike), ends after
//     processingTimeout: the handler's context is cancelled, its lease is
//     renewed no more, and once attemptGrace has passed too the worker
//     records the attempt as failed, a try counted, and takes the next
//     file, whether or not the handler returned;
//   - a poll that makes no progress (a listing ended, an attempt ended, a
//     batch claimed) for stuckAfter is stuck: Status says so, and the
//     command's /readyz fails while it lasts.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrDeadline marks work ended by one of the deadlines above.
var ErrDeadline = errors.New("listener: deadline passed")

// DeadlineError is work that outlived its deadline; it matches ErrDeadline.
type DeadlineError struct {
	What    string // "the listing of /in", "the attempt at /in/a.csv"
	Field   string // the configuration field the deadline comes from
	Timeout time.Duration
	Cause   error // what the work said when it was cut, if it returned
}

func (e *DeadlineError) Error() string {
	s := fmt.Sprintf("listener: %s outlived %s (%v) and was cut", e.What, e.Field, e.Timeout)
	if e.Cause != nil {
		s += fmt.Sprintf(" (it ended with: %v)", e.Cause)
	}
	return s
}

func (e *DeadlineError) Is(target error) bool { return target == ErrDeadline }

// idleTimeout is how long a listing or a transfer may get nothing from the
// server: connectTimeout.
func (c ListenerConfig) idleTimeout() time.Duration {
	return time.Duration(c.ConnectTimeout * float64(time.Second))
}

// attemptGrace is how long a handler whose context was cancelled at its
// deadline has to return before its worker goes on without it: half the
// lease (so the failure is recorded while the lease still holds), at most
// 5 s.
func (c ListenerConfig) attemptGrace() time.Duration {
	return min(5*time.Second, c.processingTimeout()/2)
}

// stuckAfter is how long a poll may go without progress before it counts
// as stuck: twice processingTimeout, as no step of a poll outlives one
// processingTimeout and its grace.
func (c ListenerConfig) stuckAfter() time.Duration {
	return 2 * c.processingTimeout()
}

// listingDeadline bounds a poll's listing by processingTimeout; outcome
// tells a listing the deadline cut from one that failed on its own.
func (l *Listener) listingDeadline(ctx context.Context) (_ context.Context, cancel func(), outcome func(error) error) {
	d := &DeadlineError{What: "the listing of " + l.cfg.Path, Field: "processingTimeout", Timeout: l.cfg.processingTimeout()}
	lctx, cancel := context.WithTimeoutCause(ctx, d.Timeout, d)
	return lctx, cancel, func(err error) error {
		if err != nil && ctx.Err() == nil && errors.Is(context.Cause(lctx), ErrDeadline) {
			return &DeadlineError{What: d.What, Field: d.Field, Timeout: d.Timeout, Cause: err}
		}
		return err
	}
}

// attempt runs one unit of a handler's work (a file's transfer and
// handler, a batch, a deletion) under processingTimeout. fn runs on its
// own goroutine, its panics recovered as a *PanicError: past the deadline
// and the grace the worker returns without it, a DeadlineError, and the
// goroutine is left to end when the handler does (it is logged).
func (l *Listener) attempt(ctx context.Context, what string, fn func(context.Context) error) error {
	d := &DeadlineError{What: what, Field: "processingTimeout", Timeout: l.cfg.processingTimeout()}
	actx, cancel := context.WithTimeoutCause(ctx, d.Timeout, d)
	defer cancel()
	actx, unbind := l.bindStanding(actx) // the member may lose the work in hand
	defer unbind()
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }()
		defer l.recovered("deliver", &err)
		err = fn(actx)
	}()
	result := func(err error) error {
		if lost, ok := standingLost(actx, err); ok && err != nil && ctx.Err() == nil {
			// A handler that finished all the same is committed, if the
			// fence still lets it.
			return lost
		}
		if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), ErrDeadline) {
			// The deadline's error alone, not what it caused (a cut
			// transfer is not the transfer's failure).
			return &DeadlineError{What: d.What, Field: d.Field, Timeout: d.Timeout, Cause: err}
		}
		return err
	}
	select {
	case err := <-done:
		return result(err)
	case <-actx.Done():
	}
	grace := time.NewTimer(l.cfg.attemptGrace())
	defer grace.Stop()
	select {
	case err := <-done:
		return result(err)
	case <-grace.C:
	}
	l.log.Error("listener: a handler did not return after its context was cancelled; its worker goes on without it (the handler's goroutine is left to finish on its own)",
		"what", what, "deadline", d.Field, "timeout", d.Timeout, "grace", l.cfg.attemptGrace())
	if err := ctx.Err(); err != nil {
		return err // the member stopped it, not the deadline
	}
	if lost, ok := standingLost(actx, nil); ok {
		return lost
	}
	return d
}

// PollHealth tells whether the running poll makes progress.
type PollHealth struct {
	Running bool `json:"running"`
	// Since is the running poll's start, LastProgress its last step done.
	Since        time.Time `json:"since,omitzero"`
	LastProgress time.Time `json:"lastProgress,omitzero"`
	// Stuck: the running poll made no progress for longer than twice
	// processingTimeout.
	Stuck bool `json:"stuck"`
}

// pollWatch follows the running poll's progress.
type pollWatch struct {
	mu       sync.Mutex
	running  bool
	since    time.Time
	last     time.Time
	reported bool
	timer    *time.Timer
}

// pollBegan starts watching a poll; the returned func ends it.
func (l *Listener) pollBegan() (ended func()) {
	w := &l.watch
	w.mu.Lock()
	now := time.Now()
	w.running, w.since, w.last, w.reported = true, now, now, false
	w.timer = time.AfterFunc(l.cfg.stuckAfter(), l.checkStuck)
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.running = false
		w.timer.Stop()
		if w.reported {
			l.log.Info("listener: the stuck poll ended", "ranFor", time.Since(w.since).Round(time.Second))
		}
	}
}

// progressed notes a step of the running poll done.
func (l *Listener) progressed() {
	l.watch.mu.Lock()
	l.watch.last = time.Now()
	l.watch.mu.Unlock()
}

// checkStuck logs a poll that stopped making progress, once, and watches on.
func (l *Listener) checkStuck() {
	w := &l.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running {
		return
	}
	idle := time.Since(w.last)
	if after := l.cfg.stuckAfter(); idle < after {
		w.timer.Reset(after - idle)
		return
	}
	if !w.reported {
		w.reported = true
		l.log.Error("listener: the poll is stuck: no progress for longer than twice processingTimeout; this member reports not ready until it moves",
			"since", w.since, "lastProgress", w.last, "processingTimeout", l.cfg.processingTimeout())
	}
	w.timer.Reset(l.cfg.stuckAfter())
}

// PollHealth returns whether the running poll makes progress.
func (l *Listener) PollHealth() PollHealth {
	w := &l.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running {
		return PollHealth{}
	}
	return PollHealth{Running: true, Since: w.since, LastProgress: w.last, Stuck: time.Since(w.last) >= l.cfg.stuckAfter()}
}
