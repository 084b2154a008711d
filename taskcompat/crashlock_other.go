//go:build !linux

package taskcompat

import "sync/atomic"

// SQLite's crash signal needs open file description locks (Linux): elsewhere
// an SQLite group keeps the heartbeat rule only.
func openFileLockSession(dbPath, group string) (lockSession, error) {
	return nil, errNoSessionLocks
}

// polling counts waits polling a file lock: none here.
var polling atomic.Int64
