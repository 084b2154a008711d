package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ftpServer is one real FTP server of tests/services and a directory of
// this test's own on it, both as the server names it and on the local disk.
type ftpServer struct {
	name   string
	cfg    FTPConfig
	remote string // remote path of the test directory
	local  string // the same directory on this machine
	mlsd   bool
}

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make services` (tests/services/start.sh) and export what it prints, or `make test`", name)
	}
	return v
}

// ftpServers returns pure-ftpd (MLSD; plain and explicit TLS) and vsftpd
// (LIST only; explicit and implicit TLS), each with a fresh test directory.
func ftpServers(t *testing.T) []ftpServer {
	t.Helper()
	ca := env(t, "FTPCOORD_TEST_FTP_CA")
	pure := FTPConfig{Addr: env(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), User: env(t, "FTPCOORD_TEST_PUREFTPD_USER"),
		Password: env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD")}
	pureTLS := pure
	pureTLS.TLS, pureTLS.CAFile = TLSExplicit, ca
	vsExplicit := FTPConfig{Addr: env(t, "FTPCOORD_TEST_VSFTPD_ADDR"), TLS: TLSExplicit, CAFile: ca}
	vsImplicit := FTPConfig{Addr: env(t, "FTPCOORD_TEST_VSFTPD_IMPLICIT_ADDR"), TLS: TLSImplicit, CAFile: ca}
	pureRoot, vsRoot := env(t, "FTPCOORD_TEST_PUREFTPD_ROOT"), env(t, "FTPCOORD_TEST_VSFTPD_ROOT")
	// The same server with the fallbacks forced: PASV instead of EPSV,
	// LIST instead of MLSD.
	pureOld := pure
	pureOld.DisableEPSV, pureOld.DisableMLSD = true, true
	servers := []ftpServer{
		{name: "pure-ftpd", cfg: pure, remote: "/", local: pureRoot, mlsd: true},
		{name: "pure-ftpd-pasv-list", cfg: pureOld, remote: "/", local: pureRoot},
		{name: "pure-ftpd-tls", cfg: pureTLS, remote: "/", local: pureRoot, mlsd: true},
		{name: "vsftpd-explicit", cfg: vsExplicit, remote: "/inbox", local: vsRoot},
		{name: "vsftpd-implicit", cfg: vsImplicit, remote: "/inbox", local: vsRoot},
	}
	return servers
}

// session dials s and makes a test directory on it, removed at the end.
func (s *ftpServer) session(t *testing.T) Conn {
	t.Helper()
	c, err := DialFTP(context.Background(), s.cfg)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	t.Cleanup(func() { c.Close() })
	b := make([]byte, 4)
	rand.Read(b)
	dir := fmt.Sprintf("t-%s-%x", strings.ReplaceAll(t.Name(), "/", "-"), b)
	s.remote, s.local = Join(s.remote, dir), filepath.Join(s.local, dir)
	if err := c.Mkdir(context.Background(), s.remote); err != nil {
		t.Fatalf("%s: mkdir %s: %v", s.name, s.remote, err)
	}
	t.Cleanup(func() { os.RemoveAll(s.local) })
	return c
}

func eachFTPServer(t *testing.T, f func(t *testing.T, s ftpServer, c Conn)) {
	for _, s := range ftpServers(t) {
		t.Run(s.name, func(t *testing.T) {
			c := s.session(t)
			f(t, s, c)
		})
	}
}

func readAll(t *testing.T, c Conn, p string, offset int64) string {
	t.Helper()
	r, err := c.Open(context.Background(), p, offset)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("close %s: %v", p, err)
	}
	return string(b)
}

// writeAppendRead is the part of a round trip every Conn must pass alike:
// write, append, read whole and from an offset.
func writeAppendRead(t *testing.T, c Conn, p string) {
	t.Helper()
	ctx := context.Background()
	if err := c.Write(ctx, p, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.Append(ctx, p, strings.NewReader(", world")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, p, 0); got != "hello, world" {
		t.Fatalf("content %q", got)
	}
	if got := readAll(t, c, p, 7); got != "world" {
		t.Fatalf("from offset 7: %q", got)
	}
	// A reader that reached the end keeps saying so (hosts read in chunks
	// and ask once more).
	r, err := c.Open(ctx, p, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(r)
	for range 2 {
		if n, err := r.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("Read after the end: %d, %v; want 0, io.EOF", n, err)
		}
	}
	r.Close()
}

func TestFTPRoundTrip(t *testing.T) {
	eachFTPServer(t, func(t *testing.T, s ftpServer, c Conn) {
		ctx := context.Background()
		p := Join(s.remote, "a file.txt")
		writeAppendRead(t, c, p)
		e, err := c.Stat(ctx, p)
		if err != nil || e.Size != 12 || e.IsDir || e.Name != "a file.txt" || !e.Precise || e.ModTime.IsZero() {
			t.Fatalf("Stat = %+v, %v", e, err)
		}
		sub := Join(s.remote, "sub")
		if err := c.Mkdir(ctx, sub); err != nil {
			t.Fatal(err)
		}
		if e, err := c.Stat(ctx, sub); err != nil || !e.IsDir {
			t.Fatalf("Stat(dir) = %+v, %v", e, err)
		}
		moved := Join(sub, "moved.txt")
		if err := c.Rename(ctx, p, moved); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Stat(ctx, p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat after rename: %v, want fs.ErrNotExist", err)
		}
		if _, err := c.Open(ctx, p, 0); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open of a missing file: %v, want fs.ErrNotExist", err)
		}
		if err := c.Alive(ctx); err != nil {
			t.Fatalf("connection unusable after a failed Open: %v", err)
		}
		if err := c.Delete(ctx, moved); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, moved); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("second Delete: %v, want fs.ErrNotExist", err)
		}
		if err := c.Rmdir(ctx, sub); err != nil {
			t.Fatal(err)
		}
		// An empty file is a file.
		empty := Join(s.remote, "empty")
		if err := c.Write(ctx, empty, bytes.NewReader(nil)); err != nil {
			t.Fatal(err)
		}
		if e, err := c.Stat(ctx, empty); err != nil || e.Size != 0 || e.IsDir {
			t.Fatalf("Stat(empty) = %+v, %v", e, err)
		}
	})
}

func TestFTPListSeesEveryNameOnce(t *testing.T) {
	names := []string{"plain.csv", "with space.txt", "ünïcödé-日本.xml", "emoji-📦.json", "zero-bytes", ".hidden"}
	for i := range 300 {
		names = append(names, fmt.Sprintf("order-%04d.csv", i))
	}
	eachFTPServer(t, func(t *testing.T, s ftpServer, c Conn) {
		for i, n := range names {
			content := strings.Repeat("x", i%7)
			if n == "zero-bytes" {
				content = ""
			}
			if err := os.WriteFile(filepath.Join(s.local, n), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(filepath.Join(s.local, "a-dir"), 0o755); err != nil {
			t.Fatal(err)
		}
		seen := map[string]Entry{}
		err := c.List(context.Background(), s.remote, func(e Entry) error {
			if _, dup := seen[e.Name]; dup {
				t.Errorf("%q listed twice", e.Name)
			}
			seen[e.Name] = e
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range names {
			e, ok := seen[n]
			if n == ".hidden" {
				continue // LIST without -a hides it on some servers; the listener filters hidden files anyway
			}
			if !ok {
				t.Errorf("%q not listed", n)
				continue
			}
			want := int64(i % 7)
			if n == "zero-bytes" {
				want = 0
			}
			if e.Size != want || e.IsDir || e.ModTime.IsZero() || e.Precise != s.mlsd {
				t.Errorf("%q: %+v, want size %d, precise %v", n, e, want, s.mlsd)
			}
		}
		if d, ok := seen["a-dir"]; !ok || !d.IsDir {
			t.Errorf("a-dir: %+v", d)
		}
		if _, ok := seen["."]; ok {
			t.Error(`"." listed`)
		}
		if _, ok := seen[".."]; ok {
			t.Error(`".." listed`)
		}
		stop := errors.New("stop")
		n := 0
		err = c.List(context.Background(), s.remote, func(Entry) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("List did not stop at the callback's error: %v after %d", err, n)
		}
		if err := c.Alive(context.Background()); err != nil {
			t.Fatalf("connection unusable after a stopped List: %v", err)
		}
	})
}

func TestFTPStreamsLargeFiles(t *testing.T) {
	const size = 64 << 20
	eachFTPServer(t, func(t *testing.T, s ftpServer, c Conn) {
		f, err := os.Create(filepath.Join(s.local, "big.bin"))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		want := h.Sum(nil)

		runtime.GC()
		var before, peak runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := c.Open(context.Background(), Join(s.remote, "big.bin"), 0)
		if err != nil {
			t.Fatal(err)
		}
		h.Reset()
		buf := make([]byte, 256<<10)
		var n int64
		for {
			k, err := r.Read(buf)
			h.Write(buf[:k])
			n += int64(k)
			if n%(16<<20) < int64(k) {
				runtime.ReadMemStats(&peak)
				if grown := int64(peak.HeapInuse) - int64(before.HeapInuse); grown > 16<<20 {
					t.Fatalf("heap grew by %d MiB while streaming", grown>>20)
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if n != size || !bytes.Equal(h.Sum(nil), want) {
			t.Fatalf("read %d bytes, checksum match %v", n, bytes.Equal(h.Sum(nil), want))
		}
	})
}

func TestFTPRefusals(t *testing.T) {
	servers := ftpServers(t)
	pure, vs := servers[0].cfg, servers[3].cfg
	ctx := context.Background()

	wrong := pure
	wrong.Password = "not-the-password"
	_, err := DialFTP(ctx, wrong)
	if err == nil || !strings.Contains(err.Error(), `"tester"`) || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("the error shows the password: %v", err)
	}

	untrusted := vs
	untrusted.CAFile = "" // the system pool does not know the test CA
	if _, err := DialFTP(ctx, untrusted); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("self-signed certificate without its CA: %v", err)
	}

	insecure := untrusted
	insecure.InsecureSkipVerify = true
	c, err := DialFTP(ctx, insecure)
	if err != nil {
		t.Errorf("insecureSkipVerify: %v", err)
	} else {
		c.Close()
	}

	if _, err := DialFTP(ctx, FTPConfig{Addr: "127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
	if _, err := DialFTP(ctx, FTPConfig{Addr: pure.Addr, TLS: "sometimes"}); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("bad tls mode: %v", err)
	}

	c, err = DialFTP(ctx, pure)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.List(cancelled, "/", func(Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v", err)
	}
}

// pure-ftpd cuts listings at its limit and still answers 226; the listing
// must say so instead of passing for complete.
func TestFTPTruncatedListing(t *testing.T) {
	full := ftpServers(t)[0]
	small := full
	small.name = "pure-ftpd-limit-50"
	small.cfg.Addr = env(t, "FTPCOORD_TEST_PUREFTPD_SMALL_LIMIT_ADDR")
	c := full.session(t)
	for i := range 80 {
		os.WriteFile(filepath.Join(full.local, fmt.Sprintf("f%02d", i)), nil, 0o644)
	}
	count := func(c Conn) (int, error) {
		n := 0
		err := c.List(context.Background(), full.remote, func(Entry) error { n++; return nil })
		return n, err
	}
	if n, err := count(c); err != nil || n != 80 {
		t.Fatalf("full listing: %d entries, %v", n, err)
	}
	sc, err := DialFTP(context.Background(), small.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	n, err := count(sc)
	if !errors.Is(err, ErrTruncated) || n > 50 {
		t.Fatalf("cut listing: %d entries, %v; want ErrTruncated", n, err)
	}
	// The session stays usable, and the next complete listing is not flagged.
	if err := sc.List(context.Background(), "/", func(Entry) error { return nil }); err != nil {
		t.Fatalf("listing after a truncated one: %v", err)
	}
}
