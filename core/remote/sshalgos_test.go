package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/sftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// OpenSSH reached with a narrowed, non-default set of every kind works; a
// set it does not offer fails naming what each side offered and the field.
func TestSFTPAlgorithmsOnOpenSSH(t *testing.T) {
	cfg, dir := sftpServer(t)
	ctx := context.Background()
	narrow := cfg
	narrow.Algorithms = SSHAlgorithms{KeyExchanges: []string{"diffie-hellman-group14-sha256"}, Ciphers: []string{"aes256-ctr"},
		MACs: []string{"hmac-sha2-256"}, HostKeyAlgorithms: []string{"ssh-ed25519"}}
	c, err := DialSFTP(ctx, narrow)
	require.NoError(t, err, "narrowed algorithms")
	require.NoError(t, c.List(ctx, dir, func(Entry) error { return nil }))
	c.Close()

	legacy := cfg
	legacy.Algorithms = SSHAlgorithms{Ciphers: []string{"aes128-cbc"}} // OpenSSH 9 offers no CBC by default
	_, err = DialSFTP(ctx, legacy)
	require.ErrorIs(t, err, ErrRefused)
	for _, want := range []string{"sftpAlgorithms.ciphers", "aes128-cbc", "aes256-gcm@openssh.com", "the server offers"} {
		assert.ErrorContains(t, err, want)
	}

	bad := cfg
	bad.Algorithms = SSHAlgorithms{MACs: []string{"rot13"}}
	_, err = DialSFTP(ctx, bad)
	require.ErrorIs(t, err, ErrRefused)
	assert.ErrorContains(t, err, `macs: "rot13" is not an algorithm`)
	assert.ErrorContains(t, err, "hmac-sha2-256", "the known names")
}

// A server that offers only a legacy cipher and keyboard-interactive login
// (as appliances with PAM do): x/crypto's defaults refuse it, naming the
// cipher; naming the cipher reaches it, and the password answers the prompt.
func TestSFTPLegacyCipherAndKeyboardInteractive(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "x.txt"), []byte("hello"), 0o644)
	addr, known := kbdServer(t, root)
	cfg := SFTPConfig{Addr: addr, User: "tester", Password: "s3cret", KnownHostsPath: known}
	ctx := context.Background()
	_, err := DialSFTP(ctx, cfg)
	require.ErrorIs(t, err, ErrRefused, "default ciphers against a CBC-only server")
	assert.ErrorContains(t, err, "sftpAlgorithms.ciphers")
	assert.ErrorContains(t, err, "the server offers aes128-cbc")

	cfg.Algorithms.Ciphers = []string{"aes128-cbc"}
	c, err := DialSFTP(ctx, cfg)
	require.NoError(t, err, "legacy cipher named, keyboard-interactive password")
	defer c.Close()
	require.Equal(t, "hello", readAll(t, c, filepath.Join(root, "x.txt"), 0))

	wrong := cfg
	wrong.Password = "nope"
	_, err = DialSFTP(ctx, wrong)
	require.ErrorIs(t, err, ErrRefused, "wrong keyboard-interactive answer")
	assert.NotContains(t, err.Error(), "nope")
}

// kbdServer is an in-process SSH server (x/crypto/ssh and pkg/sftp): only
// aes128-cbc, only keyboard-interactive authentication.
func kbdServer(t *testing.T, root string) (addr, known string) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	sc := &ssh.ServerConfig{
		Config: ssh.Config{Ciphers: []string{"aes128-cbc"}},
		KeyboardInteractiveCallback: func(conn ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := ask("", "", []string{"Password: "}, []bool{false})
			if err == nil && conn.User() == "tester" && len(ans) == 1 && ans[0] == "s3cret" {
				return nil, nil
			}
			return nil, os.ErrPermission
		},
	}
	sc.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSFTP(nc, sc)
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	known = filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(known, []byte("["+host+"]:"+port+" "+string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), 0o600))
	return ln.Addr().String(), known
}

func serveSFTP(nc net.Conn, sc *ssh.ServerConfig) {
	defer nc.Close()
	_, chans, reqs, err := ssh.NewServerConn(nc, sc)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		ch, creqs, err := nch.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range creqs {
				r.Reply(r.Type == "subsystem" && string(r.Payload[4:]) == "sftp", nil)
			}
		}()
		if s, err := sftp.NewServer(ch); err == nil {
			s.Serve()
		}
		ch.Close()
	}
}

// OpenSSH offering only legacy algorithms (tests/services/sshdlegacy.sh):
// the defaults fail naming the cipher it offers (x/crypto's defaults still
// include its key exchange); naming its algorithms reaches it.
func TestSFTPLegacyOpenSSH(t *testing.T) {
	cfg, dir := sftpServer(t)
	cfg.Addr, cfg.KnownHostsPath = env(t, "FTPCOORD_TEST_SFTP_LEGACY_ADDR"), env(t, "FTPCOORD_TEST_SFTP_LEGACY_KNOWN_HOSTS")
	ctx := context.Background()
	_, err := DialSFTP(ctx, cfg)
	require.ErrorIs(t, err, ErrRefused, "x/crypto/ssh's defaults against a legacy-only server")
	assert.ErrorContains(t, err, "sftpAlgorithms.ciphers")
	assert.ErrorContains(t, err, "the server offers aes128-cbc;")
	assert.ErrorContains(t, err, "ftpcoord offered aes128-gcm@openssh.com")

	cfg.Algorithms = SSHAlgorithms{KeyExchanges: []string{"diffie-hellman-group14-sha1"}, Ciphers: []string{"aes128-cbc"},
		MACs: []string{"hmac-sha1"}, HostKeyAlgorithms: []string{"ssh-rsa"}}
	c, err := DialSFTP(ctx, cfg)
	require.NoError(t, err, "legacy algorithms named")
	defer c.Close()
	writeAppendRead(t, c, dir+"/legacy.txt")
}
