package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"
)

// certAuthority is a CA of the test's own that signs client certificates.
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) certAuthority {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ftpcoord test client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, _ := x509.ParseCertificate(der)
	return certAuthority{cert: cert, key: key}
}

func (ca certAuthority) client(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ftpcoord member"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func writePEM(t *testing.T, path string, blocks ...*pem.Block) string {
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(b)...)
	}
	require.NoError(t, os.WriteFile(path, out, 0o600))
	return path
}

// vsftpdRequiringCerts starts a vsftpd of the test's own (the binary and
// the server certificate of tests/services) that requires a client
// certificate signed by caFile, and returns its address.
func vsftpdRequiringCerts(t *testing.T, caFile string) string {
	return vsftpdOfOwn(t, fmt.Sprintf(`require_ssl_reuse=NO
require_cert=YES
validate_cert=YES
ca_certs_file=%s
`, caFile))
}

// vsftpdOfOwn starts a vsftpd of the test's own (the binary, anonymous
// root and server certificate of tests/services) requiring TLS for login
// and data, with the TLS settings given, and returns its address.
func vsftpdOfOwn(t *testing.T, tlsSettings string) string {
	services := filepath.Dir(filepath.Dir(env(t, "FTPCOORD_TEST_FTP_CA")))
	bin := filepath.Join(services, "vsftpd/pkg/usr/sbin/vsftpd")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(t.TempDir(), "vsftpd.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `listen=YES
listen_address=127.0.0.1
listen_port=%d
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=%s
ftp_username=vsftpanon
pasv_address=127.0.0.1
pasv_min_port=33200
pasv_max_port=33300
seccomp_sandbox=NO
secure_chroot_dir=%s
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
rsa_cert_file=%s
rsa_private_key_file=%s
%s`, port, filepath.Join(services, "vsftpd/anon"), filepath.Join(services, "vsftpd/empty"),
		filepath.Join(services, "tls/cert.pem"), filepath.Join(services, "tls/key.pem"), tlsSettings), 0o600))
	cmd := exec.Command(bin, conf)
	out, _ := os.Create(filepath.Join(t.TempDir(), "vsftpd.out"))
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "vsftpd did not listen")
	return addr
}

// FTPS with a client certificate against vsftpd with require_cert: from
// Ballerina's PKCS#12 key and trust stores, and from PEM files; refused
// without one, and a wrong store password is named.
func TestFTPSClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	caFile := writePEM(t, filepath.Join(dir, "client-ca.pem"), &pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	addr := vsftpdRequiringCerts(t, caFile)
	cert, key := ca.client(t)

	p12, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca.cert}, "ks-pass")
	require.NoError(t, err)
	keyStore := filepath.Join(dir, "client.p12")
	require.NoError(t, os.WriteFile(keyStore, p12, 0o600))
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKeyStore := writePEM(t, filepath.Join(dir, "client.pem"), &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	serverPEM, err := os.ReadFile(env(t, "FTPCOORD_TEST_FTP_CA"))
	require.NoError(t, err)
	block, _ := pem.Decode(serverPEM)
	serverCert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	ts, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{serverCert}, "ts-pass")
	require.NoError(t, err)
	trustStore := filepath.Join(dir, "trust.p12")
	require.NoError(t, os.WriteFile(trustStore, ts, 0o600))

	local := filepath.Join(env(t, "FTPCOORD_TEST_VSFTPD_ROOT"), "t-clientcert-"+filepath.Base(dir))
	require.NoError(t, os.MkdirAll(local, 0o755))
	t.Cleanup(func() { os.RemoveAll(local) })
	require.NoError(t, os.WriteFile(filepath.Join(local, "signed.txt"), []byte("for members with a certificate"), 0o644))
	remoteDir := "/inbox/" + filepath.Base(local)

	base := FTPConfig{Addr: addr, TLS: TLSExplicit, ConnectTimeout: 5 * time.Second}
	for _, tc := range []struct {
		name string
		cfg  func(FTPConfig) FTPConfig
	}{
		{"pkcs12 key and trust stores", func(c FTPConfig) FTPConfig {
			c.KeyStore, c.KeyStorePassword, c.CAFile, c.CAPassword = keyStore, "ks-pass", trustStore, "ts-pass"
			return c
		}},
		{"pem", func(c FTPConfig) FTPConfig {
			c.KeyStore, c.CAFile = pemKeyStore, env(t, "FTPCOORD_TEST_FTP_CA")
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DialFTP(context.Background(), tc.cfg(base))
			require.NoError(t, err)
			defer c.Close()
			var names []string
			require.NoError(t, c.List(context.Background(), remoteDir, func(e Entry) error { names = append(names, e.Name); return nil }))
			assert.Equal(t, []string{"signed.txt"}, names)
			assert.Equal(t, "for members with a certificate", readAll(t, c, remoteDir+"/signed.txt", 0))
		})
	}

	// Without a certificate the server refuses the session.
	noCert := base
	noCert.CAFile = env(t, "FTPCOORD_TEST_FTP_CA")
	_, err = DialFTP(context.Background(), noCert)
	require.ErrorIs(t, err, ErrRefused, "retrying cannot mend it")
	assert.Contains(t, err.Error(), "requires a client certificate: give it in auth.secureSocket.key")

	wrong := base
	wrong.KeyStore, wrong.KeyStorePassword, wrong.CAFile = keyStore, "nope-secret", env(t, "FTPCOORD_TEST_FTP_CA")
	_, err = DialFTP(context.Background(), wrong)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "auth.secureSocket.key: key store "+keyStore+": the password is wrong")
	assert.NotContains(t, err.Error(), "nope-secret")

	wrong = base
	wrong.CAFile, wrong.CAPassword = trustStore, "nope-secret"
	_, err = DialFTP(context.Background(), wrong)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "auth.secureSocket.cert: trust store "+trustStore)
}
