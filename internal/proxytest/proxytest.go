// Package proxytest is a loopback SOCKS5 and HTTP CONNECT proxy for tests
// of connections that go through a proxy: it relays to the address asked
// for and counts the tunnels, so that a test can tell the traffic went
// through it.
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
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
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
