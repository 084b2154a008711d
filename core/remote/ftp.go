package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jlaffaye/ftp"
)

// FTP security modes.
const (
	TLSNone     = ""         // plain FTP
	TLSExplicit = "explicit" // FTPS with AUTH TLS on the control port (usually 21)
	TLSImplicit = "implicit" // FTPS with TLS from the first byte (usually 990)
)

// FTPConfig says how to reach an FTP or FTPS server.
type FTPConfig struct {
	Addr     string // host:port
	User     string // "anonymous" when empty
	Password string
	// TLS is TLSNone, TLSExplicit or TLSImplicit.
	TLS string
	// CAFile is a PEM file of the certificates to trust; empty: the
	// system pool. Certificates are always verified unless
	// InsecureSkipVerify is set, which logs a warning at every dial.
	CAFile string
	// CAPassword opens CAFile when it is a PKCS#12 trust store (CAFile
	// may be PEM or PKCS#12: its content decides).
	CAPassword string
	// KeyStore is the client certificate and its key, for servers that
	// require one: a PKCS#12 key store (opened with KeyStorePassword) or a
	// PEM file with both.
	KeyStore           string
	KeyStorePassword   string
	InsecureSkipVerify bool
	// ControlTimeout and DataTimeout bound each wait for the server on the
	// control and on a data connection (socketConfig's ftpSocketTimeout
	// and ftpDataTimeout); 0: no bound.
	ControlTimeout time.Duration
	DataTimeout    time.Duration
	// Proxy, when set, carries the control and data connections.
	Proxy          *Proxy
	ConnectTimeout time.Duration // default 30 s
	// DisableEPSV goes straight to PASV; by default EPSV is tried first
	// and PASV used when the server refuses it.
	DisableEPSV bool
	// DisableMLSD lists with LIST even when the server offers MLSD.
	DisableMLSD bool
	// ActiveMode opens data connections in active mode (EPRT, or PORT
	// when the server refuses EPRT): the server connects back to this
	// machine. Not with explicit TLS (see ftpactive.go).
	ActiveMode bool
	// ServerTimeZone is the zone the server's LIST answers are in (nil:
	// UTC). Most Unix servers list UTC (vsftpd by default); some list
	// local time (vsftpd with use_localtime=YES, BSD ftpd).
	// MLSD and MDTM are UTC by RFC 3659 and are not affected.
	ServerTimeZone *time.Location
	// IdleTimeout ends a listing or a read that gets nothing from the
	// server for this long (ErrIdle); 0: no bound.
	IdleTimeout time.Duration
	// MaxListEntries cuts a listing past this many entries
	// (ErrTooManyEntries); 0: no bound.
	MaxListEntries int
	Logger         *slog.Logger
}

// ftpConn is a Conn over one FTP control connection.
type ftpConn struct {
	c       *ftp.ServerConn
	cfg     FTPConfig
	replies *replyWatcher
	dial    *ftpDialer
	log     *slog.Logger
	closed  atomic.Bool // by Close, or by a context that ended mid-command
}

// DialFTP connects and logs in.
func DialFTP(ctx context.Context, cfg FTPConfig) (Conn, error) {
	if cfg.Addr == "" {
		return nil, refused(errors.New("ftp: host and port are required"))
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, refused(fmt.Errorf("ftp: address %q: %w", cfg.Addr, err))
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.User == "" {
		cfg.User = "anonymous"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	replies := &replyWatcher{}
	if cfg.ActiveMode && cfg.TLS == TLSExplicit {
		return nil, refused(errors.New("ftp: active mode works with plain FTP and implicit FTPS, not explicit FTPS: use passive mode or implicit TLS"))
	}
	if cfg.ActiveMode && cfg.Proxy != nil {
		return nil, refused(errors.New("ftp: active mode cannot work through a proxy (the server connects back to the member): use passive mode"))
	}
	dial := &ftpDialer{ctx: ctx, timeout: cfg.ConnectTimeout, implicit: cfg.TLS == TLSImplicit, activeMode: cfg.ActiveMode, idle: &idleTimer{idle: cfg.IdleTimeout},
		proxy: cfg.Proxy, controlTimeout: cfg.ControlTimeout, dataTimeout: cfg.DataTimeout}
	opts := []ftp.DialOption{
		// The library drops the text of a success reply; pure-ftpd says
		// "226 Output truncated to 10000 matches" only there.
		ftp.DialWithDebugOutput(replies),
		ftp.DialWithDialFunc(dial.dial),
		ftp.DialWithTimeout(cfg.ConnectTimeout),
		ftp.DialWithDisabledEPSV(cfg.DisableEPSV),
		ftp.DialWithDisabledMLSD(cfg.DisableMLSD),
		ftp.DialWithLocation(time.UTC),
	}
	switch cfg.TLS {
	case TLSNone:
	case TLSExplicit, TLSImplicit:
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		dial.tls = tc
		if cfg.InsecureSkipVerify {
			log.Warn("ftp: TLS certificate verification is OFF (insecureSkipVerify): anyone on the path can read and change the transfers", "addr", cfg.Addr)
		}
		if cfg.TLS == TLSExplicit {
			opts = append(opts, ftp.DialWithExplicitTLS(tc))
		} else {
			opts = append(opts, ftp.DialWithTLS(tc))
		}
	default:
		return nil, refused(fmt.Errorf("ftp: tls %q: use %q, %q or none", cfg.TLS, TLSExplicit, TLSImplicit))
	}
	// ctx bounds the greeting and the login too, not only the TCP dial: a
	// server that accepts and then says nothing (a blackhole) would hold
	// them until ConnectTimeout, and a member that stops must not wait.
	stop := context.AfterFunc(ctx, dial.abort)
	defer stop()
	c, err := ftp.Dial(cfg.Addr, opts...)
	if err != nil {
		return nil, result(ctx, dialError(cfg, err))
	}
	if err := c.Login(cfg.User, cfg.Password); err != nil {
		if ctx.Err() != nil {
			c.Quit()
			return nil, ctx.Err()
		}
		c.Quit()
		var te *textproto.Error
		if errors.As(err, &te) && (te.Code == ftp.StatusNotLoggedIn || te.Code == ftp.StatusBadCommand) {
			return nil, refused(fmt.Errorf("ftp: %s refused the login of user %q: check the credentials (%d %s)", cfg.Addr, cfg.User, te.Code, strings.TrimSpace(te.Msg)))
		}
		if tlsErr := certificateError(cfg, err); tlsErr != nil {
			return nil, tlsErr // explicit TLS starts at login
		}
		return nil, fmt.Errorf("ftp: login to %s as %q: %w", cfg.Addr, cfg.User, err)
	}
	return &ftpConn{c: c, cfg: cfg, replies: replies, dial: dial, log: log}, nil
}

func tlsConfig(cfg FTPConfig) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(cfg.Addr)
	tc := &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		// Servers such as vsftpd may require the data connection to resume
		// the control connection's TLS session.
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
		MinVersion:         tls.VersionTLS12,
	}
	if cfg.CAFile != "" {
		pool, err := loadTrustPool(cfg.CAFile, cfg.CAPassword)
		if err != nil {
			return nil, refused(fmt.Errorf("ftp: auth.secureSocket.cert: %w", err))
		}
		tc.RootCAs = pool
	}
	if cfg.KeyStore != "" {
		cert, err := loadClientCert(cfg.KeyStore, cfg.KeyStorePassword)
		if err != nil {
			return nil, refused(fmt.Errorf("ftp: auth.secureSocket.key: %w", err))
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func dialError(cfg FTPConfig, err error) error {
	if tlsErr := certificateError(cfg, err); tlsErr != nil {
		return tlsErr
	}
	return fmt.Errorf("ftp: cannot connect to %s: %w", cfg.Addr, err)
}

// certificateError explains a refused server certificate, or returns nil.
func certificateError(cfg FTPConfig, err error) error {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce *tls.CertificateVerificationError
	switch {
	// The server's certificate_required alert (TLS 1.3) is only text here.
	case strings.Contains(err.Error(), "tls: certificate required"):
		return refused(fmt.Errorf("ftp: %s requires a client certificate: give it in auth.secureSocket.key (a PKCS#12 key store or a PEM file): %w", cfg.Addr, err))
	case errors.As(err, &he):
		return refused(fmt.Errorf("ftp: the certificate of %s is not valid for that host name: %w", cfg.Addr, err))
	case errors.As(err, &ue), errors.As(err, &ce):
		return refused(fmt.Errorf("ftp: the certificate of %s is not trusted: give its CA in the CA file setting (or fix the server's certificate): %w", cfg.Addr, err))
	}
	return nil
}

// guard aborts the current command when ctx ends: jlaffaye/ftp has no
// per-command context, so the connection is closed under it.
func (f *ftpConn) guard(ctx context.Context) (stop func() bool) {
	if ctx.Err() != nil {
		// AfterFunc would close it asynchronously, maybe after the
		// command ran: close it now, so that the command fails at once.
		f.Close()
		return func() bool { return false }
	}
	return context.AfterFunc(ctx, func() {
		f.dial.abortData() // a transfer in progress: its reads fail at once
		f.Close()
	})
}

// Broken reports that the session was closed under a command; the pool
// drops it instead of reusing it.
func (f *ftpConn) Broken() bool { return f.closed.Load() }

// result prefers ctx's error when ctx ended the command.
func result(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// List streams the listing: the library reads a listing whole before it
// returns it (about 218 bytes per entry held at once), so the data
// connection is taken over (see ftpDialer) and parsed line by line here,
// and each entry goes to fn as it arrives. The library still runs the
// command and reads the server's final reply.
func (f *ftpConn) List(ctx context.Context, dir string, fn func(Entry) error) error {
	defer f.guard(ctx)()
	defer f.dial.idle.start(f.abort)()
	f.replies.reset()
	sink := &listSink{fn: fn, max: f.cfg.MaxListEntries, tooMany: func() error { return tooManyError(f.cfg.Addr, dir, f.cfg.MaxListEntries) }}
	if f.c.IsTimePreciseInList() { // the library lists with MLSD
		sink.parse = parseMLSD
	} else {
		now := time.Now()
		sink.parse = func(line []byte) (Entry, error) { return parseLIST(line, now, f.cfg.ServerTimeZone) }
	}
	f.dial.sink = sink
	// Closing the control connection (the guard) may not end a data
	// transfer the server keeps sending; closing the data connection does.
	stopData := context.AfterFunc(ctx, sink.abort)
	_, err := f.c.List(dir)
	stopData()
	f.dial.sink = nil
	sink.refused.log(f.log, dir)
	if sink.err != nil {
		return sink.err // fn stopped the listing, or its bound did
	}
	if err != nil {
		return f.outcome(ctx, mapError("list", dir, err))
	}
	if sink.bad > 0 {
		f.log.Warn("ftp: listing lines not understood were skipped", "dir", dir, "lines", sink.bad, "first", sink.firstBad)
	}
	if f.replies.sawTruncation() {
		return fmt.Errorf("%w: %s answered %d entries for %s and said it cut the rest (raise its limit, e.g. pure-ftpd -L)", ErrTruncated, f.cfg.Addr, sink.n, dir)
	}
	return ctx.Err()
}

// listSink parses a listing's data connection line by line.
type listSink struct {
	parse    func([]byte) (Entry, error)
	fn       func(Entry) error
	err      error // from fn, or tooMany: the listing stops
	max      int   // entries handed on at most (0: no bound)
	tooMany  func() error
	refused  refusals
	n        int // entries handed to fn
	bad      int // lines that did not parse
	firstBad string
	conn     atomic.Pointer[net.Conn] // the data connection, once dialed
}

// abort closes the data connection, ending a listing in progress.
func (s *listSink) abort() {
	if c := s.conn.Load(); c != nil {
		(*c).Close()
	}
}

// maxListLine bounds one listing line; a longer one is skipped as garbage.
const maxListLine = 64 << 10

// consume reads r to its end (or until fn fails) and hands on each entry.
// It returns only read errors.
func (s *listSink) consume(r io.Reader) error {
	br := bufio.NewReaderSize(r, maxListLine)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			s.badLine(line[:64])
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of it
				_, err = br.ReadSlice('\n')
			}
			line = nil
		}
		if len(line) > 0 {
			line = bytes.TrimRight(line, "\r\n")
			switch e, perr := s.parse(line); {
			case perr == nil && !s.refused.ok(e):
			case perr == nil:
				s.n++
				if s.max > 0 && s.n > s.max {
					s.err = s.tooMany()
					return nil
				}
				if ferr := s.fn(e); ferr != nil {
					s.err = ferr
					return nil
				}
			case errors.Is(perr, errSkip):
			default:
				s.badLine(line)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *listSink) badLine(line []byte) {
	if s.bad == 0 {
		s.firstBad = strings.ToValidUTF8(string(line[:min(len(line), 120)]), "?")
	}
	s.bad++
}

// sinkConn is a listing's data connection, taken over by a listSink: the
// first Read consumes the whole stream into the sink, and the library sees
// an empty listing.
type sinkConn struct {
	net.Conn
	sink *listSink
	done bool
}

func (c *sinkConn) Read([]byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	c.done = true
	if err := c.sink.consume(c.Conn); err != nil {
		return 0, err
	}
	return 0, io.EOF
}

// ftpDialer makes the connections of one session for the library: the
// control connection first (with TLS from the first byte in implicit
// mode), then each data connection (TLS when the session uses TLS, as the
// library itself would do), handing a listing's to its sink.
type ftpDialer struct {
	ctx      context.Context // of the dial; ends nothing once logged in
	timeout  time.Duration
	tls      *tls.Config
	implicit bool
	// activeMode: data connections in active mode, through active.
	activeMode bool
	active     *activeControl
	idle       *idleTimer // told of every byte read on the session's connections
	proxy      *Proxy
	// controlTimeout, dataTimeout: see FTPConfig.
	controlTimeout, dataTimeout time.Duration
	control                     bool                     // the control connection was made
	sink                        *listSink                // set by List for its one data connection
	conn                        atomic.Pointer[net.Conn] // the control connection, for abort
	data                        atomic.Pointer[net.Conn] // the last data connection (commands are one at a time)
}

// abortData closes the last data connection (a transfer whose context
// ended: closing the control connection alone leaves its reads waiting).
func (d *ftpDialer) abortData() {
	if c := d.data.Load(); c != nil {
		(*c).Close()
	}
}

// abort closes the control connection (a dial whose context ended).
func (d *ftpDialer) abort() {
	if c := d.conn.Load(); c != nil {
		(*c).Close()
	}
}

func (d *ftpDialer) dial(network, addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.timeout}
	if !d.control {
		d.control = true
		var conn net.Conn
		var err error
		conn, err = d.tcp(d.ctx, &nd, network, addr)
		if err == nil {
			conn = withIdleTimeout(&watchedConn{Conn: conn, idle: d.idle}, d.controlTimeout)
			if d.tls != nil && d.implicit {
				conn = tls.Client(conn, d.tls)
			}
			d.conn.Store(&conn)
			if d.ctx.Err() != nil { // ended between the dial and the Store
				conn.Close()
			}
			if d.activeMode {
				d.active = newActiveControl(conn, d.timeout)
				return d.active, nil
			}
		}
		return conn, err
	}
	var conn net.Conn
	var err error
	if d.active != nil {
		conn, err = d.active.take()
	} else {
		conn, err = d.tcp(context.Background(), &nd, network, addr)
	}
	if err != nil {
		return nil, err
	}
	conn = withIdleTimeout(&watchedConn{Conn: conn, idle: d.idle}, d.dataTimeout)
	if d.tls != nil {
		// The handshake happens at the first read or write: some servers
		// (pure-ftpd, proftpd) hang on an eager one. The library forces it
		// itself for empty uploads when it gets a *tls.Conn.
		conn = tls.Client(conn, d.tls)
	}
	if s := d.sink; s != nil {
		d.sink = nil
		s.conn.Store(&conn)
		return &sinkConn{Conn: conn, sink: s}, nil
	}
	d.data.Store(&conn)
	return conn, nil
}

// watchedConn tells the session's idle timer of every byte it reads.
type watchedConn struct {
	net.Conn
	idle *idleTimer
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.idle.seen()
	}
	return n, err
}

// abort ends the command under way (the idle bound ran out).
func (f *ftpConn) abort() {
	f.dial.abortData()
	f.Close()
}

// outcome is err, told as ErrIdle when the idle bound closed the session.
func (f *ftpConn) outcome(ctx context.Context, err error) error {
	if err != nil && f.dial.idle.idled() {
		return idleError(f.cfg.Addr, f.cfg.IdleTimeout)
	}
	return result(ctx, err)
}

func toEntry(e *ftp.Entry) Entry {
	out := Entry{Name: path.Base(e.Name), ModTime: e.Time.UTC(), IsDir: e.Type == ftp.EntryTypeFolder, Precision: PrecisionSecond}
	if !out.IsDir {
		out.Size = int64(e.Size) // past 2^63 it turns negative: CheckEntry refuses it
	}
	return out
}

func (f *ftpConn) Stat(ctx context.Context, p string) (Entry, error) {
	defer f.guard(ctx)()
	if e, err := f.c.GetEntry(p); err == nil {
		ent := toEntry(e)
		ent.Name = path.Base(p)
		return checked(p, ent)
	} else if !isNotImplemented(err) {
		return Entry{}, result(ctx, mapError("stat", p, err))
	}
	// No MLST: SIZE and MDTM answer for files; a directory answers neither
	// but lists.
	size, err := f.c.FileSize(p)
	if err != nil {
		if f.isDir(p) {
			return Entry{Name: path.Base(p), IsDir: true}, nil
		}
		return Entry{}, result(ctx, mapError("stat", p, err))
	}
	// Without MDTM the time stays unknown (zero), which no listing
	// precision can stand for: callers compare sizes only.
	ent := Entry{Name: path.Base(p), Size: size, Precision: PrecisionSecond}
	if t, err := f.getTime(p); err == nil {
		ent.ModTime = t
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	return checked(p, ent)
}

// checked returns what Stat found, unless no file can be like it.
func checked(p string, e Entry) (Entry, error) {
	if err := CheckEntry(e); err != nil {
		return Entry{}, fmt.Errorf("ftp: stat %s: %w", p, err)
	}
	return e, nil
}

// ListPrecision: MLSD gives seconds, LIST minutes or only days.
func (f *ftpConn) ListPrecision() Precision {
	if f.c.IsTimePreciseInList() {
		return PrecisionSecond
	}
	return PrecisionDay
}

// CanTimeExactly reports whether the server announced MDTM.
func (f *ftpConn) CanTimeExactly() bool { return f.c.IsGetTimeSupported() }

// ExactModTime asks MDTM for p's time, which RFC 3659 gives in UTC.
func (f *ftpConn) ExactModTime(ctx context.Context, p string) (time.Time, error) {
	if !f.c.IsGetTimeSupported() {
		return time.Time{}, fmt.Errorf("ftp: %s announces no MDTM: %w", f.cfg.Addr, errors.ErrUnsupported)
	}
	defer f.guard(ctx)()
	t, err := f.getTime(p)
	if isNotImplemented(err) {
		return time.Time{}, fmt.Errorf("ftp: MDTM %s: %w (%w)", p, err, errors.ErrUnsupported)
	}
	return t, result(ctx, mapError("mdtm", p, err))
}

// getTime runs MDTM. The library reads only "YYYYMMDDHHMMSS"; an answer
// with fractions of a second (RFC 3659 allows them) fails its parse and is
// read here from the parse error's value.
func (f *ftpConn) getTime(p string) (time.Time, error) {
	t, err := f.c.GetTime(p)
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return parseMLSDTime([]byte(strings.TrimSpace(pe.Value)))
	}
	return t.UTC(), err
}

// isDir tells a directory from a file by changing into it and back.
func (f *ftpConn) isDir(p string) bool {
	cwd, err := f.c.CurrentDir()
	if err != nil {
		return false
	}
	if f.c.ChangeDir(p) != nil {
		return false
	}
	f.c.ChangeDir(cwd)
	return true
}

func (f *ftpConn) Open(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	stop := f.guard(ctx)
	r, err := f.c.RetrFrom(p, uint64(offset))
	if err != nil {
		stop()
		return nil, result(ctx, mapError("open", p, err))
	}
	return &ftpReader{r: r, stop: stop, ctx: ctx, f: f}, nil
}

// ftpReader keeps the context guard until the transfer is closed.
type ftpReader struct {
	r    *ftp.Response
	stop func() bool
	ctx  context.Context
	f    *ftpConn
	done error // io.EOF or the error that ended the transfer; repeated by later reads
}

// Read returns io.EOF only once the server confirmed the transfer: a data
// connection that ends early (the server gave up, the control connection
// dropped) looks like a clean end of file otherwise.
func (r *ftpReader) Read(b []byte) (int, error) {
	if r.done != nil {
		return 0, r.done
	}
	// Only the wait for the server counts as idle, not a handler that
	// reads slowly.
	stop := r.f.dial.idle.start(r.f.abort)
	defer stop()
	n, err := r.r.Read(b)
	switch {
	case err == io.EOF:
		if cerr := r.r.Close(); cerr != nil {
			err = fmt.Errorf("ftp: transfer not confirmed by the server: %w", r.f.outcome(r.ctx, cerr))
		}
		r.done = err
	case err != nil:
		err = r.f.outcome(r.ctx, err)
		r.done = err
	}
	return n, err
}

func (r *ftpReader) Close() error {
	defer r.stop()
	return result(r.ctx, r.r.Close())
}

func (f *ftpConn) Write(ctx context.Context, p string, r io.Reader) error {
	defer f.guard(ctx)()
	return result(ctx, mapError("write", p, f.c.Stor(p, r)))
}

func (f *ftpConn) Append(ctx context.Context, p string, r io.Reader) error {
	defer f.guard(ctx)()
	return result(ctx, mapError("append", p, f.c.Append(p, r)))
}

func (f *ftpConn) Rename(ctx context.Context, from, to string) error {
	defer f.guard(ctx)()
	return result(ctx, mapError("rename", from, f.c.Rename(from, to)))
}

func (f *ftpConn) Delete(ctx context.Context, p string) error {
	defer f.guard(ctx)()
	return result(ctx, mapError("delete", p, f.c.Delete(p)))
}

func (f *ftpConn) Mkdir(ctx context.Context, p string) error {
	defer f.guard(ctx)()
	return result(ctx, mapError("mkdir", p, f.c.MakeDir(p)))
}

func (f *ftpConn) Rmdir(ctx context.Context, p string) error {
	defer f.guard(ctx)()
	return result(ctx, mapError("rmdir", p, f.c.RemoveDir(p)))
}

func (f *ftpConn) Alive(ctx context.Context) error {
	defer f.guard(ctx)()
	return result(ctx, f.c.NoOp())
}

func (f *ftpConn) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	return f.c.Quit()
}

func isNotImplemented(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && (te.Code == ftp.StatusNotImplemented || te.Code == ftp.StatusCommandNotImplemented ||
		te.Code == ftp.StatusNotImplementedParameter || te.Code == ftp.StatusBadCommand || te.Code == ftp.StatusBadArguments)
}

// mapError makes a refused path match fs.ErrNotExist or fs.ErrPermission.
// FTP answers both with one code (550, or 450/553); only the server's text
// tells them apart, and "no such file" is by far the more common meaning.
func mapError(op, p string, err error) error {
	var te *textproto.Error
	if err == nil || !errors.As(err, &te) {
		return err
	}
	switch te.Code {
	case ftp.StatusFileUnavailable, ftp.StatusFileActionIgnored, ftp.StatusBadFileName:
		msg := strings.ToLower(te.Msg)
		if strings.Contains(msg, "denied") || strings.Contains(msg, "permission") || strings.Contains(msg, "not allowed") {
			return permission(op, p, err)
		}
		return notExist(op, p, err)
	}
	return err
}

// replyWatcher reads the control connection as it goes by and notes a
// success reply that admits a truncated listing. It keeps only a partial
// line: nothing of what passes, passwords included, is stored or logged.
type replyWatcher struct {
	mu        sync.Mutex // a context's Close may write QUIT while a reply is read
	line      []byte
	truncated bool
}

func (w *replyWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range p {
		if b != '\n' {
			if len(w.line) < 256 {
				w.line = append(w.line, b)
			}
			continue
		}
		if len(w.line) > 4 && string(w.line[:3]) == "226" &&
			strings.Contains(strings.ToLower(string(w.line)), "truncated") {
			w.truncated = true
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}

func (w *replyWatcher) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.line, w.truncated = w.line[:0], false
}

func (w *replyWatcher) sawTruncation() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.truncated
}

// tcp opens a connection, through the proxy when there is one.
func (d *ftpDialer) tcp(ctx context.Context, nd *net.Dialer, network, addr string) (net.Conn, error) {
	if d.proxy != nil {
		if nd.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, nd.Timeout)
			defer cancel()
		}
		return d.proxy.DialContext(ctx, nd, addr)
	}
	return nd.DialContext(ctx, network, addr)
}
