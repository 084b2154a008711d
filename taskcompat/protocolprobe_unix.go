//go:build unix

package taskcompat

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// serverSpeaksFirst waits up to wait for the server's first bytes without
// reading them (MSG_PEEK), so the connection is handed on untouched.
// known is false when it could not tell (not a TCP connection, an error).
func serverSpeaksFirst(ctx context.Context, c net.Conn, wait time.Duration) (greets, known bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false, false
	}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tc.SetReadDeadline(deadline)
	defer tc.SetReadDeadline(time.Time{})
	b := make([]byte, 1)
	var n int
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		n, _, perr = syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK)
		return !errors.Is(perr, syscall.EAGAIN)
	})
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false, ctx.Err() == nil
	case err != nil || perr != nil:
		return false, false
	}
	return n > 0, true
}
