package taskcompat

import (
	"slices"
	"sync"
	"time"
)

// fakeClock is a clock that moves only when a test advances it. Timers due
// by then fire inside advance, in the order of their deadlines: AfterFunc
// calls its function on the test's goroutine, NewTimer's channel receives.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	clk    *fakeClock
	when   time.Time
	active bool
	f      func()
	c      chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) AfterFunc(d time.Duration, fn func()) clockTimer { return f.add(d, fn, nil) }

func (f *fakeClock) NewTimer(d time.Duration) clockTimer {
	return f.add(d, nil, make(chan time.Time, 1))
}

func (f *fakeClock) add(d time.Duration, fn func(), c chan time.Time) *fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clk: f, when: f.now.Add(d), active: true, f: fn, c: c}
	f.timers = append(f.timers, t)
	return t
}

// advance moves the clock by d and fires the timers due by then.
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
	for {
		t := f.nextDue()
		if t == nil {
			return
		}
		if t.f != nil {
			t.f()
		} else {
			select {
			case t.c <- t.when:
			default:
			}
		}
	}
}

// nextDue disarms and returns the earliest active timer due now, if any.
func (f *fakeClock) nextDue() *fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	var due *fakeTimer
	for _, t := range f.timers {
		if t.active && !t.when.After(f.now) && (due == nil || t.when.Before(due.when)) {
			due = t
		}
	}
	if due != nil {
		due.active = false
	}
	return due
}

// pending counts the armed timers.
func (f *fakeClock) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(slices.DeleteFunc(slices.Clone(f.timers), func(t *fakeTimer) bool { return !t.active }))
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	t.when, t.active = t.clk.now.Add(d), true
	return was
}
