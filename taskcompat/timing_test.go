package taskcompat

import (
	"testing"
	"time"
)

func TestNextRunKeepsAFixedRate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := time.Second
	// On time or a little late: the next run stays on the grid.
	if got := nextRun(t0, p, t0.Add(30*time.Millisecond), true); !got.Equal(t0.Add(p)) {
		t.Errorf("late by 30ms: next at %v, want %v", got.Sub(t0), p)
	}
	// More than a period behind: run at once rather than in a burst.
	if got := nextRun(t0, p, t0.Add(2500*time.Millisecond), true); !got.Equal(t0.Add(2500 * time.Millisecond)) {
		t.Errorf("behind: next at %v, want now", got.Sub(t0))
	}
	// After a failure the backoff counts from now.
	if got := nextRun(t0, 4*p, t0.Add(300*time.Millisecond), false); !got.Equal(t0.Add(4300 * time.Millisecond)) {
		t.Errorf("backoff: next at %v, want 4.3s", got.Sub(t0))
	}
}

func TestEarliest(t *testing.T) {
	a, b := time.Unix(10, 0), time.Unix(20, 0)
	if !earliest(a, b).Equal(a) || !earliest(b, a).Equal(a) {
		t.Error("earliest picked the later time")
	}
}
