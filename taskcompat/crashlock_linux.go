package taskcompat

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// fileLockSession is the SQLite lock session: byte-range locks on a sidecar
// file beside the database, one byte per group and term. They are open file
// description locks, so they belong to this open file (not to the process as
// POSIX locks do, which any close would drop) and the kernel releases them
// when the process dies, however it dies.
type fileLockSession struct {
	f     *os.File
	group int64
}

// filePoll is how often a standby retries a file lock while it waits: no
// statement, no round trip, a system call.
const filePoll = 20 * time.Millisecond

// polling counts the waits polling a held file lock in this process (tests
// wait for it).
var polling atomic.Int64

func openFileLockSession(dbPath, group string) (lockSession, error) {
	f, err := os.OpenFile(dbPath+"-ftpcoord.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &fileLockSession{f: f, group: groupKey(group)}, nil
}

func (s *fileLockSession) lk(typ int16, term int64) *unix.Flock_t {
	return &unix.Flock_t{Type: typ, Whence: 0, Start: s.group<<31 | termKey(term), Len: 1}
}

func (s *fileLockSession) acquire(_ context.Context, term int64) (bool, error) {
	err := unix.FcntlFlock(s.f.Fd(), unix.F_OFD_SETLK, s.lk(unix.F_WRLCK, term))
	if err == unix.EAGAIN || err == unix.EACCES {
		return false, nil
	}
	return err == nil, err
}

func (s *fileLockSession) release(_ context.Context, term int64) error {
	return unix.FcntlFlock(s.f.Fd(), unix.F_OFD_SETLK, s.lk(unix.F_UNLCK, term))
}

func (s *fileLockSession) wait(ctx context.Context, term int64, began func()) (bool, error) {
	probe := s.lk(unix.F_WRLCK, term)
	if err := unix.FcntlFlock(s.f.Fd(), unix.F_OFD_GETLK, probe); err != nil {
		return false, err
	}
	if probe.Type == unix.F_UNLCK {
		return false, nil // nobody else holds it
	}
	began()
	polling.Add(1)
	defer polling.Add(-1)
	t := time.NewTicker(filePoll)
	defer t.Stop()
	for {
		ok, err := s.acquire(ctx, term)
		if ok || err != nil {
			return ok, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

func (s *fileLockSession) exec(context.Context, string, ...any) (int64, error) {
	return 0, errNoSessionLocks
}

func (s *fileLockSession) close() { s.f.Close() }

// acquireAt takes the byte at offset without waiting (member locks).
func (s *fileLockSession) acquireAt(offset int64) (bool, error) {
	err := unix.FcntlFlock(s.f.Fd(), unix.F_OFD_SETLK, &unix.Flock_t{Type: unix.F_WRLCK, Start: offset, Len: 1})
	if err == unix.EAGAIN || err == unix.EACCES {
		return false, nil
	}
	return err == nil, err
}

// heldAt reports whether another open file holds the byte at offset.
func (s *fileLockSession) heldAt(offset int64) (bool, error) {
	probe := &unix.Flock_t{Type: unix.F_WRLCK, Start: offset, Len: 1}
	if err := unix.FcntlFlock(s.f.Fd(), unix.F_OFD_GETLK, probe); err != nil {
		return false, err
	}
	return probe.Type != unix.F_UNLCK, nil
}
