// Package fakesftp is an SFTP server for tests of hostile behaviour: it
// serves one directory of scripted entries over SSH on loopback (password
// login, a fresh host key in a known_hosts file), and lets a test make it
// do what no sane server does: list a negative size, list without end,
// stall a read.
package fakesftp

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// File is one entry of the served directory.
type File struct {
	Name    string
	Size    int64 // as listed; negative goes on the wire as a huge unsigned size
	Content []byte
	ModTime time.Time
	IsDir   bool
}

// Server serves Dir.
type Server struct {
	Host       string
	Port       int
	KnownHosts string // a known_hosts file holding the server's key
	User       string
	Password   string
	Dir        string

	mu    sync.Mutex
	files []File
	list  func(ls []os.FileInfo, offset int64) (int, error)
	read  func(name string, p []byte, off int64) (int, error)
	ln    net.Listener
}

// Start serves dir until the test ends.
func Start(t testing.TB, dir string) *Server {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{User: "tester", Password: "secret", Dir: dir}
	cfg := &ssh.ServerConfig{PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
		if c.User() == s.User && string(pw) == s.Password {
			return nil, nil
		}
		return nil, errors.New("refused")
	}}
	cfg.AddHostKey(signer)
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	s.KnownHosts = filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))}, signer.PublicKey())
	if err := os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		s.ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := s.ln.Accept()
			if err != nil {
				return
			}
			conns.Store(nc, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conns.Delete(nc)
				defer nc.Close()
				s.serve(nc, cfg)
			}()
		}
	}()
	return s
}

// SetFiles replaces the directory's entries.
func (s *Server) SetFiles(files ...File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = files
}

// SetLister answers the directory's listings with fn (pkg/sftp's ListerAt:
// fill ls from offset; io.EOF at the end, or never).
func (s *Server) SetLister(fn func(ls []os.FileInfo, offset int64) (int, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = fn
}

// SetReader answers reads of the files with fn (io.ReaderAt's contract).
func (s *Server) SetReader(fn func(name string, p []byte, off int64) (int, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read = fn
}

func (s *Server) serve(nc net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			return
		}
		go func() {
			for req := range creqs {
				ok := req.Type == "subsystem" && len(req.Payload) > 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
				if ok {
					go func() {
						h := handlers{s}
						srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
						srv.Serve()
						ch.Close()
					}()
				}
			}
		}()
	}
}

// Info is an os.FileInfo of a File.
type Info struct{ F File }

func (i Info) Name() string       { return i.F.Name }
func (i Info) Size() int64        { return i.F.Size }
func (i Info) ModTime() time.Time { return i.F.ModTime }
func (i Info) IsDir() bool        { return i.F.IsDir }
func (i Info) Sys() any           { return nil }
func (i Info) Mode() os.FileMode {
	if i.F.IsDir {
		return os.ModeDir | 0o755
	}
	return 0o644
}

type handlers struct{ s *Server }

func (h handlers) find(p string) (File, bool) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if path.Clean(p) == path.Clean(h.s.Dir) {
		return File{Name: path.Base(h.s.Dir), IsDir: true, ModTime: time.Now()}, true
	}
	if path.Dir(path.Clean(p)) != path.Clean(h.s.Dir) {
		return File{}, false
	}
	for _, f := range h.s.files {
		if f.Name == path.Base(p) {
			return f, true
		}
	}
	return File{}, false
}

func (h handlers) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, ok := h.find(r.Filepath)
	if !ok || f.IsDir {
		return nil, os.ErrNotExist
	}
	h.s.mu.Lock()
	read := h.s.read
	h.s.mu.Unlock()
	if read != nil {
		return readerAt(func(p []byte, off int64) (int, error) { return read(f.Name, p, off) }), nil
	}
	return bytes.NewReader(f.Content), nil
}

func (h handlers) Filewrite(*sftp.Request) (io.WriterAt, error) { return nil, os.ErrPermission }
func (h handlers) Filecmd(*sftp.Request) error                  { return nil }

func (h handlers) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		if path.Clean(r.Filepath) != path.Clean(h.s.Dir) {
			return nil, os.ErrNotExist
		}
		h.s.mu.Lock()
		list, files := h.s.list, append([]File(nil), h.s.files...)
		h.s.mu.Unlock()
		if list != nil {
			return listerAt(list), nil
		}
		infos := make([]os.FileInfo, len(files))
		for i, f := range files {
			infos[i] = Info{f}
		}
		return listerAt(func(ls []os.FileInfo, off int64) (int, error) {
			if off >= int64(len(infos)) {
				return 0, io.EOF
			}
			n := copy(ls, infos[off:])
			if off+int64(n) >= int64(len(infos)) {
				return n, io.EOF
			}
			return n, nil
		}), nil
	case "Stat", "Lstat":
		f, ok := h.find(r.Filepath)
		if !ok {
			return nil, os.ErrNotExist
		}
		return listerAt(func(ls []os.FileInfo, off int64) (int, error) {
			if off > 0 || len(ls) == 0 {
				return 0, io.EOF
			}
			ls[0] = Info{f}
			return 1, io.EOF
		}), nil
	}
	return nil, errors.New("fakesftp: " + r.Method + " is not served")
}

type listerAt func([]os.FileInfo, int64) (int, error)

func (l listerAt) ListAt(ls []os.FileInfo, off int64) (int, error) { return l(ls, off) }

type readerAt func([]byte, int64) (int, error)

func (r readerAt) ReadAt(p []byte, off int64) (int, error) { return r(p, off) }
