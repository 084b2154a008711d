package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/stretchr/testify/require"
)

// FTPS servers that require the data connection to resume the control
// connection's TLS session (vsftpd's default require_ssl_reuse=YES; the
// shared test servers turn it off) are served: ftpcoord keeps a TLS session
// cache, so its data connections resume the session. A client without one
// is refused by the same server (522), which shows that the server checks.
func TestFTPSWithSessionReuseRequired(t *testing.T) {
	addr := vsftpdOfOwn(t, "require_ssl_reuse=YES\n")
	dir := "reuse-" + time.Now().Format("150405.000000000")
	local := filepath.Join(env(t, "FTPCOORD_TEST_VSFTPD_ROOT"), dir)
	require.NoError(t, os.Mkdir(local, 0o755))
	t.Cleanup(func() { os.RemoveAll(local) })
	require.NoError(t, os.WriteFile(filepath.Join(local, "a.csv"), []byte("id\n1\n"), 0o644))
	ctx := context.Background()

	c, err := DialFTP(ctx, FTPConfig{Addr: addr, TLS: TLSExplicit, CAFile: env(t, "FTPCOORD_TEST_FTP_CA")})
	require.NoError(t, err)
	defer c.Close()
	var names []string
	require.NoError(t, c.List(ctx, "/inbox/"+dir, func(e Entry) error { names = append(names, e.Name); return nil }), "LIST over a resumed session")
	require.Equal(t, []string{"a.csv"}, names)
	require.Equal(t, "id\n1\n", readAll(t, c, "/inbox/"+dir+"/a.csv", 0), "RETR over a resumed session")
	require.Equal(t, "1\n", readAll(t, c, "/inbox/"+dir+"/a.csv", 3), "RETR from an offset")

	// Without a session cache: refused on the data connection.
	plain := withoutSessionCache(t, addr, "anonymous", "anonymous")
	_, err = plain.List("/inbox/" + dir)
	require.ErrorContains(t, err, "522", "a client that does not resume the session was served")
}

// proftpdOfOwn starts a ProFTPD of the test's own (the binary, users and
// server certificate of tests/services) with explicit TLS required and
// mod_tls's default of data connections that must resume the control
// connection's TLS session, and returns its address and its TLS log.
func proftpdOfOwn(t *testing.T) (addr, tlsLog string) {
	dir := filepath.Dir(env(t, "FTPCOORD_TEST_PROFTPD_ROOT"))
	services := filepath.Dir(filepath.Dir(env(t, "FTPCOORD_TEST_FTP_CA")))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	own := t.TempDir()
	conf := filepath.Join(own, "proftpd.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `ServerName "ftpcoord session reuse test"
ServerType standalone
DefaultServer on
DefaultAddress 127.0.0.1
SocketBindTight on
Port %[1]d
UseIPv6 off
UseReverseDNS off
User nobody
Group nogroup
PidFile %[2]s/proftpd.pid
ScoreboardFile %[2]s/scoreboard
DelayTable none
WtmpLog off
SystemLog %[2]s/system.log
TransferLog none
ModulePath %[3]s/pkg/usr/lib/proftpd
LoadModule mod_tls.c
AuthOrder mod_auth_file.c
AuthUserFile %[3]s/passwd
AuthGroupFile %[3]s/group
RequireValidShell off
DefaultRoot ~
AllowRetrieveRestart on
PassivePorts 34200 34300
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired on
  TLSLog %[2]s/tls.log
  TLSRSACertificateFile %[4]s/tls/cert.pem
  TLSRSACertificateKeyFile %[4]s/tls/key.pem
  TLSVerifyClient off
</IfModule>
`, port, own, dir, services), 0o644))
	cmd := exec.Command(filepath.Join(dir, "pkg/usr/sbin/proftpd"), "-n", "-q", "-c", conf)
	out, _ := os.Create(filepath.Join(own, "server.out"))
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "proftpd did not listen")
	return addr, filepath.Join(own, "tls.log")
}

// The same on ProFTPD at mod_tls's default (the shared test server sets
// NoSessionReuseRequired).
func TestFTPSWithSessionReuseRequiredProFTPD(t *testing.T) {
	addr, tlsLog := proftpdOfOwn(t)
	dir := "reuse-" + time.Now().Format("150405.000000000")
	local := filepath.Join(env(t, "FTPCOORD_TEST_PROFTPD_ROOT"), dir)
	require.NoError(t, os.Mkdir(local, 0o755))
	t.Cleanup(func() { os.RemoveAll(local) })
	require.NoError(t, os.WriteFile(filepath.Join(local, "a.csv"), []byte("id\n1\n"), 0o644))
	user, password := env(t, "FTPCOORD_TEST_PROFTPD_USER"), env(t, "FTPCOORD_TEST_PROFTPD_PASSWORD")
	ctx := context.Background()

	c, err := DialFTP(ctx, FTPConfig{Addr: addr, User: user, Password: password, TLS: TLSExplicit, CAFile: env(t, "FTPCOORD_TEST_FTP_CA")})
	require.NoError(t, err)
	defer c.Close()
	var names []string
	require.NoError(t, c.List(ctx, "/"+dir, func(e Entry) error { names = append(names, e.Name); return nil }), "MLSD over a resumed session")
	require.Equal(t, []string{"a.csv"}, names)
	require.Equal(t, "1\n", readAll(t, c, "/"+dir+"/a.csv", 3), "RETR from an offset over a resumed session")

	plain := withoutSessionCache(t, addr, user, password)
	_, err = plain.List("/" + dir)
	require.ErrorContains(t, err, "425", "a client that does not resume the session was served")
	log, _ := os.ReadFile(tlsLog)
	require.Contains(t, string(log), "client reused TLS session for data connection", "ftpcoord's data connections")
	require.Contains(t, string(log), "client did not reuse TLS session, rejecting data connection", "why ProFTPD refused the other client")
}

// withoutSessionCache logs in over explicit FTPS with a client that keeps
// no TLS session cache, so its data connections cannot resume the control
// connection's session.
func withoutSessionCache(t *testing.T, addr, user, password string) *ftp.ServerConn {
	t.Helper()
	pem, err := os.ReadFile(env(t, "FTPCOORD_TEST_FTP_CA"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	plain, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second),
		ftp.DialWithExplicitTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: pool, MinVersion: tls.VersionTLS12}))
	require.NoError(t, err)
	t.Cleanup(func() { plain.Quit() })
	require.NoError(t, plain.Login(user, password))
	return plain
}
