package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// sftpServer returns the settings of the OpenSSH server of tests/services
// and a fresh directory of the test's own on it (the same path remotely and
// locally: the SFTP session is not chrooted).
func sftpServer(t *testing.T) (SFTPConfig, string) {
	t.Helper()
	s := sftpServers(t)[0]
	return s.cfg, s.remote
}

// sftpTarget is one real SFTP server of tests/services and a directory of
// the test's own on it, as the server names it and on the local disk.
type sftpTarget struct {
	name          string
	cfg           SFTPConfig
	remote, local string
}

// sftpServers returns OpenSSH (key authentication, not chrooted) and
// ProFTPD's mod_sftp (password, and key, authentication; chrooted to its
// root), each with a fresh test directory.
func sftpServers(t *testing.T) []sftpTarget {
	t.Helper()
	openssh := SFTPConfig{Addr: env(t, "FTPCOORD_TEST_SFTP_ADDR"), User: env(t, "FTPCOORD_TEST_SFTP_USER"),
		PrivateKeyPath: env(t, "FTPCOORD_TEST_SFTP_KEY"), KnownHostsPath: env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS")}
	pro := SFTPConfig{Addr: env(t, "FTPCOORD_TEST_PROFTPD_SFTP_ADDR"), User: env(t, "FTPCOORD_TEST_PROFTPD_USER"),
		Password: env(t, "FTPCOORD_TEST_PROFTPD_PASSWORD"), KnownHostsPath: env(t, "FTPCOORD_TEST_PROFTPD_SFTP_KNOWN_HOSTS")}
	proKey := pro
	proKey.Password, proKey.PrivateKeyPath = "", env(t, "FTPCOORD_TEST_PROFTPD_SFTP_KEY")
	b := make([]byte, 4)
	rand.Read(b)
	dir := fmt.Sprintf("t-%s-%x", strings.ReplaceAll(t.Name(), "/", "-"), b)
	osshDir := filepath.Join(env(t, "FTPCOORD_TEST_SFTP_ROOT"), dir)
	proRoot := env(t, "FTPCOORD_TEST_PROFTPD_ROOT")
	for _, d := range []string{osshDir, filepath.Join(proRoot, dir), filepath.Join(proRoot, dir+"-key")} {
		require.NoError(t, os.MkdirAll(d, 0o777))
		os.Chmod(d, 0o777) // ProFTPD's user writes here too
		t.Cleanup(func() { os.RemoveAll(d) })
	}
	return []sftpTarget{
		{name: "openssh", cfg: openssh, remote: osshDir, local: osshDir},
		{name: "proftpd-mod_sftp", cfg: pro, remote: "/" + dir, local: filepath.Join(proRoot, dir)},
		{name: "proftpd-mod_sftp-key", cfg: proKey, remote: "/" + dir + "-key", local: filepath.Join(proRoot, dir+"-key")},
	}
}

func eachSFTPServer(t *testing.T, f func(t *testing.T, s sftpTarget)) {
	for _, s := range sftpServers(t) {
		t.Run(s.name, func(t *testing.T) { f(t, s) })
	}
}

func dialSFTP(t *testing.T, cfg SFTPConfig) Conn {
	t.Helper()
	c, err := DialSFTP(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSFTPRoundTrip(t *testing.T) {
	eachSFTPServer(t, testSFTPRoundTrip)
}

func testSFTPRoundTrip(t *testing.T, s sftpTarget) {
	cfg, dir := s.cfg, s.remote
	c := dialSFTP(t, cfg)
	ctx := context.Background()
	p := dir + "/a file ✓.txt"
	writeAppendRead(t, c, p)
	e, err := c.Stat(ctx, p)
	require.NoError(t, err, "Stat")
	require.Equal(t, int64(12), e.Size, "Stat = %+v", e)
	require.False(t, e.IsDir, "Stat = %+v", e)
	require.Equal(t, PrecisionSecond, e.Precision, "Stat = %+v: not to the second", e)
	require.NoError(t, c.Mkdir(ctx, dir+"/sub"))
	// Rename replaces an existing target (posix-rename).
	c.Write(ctx, dir+"/sub/moved.txt", strings.NewReader("old"))
	require.NoError(t, c.Rename(ctx, p, dir+"/sub/moved.txt"))
	require.Equal(t, "hello, world", readAll(t, c, dir+"/sub/moved.txt", 0), "after rename over a target")
	_, err = c.Open(ctx, p, 0)
	require.ErrorIs(t, err, fs.ErrNotExist, "Open of a missing file")
	require.NoError(t, c.Delete(ctx, dir+"/sub/moved.txt"))
	require.ErrorIs(t, c.Delete(ctx, dir+"/sub/moved.txt"), fs.ErrNotExist, "second delete")
	require.NoError(t, c.Rmdir(ctx, dir+"/sub"))
	require.NoError(t, c.Alive(ctx))
}

func TestSFTPListAndStream(t *testing.T) {
	eachSFTPServer(t, testSFTPListAndStream)
}

func testSFTPListAndStream(t *testing.T, s sftpTarget) {
	c := dialSFTP(t, s.cfg)
	dir := s.remote
	names := []string{"with space.txt", "ünï-日本.xml", "emoji-📦.json", "zero"}
	for i := range 1000 {
		names = append(names, fmt.Sprintf("f%04d", i))
	}
	for i, n := range names {
		os.WriteFile(filepath.Join(s.local, n), []byte(strings.Repeat("x", i%5)), 0o644)
	}
	os.Mkdir(filepath.Join(s.local, "d"), 0o755)
	seen := map[string]Entry{}
	require.NoError(t, c.List(context.Background(), dir, func(e Entry) error { seen[e.Name] = e; return nil }))
	require.Len(t, seen, len(names)+1, "listed entries")
	require.True(t, seen["d"].IsDir, "d=%+v", seen["d"])
	require.Equal(t, int64(1), seen["ünï-日本.xml"].Size, "ünï-日本.xml=%+v", seen["ünï-日本.xml"])
	// A 64 MiB file streams with bounded heap, through io.Copy (WriteTo).
	f, _ := os.Create(filepath.Join(s.local, "big"))
	h := sha256.New()
	io.CopyN(io.MultiWriter(f, h), rand.Reader, 64<<20)
	f.Close()
	want := h.Sum(nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := c.Open(context.Background(), dir+"/big", 0)
	require.NoError(t, err)
	h.Reset()
	n, err := io.Copy(h, r)
	r.Close()
	runtime.ReadMemStats(&after)
	require.NoError(t, err, "streamed")
	require.Equal(t, int64(64<<20), n, "streamed bytes")
	require.Equal(t, want, h.Sum(nil), "checksum")
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	require.LessOrEqual(t, grown, int64(16<<20), "heap grew by %d MiB", grown>>20)
}

func TestSFTPRefusals(t *testing.T) {
	cfg, dir := sftpServer(t)
	ctx := context.Background()

	noKH := cfg
	noKH.KnownHostsPath = ""
	_, err := DialSFTP(ctx, noKH)
	if assert.ErrorIs(t, err, ErrRefused, "no known_hosts") {
		assert.Contains(t, err.Error(), "knownHosts", "no known_hosts")
	}

	// A known_hosts file that pins another key for this host.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	host, port, _ := strings.Cut(cfg.Addr, ":")
	wrongKH := filepath.Join(dir, "known_hosts")
	os.WriteFile(wrongKH, []byte(fmt.Sprintf("[%s]:%s %s", host, port, ssh.MarshalAuthorizedKey(otherSigner.PublicKey()))), 0o600)
	bad := cfg
	bad.KnownHostsPath = wrongKH
	_, err = DialSFTP(ctx, bad)
	// The error shows the fingerprint of the key the server presented,
	// to be compared with the server's own before trusting it.
	khBytes, rerr := os.ReadFile(cfg.KnownHostsPath)
	require.NoError(t, rerr)
	_, _, serverKey, _, _, rerr := ssh.ParseKnownHosts(khBytes)
	require.NoError(t, rerr)
	seen := ssh.FingerprintSHA256(serverKey)
	if assert.ErrorIs(t, err, ErrHostKey, "mismatched host key") {
		assert.Contains(t, err.Error(), "ssh-keyscan", "mismatched host key")
		assert.Contains(t, err.Error(), serverKey.Type()+" "+seen, "mismatched host key: the key seen")
		assert.Contains(t, err.Error(), "compare that fingerprint", "mismatched host key")
		assert.NotContains(t, err.Error(), ssh.FingerprintSHA256(otherSigner.PublicKey()), "mismatched host key: the pinned key is not the one seen")
	}
	empty := filepath.Join(dir, "empty_known_hosts")
	os.WriteFile(empty, nil, 0o600)
	bad.KnownHostsPath = empty
	_, err = DialSFTP(ctx, bad)
	if assert.ErrorIs(t, err, ErrHostKey, "unknown host") {
		assert.Contains(t, err.Error(), seen, "unknown host: the key seen")
	}

	// A key the server does not know.
	block, _ := ssh.MarshalPrivateKey(other, "")
	wrongKey := filepath.Join(dir, "wrong_key")
	os.WriteFile(wrongKey, pem.EncodeToMemory(block), 0o600)
	wk := cfg
	wk.PrivateKeyPath = wrongKey
	_, err = DialSFTP(ctx, wk)
	if assert.ErrorIs(t, err, ErrRefused, "wrong key") {
		assert.Contains(t, err.Error(), cfg.User, "wrong key")
	}

	// The real key, encrypted with a passphrase.
	raw, _ := os.ReadFile(cfg.PrivateKeyPath)
	key, err := ssh.ParseRawPrivateKey(raw)
	require.NoError(t, err)
	encBlock, _ := ssh.MarshalPrivateKeyWithPassphrase(key, "", []byte("open sesame"))
	encPath := filepath.Join(dir, "enc_key")
	os.WriteFile(encPath, pem.EncodeToMemory(encBlock), 0o600)
	enc := cfg
	enc.PrivateKeyPath = encPath
	_, err = DialSFTP(ctx, enc)
	assert.ErrorContains(t, err, "passphrase", "encrypted key without passphrase")
	enc.PrivateKeyPassphrase = "open sesame"
	c, err := DialSFTP(ctx, enc)
	require.NoError(t, err, "encrypted key with its passphrase")
	c.Close()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	c = dialSFTP(t, cfg)
	assert.ErrorIs(t, c.List(cancelled, dir, func(Entry) error { return nil }), context.Canceled, "List with a cancelled context")
}
