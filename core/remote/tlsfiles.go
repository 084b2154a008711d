package remote

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// The certificate files a user of ballerina/ftp has are Java's PKCS#12
// key and trust stores; others have PEM files. Both are taken, told apart
// by their content (PEM is text starting with "-----BEGIN").

func isPEM(b []byte) bool { return bytes.Contains(b, []byte("-----BEGIN ")) }

// loadTrustPool reads the certificates to trust from a PEM file or a
// PKCS#12 trust store (Java's keytool -storetype PKCS12, or a key store
// whose certificates are taken).
func loadTrustPool(path, password string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trust store: %w", err)
	}
	pool := x509.NewCertPool()
	if isPEM(raw) {
		if !pool.AppendCertsFromPEM(raw) {
			return nil, fmt.Errorf("trust store %s holds no PEM certificate", path)
		}
		return pool, nil
	}
	certs, err := pkcs12.DecodeTrustStore(raw, password)
	if err != nil {
		// A key store (a key and its chain) given as the trust store.
		_, cert, chain, kerr := pkcs12.DecodeChain(raw, password)
		if kerr != nil {
			return nil, fmt.Errorf("trust store %s is neither PEM nor a PKCS#12 store this password opens: %w", path, err)
		}
		certs = append([]*x509.Certificate{cert}, chain...)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("trust store %s holds no certificate", path)
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// loadClientCert reads a client certificate and its private key from a
// PKCS#12 key store or from a PEM file holding both (key unencrypted).
func loadClientCert(path, password string) (tls.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key store: %w", err)
	}
	if isPEM(raw) {
		cert, err := tls.X509KeyPair(raw, raw)
		if err != nil {
			return cert, fmt.Errorf("key store %s: a PEM key store must hold the certificate and its unencrypted private key: %w", path, err)
		}
		return cert, nil
	}
	key, cert, chain, err := pkcs12.DecodeChain(raw, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return tls.Certificate{}, fmt.Errorf("key store %s: the password is wrong", path)
		}
		return tls.Certificate{}, fmt.Errorf("key store %s is neither PEM nor a PKCS#12 key store: %w", path, err)
	}
	out := tls.Certificate{PrivateKey: key, Leaf: cert, Certificate: [][]byte{cert.Raw}}
	for _, c := range chain {
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, nil
}
