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
		if p.mode != Pass { // switched while dialing
			p.mu.Unlock()
			u.Close()
		} else {
			l.upstream = u
			p.mu.Unlock()
			done := make(chan struct{}, 2)
			go func() { io.Copy(u, l.client); u.Close(); done <- struct{}{} }()
			go func() { io.Copy(l.client, u); done <- struct{}{} }()
			<-done
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
