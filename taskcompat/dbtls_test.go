package taskcompat_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// tlsServer is the TLS-enabled test server of a dialect (tests/services/dbtls.sh).
func tlsServer(t *testing.T, d schema.Dialect) taskcompat.DatabaseConfig {
	t.Helper()
	name := map[schema.Dialect]string{schema.Postgres: "FTPCOORD_TEST_POSTGRES_TLS_URL", schema.MySQL: "FTPCOORD_TEST_MYSQL_TLS_URL"}[d]
	raw := os.Getenv(name)
	require.NotEmpty(t, raw, "%s is not set: run tests/services/start.sh and export what it prints", name)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	pw, _ := u.User.Password()
	return taskcompat.DatabaseConfig{Type: string(d), Host: u.Hostname(), Port: port, User: u.User.Username(), Password: pw, Database: u.Path[1:]}
}

func testCA(t *testing.T) string {
	t.Helper()
	ca := os.Getenv("FTPCOORD_TEST_DB_TLS_CA")
	require.NotEmpty(t, ca, "FTPCOORD_TEST_DB_TLS_CA is not set: run tests/services/start.sh and export what it prints")
	return ca
}

// otherCA writes a CA certificate that signed nothing the servers hold.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return p
}

func withSSL(db taskcompat.DatabaseConfig, mode, rootcert string) taskcompat.DatabaseConfig {
	db.Options = &taskcompat.DatabaseOptions{SSL: &taskcompat.SecureSocket{Mode: mode, Rootcert: rootcert}}
	return db
}

// sessionUsesTLS asks the server whether this session is encrypted.
func sessionUsesTLS(t *testing.T, pool *sql.DB, d schema.Dialect) bool {
	t.Helper()
	if d == schema.Postgres {
		var ssl bool
		require.NoError(t, pool.QueryRow(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl))
		return ssl
	}
	var name, version string
	require.NoError(t, pool.QueryRow(`SHOW SESSION STATUS LIKE 'Ssl_version'`).Scan(&name, &version))
	return version != ""
}

// With no TLS setting the connection uses TLS when the server offers it;
// VERIFY-FULL with the test CA connects (by IP and by name); a CA that did
// not sign the server's certificate is refused with an error naming the
// field; VERIFY-FULL to a name the certificate does not hold is refused.
func TestDatabaseTLS(t *testing.T) {
	for _, c := range []struct {
		d          schema.Dialect
		full       string
		requireTLS string
	}{{schema.Postgres, "VERIFY-FULL", "REQUIRE"}, {schema.MySQL, "VERIFY_IDENTITY", "REQUIRED"}} {
		t.Run(string(c.d), func(t *testing.T) {
			ctx := context.Background()
			srv := tlsServer(t, c.d)
			connect := func(db taskcompat.DatabaseConfig) (*sql.DB, error) {
				require.NoError(t, taskcompat.Config{Database: db, TaskID: "m", GroupID: "g"}.Validate(), "the configuration is valid")
				pool, err := taskcompat.Connect(ctx, db, "UTC", 10*time.Second)
				if pool != nil {
					t.Cleanup(func() { pool.Close() })
				}
				return pool, err
			}
			pool, err := connect(srv)
			require.NoError(t, err, "default (prefer)")
			require.True(t, sessionUsesTLS(t, pool, c.d), "the default does not use the TLS the server offers")

			for _, host := range []string{"127.0.0.1", "localhost"} {
				db := withSSL(srv, c.full, testCA(t))
				db.Host = host
				pool, err = connect(db)
				require.NoError(t, err, "%s with the test CA to %s", c.full, host)
				require.True(t, sessionUsesTLS(t, pool, c.d), "%s", c.full)
			}
			pool, err = connect(withSSL(srv, c.requireTLS, ""))
			require.NoError(t, err, "%s without a CA", c.requireTLS)
			require.True(t, sessionUsesTLS(t, pool, c.d), "%s", c.requireTLS)

			wrong := otherCA(t)
			_, err = connect(withSSL(srv, c.full, wrong))
			require.ErrorIs(t, err, taskcompat.ErrDatabase)
			require.ErrorContains(t, err, "not signed by the CA in databaseConfig.options.ssl.rootcert ("+wrong+")")
			require.NotContains(t, err.Error(), srv.Password)

			_, err = connect(withSSL(srv, c.full, ""))
			require.ErrorContains(t, err, "give the CA certificate in databaseConfig.options.ssl.rootcert", "no CA: the system's do not know the test CA")

			db := withSSL(srv, c.full, testCA(t))
			db.Host = "127.0.0.2" // the server listens on 127.0.0.1 only
			_, err = connect(db)
			require.Error(t, err)
		})
	}
}

// Bad TLS settings are field errors that say what to write.
func TestDatabaseTLSBadInput(t *testing.T) {
	base := taskcompat.DatabaseConfig{Type: "postgresql", User: "u", Database: "d"}
	for _, c := range []struct {
		db          taskcompat.DatabaseConfig
		field, want string
	}{
		{withSSL(base, "SOMETIMES", ""), "databaseConfig.options.ssl.mode", "VERIFY-FULL"},
		{withSSL(base, "VERIFY-CA", ""), "databaseConfig.options.ssl.rootcert", "needs databaseConfig.options.ssl.rootcert"},
		{withSSL(base, "VERIFY-FULL", "/nonexistent/ca.pem"), "databaseConfig.options.ssl.rootcert", "cannot read the CA file"},
		{withSSL(base, "VERIFY-FULL", "/etc/hostname"), "databaseConfig.options.ssl.rootcert", "holds no PEM certificate"},
		{withSSL(taskcompat.DatabaseConfig{Type: "mysql", User: "u", Database: "d"}, "ALLOW", ""), "databaseConfig.options.ssl.mode", "PREFERRED"},
	} {
		err := taskcompat.Config{Database: c.db, TaskID: "m", GroupID: "g"}.Validate()
		var fe *taskcompat.FieldError
		require.ErrorAs(t, err, &fe, "%+v", c.db.Options.SSL)
		require.Equal(t, c.field, fe.Field, "%v", err)
		require.ErrorContains(t, err, c.want)
	}
}

// fakePostgres answers SSLRequest with 'N' (no TLS), then asks for a
// cleartext password and records what it got.
type fakePostgres struct {
	ln        net.Listener
	mu        sync.Mutex
	sslAsked  bool
	passwords []string
}

func newFakePostgres(t *testing.T) *fakePostgres {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakePostgres{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakePostgres) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	for {
		var n uint32
		if binary.Read(c, binary.BigEndian, &n) != nil || n < 8 || n > 10000 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		switch code := binary.BigEndian.Uint32(body); code {
		case 80877103: // SSLRequest
			f.mu.Lock()
			f.sslAsked = true
			f.mu.Unlock()
			c.Write([]byte{'N'})
		case 80877104: // GSSENCRequest
			c.Write([]byte{'N'})
		default: // StartupMessage: ask for the password in clear
			c.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3})
			var tag [1]byte
			if _, err := io.ReadFull(c, tag[:]); err != nil || tag[0] != 'p' {
				return
			}
			if binary.Read(c, binary.BigEndian, &n) != nil || n < 4 || n > 10000 {
				return
			}
			pw := make([]byte, n-4)
			io.ReadFull(c, pw)
			f.mu.Lock()
			f.passwords = append(f.passwords, string(pw))
			f.mu.Unlock()
			c.Write([]byte{'E', 0, 0, 0, 5, 0}) // an empty error: end it
			return
		}
	}
}

// fakeMySQL greets without the CLIENT_SSL capability and offers the
// cleartext password plugin, recording any packet the client sends.
type fakeMySQL struct {
	ln      net.Listener
	mu      sync.Mutex
	replies int
}

func newFakeMySQL(t *testing.T) *fakeMySQL {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeMySQL{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeMySQL) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var caps uint32 = 0x00000001 | 0x00000200 | 0x00008000 | 0x00080000 // LONG_PASSWORD, PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH; no SSL
	p := []byte{10}
	p = append(p, "5.7.99-fake\x00"...)
	p = append(p, 1, 0, 0, 0)
	p = append(p, "abcdefgh"...)
	p = append(p, 0, byte(caps), byte(caps>>8), 33, 2, 0, byte(caps>>16), byte(caps>>24), 21)
	p = append(p, make([]byte, 10)...)
	p = append(p, "ijklmnopqrst\x00"...)
	p = append(p, "mysql_clear_password\x00"...)
	c.Write(append([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}, p...))
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err == nil {
		f.mu.Lock()
		f.replies++
		f.mu.Unlock()
	}
}

// Against a server that offers no TLS and asks for the password in clear,
// a connection that requires TLS sends nothing (PostgreSQL: no password;
// MySQL: not even the login packet) and says why; by default (PREFER) the
// PostgreSQL client asks for TLS first. (It once sent the password
// without asking: sslmode=prefer was lost.)
func TestDatabaseRequiredTLSRefusesPlainServer(t *testing.T) {
	ctx := context.Background()
	pg := newFakePostgres(t)
	port := pg.ln.Addr().(*net.TCPAddr).Port
	db := taskcompat.DatabaseConfig{Type: "postgresql", Host: "127.0.0.1", Port: port, User: "u", Password: "pw-not-to-send", Database: "d"}
	_, err := taskcompat.Connect(ctx, withSSL(db, "REQUIRE", ""), "UTC", 5*time.Second)
	require.ErrorIs(t, err, taskcompat.ErrDatabase)
	require.ErrorContains(t, err, "does not offer TLS")
	require.ErrorContains(t, err, "no password was sent")
	pg.mu.Lock()
	require.True(t, pg.sslAsked, "REQUIRE did not ask for TLS")
	require.Empty(t, pg.passwords, "the password was sent without TLS")
	pg.sslAsked = false
	pg.mu.Unlock()

	_, err = taskcompat.Connect(ctx, db, "UTC", 5*time.Second)
	require.Error(t, err, "the fake server lets no one in")
	pg.mu.Lock()
	require.True(t, pg.sslAsked, "the default (PREFER) did not ask for TLS")
	pg.mu.Unlock()

	my := newFakeMySQL(t)
	mdb := taskcompat.DatabaseConfig{Type: "mysql", Host: "127.0.0.1", Port: my.ln.Addr().(*net.TCPAddr).Port, User: "u", Password: "pw-not-to-send", Database: "d"}
	_, err = taskcompat.Connect(ctx, withSSL(mdb, "REQUIRED", ""), "UTC", 5*time.Second)
	require.ErrorIs(t, err, taskcompat.ErrDatabase)
	require.ErrorContains(t, err, "does not offer TLS")
	my.mu.Lock()
	require.Zero(t, my.replies, "the MySQL client answered a server without TLS")
	my.mu.Unlock()
	require.False(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}
