package taskcompat

// HeartbeatCurrent reports whether this member's last successful heartbeat
// is recent enough that no peer may yet take it for dead: younger than the
// self-fence interval (livenessCheckInterval - heartbeatFrequency), whatever
// the member's role. In shared mode, where every member processes files, a
// member that is not current starts and commits nothing: the others reclaim
// its claims once its heartbeat is stale (a process that was paused, or cut
// off from its database). A member that stepped aside (StepAside) is not
// current either: its row is gone, and so is its claim to the work.
func (c *Coordinator) HeartbeatCurrent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.lastHBOK.IsZero() && c.since(c.lastHBOK) < c.fenceAfter && !c.asideLocked() && c.memberStanding()
}
