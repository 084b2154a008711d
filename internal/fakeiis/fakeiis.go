// Package fakeiis is a scripted FTP server for tests: it serves a local
// directory and answers LIST in a chosen dialect (Windows/IIS `dir` style,
// in each date form jlaffaye/ftp reads),
// refusing MLSD, MLST and EPSV as some IIS servers do, so that the client's
// fallbacks (LIST parsing, PASV, SIZE/MDTM) run against a real socket.
// Plain FTP on loopback only; any user and password log in.
package fakeiis

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dialect is how LIST lines are written.
type Dialect int

const (
	// IIS is IIS's default `dir` style: "MM-DD-YY  hh:mmAM  <DIR>|size name".
	IIS Dialect = iota
	// IISFourDigit is IIS with four-digit years and a 24-hour clock:
	// "MM-DD-YYYY  HH:MM  <DIR>|size name".
	IISFourDigit
	// IISFourDigit12h: four-digit years, 12-hour clock:
	// "MM-DD-YYYY  hh:mmAM  <DIR>|size name".
	IISFourDigit12h
	// ISODate: ISO dates, 24-hour clock, as some Windows servers answer:
	// "YYYY-MM-DD  HH:MM  <DIR>|size name".
	ISODate
)

// Dialects are every dialect, for tests that run on each.
var Dialects = []Dialect{IIS, IISFourDigit, IISFourDigit12h, ISODate}

func (d Dialect) String() string {
	return [...]string{"iis", "iis-4digit", "iis-4digit-12h", "iso-date"}[d]
}

// Server is one running scripted server.
type Server struct {
	root    string
	dialect Dialect
	ln      net.Listener
	wg      sync.WaitGroup
}

// Start serves root on 127.0.0.1 at a free port.
func Start(root string, d Dialect) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{root: root, dialect: d, ln: ln}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the control address.
func (s *Server) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Close stops accepting (sessions in progress end with their client).
func (s *Server) Close() error { err := s.ln.Close(); s.wg.Wait(); return err }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go (&session{srv: s, ctl: c, cwd: "/", r: bufio.NewReader(c)}).run()
	}
}

type session struct {
	srv      *Server
	ctl      net.Conn
	r        *bufio.Reader
	cwd      string
	pasv     net.Listener
	rest     int64
	rnfr     string
	loggedIn bool
}

func (s *session) reply(code int, text string) { fmt.Fprintf(s.ctl, "%d %s\r\n", code, text) }

// local maps a remote path to the served directory; it never leaves it.
func (s *session) local(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = path.Join(s.cwd, p)
	}
	return filepath.Join(s.srv.root, filepath.FromSlash(path.Clean("/"+p)))
}

func (s *session) run() {
	defer s.ctl.Close()
	defer func() {
		if s.pasv != nil {
			s.pasv.Close()
		}
	}()
	s.reply(220, "Microsoft FTP Service")
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd, arg, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		if !s.loggedIn && cmd != "USER" && cmd != "PASS" && cmd != "QUIT" && cmd != "FEAT" && cmd != "SYST" {
			s.reply(530, "User cannot log in.")
			continue
		}
		if cmd != "REST" && cmd != "RETR" && cmd != "STOR" {
			s.rest = 0
		}
		if !s.handle(cmd, arg) {
			return
		}
	}
}

func (s *session) handle(cmd, arg string) bool {
	switch cmd {
	case "USER":
		s.reply(331, "Password required")
	case "PASS":
		s.loggedIn = true
		s.reply(230, "User logged in.")
	case "SYST":
		s.reply(215, "Windows_NT")
	case "FEAT":
		fmt.Fprintf(s.ctl, "211-Extended features supported:\r\n SIZE\r\n MDTM\r\n REST STREAM\r\n UTF8\r\n211 END\r\n")
	case "OPTS", "TYPE", "MODE", "STRU":
		s.reply(200, "Command okay.")
	case "NOOP":
		s.reply(200, "NOOP command successful.")
	case "QUIT":
		s.reply(221, "Goodbye.")
		return false
	case "PWD":
		s.reply(257, strconv.Quote(s.cwd)+" is current directory.")
	case "CWD":
		p := arg
		if !strings.HasPrefix(p, "/") {
			p = path.Join(s.cwd, p)
		}
		if fi, err := os.Stat(s.local(p)); err != nil || !fi.IsDir() {
			s.reply(550, "The system cannot find the file specified.")
		} else {
			s.cwd = path.Clean("/" + p)
			s.reply(250, "CWD command successful.")
		}
	case "EPSV", "MLSD", "MLST", "EPRT":
		s.reply(500, "'"+cmd+"': command not understood")
	case "PASV":
		s.passive()
	case "REST":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			s.reply(501, "Invalid number.")
		} else {
			s.rest = n
			s.reply(350, "Restarting at "+arg+".")
		}
	case "LIST", "NLST":
		s.list(cmd, arg)
	case "RETR":
		s.retr(arg)
	case "STOR", "APPE":
		s.store(arg, cmd == "APPE")
	case "SIZE":
		if fi, err := os.Stat(s.local(arg)); err != nil || fi.IsDir() {
			s.reply(550, "The system cannot find the file specified.")
		} else {
			s.reply(213, strconv.FormatInt(fi.Size(), 10))
		}
	case "MDTM":
		if fi, err := os.Stat(s.local(arg)); err != nil {
			s.reply(550, "The system cannot find the file specified.")
		} else {
			s.reply(213, fi.ModTime().UTC().Format("20060102150405"))
		}
	case "DELE":
		s.done(removeFile(s.local(arg)), "DELE command successful.")
	case "RMD":
		s.done(os.Remove(s.local(arg)), "RMD command successful.")
	case "MKD":
		if err := os.Mkdir(s.local(arg), 0o777); err != nil {
			s.reply(550, "Cannot create a file when that file already exists.")
		} else {
			s.reply(257, strconv.Quote(arg)+" directory created.")
		}
	case "RNFR":
		if _, err := os.Stat(s.local(arg)); err != nil {
			s.reply(550, "The system cannot find the file specified.")
		} else {
			s.rnfr = arg
			s.reply(350, "Requested file action pending further information.")
		}
	case "RNTO":
		from := s.rnfr
		s.rnfr = ""
		if _, err := os.Stat(s.local(arg)); err == nil {
			s.reply(550, "Cannot create a file when that file already exists.") // as IIS: no replace
			return true
		}
		s.done(os.Rename(s.local(from), s.local(arg)), "RNTO command successful.")
	default:
		s.reply(502, "Command not implemented.")
	}
	return true
}

func removeFile(p string) error {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return fs.ErrInvalid
	}
	return os.Remove(p)
}

func (s *session) done(err error, ok string) {
	if err != nil {
		s.reply(550, "The system cannot find the file specified.")
		return
	}
	s.reply(250, ok)
}

func (s *session) passive() {
	if s.pasv != nil {
		s.pasv.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.reply(425, "Cannot open data connection.")
		return
	}
	s.pasv = ln
	p := ln.Addr().(*net.TCPAddr).Port
	s.reply(227, fmt.Sprintf("Entering Passive Mode (127,0,0,1,%d,%d).", p/256, p%256))
}

// data accepts the data connection of the PASV before it.
func (s *session) data() (net.Conn, bool) {
	if s.pasv == nil {
		s.reply(425, "Use PORT or PASV first.")
		return nil, false
	}
	ln := s.pasv
	s.pasv = nil
	defer ln.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		s.reply(425, "Cannot open data connection.")
		return nil, false
	}
	s.reply(125, "Data connection already open; Transfer starting.")
	return c, true
}

func (s *session) list(cmd, arg string) {
	if strings.HasPrefix(arg, "-") { // IIS takes no ls options
		_, arg, _ = strings.Cut(arg, " ")
	}
	dir := s.local(arg)
	ents, err := os.ReadDir(dir)
	if err != nil {
		s.reply(550, "The system cannot find the path specified.")
		return
	}
	c, ok := s.data()
	if !ok {
		return
	}
	w := bufio.NewWriter(c)
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if cmd == "NLST" {
			fmt.Fprintf(w, "%s\r\n", e.Name())
			continue
		}
		w.WriteString(s.srv.dialect.line(fi))
	}
	w.Flush()
	c.Close()
	s.reply(226, "Transfer complete.")
}

func (d Dialect) line(fi fs.FileInfo) string {
	t := fi.ModTime().UTC()
	var when string
	switch d {
	case IISFourDigit:
		when = t.Format("01-02-2006  15:04")
	case IISFourDigit12h:
		when = t.Format("01-02-2006  03:04PM")
	case ISODate:
		when = t.Format("2006-01-02  15:04")
	default:
		when = t.Format("01-02-06  03:04PM")
	}
	if fi.IsDir() {
		return fmt.Sprintf("%s       <DIR>          %s\r\n", when, fi.Name())
	}
	return fmt.Sprintf("%s %20d %s\r\n", when, fi.Size(), fi.Name())
}

func (s *session) retr(arg string) {
	f, err := os.Open(s.local(arg))
	if err != nil {
		s.reply(550, "The system cannot find the file specified.")
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		s.reply(550, "Access is denied.")
		return
	}
	if _, err := f.Seek(s.rest, io.SeekStart); err != nil {
		s.reply(550, "Bad offset.")
		return
	}
	s.rest = 0
	c, ok := s.data()
	if !ok {
		return
	}
	_, err = io.Copy(c, f)
	c.Close()
	if err != nil {
		s.reply(426, "Connection closed; transfer aborted.")
		return
	}
	s.reply(226, "Transfer complete.")
}

func (s *session) store(arg string, appendTo bool) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(s.local(arg), flags, 0o644)
	if err != nil {
		s.reply(550, "Access is denied.")
		return
	}
	defer f.Close()
	c, ok := s.data()
	if !ok {
		return
	}
	_, err = io.Copy(f, c)
	c.Close()
	if err != nil {
		s.reply(426, "Connection closed; transfer aborted.")
		return
	}
	s.reply(226, "Transfer complete.")
}
