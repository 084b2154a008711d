package remote

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The FTPS client certificate and key are read at each connection: a key
// file replaced in place (a new file renamed over the old, as a rotated
// certificate is installed) is used by the next connection.
func TestFTPSClientCertificateIsReadAtEachConnection(t *testing.T) {
	dir := t.TempDir()
	trusted, stranger := newCA(t), newCA(t)
	caFile := writePEM(t, filepath.Join(dir, "client-ca.pem"), &pem.Block{Type: "CERTIFICATE", Bytes: trusted.cert.Raw})
	addr := vsftpdRequiringCerts(t, caFile)
	keyFile := filepath.Join(dir, "client.pem")
	install := func(ca certAuthority) {
		cert, key := ca.client(t)
		der, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		writePEM(t, keyFile+".new", &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		require.NoError(t, os.Rename(keyFile+".new", keyFile))
	}
	cfg := FTPConfig{Addr: addr, TLS: TLSExplicit, ConnectTimeout: 5 * time.Second, CAFile: env(t, "FTPCOORD_TEST_FTP_CA"), KeyStore: keyFile}
	ctx := context.Background()

	install(stranger)
	_, err := DialFTP(ctx, cfg)
	require.ErrorContains(t, err, "unknown certificate authority", "a certificate the server does not trust")

	install(trusted)
	c, err := DialFTP(ctx, cfg)
	require.NoError(t, err, "the replaced certificate, without a new configuration")
	require.NoError(t, c.List(ctx, "/", func(Entry) error { return nil }))
	require.NoError(t, c.Close())
}
