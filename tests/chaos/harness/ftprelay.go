package harness

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ftpRelay relays plain FTP to a server, data connections included: it
// rewrites the server's EPSV and PASV replies to a one-shot relay of its
// own, so that a cut (a server restart) ends the listings and transfers in
// flight too, not only the control connections.
type ftpRelay struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	refuse bool
	conns  map[io.Closer]struct{} // open connections and pending data listeners
	wg     sync.WaitGroup
	closed bool
}

func startFTPRelay(target string) (*ftpRelay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &ftpRelay{ln: ln, target: target, conns: map[io.Closer]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Port is the relay's port on 127.0.0.1.
func (r *ftpRelay) Port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// Cut closes every connection (control and data) and refuses new ones.
func (r *ftpRelay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = true
	for c := range r.conns {
		c.Close()
	}
}

// Restore lets connections through again.
func (r *ftpRelay) Restore() {
	r.mu.Lock()
	r.refuse = false
	r.mu.Unlock()
}

// Close stops the relay.
func (r *ftpRelay) Close() {
	r.ln.Close()
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.Cut()
	r.wg.Wait()
}

// track registers c; false when the relay refuses connections now.
func (r *ftpRelay) track(c io.Closer) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse || r.closed {
		c.Close()
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *ftpRelay) untrack(c io.Closer) {
	c.Close()
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

func (r *ftpRelay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		if !r.track(c) {
			continue
		}
		r.wg.Add(1)
		go r.control(c)
	}
}

var (
	epsvReply = regexp.MustCompile(`^229 .*\(\|\|\|(\d+)\|\)`)
	pasvReply = regexp.MustCompile(`^227 .*\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)`)
)

// control relays one control connection, rewriting passive-mode replies.
func (r *ftpRelay) control(c net.Conn) {
	defer r.wg.Done()
	defer r.untrack(c)
	u, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil || !r.track(u) {
		return
	}
	defer r.untrack(u)
	go func() {
		io.Copy(u, c)
		u.Close()
	}()
	host, _, _ := net.SplitHostPort(r.target)
	br := bufio.NewReader(u)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if m := epsvReply.FindStringSubmatch(line); m != nil {
				if p, ok := r.dataRelay(net.JoinHostPort(host, m[1])); ok {
					line = strings.Replace(line, "|||"+m[1]+"|", "|||"+strconv.Itoa(p)+"|", 1)
				}
			} else if m := pasvReply.FindStringSubmatch(line); m != nil {
				hi, _ := strconv.Atoi(m[5])
				lo, _ := strconv.Atoi(m[6])
				addr := net.JoinHostPort(strings.Join(m[1:5], "."), strconv.Itoa(hi*256+lo))
				if p, ok := r.dataRelay(addr); ok {
					line = pasvReply.ReplaceAllString(line, fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)", p/256, p%256))
				}
			}
			if _, werr := io.WriteString(c, line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// dataRelay listens for the one data connection of a passive-mode
// transfer and relays it to target; it returns its port.
func (r *ftpRelay) dataRelay(target string) (int, bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil || !r.track(ln) {
		return 0, false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
		c, err := ln.Accept()
		r.untrack(ln)
		if err != nil || !r.track(c) {
			return
		}
		defer r.untrack(c)
		u, err := net.DialTimeout("tcp", target, 5*time.Second)
		if err != nil || !r.track(u) {
			return
		}
		defer r.untrack(u)
		done := make(chan struct{})
		go func() {
			io.Copy(u, c)
			if tc, ok := u.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			close(done)
		}()
		io.Copy(c, u)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		<-done
	}()
	return ln.Addr().(*net.TCPAddr).Port, true
}
