// Package proxytest is a loopback SOCKS5 and HTTP CONNECT proxy for tests
// of connections that go through a proxy: it relays to the address asked
// for and counts the tunnels, so that a test can tell the traffic went
// through it. It can also cut a tunnel mid-way and tell what clients sent,
// so that an FTP data connection (which goes through the proxy like the
// control connection) can be cut mid-transfer and the commands that
// followed checked on the wire.
package proxytest

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is one running proxy.
type Proxy struct {
	Addr string // 127.0.0.1:port
	// User and Password, when set, are required (SOCKS5 user/password,
	// HTTP Basic).
	User, Password string

	socks   bool
	ln      net.Listener
	tunnels atomic.Int64
	refused atomic.Int64
	wg      sync.WaitGroup

	cutAfter atomic.Int64 // armed cut: relay this many bytes down, then close; 0 = none
	cuts     atomic.Int64

	mu   sync.Mutex
	sent []sentTo // what clients sent, per tunnel, in the order tunnels opened
}

// sentTo is the start of what a client sent through one tunnel.
type sentTo struct {
	target string
	b      *tapBuffer
}

// tapLimit bounds what is kept of each tunnel's client bytes: enough for
// an FTP control connection's commands, not an upload.
const tapLimit = 64 << 10

type tapBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tapBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := tapLimit - len(t.b); room > 0 {
		t.b = append(t.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// SOCKS5 starts a SOCKS5 proxy, stopped at the end of the test.
func SOCKS5(t testing.TB, user, password string) *Proxy { return start(t, true, user, password) }

// HTTP starts an HTTP CONNECT proxy, stopped at the end of the test.
func HTTP(t testing.TB, user, password string) *Proxy { return start(t, false, user, password) }

func start(t testing.TB, socks bool, user, password string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), User: user, Password: password, socks: socks, ln: ln}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// Port is the proxy's port.
func (p *Proxy) Port() int {
	_, port, _ := net.SplitHostPort(p.Addr)
	n, _ := strconv.Atoi(port)
	return n
}

// Tunnels is how many connections the proxy relayed.
func (p *Proxy) Tunnels() int64 { return p.tunnels.Load() }

// Refused is how many clients failed its login.
func (p *Proxy) Refused() int64 { return p.refused.Load() }

// CutDownstreamAfter arms one cut: the first tunnel that carries more than
// n bytes from the server relays exactly n of them, then the proxy closes
// both of its sides, as a network that fails mid-transfer. Tunnels that
// carry less (an FTP control connection, a short listing) pass untouched.
func (p *Proxy) CutDownstreamAfter(n int64) { p.cutAfter.Store(n) }

// Cuts is how many tunnels the proxy cut.
func (p *Proxy) Cuts() int64 { return p.cuts.Load() }

// Sent is what clients sent through the tunnels to target (host:port), the
// tunnels one after the other in the order they opened, the first 64 KiB
// of each.
func (p *Proxy) Sent(target string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, s := range p.sent {
		if s.target == target {
			s.b.mu.Lock()
			out = append(out, s.b.b...)
			s.b.mu.Unlock()
		}
	}
	return string(out)
}

// down relays the server's bytes to the client, cutting the tunnel where
// an armed cut says.
func (p *Proxy) down(c, up net.Conn) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := up.Read(buf)
		if k > 0 {
			chunk := buf[:k]
			if at := p.cutAfter.Load(); at > 0 && n+int64(k) > at && p.cutAfter.CompareAndSwap(at, 0) {
				c.Write(chunk[:at-n])
				p.cuts.Add(1)
				c.Close()
				up.Close()
				return
			}
			n += int64(k)
			if _, werr := c.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var target string
			var ok bool
			br := bufio.NewReader(c)
			if p.socks {
				target, ok = p.socksHandshake(br, c)
			} else {
				target, ok = p.connectHandshake(br, c)
			}
			if !ok {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				if p.socks {
					c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
				} else {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
				}
				return
			}
			defer up.Close()
			if p.socks {
				c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
			} else {
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			}
			p.tunnels.Add(1)
			tap := &tapBuffer{}
			p.mu.Lock()
			p.sent = append(p.sent, sentTo{target: target, b: tap})
			p.mu.Unlock()
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, io.TeeReader(br, tap)); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			go func() { p.down(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			<-done
			<-done
		}()
	}
}

func (p *Proxy) socksHandshake(br *bufio.Reader, c net.Conn) (string, bool) {
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil || head[0] != 5 {
		return "", false
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return "", false
	}
	want := byte(0)
	if p.User != "" {
		want = 2
	}
	offered := false
	for _, m := range methods {
		offered = offered || m == want
	}
	if !offered {
		c.Write([]byte{5, 0xff})
		p.refused.Add(1)
		return "", false
	}
	c.Write([]byte{5, want})
	if want == 2 {
		readField := func() string {
			n, _ := br.ReadByte()
			b := make([]byte, n)
			io.ReadFull(br, b)
			return string(b)
		}
		br.ReadByte() // version 1
		u, pw := readField(), readField()
		if u != p.User || pw != p.Password {
			c.Write([]byte{1, 1})
			p.refused.Add(1)
			return "", false
		}
		c.Write([]byte{1, 0})
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(br, req); err != nil || req[1] != 1 {
		return "", false
	}
	var host string
	switch req[3] {
	case 1, 4:
		ip := make([]byte, map[byte]int{1: 4, 4: 16}[req[3]])
		io.ReadFull(br, ip)
		host = net.IP(ip).String()
	case 3:
		n, _ := br.ReadByte()
		b := make([]byte, n)
		io.ReadFull(br, b)
		host = string(b)
	default:
		return "", false
	}
	port := make([]byte, 2)
	if _, err := io.ReadFull(br, port); err != nil {
		return "", false
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port)))), true
}

func (p *Proxy) connectHandshake(br *bufio.Reader, c net.Conn) (string, bool) {
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return "", false
	}
	if p.User != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.User+":"+p.Password))
		if req.Header.Get("Proxy-Authorization") != want {
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n")
			p.refused.Add(1)
			return "", false
		}
	}
	return req.Host, true
}
