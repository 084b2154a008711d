// Package fakeftp is a scripted FTP server for tests of hostile behaviour:
// plain FTP on loopback, LIST and RETR over passive data connections, any
// user and password, no features (so clients use PASV and LIST). What
// LIST and RETR send is the test's: a listing can drip or never end, a
// transfer can stall half-way.
package fakeftp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// Server answers on Host:Port.
type Server struct {
	Host string
	Port int

	mu   sync.Mutex
	list func(w io.Writer) error
	retr func(name string, w io.Writer) error
	size func(name string) (int64, bool)
	ln   net.Listener
}

// Start serves until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, ln: ln,
		list: func(io.Writer) error { return nil }}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conns.Delete(c)
				defer c.Close()
				s.serve(c, &conns)
			}()
		}
	}()
	return s
}

// SetList makes LIST answer what fn writes (Unix `ls -l` lines).
func (s *Server) SetList(fn func(w io.Writer) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = fn
}

// SetRetr makes RETR of a name answer what fn writes.
func (s *Server) SetRetr(fn func(name string, w io.Writer) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retr = fn
}

// SetSize makes SIZE of a name answer a size (false: 550).
func (s *Server) SetSize(fn func(name string) (int64, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size = fn
}

func (s *Server) serve(c net.Conn, conns *sync.Map) {
	r := bufio.NewReader(c)
	reply := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	reply("220 fakeftp")
	var pasv net.Listener
	defer func() {
		if pasv != nil {
			pasv.Close()
		}
	}()
	// transfer sends one data connection's content.
	transfer := func(send func(io.Writer) error) {
		if pasv == nil {
			reply("425 use PASV first")
			return
		}
		dc, err := pasv.Accept()
		pasv.Close()
		pasv = nil
		if err != nil {
			reply("425 no data connection")
			return
		}
		conns.Store(dc, true)
		reply("150 here it comes")
		err = send(dc)
		dc.Close()
		conns.Delete(dc)
		if err != nil {
			reply("426 %v", err)
			return
		}
		reply("226 done")
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		s.mu.Lock()
		list, retr, size := s.list, s.retr, s.size
		s.mu.Unlock()
		switch strings.ToUpper(cmd) {
		case "USER":
			reply("331 password please")
		case "PASS":
			reply("230 logged in")
		case "TYPE", "NOOP", "OPTS":
			reply("200 ok")
		case "PWD":
			reply(`257 "/"`)
		case "CWD":
			reply("250 ok")
		case "PASV":
			if pasv != nil {
				pasv.Close()
			}
			pasv, err = net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				reply("421 %v", err)
				return
			}
			p := pasv.Addr().(*net.TCPAddr).Port
			reply("227 Entering Passive Mode (127,0,0,1,%d,%d)", p>>8, p&0xff)
		case "LIST":
			transfer(list)
		case "RETR":
			if retr == nil {
				reply("550 no such file")
				continue
			}
			name := arg[strings.LastIndex(arg, "/")+1:]
			transfer(func(w io.Writer) error { return retr(name, w) })
		case "SIZE":
			name := arg[strings.LastIndex(arg, "/")+1:]
			if size == nil {
				reply("550 no such file")
			} else if n, ok := size(name); ok {
				reply("213 %d", n)
			} else {
				reply("550 no such file")
			}
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}
