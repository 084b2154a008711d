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

	"github.com/ftpcoord/ftpcoord/internal/fakeiis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// ftpServers returns pure-ftpd (MLSD; plain and explicit TLS), vsftpd
// (LIST only; explicit and implicit TLS) and ProFTPD (MLSD, its LIST, explicit
// TLS), each with a fresh test directory.
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
	// ProFTPD: MLSD, and its own LIST format when MLSD is turned off.
	pro := FTPConfig{Addr: env(t, "FTPCOORD_TEST_PROFTPD_ADDR"), User: env(t, "FTPCOORD_TEST_PROFTPD_USER"),
		Password: env(t, "FTPCOORD_TEST_PROFTPD_PASSWORD")}
	proList := pro
	proList.DisableMLSD = true
	proTLS := pro
	proTLS.TLS, proTLS.CAFile = TLSExplicit, ca
	proRoot := env(t, "FTPCOORD_TEST_PROFTPD_ROOT")
	// Scripted IIS-style servers: LIST in `dir` form, no MLSD, no EPSV.
	iisAddr, fakeRoot := fakeIIS(t, fakeiis.IIS)
	iis4Addr, _ := fakeIIS(t, fakeiis.IISFourDigit)
	iis4hAddr, _ := fakeIIS(t, fakeiis.IISFourDigit12h)
	isoAddr, _ := fakeIIS(t, fakeiis.ISODate)
	// Active mode (EPRT/PORT): the servers connect back.
	pureActive, vsActive := pure, vsImplicit
	pureActive.ActiveMode, vsActive.ActiveMode = true, true
	pureActivePORT := pureActive
	pureActivePORT.DisableEPSV = true // PORT instead of EPRT
	proActive := pro
	proActive.ActiveMode = true
	servers := []ftpServer{
		{name: "pure-ftpd", cfg: pure, remote: "/", local: pureRoot, mlsd: true},
		{name: "pure-ftpd-pasv-list", cfg: pureOld, remote: "/", local: pureRoot},
		{name: "pure-ftpd-tls", cfg: pureTLS, remote: "/", local: pureRoot, mlsd: true},
		{name: "vsftpd-explicit", cfg: vsExplicit, remote: "/inbox", local: vsRoot},
		{name: "vsftpd-implicit", cfg: vsImplicit, remote: "/inbox", local: vsRoot},
		{name: "proftpd", cfg: pro, remote: "/", local: proRoot, mlsd: true},
		{name: "proftpd-list", cfg: proList, remote: "/", local: proRoot},
		{name: "proftpd-tls", cfg: proTLS, remote: "/", local: proRoot, mlsd: true},
		{name: "pure-ftpd-active", cfg: pureActive, remote: "/", local: pureRoot, mlsd: true},
		{name: "pure-ftpd-active-port", cfg: pureActivePORT, remote: "/", local: pureRoot, mlsd: true},
		{name: "vsftpd-implicit-active", cfg: vsActive, remote: "/inbox", local: vsRoot},
		{name: "proftpd-active", cfg: proActive, remote: "/", local: proRoot, mlsd: true},
		{name: "iis-scripted", cfg: FTPConfig{Addr: iisAddr}, remote: "/", local: fakeRoot},
		{name: "iis-scripted-4digit", cfg: FTPConfig{Addr: iis4Addr}, remote: "/", local: fakeRoot},
		{name: "iis-scripted-4digit-12h", cfg: FTPConfig{Addr: iis4hAddr}, remote: "/", local: fakeRoot},
		{name: "iis-scripted-iso-date", cfg: FTPConfig{Addr: isoAddr}, remote: "/", local: fakeRoot},
	}
	return servers
}

// session dials s and makes a test directory on it, removed at the end.
func (s *ftpServer) session(t *testing.T) Conn {
	t.Helper()
	c, err := DialFTP(context.Background(), s.cfg)
	require.NoError(t, err, s.name)
	t.Cleanup(func() { c.Close() })
	b := make([]byte, 4)
	rand.Read(b)
	dir := fmt.Sprintf("t-%s-%x", strings.ReplaceAll(t.Name(), "/", "-"), b)
	s.remote, s.local = Join(s.remote, dir), filepath.Join(s.local, dir)
	require.NoError(t, c.Mkdir(context.Background(), s.remote), "%s: mkdir %s", s.name, s.remote)
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
	require.NoError(t, err, "open %s", p)
	b, err := io.ReadAll(r)
	require.NoError(t, err, "read %s", p)
	require.NoError(t, r.Close(), "close %s", p)
	return string(b)
}

// writeAppendRead is the part of a round trip every Conn must pass alike:
// write, append, read whole and from an offset.
func writeAppendRead(t *testing.T, c Conn, p string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, c.Write(ctx, p, strings.NewReader("hello")))
	require.NoError(t, c.Append(ctx, p, strings.NewReader(", world")))
	require.Equal(t, "hello, world", readAll(t, c, p, 0), "content")
	require.Equal(t, "world", readAll(t, c, p, 7), "from offset 7")
	// A reader that reached the end keeps saying so (hosts read in chunks
	// and ask once more).
	r, err := c.Open(ctx, p, 0)
	require.NoError(t, err)
	io.ReadAll(r)
	for range 2 {
		n, err := r.Read(make([]byte, 8))
		require.Zero(t, n, "Read after the end: want 0, io.EOF")
		require.Equal(t, io.EOF, err, "Read after the end: want 0, io.EOF")
	}
	r.Close()
}

func TestFTPRoundTrip(t *testing.T) {
	eachFTPServer(t, func(t *testing.T, s ftpServer, c Conn) {
		ctx := context.Background()
		p := Join(s.remote, "a file.txt")
		writeAppendRead(t, c, p)
		e, err := c.Stat(ctx, p)
		require.NoError(t, err, "Stat")
		require.Equal(t, int64(12), e.Size, "Stat = %+v", e)
		require.False(t, e.IsDir, "Stat = %+v", e)
		require.Equal(t, "a file.txt", e.Name, "Stat = %+v", e)
		require.LessOrEqual(t, e.Precision, PrecisionSecond, "Stat = %+v: not to the second", e)
		require.False(t, e.ModTime.IsZero(), "Stat = %+v: no time", e)
		sub := Join(s.remote, "sub")
		require.NoError(t, c.Mkdir(ctx, sub))
		e, err = c.Stat(ctx, sub)
		require.NoError(t, err, "Stat(dir)")
		require.True(t, e.IsDir, "Stat(dir) = %+v", e)
		moved := Join(sub, "moved.txt")
		require.NoError(t, c.Rename(ctx, p, moved))
		_, err = c.Stat(ctx, p)
		require.ErrorIs(t, err, fs.ErrNotExist, "Stat after rename")
		_, err = c.Open(ctx, p, 0)
		require.ErrorIs(t, err, fs.ErrNotExist, "Open of a missing file")
		require.NoError(t, c.Alive(ctx), "connection unusable after a failed Open")
		require.NoError(t, c.Delete(ctx, moved))
		require.ErrorIs(t, c.Delete(ctx, moved), fs.ErrNotExist, "second Delete")
		require.NoError(t, c.Rmdir(ctx, sub))
		// An empty file is a file.
		empty := Join(s.remote, "empty")
		require.NoError(t, c.Write(ctx, empty, bytes.NewReader(nil)))
		e, err = c.Stat(ctx, empty)
		require.NoError(t, err, "Stat(empty)")
		require.Zero(t, e.Size, "Stat(empty) = %+v", e)
		require.False(t, e.IsDir, "Stat(empty) = %+v", e)
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
			require.NoError(t, os.WriteFile(filepath.Join(s.local, n), []byte(content), 0o644))
		}
		require.NoError(t, os.Mkdir(filepath.Join(s.local, "a-dir"), 0o755))
		seen := map[string]Entry{}
		err := c.List(context.Background(), s.remote, func(e Entry) error {
			assert.NotContains(t, seen, e.Name, "%q listed twice", e.Name)
			seen[e.Name] = e
			return nil
		})
		require.NoError(t, err)
		for i, n := range names {
			e, ok := seen[n]
			if n == ".hidden" {
				continue // LIST without -a hides it on some servers; the listener filters hidden files anyway
			}
			if !assert.True(t, ok, "%q not listed", n) {
				continue
			}
			want := int64(i % 7)
			if n == "zero-bytes" {
				want = 0
			}
			assert.Equal(t, want, e.Size, "%q: %+v", n, e)
			assert.False(t, e.IsDir, "%q: %+v", n, e)
			assert.False(t, e.ModTime.IsZero(), "%q: %+v: no time", n, e)
			if s.mlsd {
				assert.LessOrEqual(t, e.Precision, PrecisionSecond, "%q: %+v: MLSD, not to the second", n, e)
			} else {
				assert.Equal(t, PrecisionMinute, e.Precision, "%q: %+v: LIST of a new file", n, e)
			}
		}
		assert.True(t, seen["a-dir"].IsDir, "a-dir: %+v", seen["a-dir"])
		assert.NotContains(t, seen, ".", `"." listed`)
		assert.NotContains(t, seen, "..", `".." listed`)
		stop := errors.New("stop")
		n := 0
		err = c.List(context.Background(), s.remote, func(Entry) error { n++; return stop })
		require.ErrorIs(t, err, stop, "List did not stop at the callback's error")
		require.Equal(t, 1, n, "List did not stop at the callback's error: entries")
		require.NoError(t, c.Alive(context.Background()), "connection unusable after a stopped List")
	})
}

func TestFTPStreamsLargeFiles(t *testing.T) {
	const size = 64 << 20
	eachFTPServer(t, func(t *testing.T, s ftpServer, c Conn) {
		f, err := os.Create(filepath.Join(s.local, "big.bin"))
		require.NoError(t, err)
		h := sha256.New()
		_, err = io.CopyN(io.MultiWriter(f, h), rand.Reader, size)
		require.NoError(t, err)
		f.Close()
		want := h.Sum(nil)

		runtime.GC()
		var before, peak runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := c.Open(context.Background(), Join(s.remote, "big.bin"), 0)
		require.NoError(t, err)
		h.Reset()
		buf := make([]byte, 256<<10)
		var n int64
		for {
			k, err := r.Read(buf)
			h.Write(buf[:k])
			n += int64(k)
			if n%(16<<20) < int64(k) {
				runtime.ReadMemStats(&peak)
				grown := int64(peak.HeapInuse) - int64(before.HeapInuse)
				require.LessOrEqual(t, grown, int64(16<<20), "heap grew by %d MiB while streaming", grown>>20)
			}
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		require.NoError(t, r.Close())
		require.Equal(t, int64(size), n, "bytes read")
		require.Equal(t, want, h.Sum(nil), "checksum")
	})
}

func TestFTPRefusals(t *testing.T) {
	servers := ftpServers(t)
	pure, vs := servers[0].cfg, servers[3].cfg
	ctx := context.Background()

	wrong := pure
	wrong.Password = "not-the-password"
	_, err := DialFTP(ctx, wrong)
	if assert.Error(t, err, "wrong password") {
		assert.Contains(t, err.Error(), `"tester"`, "wrong password")
		assert.Contains(t, err.Error(), "credentials", "wrong password")
		assert.NotContains(t, err.Error(), "not-the-password", "the error shows the password")
	}

	untrusted := vs
	untrusted.CAFile = "" // the system pool does not know the test CA
	_, err = DialFTP(ctx, untrusted)
	assert.ErrorContains(t, err, "not trusted", "self-signed certificate without its CA")

	insecure := untrusted
	insecure.InsecureSkipVerify = true
	c, err := DialFTP(ctx, insecure)
	if assert.NoError(t, err, "insecureSkipVerify") {
		c.Close()
	}

	_, err = DialFTP(ctx, FTPConfig{Addr: "127.0.0.1:1"})
	assert.ErrorContains(t, err, "127.0.0.1:1", "unreachable server")
	_, err = DialFTP(ctx, FTPConfig{Addr: pure.Addr, TLS: "sometimes"})
	assert.ErrorContains(t, err, "tls", "bad tls mode")

	c, err = DialFTP(ctx, pure)
	require.NoError(t, err)
	defer c.Close()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, c.List(cancelled, "/", func(Entry) error { return nil }), context.Canceled, "List with a cancelled context")
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
	// A directory of one entry for the listing after the cut (the server's
	// root holds every test's directory: it may pass the limit too).
	require.NoError(t, os.Mkdir(filepath.Join(full.local, "one"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(full.local, "one", "f"), nil, 0o644))
	count := func(c Conn) (int, error) {
		n := 0
		err := c.List(context.Background(), full.remote, func(Entry) error { n++; return nil })
		return n, err
	}
	n, err := count(c)
	require.NoError(t, err, "full listing")
	require.Equal(t, 81, n, "full listing: entries")
	sc, err := DialFTP(context.Background(), small.cfg)
	require.NoError(t, err)
	defer sc.Close()
	n, err = count(sc)
	require.ErrorIs(t, err, ErrTruncated, "cut listing")
	require.LessOrEqual(t, n, 50, "cut listing: entries")
	// The session stays usable, and the next complete listing is not flagged.
	var after []string
	require.NoError(t, sc.List(context.Background(), full.remote+"/one", func(e Entry) error { after = append(after, e.Name); return nil }), "listing after a truncated one")
	require.Equal(t, []string{"f"}, after, "listing after a truncated one")
}
