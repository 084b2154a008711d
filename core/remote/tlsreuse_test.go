package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
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
	pem, err := os.ReadFile(env(t, "FTPCOORD_TEST_FTP_CA"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	plain, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second),
		ftp.DialWithExplicitTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: pool, MinVersion: tls.VersionTLS12}))
	require.NoError(t, err)
	defer plain.Quit()
	require.NoError(t, plain.Login("anonymous", "anonymous"))
	_, err = plain.List("/inbox/" + dir)
	require.ErrorContains(t, err, "522", "a client that does not resume the session was served")
}
