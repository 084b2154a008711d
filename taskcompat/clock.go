package taskcompat

// The local clock of the election and the fence, behind a seam so that
// tests can move time by hand. Staleness between members is decided by the
// database's clock (its NOW()), never by this one.

import "time"

// clock is the local time source of a Coordinator.
type clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) clockTimer
	// NewTimer sends on C after d.
	NewTimer(d time.Duration) clockTimer
}

// clockTimer is a *time.Timer as the coordinator uses it.
type clockTimer interface {
	C() <-chan time.Time // nil for an AfterFunc timer
	Stop() bool
	Reset(d time.Duration) bool
}

// realClock is the process's clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) clockTimer {
	return realTimer{time.AfterFunc(d, f)}
}

func (realClock) NewTimer(d time.Duration) clockTimer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// now is the coordinator's local time.
func (c *Coordinator) now() time.Time { return c.clk.Now() }

// since is time.Since by the coordinator's clock.
func (c *Coordinator) since(t time.Time) time.Duration { return c.now().Sub(t) }

// until is time.Until by the coordinator's clock.
func (c *Coordinator) until(t time.Time) time.Duration { return t.Sub(c.now()) }
