package taskcompat

// TLS to the coordination database: Ballerina's `options.ssl` record of
// ballerinax/postgresql and ballerinax/mysql, with either module's names
// for the modes.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
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

// sslModes maps either module's spelling of a mode to the mode.
var sslModes = map[string]sqldb.TLSMode{
	"DISABLE": sqldb.TLSDisable, "DISABLED": sqldb.TLSDisable, "ALLOW": sqldb.TLSAllow,
	"PREFER": sqldb.TLSPrefer, "PREFERRED": sqldb.TLSPrefer,
	"REQUIRE": sqldb.TLSRequire, "REQUIRED": sqldb.TLSRequire,
	"VERIFY-CA": sqldb.TLSVerifyCA, "VERIFY_CA": sqldb.TLSVerifyCA,
	"VERIFY-FULL": sqldb.TLSVerifyFull, "VERIFY_FULL": sqldb.TLSVerifyFull, "VERIFY_IDENTITY": sqldb.TLSVerifyFull,
}

// ssl is the TLS configuration, defaults applied.
func (d DatabaseConfig) ssl() (mode sqldb.TLSMode, rootcert string, err error) {
	if d.Options == nil || d.Options.SSL == nil {
		return sqldb.TLSPrefer, "", nil
	}
	s := d.Options.SSL
	mode = sqldb.TLSPrefer
	if strings.TrimSpace(s.Mode) != "" {
		m, ok := sslModes[strings.ToUpper(strings.TrimSpace(s.Mode))]
		if !ok {
			return "", "", fmt.Errorf("%q is not a mode: use PREFER, DISABLE, REQUIRE, VERIFY-CA or VERIFY-FULL (MySQL's PREFERRED, DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY also do)", s.Mode)
		}
		mode = m
	}
	if mode == sqldb.TLSAllow && d.isMySQL() {
		return "", "", errors.New(`"ALLOW" is PostgreSQL's: for MySQL use PREFERRED`)
	}
	if mode == sqldb.TLSVerifyCA && s.Rootcert == "" {
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
	if mode == sqldb.TLSDisable {
		bad("databaseConfig.options.ssl.rootcert", "is not used with mode DISABLE: remove it, or choose a mode that uses TLS")
		return
	}
	if _, err := sqldb.LoadRootCAs(rootcert); err != nil {
		bad("databaseConfig.options.ssl.rootcert", "%v", err)
	}
}

// tlsProblem words a TLS failure of a connection for the person who
// configures it, or returns "" for other errors.
func tlsProblem(db DatabaseConfig, err error) string {
	mode, rootcert, _ := db.ssl()
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case mode.RequiresTLS() && (errors.Is(err, mysql.ErrNoTLS) || strings.Contains(err.Error(), "server refused TLS connection")):
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
