package taskcompat

// Self-fencing: an active member that cannot heartbeat steps down before anyone
// may take over.

import (
	"fmt"
	"time"
)

// fenceAfter is how long an active member may go without a successful
// heartbeat before it steps down: livenessCheckInterval - heartbeatFrequency,
// but never so short that one late heartbeat fences a healthy member (with
// livenessCheckInterval 2 s and heartbeatFrequency 1 s that would be exactly
// one period). Either way it ends before anyone may take over: a standby needs
// the heartbeat to be more than livenessCheckInterval old.
func fenceAfter(liveness, heartbeat time.Duration) time.Duration {
	return max(liveness-heartbeat, (liveness+heartbeat)/2)
}

// armFenceLocked (re)sets the self-fence: an active member whose heartbeat
// has not succeeded for fenceAfter steps down before a standby may consider
// it dead.
func (c *Coordinator) armFenceLocked() {
	if c.state.Role != Active {
		return
	}
	wait := c.until(c.fenceDeadlineLocked())
	if c.fence == nil {
		c.fence = c.clk.AfterFunc(wait, c.selfFence)
	} else {
		c.fence.Reset(wait)
	}
}

func (c *Coordinator) selfFence() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Role != Active {
		return
	}
	if !c.fenceIfDueLocked() {
		c.fence.Reset(c.until(c.fenceDeadlineLocked())) // renewed after the timer fired
	}
}

// fenceIfDueLocked steps down when the fence deadline has passed; c.mu must
// be held. Reading the role checks the deadline too, not only the fence
// timer: a process that was paused past the deadline (SIGSTOP, a suspended
// VM, a long stall) wakes with the timer's callback and its own workers
// racing, and no worker may see it active after the deadline.
func (c *Coordinator) fenceIfDueLocked() bool {
	if c.state.Role != Active || c.now().Before(c.fenceDeadlineLocked()) {
		return false
	}
	c.stats.SelfFences++
	c.stepDownLocked(fmt.Sprintf("self-fenced: last successful heartbeat %v ago, last successful check %v ago (livenessCheckInterval %v - heartbeatFrequency %v)",
		c.since(c.lastHBOK).Round(time.Millisecond), c.since(c.lastCheckOK).Round(time.Millisecond), c.liveness, c.heartbeat), time.Time{})
	return true
}

// fenceDeadlineLocked is when an active member must step down unless it
// heartbeats or checks successfully again. Heartbeats decide when others may
// take over; checks tell whether someone did, so they get one checkPeriod
// more.
func (c *Coordinator) fenceDeadlineLocked() time.Time {
	hb := c.lastHBOK.Add(c.fenceAfter)
	check := c.lastCheckOK.Add(c.checkPeriod + c.fenceAfter)
	return earliest(hb, check)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
