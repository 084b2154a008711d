package taskcompat

// TLS to the coordination database: Ballerina's `options.ssl` record of
// ballerinax/postgresql and ballerinax/mysql, with either module's names
// for the modes.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/ftpcoord/ftpcoord/schema"
)

// DatabaseOptions are the options of a database connection, as Ballerina's
// postgresql:Options and mysql:Options name them (only ssl so far).
type DatabaseOptions struct {
	SSL *SecureSocket `json:"ssl,omitempty"`
}

// SecureSocket is TLS to the database (Ballerina's options.ssl).
//
// Mode is one of (either module's spelling, any case):
//   - PREFER (PostgreSQL) or PREFERRED (MySQL), the default: TLS when the
//     server offers it, the certificate not verified; plain otherwise.
//   - DISABLE / DISABLED: never TLS.
//   - REQUIRE / REQUIRED: TLS or no connection (the certificate is verified
//     against Rootcert when it is given, as libpq does).
//   - VERIFY-CA / VERIFY_CA: TLS, the certificate signed by Rootcert's CA.
//   - VERIFY-FULL / VERIFY_IDENTITY: TLS, the certificate signed by Rootcert's
//     CA (or the system's, without Rootcert) and naming databaseConfig.host.
//
// Rootcert is a PEM file of the CA certificates to trust (PostgreSQL's
// rootcert; Ballerina's MySQL record takes a truststore, `cert`, instead).
type SecureSocket struct {
	Mode     string `json:"mode,omitempty"`
	Rootcert string `json:"rootcert,omitempty"`
}

// sslMode is a mode in one spelling.
type sslMode string

// requiresTLS tells whether the mode connects over TLS or not at all.
func (m sslMode) requiresTLS() bool {
	return m == sslRequire || m == sslVerifyCA || m == sslVerifyFull
}

const (
	sslDisable    sslMode = "disable"
	sslAllow      sslMode = "allow"
	sslPrefer     sslMode = "prefer"
	sslRequire    sslMode = "require"
	sslVerifyCA   sslMode = "verify-ca"
	sslVerifyFull sslMode = "verify-full"
)

var sslModes = map[string]sslMode{
	"DISABLE": sslDisable, "DISABLED": sslDisable, "ALLOW": sslAllow,
	"PREFER": sslPrefer, "PREFERRED": sslPrefer,
	"REQUIRE": sslRequire, "REQUIRED": sslRequire,
	"VERIFY-CA": sslVerifyCA, "VERIFY_CA": sslVerifyCA,
	"VERIFY-FULL": sslVerifyFull, "VERIFY_FULL": sslVerifyFull, "VERIFY_IDENTITY": sslVerifyFull,
}

// ssl is the TLS configuration, defaults applied.
func (d DatabaseConfig) ssl() (mode sslMode, rootcert string, err error) {
	if d.Options == nil || d.Options.SSL == nil {
		return sslPrefer, "", nil
	}
	s := d.Options.SSL
	mode = sslPrefer
	if strings.TrimSpace(s.Mode) != "" {
		m, ok := sslModes[strings.ToUpper(strings.TrimSpace(s.Mode))]
		if !ok {
			return "", "", fmt.Errorf("%q is not a mode: use PREFER, DISABLE, REQUIRE, VERIFY-CA or VERIFY-FULL (MySQL's PREFERRED, DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY also do)", s.Mode)
		}
		mode = m
	}
	if mode == sslAllow && d.isMySQL() {
		return "", "", errors.New(`"ALLOW" is PostgreSQL's: for MySQL use PREFERRED`)
	}
	if mode == sslVerifyCA && s.Rootcert == "" {
		return "", "", errors.New("VERIFY-CA needs databaseConfig.options.ssl.rootcert, the CA certificate (PEM) that signed the server's")
	}
	return mode, s.Rootcert, nil
}

func (d DatabaseConfig) isMySQL() bool {
	dl, err := d.Dialect()
	return err == nil && dl == schema.MySQL
}

// validateSSL checks options.ssl: its mode and its CA file.
func (d DatabaseConfig) validateSSL(bad func(field, format string, args ...any)) {
	if d.Options == nil || d.Options.SSL == nil {
		return
	}
	if d.isSQLite() {
		bad("databaseConfig.options", "is not used with type %q (a database file on this host): remove it", schema.SQLite)
		return
	}
	mode, rootcert, err := d.ssl()
	if err != nil {
		field := "databaseConfig.options.ssl.mode"
		if strings.Contains(err.Error(), "rootcert") {
			field = "databaseConfig.options.ssl.rootcert"
		}
		bad(field, "%v", err)
		return
	}
	if rootcert == "" {
		return
	}
	if mode == sslDisable {
		bad("databaseConfig.options.ssl.rootcert", "is not used with mode DISABLE: remove it, or choose a mode that uses TLS")
		return
	}
	if _, err := loadRootCAs(rootcert); err != nil {
		bad("databaseConfig.options.ssl.rootcert", "%v", err)
	}
}

// loadRootCAs reads a PEM file of CA certificates.
func loadRootCAs(path string) (*x509.CertPool, error) {
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
func mysqlTLS(host string, mode sslMode, rootcert string) (cfg *tls.Config, fallback bool, err error) {
	if mode == sslDisable {
		return nil, false, nil
	}
	var roots *x509.CertPool
	if rootcert != "" {
		if roots, err = loadRootCAs(rootcert); err != nil {
			return nil, false, fmt.Errorf("databaseConfig.options.ssl.rootcert: %w", err)
		}
	}
	switch {
	case mode == sslPrefer:
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, true, nil //nolint:gosec // prefer: opportunistic, as libpq's
	case mode == sslVerifyFull:
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
func pgConnString(host string, port int, mode sslMode, rootcert string) string {
	q := func(v string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'" }
	s := fmt.Sprintf("host=%s port=%d sslmode=%s", q(host), port, mode)
	if rootcert != "" {
		s += " sslrootcert=" + q(rootcert)
	}
	return s
}

// tlsProblem words a TLS failure of a connection for the person who
// configures it, or returns "" for other errors.
func tlsProblem(db DatabaseConfig, err error) string {
	mode, rootcert, _ := db.ssl()
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case mode.requiresTLS() && (errors.Is(err, mysql.ErrNoTLS) || strings.Contains(err.Error(), "server refused TLS connection")):
		// Under prefer or allow a refusal is no failure: the driver went
		// on in plain text, and whatever failed then is the error's own.
		return fmt.Sprintf("the server does not offer TLS and databaseConfig.options.ssl.mode %s requires it, so no password was sent: enable TLS on the server (or, on a trusted network only, use mode PREFER)", strings.ToUpper(string(mode)))
	case errors.As(err, &name):
		return fmt.Sprintf("the server's certificate does not name %q (databaseConfig.host): connect by a name the certificate holds, or fix the certificate", db.Host)
	case errors.As(err, &unknown) || errors.As(err, &verify) || strings.Contains(err.Error(), "certificate signed by unknown authority"):
		if rootcert == "" {
			return "the server's certificate is not signed by a CA this host trusts: give the CA certificate in databaseConfig.options.ssl.rootcert"
		}
		return fmt.Sprintf("the server's certificate is not signed by the CA in databaseConfig.options.ssl.rootcert (%s): give the CA that signed it", rootcert)
	}
	return ""
}
