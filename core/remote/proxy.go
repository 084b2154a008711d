package remote

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Proxy is ballerina/ftp's proxy: connections to the server go through an
// HTTP CONNECT or SOCKS5 proxy (RFC 1928, with RFC 1929 user and password).
type Proxy struct {
	Type     string // "HTTP" or "SOCKS5"
	Addr     string // host:port of the proxy
	User     string // optional
	Password string
}

// ErrProxy marks a proxy that refused or failed a connection.
var ErrProxy = errors.New("proxy")

// DialContext opens a TCP connection to addr through the proxy.
func (p *Proxy) DialContext(ctx context.Context, d *net.Dialer, addr string) (net.Conn, error) {
	c, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot connect to the %s proxy %s: %w", ErrProxy, p.Type, p.Addr, err)
	}
	// The handshake is bounded by ctx too.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	switch strings.ToUpper(p.Type) {
	case "SOCKS5":
		err = p.socks5(c, addr)
	case "HTTP", "":
		c, err = p.connect(c, addr)
	default:
		err = fmt.Errorf("type %q: use HTTP or SOCKS5", p.Type)
	}
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w %s: to %s: %w", ErrProxy, p.Addr, addr, err)
	}
	return c, nil
}

func (p *Proxy) socks5(c net.Conn, addr string) error {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	method := byte(0x00) // no authentication
	if p.User != "" {
		method = 0x02 // user and password
	}
	if _, err := c.Write([]byte{5, 1, method}); err != nil {
		return err
	}
	var reply [2]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		return fmt.Errorf("socks5 greeting: %w", err)
	}
	if reply[0] != 5 || reply[1] != method {
		return fmt.Errorf("socks5: the proxy refused the authentication method (it answered %d): check proxy.auth", reply[1])
	}
	if method == 0x02 {
		if len(p.User) > 255 || len(p.Password) > 255 {
			return errors.New("socks5: user or password longer than 255 bytes")
		}
		msg := append([]byte{1, byte(len(p.User))}, p.User...)
		msg = append(append(msg, byte(len(p.Password))), p.Password...)
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, reply[:]); err != nil {
			return fmt.Errorf("socks5 login: %w", err)
		}
		if reply[1] != 0 {
			return fmt.Errorf("socks5: the proxy refused the login of %q: check proxy.auth", p.User)
		}
	}
	req := []byte{5, 1, 0}
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		req = append(append(req, 1), ip.To4()...)
	} else if ip != nil {
		req = append(append(req, 4), ip.To16()...)
	} else {
		if len(host) > 255 {
			return errors.New("socks5: host name longer than 255 bytes")
		}
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = append(req, byte(port>>8), byte(port))
	if _, err := c.Write(req); err != nil {
		return err
	}
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return fmt.Errorf("socks5 connect: %w", err)
	}
	if head[1] != 0 {
		return fmt.Errorf("socks5: the proxy could not connect (reply %d)", head[1])
	}
	var skip int
	switch head[3] {
	case 1:
		skip = 4
	case 4:
		skip = 16
	case 3:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return err
		}
		skip = int(n[0])
	default:
		return fmt.Errorf("socks5: bad address type %d in the reply", head[3])
	}
	_, err = io.ReadFull(c, make([]byte, skip+2)) // bound address and port
	return err
}

func (p *Proxy) connect(c net.Conn, addr string) (net.Conn, error) {
	req := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if p.User != "" {
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(p.User+":"+p.Password)) + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return c, err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return c, fmt.Errorf("http connect: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode == http.StatusProxyAuthRequired {
			return c, fmt.Errorf("http connect: %s: check proxy.auth", resp.Status)
		}
		return c, fmt.Errorf("http connect: %s", resp.Status)
	}
	if br.Buffered() > 0 { // the server spoke first (an FTP greeting): keep it
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

// bufferedConn reads what the proxy's reply reader already buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
