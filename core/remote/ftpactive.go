package remote

// FTP active mode (EPRT/PORT) for servers and firewalls that refuse passive
// data connections. The FTP library only speaks passive mode, so the control
// connection is wrapped: the library's EPSV or PASV goes out as EPRT or PORT
// naming a listener of ours, the server's 200 comes back to the library as
// the passive answer it expects, and its "dial" of that address accepts the
// server's connection instead. Only the server's own address may connect.
// The wrapper sees the control connection in clear, so active mode works
// with plain FTP and implicit FTPS, not explicit FTPS (AUTH TLS wraps the
// connection inside the library, past the wrapper).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// activeControl is the wrapped control connection.
type activeControl struct {
	net.Conn
	r       *bufio.Reader
	timeout time.Duration
	pending []byte       // a rewritten reply the library reads next
	asked   string       // "EPSV" or "PASV" while its stand-in's reply is awaited
	ln      net.Listener // the listener named by the last EPRT/PORT
	data    *acceptConn  // the last data connection handed out
	wmu     sync.Mutex
}

func newActiveControl(c net.Conn, timeout time.Duration) *activeControl {
	return &activeControl{Conn: c, r: bufio.NewReader(c), timeout: timeout}
}

func (a *activeControl) Write(b []byte) (int, error) {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	cmd := strings.ToUpper(strings.TrimSpace(string(b)))
	if cmd != "EPSV" && cmd != "PASV" {
		return a.Conn.Write(b)
	}
	local, ok := a.Conn.LocalAddr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("ftp active mode: the control connection has no TCP address")
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: local.IP})
	if err != nil {
		return 0, fmt.Errorf("ftp active mode: listen for the data connection: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	var out string
	if ip4 := local.IP.To4(); cmd == "PASV" && ip4 != nil {
		out = fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d\r\n", ip4[0], ip4[1], ip4[2], ip4[3], port>>8, port&0xff)
	} else {
		proto := 1
		if local.IP.To4() == nil {
			proto = 2
		}
		out = fmt.Sprintf("EPRT |%d|%s|%d|\r\n", proto, local.IP.String(), port)
	}
	if _, err := a.Conn.Write([]byte(out)); err != nil {
		ln.Close()
		return 0, err
	}
	if a.ln != nil {
		a.ln.Close()
	}
	a.ln, a.asked = ln, cmd
	return len(b), nil
}

func (a *activeControl) Read(b []byte) (int, error) {
	if len(a.pending) == 0 && a.asked != "" {
		reply, err := readReply(a.r)
		if err != nil {
			return 0, err
		}
		asked := a.asked
		a.asked = ""
		a.pending = reply
		if bytes.HasPrefix(reply, []byte("200")) {
			port := a.ln.Addr().(*net.TCPAddr).Port
			if asked == "EPSV" {
				a.pending = fmt.Appendf(nil, "229 Entering Extended Passive Mode (|||%d|)\r\n", port)
			} else {
				a.pending = fmt.Appendf(nil, "227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n", port>>8, port&0xff)
			}
		} else { // refused: the library sees the refusal of its EPSV/PASV
			a.ln.Close()
			a.ln = nil
		}
	}
	if len(a.pending) == 0 {
		// Line by line, to see the server's 125/150: it is connecting to
		// the data port now, even for a transfer that will send nothing.
		line, err := a.r.ReadBytes('\n')
		if len(line) == 0 {
			return 0, err
		}
		if a.data != nil && (bytes.HasPrefix(line, []byte("125")) || bytes.HasPrefix(line, []byte("150"))) {
			a.data.coming.Store(true)
		}
		a.pending = line
	}
	n := copy(b, a.pending)
	a.pending = a.pending[n:]
	return n, nil
}

// readReply reads one whole reply, multi-line ones included.
func readReply(r *bufio.Reader) ([]byte, error) {
	var all []byte
	var code []byte
	for {
		line, err := r.ReadBytes('\n')
		all = append(all, line...)
		if err != nil {
			return nil, err
		}
		if code == nil && len(line) >= 4 {
			code = line[:3]
			if line[3] != '-' {
				return all, nil
			}
			continue
		}
		if len(line) >= 4 && bytes.Equal(line[:3], code) && line[3] == ' ' {
			return all, nil
		}
	}
}

// take hands the data connection the library is about to "dial": the
// server's connection to the listener, accepted at its first use (the
// server connects only once the transfer command is sent).
func (a *activeControl) take() (net.Conn, error) {
	if a.ln == nil {
		return nil, errors.New("ftp active mode: no data port was announced")
	}
	ln := a.ln
	a.ln = nil
	want, _ := a.Conn.RemoteAddr().(*net.TCPAddr)
	a.data = &acceptConn{ln: ln.(*net.TCPListener), from: want, timeout: a.timeout}
	return a.data, nil
}

// acceptConn is a data connection that the server opens to us.
type acceptConn struct {
	ln      *net.TCPListener
	from    *net.TCPAddr
	timeout time.Duration
	once    sync.Once
	mu      sync.Mutex
	c       net.Conn
	err     error
	closed  bool
	coming  atomic.Bool // the server said it opens the connection (125/150)
}

func (a *acceptConn) conn() (net.Conn, error) {
	a.once.Do(func() {
		a.ln.SetDeadline(time.Now().Add(a.timeout))
		for {
			c, err := a.ln.Accept()
			if err != nil {
				a.err = fmt.Errorf("ftp active mode: the server did not connect to %s: %w", a.ln.Addr(), err)
				break
			}
			if ra, ok := c.RemoteAddr().(*net.TCPAddr); ok && a.from != nil && !ra.IP.Equal(a.from.IP) {
				c.Close() // not the server: someone else found the port
				continue
			}
			a.mu.Lock()
			if a.closed {
				c.Close()
				a.err = net.ErrClosed
			} else {
				a.c = c
			}
			a.mu.Unlock()
			break
		}
		a.ln.Close()
	})
	return a.c, a.err
}

func (a *acceptConn) Read(b []byte) (int, error) {
	c, err := a.conn()
	if err != nil {
		return 0, err
	}
	return c.Read(b)
}

func (a *acceptConn) Write(b []byte) (int, error) {
	c, err := a.conn()
	if err != nil {
		return 0, err
	}
	return c.Write(b)
}

func (a *acceptConn) Close() error {
	if a.coming.Load() {
		a.conn() // an empty transfer: the server still connects, and must be met
	}
	a.mu.Lock()
	a.closed = true
	c := a.c
	a.mu.Unlock()
	a.ln.Close()
	if c != nil {
		return c.Close()
	}
	return nil
}

func (a *acceptConn) LocalAddr() net.Addr { return a.ln.Addr() }
func (a *acceptConn) RemoteAddr() net.Addr {
	if a.from != nil {
		return a.from
	}
	return a.ln.Addr()
}

// Deadlines apply to the accepted connection; before it exists, the
// accept has its own timeout.
func (a *acceptConn) SetDeadline(t time.Time) error {
	if c, _ := a.peek(); c != nil {
		return c.SetDeadline(t)
	}
	return nil
}
func (a *acceptConn) SetReadDeadline(t time.Time) error {
	if c, _ := a.peek(); c != nil {
		return c.SetReadDeadline(t)
	}
	return nil
}
func (a *acceptConn) SetWriteDeadline(t time.Time) error {
	if c, _ := a.peek(); c != nil {
		return c.SetWriteDeadline(t)
	}
	return nil
}

func (a *acceptConn) peek() (net.Conn, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.c, nil
}
