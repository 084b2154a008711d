package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrHostKey marks a server host key that is unknown or does not match the
// known_hosts file: retrying will not help, fixing known_hosts will.
var ErrHostKey = errors.New("sftp: host key not trusted")

// SFTPConfig says how to reach an SFTP server.
type SFTPConfig struct {
	Addr     string // host:port
	User     string
	Password string // optional
	// PrivateKeyPath is a private key file (OpenSSH or PEM), encrypted with
	// PrivateKeyPassphrase when that is set.
	PrivateKeyPath       string
	PrivateKeyPassphrase string
	// KnownHostsPath is the known_hosts file the host key must match;
	// required unless InsecureIgnoreHostKey, which logs a warning at every
	// connection.
	KnownHostsPath        string
	InsecureIgnoreHostKey bool
	// TrustOnFirstUse records the key a host presents into KnownHostsPath
	// (created if missing) when the file has no key for that host yet,
	// logging its SHA256 fingerprint; a key that differs from a recorded
	// one is still refused.
	TrustOnFirstUse bool
	// PreferredMethods orders the authentication methods (Ballerina's
	// PUBLICKEY, PASSWORD, KEYBOARD_INTERACTIVE; GSSAPI_WITH_MIC is
	// skipped); empty: PUBLICKEY, PASSWORD.
	PreferredMethods []string
	// Proxy, when set, carries the SSH connection.
	Proxy          *Proxy
	ConnectTimeout time.Duration // default 30 s
	// ConcurrentReads is the number of read requests in flight per
	// download; default 64.
	ConcurrentReads int
	// IdleTimeout ends a listing or a read that gets nothing from the
	// server for this long (ErrIdle); 0: no bound.
	IdleTimeout time.Duration
	// MaxListEntries cuts a listing past this many entries
	// (ErrTooManyEntries); 0: no bound.
	MaxListEntries int
	// Algorithms narrows or widens what the client offers (sshalgos.go).
	Algorithms SSHAlgorithms
	Logger     *slog.Logger
}

type sftpConn struct {
	ssh    *ssh.Client
	c      *sftp.Client
	addr   string
	posix  bool // the server renames over an existing target (posix-rename@openssh.com)
	closed atomic.Bool
	watch  *sftpWatch
	idle   *idleTimer
	cfg    SFTPConfig
	log    *slog.Logger
}

// DialSFTP connects, verifies the host key and opens the SFTP subsystem.
func DialSFTP(ctx context.Context, cfg SFTPConfig) (Conn, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, refused(fmt.Errorf("sftp: address %q: %w", cfg.Addr, err))
	}
	if cfg.User == "" {
		return nil, refused(errors.New("sftp: user is required"))
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.ConcurrentReads <= 0 {
		cfg.ConcurrentReads = 64
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	hostKey, err := hostKeyCallback(cfg, log)
	if err != nil {
		return nil, err
	}
	auth, err := authMethods(cfg)
	if err != nil {
		return nil, err
	}
	if err := cfg.Algorithms.Check(); err != nil {
		return nil, refused(fmt.Errorf("sftp: algorithms: %w", err))
	}
	sc := &ssh.ClientConfig{User: cfg.User, Auth: auth, HostKeyCallback: hostKey, Timeout: cfg.ConnectTimeout}
	cfg.Algorithms.apply(sc)
	dialCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	var nc net.Conn
	if cfg.Proxy != nil {
		nc, err = cfg.Proxy.DialContext(dialCtx, &net.Dialer{}, cfg.Addr)
	} else {
		nc, err = (&net.Dialer{}).DialContext(dialCtx, "tcp", cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("sftp: cannot connect to %s: %w", cfg.Addr, err)
	}
	stop := context.AfterFunc(dialCtx, func() { nc.Close() }) // bound the handshake too
	conn, chans, reqs, err := ssh.NewClientConn(nc, cfg.Addr, sc)
	stop()
	if err != nil {
		nc.Close()
		return nil, handshakeError(cfg, err)
	}
	client := ssh.NewClient(conn, chans, reqs)
	idle := &idleTimer{idle: cfg.IdleTimeout}
	s, watch, err := sftpClient(client, idle, cfg.ConcurrentReads)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("sftp: %s has no SFTP subsystem: %w", cfg.Addr, err)
	}
	_, posix := s.HasExtension("posix-rename@openssh.com")
	return &sftpConn{ssh: client, c: s, addr: cfg.Addr, posix: posix, watch: watch, idle: idle, cfg: cfg, log: log}, nil
}

// sftpClient opens the SFTP subsystem as sftp.NewClient does, with the
// server's output read through an sftpWatch.
func sftpClient(client *ssh.Client, idle *idleTimer, reads int) (*sftp.Client, *sftpWatch, error) {
	sess, err := client.NewSession()
	if err != nil {
		return nil, nil, err
	}
	w, err := sess.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	r, err := sess.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	stderr, err := sess.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := sess.RequestSubsystem("sftp"); err != nil {
		return nil, nil, err
	}
	go io.Copy(io.Discard, stderr) // unread, it would stall the channel
	watch := &sftpWatch{r: r, idle: idle}
	c, err := sftp.NewClientPipe(watch, w, sftp.UseConcurrentReads(true), sftp.MaxConcurrentRequestsPerFile(reads))
	return c, watch, err
}

func hostKeyCallback(cfg SFTPConfig, log *slog.Logger) (ssh.HostKeyCallback, error) {
	if cfg.KnownHostsPath == "" {
		if !cfg.InsecureIgnoreHostKey {
			return nil, refused(errors.New("sftp: knownHosts: required (a known_hosts file with the server's key) unless insecureIgnoreHostKey is set"))
		}
		log.Warn("sftp: host key verification is OFF (insecureIgnoreHostKey): anyone on the path can impersonate the server", "addr", cfg.Addr)
		return ssh.InsecureIgnoreHostKey(), nil
	}
	if cfg.TrustOnFirstUse {
		return trustOnFirstUse(cfg, log)
	}
	cb, err := knownhosts.New(cfg.KnownHostsPath)
	if err != nil {
		return nil, refused(fmt.Errorf("sftp: known_hosts file %s: %w", cfg.KnownHostsPath, err))
	}
	return func(hostname string, addr net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, addr, key)
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			return &untrustedKeyError{KeyError: ke, keyType: key.Type(), fingerprint: ssh.FingerprintSHA256(key)}
		}
		return err
	}, nil
}

// untrustedKeyError is a known_hosts refusal with the key the server
// presented, so that the person fixing it can compare that key with the
// server's own before trusting it.
type untrustedKeyError struct {
	*knownhosts.KeyError
	keyType, fingerprint string
}

func (e *untrustedKeyError) Unwrap() error { return e.KeyError }

func authMethods(cfg SFTPConfig) ([]ssh.AuthMethod, error) {
	var key, password, interactive ssh.AuthMethod
	if cfg.PrivateKeyPath != "" {
		pem, err := os.ReadFile(cfg.PrivateKeyPath)
		if err != nil {
			return nil, refused(fmt.Errorf("sftp: private key: %w", err))
		}
		var signer ssh.Signer
		if cfg.PrivateKeyPassphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(cfg.PrivateKeyPassphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(pem)
		}
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			return nil, refused(fmt.Errorf("sftp: private key %s is encrypted: give its passphrase", cfg.PrivateKeyPath))
		case err != nil:
			return nil, refused(fmt.Errorf("sftp: private key %s: %w", cfg.PrivateKeyPath, err))
		}
		key = ssh.PublicKeys(signer)
	}
	if cfg.Password != "" {
		password = ssh.Password(cfg.Password)
		interactive = keyboardInteractive(cfg.User, cfg.Password)
	}
	order := cfg.PreferredMethods
	if len(order) == 0 {
		// Ballerina's default, then keyboard-interactive with the
		// password for servers that ask that way only.
		order = []string{"PUBLICKEY", "PASSWORD", "KEYBOARD_INTERACTIVE"}
	}
	var methods []ssh.AuthMethod
	for _, m := range order {
		var am ssh.AuthMethod
		switch strings.ToUpper(m) {
		case "PUBLICKEY":
			am = key
		case "PASSWORD":
			am = password
		case "KEYBOARD_INTERACTIVE":
			am = interactive
		}
		if am != nil {
			methods = append(methods, am)
		}
	}
	if len(methods) == 0 {
		if len(cfg.PreferredMethods) > 0 {
			return nil, refused(fmt.Errorf("sftp: no credentials for the preferred methods %v: give a password (PASSWORD, KEYBOARD_INTERACTIVE) or a private key (PUBLICKEY)", cfg.PreferredMethods))
		}
		return nil, refused(errors.New("sftp: no credentials: give a password or a private key"))
	}
	return methods, nil
}

func handshakeError(cfg SFTPConfig, err error) error {
	if ne := negotiationError(cfg.Addr, err); ne != nil {
		return ne
	}
	var ke *untrustedKeyError
	if errors.As(err, &ke) {
		host, port, _ := net.SplitHostPort(cfg.Addr)
		what := "is not in"
		if len(ke.Want) > 0 {
			what = "does not match the key for it in (someone may be impersonating the server, or its key changed)"
		}
		tofu := ""
		if len(ke.Want) == 0 {
			tofu = " (or set sftpTrustOnFirstUse = true to record the key at the next connection)"
		}
		return refused(fmt.Errorf("%w: the host key %s %s that %s presented %s %s; compare that fingerprint with the server's own (on the server: ssh-keygen -lf on its host key's .pub file) before trusting it; only if they match, add it with: ssh-keyscan -p %s %s >> %s%s",
			ErrHostKey, ke.keyType, ke.fingerprint, cfg.Addr, what, cfg.KnownHostsPath, port, host, cfg.KnownHostsPath, tofu))
	}
	if strings.Contains(err.Error(), "unable to authenticate") {
		return refused(fmt.Errorf("sftp: %s refused the login of user %q: check the password or private key", cfg.Addr, cfg.User))
	}
	return fmt.Errorf("sftp: handshake with %s: %w", cfg.Addr, err)
}

// guard aborts the running request when ctx ends: pkg/sftp requests take
// no context, so the connection is closed under them.
func (s *sftpConn) guard(ctx context.Context) (stop func() bool) {
	if ctx.Err() != nil {
		s.Close()
		return func() bool { return false }
	}
	return context.AfterFunc(ctx, func() { s.Close() })
}

// Broken reports that the session was closed under a request.
func (s *sftpConn) Broken() bool { return s.closed.Load() }

func sftpError(op, p string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return notExist(op, p, err)
	case errors.Is(err, fs.ErrPermission):
		return permission(op, p, err)
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		switch se.FxCode() {
		case sftp.ErrSSHFxNoSuchFile:
			return notExist(op, p, err)
		case sftp.ErrSSHFxPermissionDenied:
			return permission(op, p, err)
		}
	}
	return fmt.Errorf("sftp: %s %s: %w", op, p, err)
}

func toSFTPEntry(fi os.FileInfo) Entry {
	e := Entry{Name: fi.Name(), ModTime: fi.ModTime().UTC(), IsDir: fi.IsDir(), Precision: PrecisionSecond}
	if !e.IsDir {
		e.Size = fi.Size()
	}
	return e
}

// List reads the directory with pkg/sftp's ReadDir, which pipelines the
// READDIR requests and returns the whole directory: the entries are
// converted one by one and the library's copy dropped as they go.
func (s *sftpConn) List(ctx context.Context, dir string, fn func(Entry) error) error {
	defer s.guard(ctx)()
	defer s.idle.start(func() { s.Close() })()
	defer s.watch.listing(s.cfg.MaxListEntries)()
	infos, err := s.c.ReadDirContext(ctx, dir)
	switch {
	case s.watch.cut.Load():
		return tooManyError(s.addr, dir, s.cfg.MaxListEntries)
	case s.idle.idled():
		return idleError(s.addr, s.cfg.IdleTimeout)
	case err != nil:
		return result(ctx, sftpError("list", dir, err))
	}
	var refused refusals
	defer refused.log(s.log, dir)
	for i, fi := range infos {
		infos[i] = nil
		if n := fi.Name(); n == "." || n == ".." {
			continue
		}
		if e := toSFTPEntry(fi); refused.ok(e) {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

func (s *sftpConn) Stat(ctx context.Context, p string) (Entry, error) {
	defer s.guard(ctx)()
	fi, err := s.c.Stat(p)
	if err != nil {
		return Entry{}, result(ctx, sftpError("stat", p, err))
	}
	e := toSFTPEntry(fi)
	if err := CheckEntry(e); err != nil {
		return Entry{}, fmt.Errorf("sftp: stat %s: %w", p, err)
	}
	return e, nil
}

func (s *sftpConn) Open(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	stop := s.guard(ctx)
	f, err := s.c.Open(p)
	if err != nil {
		stop()
		return nil, result(ctx, sftpError("open", p, err))
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			stop()
			return nil, result(ctx, sftpError("open", p, err))
		}
	}
	return &sftpReader{f: f, stop: stop, ctx: ctx, s: s}, nil
}

// sftpReader streams a remote file; WriteTo lets io.Copy use pkg/sftp's
// concurrent reads.
type sftpReader struct {
	f    *sftp.File
	stop func() bool
	ctx  context.Context
	s    *sftpConn
}

// Read waits for the server under the idle bound (only while it waits: a
// handler that reads slowly is not the server's silence).
func (r *sftpReader) Read(b []byte) (int, error) {
	stop := r.s.idle.start(func() { r.s.Close() })
	n, err := r.f.Read(b)
	stop()
	if err != nil && err != io.EOF {
		err = r.s.outcome(r.ctx, err)
	}
	return n, err
}

// WriteTo is not under the idle bound: a writer that blocks stops the
// reads in flight, and the server's silence then is no fault of its own.
// The listener reads through Read; WriteTo is bounded by its context.
func (r *sftpReader) WriteTo(w io.Writer) (int64, error) {
	n, err := r.f.WriteTo(w)
	return n, r.s.outcome(r.ctx, err)
}

// outcome is err, told as ErrIdle when the idle bound closed the session.
func (s *sftpConn) outcome(ctx context.Context, err error) error {
	if err != nil && s.idle.idled() {
		return idleError(s.addr, s.cfg.IdleTimeout)
	}
	return result(ctx, err)
}

func (r *sftpReader) Close() error {
	defer r.stop()
	return result(r.ctx, r.f.Close())
}

func (s *sftpConn) write(ctx context.Context, op, p string, flags int, r io.Reader) error {
	defer s.guard(ctx)()
	f, err := s.c.OpenFile(p, flags)
	if err != nil {
		return result(ctx, sftpError(op, p, err))
	}
	_, err = f.ReadFrom(r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return result(ctx, sftpError(op, p, err))
}

func (s *sftpConn) Write(ctx context.Context, p string, r io.Reader) error {
	return s.write(ctx, "write", p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, r)
}

func (s *sftpConn) Append(ctx context.Context, p string, r io.Reader) error {
	return s.write(ctx, "append", p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, r)
}

// Rename replaces an existing target when the server offers
// posix-rename@openssh.com (OpenSSH does); plain SFTP rename refuses to.
func (s *sftpConn) Rename(ctx context.Context, from, to string) error {
	defer s.guard(ctx)()
	var err error
	if s.posix {
		err = s.c.PosixRename(from, to)
	} else {
		err = s.c.Rename(from, to)
	}
	return result(ctx, sftpError("rename", from, err))
}

func (s *sftpConn) Delete(ctx context.Context, p string) error {
	defer s.guard(ctx)()
	return result(ctx, sftpError("delete", p, s.c.Remove(p)))
}

func (s *sftpConn) Mkdir(ctx context.Context, p string) error {
	defer s.guard(ctx)()
	return result(ctx, sftpError("mkdir", p, s.c.Mkdir(p)))
}

func (s *sftpConn) Rmdir(ctx context.Context, p string) error {
	defer s.guard(ctx)()
	return result(ctx, sftpError("rmdir", p, s.c.RemoveDirectory(p)))
}

func (s *sftpConn) Alive(ctx context.Context) error {
	defer s.guard(ctx)()
	_, err := s.c.Getwd()
	return result(ctx, err)
}

func (s *sftpConn) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// The SSH connection first: the SFTP client's Close waits for its
	// reader, which a server that stopped answering never ends otherwise.
	err := s.ssh.Close()
	s.c.Close()
	return err
}
