package remote

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// sftpServer returns the settings of the OpenSSH server of tests/services
// and a fresh directory of the test's own on it (the same path remotely and
// locally: the SFTP session is not chrooted).
func sftpServer(t *testing.T) (SFTPConfig, string) {
	t.Helper()
	cfg := SFTPConfig{Addr: env(t, "FTPCOORD_TEST_SFTP_ADDR"), User: env(t, "FTPCOORD_TEST_SFTP_USER"),
		PrivateKeyPath: env(t, "FTPCOORD_TEST_SFTP_KEY"), KnownHostsPath: env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS")}
	b := make([]byte, 4)
	rand.Read(b)
	dir := filepath.Join(env(t, "FTPCOORD_TEST_SFTP_ROOT"), fmt.Sprintf("t-%s-%x", strings.ReplaceAll(t.Name(), "/", "-"), b))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return cfg, dir
}

func dialSFTP(t *testing.T, cfg SFTPConfig) Conn {
	t.Helper()
	c, err := DialSFTP(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSFTPRoundTrip(t *testing.T) {
	cfg, dir := sftpServer(t)
	c := dialSFTP(t, cfg)
	ctx := context.Background()
	p := dir + "/a file ✓.txt"
	writeAppendRead(t, c, p)
	if e, err := c.Stat(ctx, p); err != nil || e.Size != 12 || e.IsDir || !e.Precise {
		t.Fatalf("Stat = %+v, %v", e, err)
	}
	if err := c.Mkdir(ctx, dir+"/sub"); err != nil {
		t.Fatal(err)
	}
	// Rename replaces an existing target (posix-rename).
	c.Write(ctx, dir+"/sub/moved.txt", strings.NewReader("old"))
	if err := c.Rename(ctx, p, dir+"/sub/moved.txt"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, dir+"/sub/moved.txt", 0); got != "hello, world" {
		t.Fatalf("after rename over a target: %q", got)
	}
	if _, err := c.Open(ctx, p, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a missing file: %v", err)
	}
	if err := c.Delete(ctx, dir+"/sub/moved.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, dir+"/sub/moved.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("second delete: %v", err)
	}
	if err := c.Rmdir(ctx, dir+"/sub"); err != nil {
		t.Fatal(err)
	}
	if err := c.Alive(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSFTPListAndStream(t *testing.T) {
	cfg, dir := sftpServer(t)
	c := dialSFTP(t, cfg)
	names := []string{"with space.txt", "ünï-日本.xml", "emoji-📦.json", "zero"}
	for i := range 1000 {
		names = append(names, fmt.Sprintf("f%04d", i))
	}
	for i, n := range names {
		os.WriteFile(filepath.Join(dir, n), []byte(strings.Repeat("x", i%5)), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	seen := map[string]Entry{}
	if err := c.List(context.Background(), dir, func(e Entry) error { seen[e.Name] = e; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(names)+1 || !seen["d"].IsDir || seen["ünï-日本.xml"].Size != 1 {
		t.Fatalf("listed %d entries (want %d), d=%+v", len(seen), len(names)+1, seen["d"])
	}
	// A 64 MiB file streams with bounded heap, through io.Copy (WriteTo).
	f, _ := os.Create(filepath.Join(dir, "big"))
	h := sha256.New()
	io.CopyN(io.MultiWriter(f, h), rand.Reader, 64<<20)
	f.Close()
	want := h.Sum(nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := c.Open(context.Background(), dir+"/big", 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Reset()
	n, err := io.Copy(h, r)
	r.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != 64<<20 || !bytes.Equal(h.Sum(nil), want) {
		t.Fatalf("streamed %d bytes, %v, checksum match %v", n, err, bytes.Equal(h.Sum(nil), want))
	}
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 16<<20 {
		t.Fatalf("heap grew by %d MiB", grown>>20)
	}
}

func TestSFTPRefusals(t *testing.T) {
	cfg, dir := sftpServer(t)
	ctx := context.Background()

	noKH := cfg
	noKH.KnownHostsPath = ""
	if _, err := DialSFTP(ctx, noKH); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "knownHosts") {
		t.Errorf("no known_hosts: %v", err)
	}

	// A known_hosts file that pins another key for this host.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	host, port, _ := strings.Cut(cfg.Addr, ":")
	wrongKH := filepath.Join(dir, "known_hosts")
	os.WriteFile(wrongKH, []byte(fmt.Sprintf("[%s]:%s %s", host, port, ssh.MarshalAuthorizedKey(otherSigner.PublicKey()))), 0o600)
	bad := cfg
	bad.KnownHostsPath = wrongKH
	_, err := DialSFTP(ctx, bad)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "ssh-keyscan") {
		t.Errorf("mismatched host key: %v", err)
	}
	empty := filepath.Join(dir, "empty_known_hosts")
	os.WriteFile(empty, nil, 0o600)
	bad.KnownHostsPath = empty
	if _, err := DialSFTP(ctx, bad); !errors.Is(err, ErrHostKey) {
		t.Errorf("unknown host: %v", err)
	}

	// A key the server does not know.
	block, _ := ssh.MarshalPrivateKey(other, "")
	wrongKey := filepath.Join(dir, "wrong_key")
	os.WriteFile(wrongKey, pem.EncodeToMemory(block), 0o600)
	wk := cfg
	wk.PrivateKeyPath = wrongKey
	if _, err := DialSFTP(ctx, wk); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), cfg.User) {
		t.Errorf("wrong key: %v", err)
	}

	// The real key, encrypted with a passphrase.
	raw, _ := os.ReadFile(cfg.PrivateKeyPath)
	key, err := ssh.ParseRawPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	encBlock, _ := ssh.MarshalPrivateKeyWithPassphrase(key, "", []byte("open sesame"))
	encPath := filepath.Join(dir, "enc_key")
	os.WriteFile(encPath, pem.EncodeToMemory(encBlock), 0o600)
	enc := cfg
	enc.PrivateKeyPath = encPath
	if _, err := DialSFTP(ctx, enc); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("encrypted key without passphrase: %v", err)
	}
	enc.PrivateKeyPassphrase = "open sesame"
	c, err := DialSFTP(ctx, enc)
	if err != nil {
		t.Fatalf("encrypted key with its passphrase: %v", err)
	}
	c.Close()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	c = dialSFTP(t, cfg)
	if err := c.List(cancelled, dir, func(Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v", err)
	}
}
