package remote

// Bounds on what a server can make a session wait for or hold: a listing or
// a read that gets nothing for IdleTimeout ends with ErrIdle, and a listing
// past MaxListEntries entries is cut with ErrTooManyEntries. The overall
// deadline of a listing or a transfer is the caller's context.

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrIdle marks a listing or a transfer the server left without a byte for
// longer than the session's IdleTimeout.
var ErrIdle = errors.New("remote: the server sent nothing for too long")

// ErrTooManyEntries marks a listing cut at the session's MaxListEntries. It
// matches ErrTruncated: the entries past the bound are missing, not gone.
var ErrTooManyEntries = fmt.Errorf("%w: the listing passed its bound on entries", ErrTruncated)

func idleError(addr string, idle time.Duration) error {
	return fmt.Errorf("%w: %s sent nothing for %v", ErrIdle, addr, idle)
}

func tooManyError(addr, dir string, max int) error {
	return fmt.Errorf("%w: %s listed more than %d entries in %s; the rest of it is not read", ErrTooManyEntries, addr, max, dir)
}

// idleTimer closes a session whose server sends nothing while a caller
// waits: the wait starts at start, and every byte that arrives (seen)
// restarts the count.
type idleTimer struct {
	idle  time.Duration
	last  atomic.Int64 // unix nanoseconds of the last byte, or of the start of the wait
	fired atomic.Bool
}

// start watches one wait; onIdle runs (once) if it outlasts idle without a
// byte. stop ends the watch.
func (t *idleTimer) start(onIdle func()) (stop func()) {
	if t == nil || t.idle <= 0 {
		return func() {}
	}
	t.seen()
	var done atomic.Bool
	var tm *time.Timer
	check := func() {
		if done.Load() {
			return
		}
		since := time.Since(time.Unix(0, t.last.Load()))
		if since >= t.idle {
			t.fired.Store(true)
			onIdle()
			return
		}
		tm.Reset(t.idle - since)
	}
	tm = time.AfterFunc(time.Hour, check)
	tm.Reset(t.idle)
	return func() { done.Store(true); tm.Stop() }
}

// seen notes a byte from the server.
func (t *idleTimer) seen() {
	if t != nil {
		t.last.Store(time.Now().UnixNano())
	}
}

// idled reports whether a wait ran out.
func (t *idleTimer) idled() bool { return t != nil && t.fired.Load() }
