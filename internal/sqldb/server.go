package sqldb

// A database server: the drivers' configuration for PostgreSQL and MySQL,
// TLS and the session's time zone.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Server is a database server to open a pool on, every value resolved: the
// caller (taskcompat, which reads Ballerina's databaseConfig record) has
// applied the defaults and checked the fields.
type Server struct {
	Dialect                  Dialect // Postgres or MySQL
	Host                     string
	Port                     int
	User, Password, Database string
	// Zone is the session's time zone: a zone name or an offset such as
	// +05:30 (SessionLocation reads it).
	Zone           string
	TLS            TLSMode
	RootCert       string // a PEM file of the CAs to trust, or ""
	ConnectTimeout time.Duration
	// Dial, when set, dials MySQL connections (taskcompat's says at once
	// when the server speaks PostgreSQL).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// RootCertError is a failure to read Server.RootCert.
type RootCertError struct{ Err error }

func (e *RootCertError) Error() string { return e.Err.Error() }
func (e *RootCertError) Unwrap() error { return e.Err }

// OpenServer opens a pool on s. It does not connect; Ping or the first
// statement does. When the CA file is at fault, the error is a
// *RootCertError.
func OpenServer(s Server) (*sql.DB, error) {
	loc, err := SessionLocation(s.Zone)
	if err != nil {
		return nil, err
	}
	if s.Dialect == Postgres {
		// ParseConfig("") would read PG* environment variables; start from
		// an explicit keyword string so the configuration alone decides.
		// Host, port and TLS go in it together: pgx makes its TLS and
		// fallback configurations for the host it parsed.
		pc, err := pgx.ParseConfig(pgConnString(s.Host, s.Port, s.TLS, s.RootCert))
		if err != nil {
			return nil, err
		}
		pc.User = s.User
		pc.Password = s.Password
		pc.Database = s.Database
		pc.ConnectTimeout = s.ConnectTimeout
		pc.RuntimeParams = map[string]string{"TimeZone": postgresZone(s.Zone), "application_name": "ftpcoord"}
		return stdlib.OpenDB(*pc), nil
	}
	mc := mysql.NewConfig()
	mc.Net = "tcp"
	mc.Addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	mc.User = s.User
	mc.Passwd = s.Password
	mc.DBName = s.Database
	mc.Timeout = s.ConnectTimeout
	mc.ParseTime = true
	mc.Loc = loc
	// One round trip per statement instead of prepare+execute+close.
	mc.InterpolateParams = true
	zone := s.Zone
	if zone == "UTC" {
		zone = "+00:00" // named zones need the server's time zone tables
	}
	mc.Params = map[string]string{"time_zone": "'" + zone + "'"}
	mc.Logger = driverLogger{}
	if mc.TLS, mc.AllowFallbackToPlaintext, err = mysqlTLS(s.Host, s.TLS, s.RootCert); err != nil {
		return nil, err
	}
	mc.DialFunc = s.Dial
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// driverLogger sends the MySQL driver's own messages (such as "unexpected
// EOF" after a network cut, which we also report as errors) to slog at debug
// level instead of stderr.
type driverLogger struct{}

func (driverLogger) Print(v ...any) {
	slog.Debug("mysql driver: "+strings.TrimSpace(fmt.Sprint(v...)), "component", "taskcompat")
}

// TLSMode is how a connection uses TLS, in libpq's names.
type TLSMode string

// The modes.
const (
	TLSDisable    TLSMode = "disable"
	TLSAllow      TLSMode = "allow"
	TLSPrefer     TLSMode = "prefer"
	TLSRequire    TLSMode = "require"
	TLSVerifyCA   TLSMode = "verify-ca"
	TLSVerifyFull TLSMode = "verify-full"
)

// RequiresTLS tells whether the mode connects over TLS or not at all.
func (m TLSMode) RequiresTLS() bool {
	return m == TLSRequire || m == TLSVerifyCA || m == TLSVerifyFull
}

// LoadRootCAs reads a PEM file of CA certificates.
func LoadRootCAs(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate (give the CA certificate, -----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// mysqlTLS is the driver's TLS configuration for a mode; fallback says
// whether a server without TLS is still used (prefer).
func mysqlTLS(host string, mode TLSMode, rootcert string) (cfg *tls.Config, fallback bool, err error) {
	if mode == TLSDisable {
		return nil, false, nil
	}
	var roots *x509.CertPool
	if rootcert != "" {
		if roots, err = LoadRootCAs(rootcert); err != nil {
			return nil, false, &RootCertError{Err: err}
		}
	}
	switch {
	case mode == TLSPrefer:
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, true, nil //nolint:gosec // prefer: opportunistic, as libpq's
	case mode == TLSVerifyFull:
		return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, false, nil
	case roots == nil: // require without a CA: encrypted, not authenticated
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, false, nil //nolint:gosec // require, as libpq's
	default: // verify-ca, or require with a CA: the chain, not the name
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, //nolint:gosec // verified below
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return errors.New("the server sent no certificate")
				}
				inter := x509.NewCertPool()
				for _, c := range cs.PeerCertificates[1:] {
					inter.AddCert(c)
				}
				_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
				return err
			}}, false, nil
	}
}

// pgConnString is the keyword/value string pgx parses: the host, port and
// TLS settings together, so that its TLS and fallback configurations are
// made for this host (set after parsing, sslmode=prefer was lost).
func pgConnString(host string, port int, mode TLSMode, rootcert string) string {
	q := func(v string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'" }
	s := fmt.Sprintf("host=%s port=%d sslmode=%s", q(host), port, mode)
	if rootcert != "" {
		s += " sslrootcert=" + q(rootcert)
	}
	return s
}

// postgresZone writes a zone for PostgreSQL's TimeZone setting. PostgreSQL
// reads a bare offset such as +05:30 the POSIX way, positive meaning WEST of
// Greenwich; spell ISO offsets as a POSIX zone with the sign turned round.
func postgresZone(zone string) string {
	if !IsOffset(zone) {
		return zone
	}
	flipped := map[byte]string{'+': "-", '-': "+"}[zone[0]] + zone[1:]
	return "<" + zone[:3] + zone[4:] + ">" + flipped
}

// IsOffset reports whether s is a UTC offset such as +05:30 or -08:00.
func IsOffset(s string) bool {
	_, ok := parseOffset(s)
	return ok
}

func parseOffset(s string) (*time.Location, bool) {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return nil, false
	}
	var h, m int
	if _, err := fmt.Sscanf(s[1:], "%02d:%02d", &h, &m); err != nil || h > 14 || m > 59 {
		return nil, false
	}
	secs := h*3600 + m*60
	if s[0] == '-' {
		secs = -secs
	}
	return time.FixedZone(s, secs), true
}

// SessionLocation returns the Go location of a session time zone: an IANA
// name or an offset.
func SessionLocation(zone string) (*time.Location, error) {
	if loc, ok := parseOffset(zone); ok {
		return loc, nil
	}
	return time.LoadLocation(zone)
}
