package taskcompat

import (
	"context"
	"time"
)

// StopFenceTimer stops c's self-fence timer, as a paused process's timer
// has not run yet when it wakes: tests then see whether reading the role
// fences by itself.
func StopFenceTimer(c *Coordinator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fence != nil {
		c.fence.Stop()
	}
}

// AgeHeartbeat makes c's last successful heartbeat d older, as a heartbeat
// statement that ran for d would (its time is the statement's start).
func AgeHeartbeat(c *Coordinator, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastHBOK = c.lastHBOK.Add(-d)
}

// Tick runs one round of c's loop by hand.
func Tick(c *Coordinator, ctx context.Context, heartbeat, check bool) { c.tick(ctx, heartbeat, check) }

// UTCOffset writes an offset as the coordinator's logs do (UTC+05:30).
func UTCOffset(d time.Duration) string { return utcOffset(d) }
