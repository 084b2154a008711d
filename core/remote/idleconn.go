package remote

import (
	"net"
	"time"
)

// deadlineConn bounds each wait of a read or a write (ballerina/ftp's
// socketConfig): a server that stops answering fails the command after
// timeout instead of holding it forever. Time spent between calls (an idle
// session in the pool, a handler that reads slowly) does not count.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func withIdleTimeout(c net.Conn, timeout time.Duration) net.Conn {
	if timeout <= 0 || c == nil {
		return c
	}
	return &deadlineConn{Conn: c, timeout: timeout}
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}
