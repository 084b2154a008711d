// Package tcpproxy is a loopback TCP relay for tests that cut the network
// between a member and its database (or, later, its FTP server).
package tcpproxy

import (
	"io"
	"net"
	"sync"
)

// Mode is what the proxy does with traffic.
type Mode int

// The modes of a Proxy.
const (
	Pass      Mode = iota // relay both ways
	Blackhole             // keep client connections open, forward nothing (a partition)
	Refuse                // close every connection, accept none (a dead host)
	// Partition keeps both sides of every connection open and forwards
	// nothing: neither the client nor the server hears of the cut (Blackhole
	// closes the server's side, which ends the client's database session).
	Partition
)

// Proxy relays 127.0.0.1:<random port> to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  Mode
	links map[*link]struct{}
	wg    sync.WaitGroup
}

// link is one client connection and, while relaying, its upstream.
type link struct {
	client, upstream net.Conn
	frozen           bool // partitioned: nothing crosses, no close either; guarded by Proxy.mu
}

// Start listens on a free loopback port and relays to target.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's own address.
func (p *Proxy) Addr() *net.TCPAddr { return p.ln.Addr().(*net.TCPAddr) }

// SetMode switches the mode for open and new connections: Blackhole drops the
// upstream of every open relay and leaves its client hanging; Refuse closes
// everything.
func (p *Proxy) SetMode(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for l := range p.links {
		switch m {
		case Blackhole:
			if l.upstream != nil {
				l.upstream.Close()
			}
		case Partition:
			l.frozen = true
		case Refuse:
			l.client.Close()
			if l.upstream != nil {
				l.upstream.Close()
			}
		}
	}
}

// Close stops the proxy and every relay.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.SetMode(Refuse)
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.mode == Refuse {
			p.mu.Unlock()
			c.Close()
			continue
		}
		l := &link{client: c}
		p.links[l] = struct{}{}
		blackhole := p.mode == Blackhole
		p.wg.Add(1)
		p.mu.Unlock()
		go p.relay(l, blackhole)
	}
}

func (p *Proxy) relay(l *link, blackhole bool) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
		l.client.Close()
	}()
	if !blackhole {
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.mode == Partition { // a new connection into a partition hangs
			p.mu.Unlock()
			u.Close()
			io.Copy(io.Discard, l.client)
			return
		}
		if p.mode != Pass { // switched while dialing
			p.mu.Unlock()
			u.Close()
		} else {
			l.upstream = u
			p.mu.Unlock()
			done := make(chan struct{}, 2)
			go func() { p.copy(l, u, l.client); done <- struct{}{} }()
			go func() { p.copy(l, l.client, u); done <- struct{}{} }()
			<-done
			if p.isFrozen(l) {
				// The client gave up; the server must not hear of it
				// until the proxy closes.
				<-done
				return
			}
			u.Close()
		}
		p.mu.Lock()
		blackhole = p.mode == Blackhole
		p.mu.Unlock()
		if !blackhole {
			return
		}
	}
	// Blackholed: swallow what the client sends and never answer, until
	// the client or Close gives up.
	io.Copy(io.Discard, l.client)
}

func (p *Proxy) isFrozen(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return l.frozen
}

// copy relays src to dst, dropping everything once the link is frozen.
func (p *Proxy) copy(l *link, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.isFrozen(l) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !p.isFrozen(l) {
				dst.Close()
			}
			return
		}
	}
}
