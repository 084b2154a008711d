package remote

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Trust on first use against OpenSSH: the first connection records the
// key (logged with its fingerprint) into a file that did not exist, later
// ones are checked against it, sessions opened at once record it once, and
// a recorded key that differs is refused.
func TestSFTPTrustOnFirstUse(t *testing.T) {
	cfg, dir := sftpServer(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	cfg.KnownHostsPath, cfg.TrustOnFirstUse = kh, true
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			c, err := DialSFTP(context.Background(), cfg)
			if assert.NoError(t, err) {
				c.Close()
			}
		})
	}
	wg.Wait()
	recorded, err := os.ReadFile(kh)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(recorded), "\n"), "one line, whatever the sessions: %s", recorded)
	assert.Contains(t, logs.String(), "fingerprint=SHA256:")
	assert.Equal(t, 1, strings.Count(logs.String(), "trusted the host key on first use"))

	// Later connections are checked against the recorded key, TOFU or not.
	cfg.TrustOnFirstUse = false
	c := dialSFTP(t, cfg)
	writeAppendRead(t, c, dir+"/tofu.txt")

	// Another key recorded for the host: refused, never overwritten.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	require.NoError(t, os.WriteFile(kh, []byte(knownhosts.Line([]string{knownhosts.Normalize(cfg.Addr)}, signer.PublicKey())+"\n"), 0o600))
	cfg.TrustOnFirstUse = true
	_, err = DialSFTP(context.Background(), cfg)
	require.ErrorIs(t, err, ErrHostKey)
	assert.Contains(t, err.Error(), "does not match")
	after, _ := os.ReadFile(kh)
	assert.Equal(t, 1, strings.Count(string(after), "\n"), "the file is left as it was")
}

// Without TOFU an unknown host's error says how to pin the key.
func TestSFTPUnknownHostNamesTrustOnFirstUse(t *testing.T) {
	cfg, _ := sftpServer(t)
	cfg.KnownHostsPath = filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(cfg.KnownHostsPath, nil, 0o600))
	_, err := DialSFTP(context.Background(), cfg)
	require.ErrorIs(t, err, ErrHostKey)
	assert.Contains(t, err.Error(), "sftpTrustOnFirstUse = true")
}

// auth.preferredMethods against OpenSSH (key logins only): PUBLICKEY first
// logs in with the key; a list without PUBLICKEY tries no key and says
// which credentials the listed methods need.
func TestSFTPPreferredMethods(t *testing.T) {
	cfg, dir := sftpServer(t)
	cfg.Password = "not-the-way-in"
	cfg.PreferredMethods = []string{"GSSAPI_WITH_MIC", "PUBLICKEY", "PASSWORD"}
	c := dialSFTP(t, cfg)
	writeAppendRead(t, c, dir+"/preferred.txt")

	cfg.PreferredMethods = []string{"PASSWORD", "KEYBOARD_INTERACTIVE"}
	_, err := DialSFTP(context.Background(), cfg)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "refused the login")
	assert.NotContains(t, err.Error(), "not-the-way-in")

	cfg.Password = ""
	_, err = DialSFTP(context.Background(), cfg)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "no credentials for the preferred methods [PASSWORD KEYBOARD_INTERACTIVE]")
}
