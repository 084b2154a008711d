package taskcompat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNextRunKeepsAFixedRate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := time.Second
	// On time or a little late: the next run stays on the grid.
	got := nextRun(t0, p, t0.Add(30*time.Millisecond), true)
	assert.True(t, got.Equal(t0.Add(p)), "late by 30ms: next at %v, want %v", got.Sub(t0), p)
	// More than a period behind: run at once rather than in a burst.
	got = nextRun(t0, p, t0.Add(2500*time.Millisecond), true)
	assert.True(t, got.Equal(t0.Add(2500*time.Millisecond)), "behind: next at %v, want now", got.Sub(t0))
	// After a failure the backoff counts from now.
	got = nextRun(t0, 4*p, t0.Add(300*time.Millisecond), false)
	assert.True(t, got.Equal(t0.Add(4300*time.Millisecond)), "backoff: next at %v, want 4.3s", got.Sub(t0))
}

func TestEarliest(t *testing.T) {
	a, b := time.Unix(10, 0), time.Unix(20, 0)
	assert.True(t, earliest(a, b).Equal(a), "earliest picked the later time")
	assert.True(t, earliest(b, a).Equal(a), "earliest picked the later time")
}
