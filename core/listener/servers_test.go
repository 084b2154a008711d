package listener

import (
	"context"
	"os"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/fakeiis"
	"github.com/stretchr/testify/require"
)

// serverDir makes a directory of the test's own on one server of
// tests/services and returns the listener settings for it and its local path.
type serverDir func(t *testing.T) (ListenerConfig, string)

// testServers is the server matrix the listener's scenarios run against:
// FTP servers with MLSD and without (LIST in Unix and in IIS form), and two
// SFTP implementations. A scenario that matters runs on each (eachServer).
var testServers = []testServer{
	{name: "pure-ftpd", dir: pureDir},                    // MLSD, MDTM
	{name: "vsftpd", dir: vsftpdDir, hidesDots: true},    // LIST only, minute times, MDTM
	{name: "proftpd", dir: proftpdDir},                   // MLSD, its own LIST
	{name: "openssh", dir: sftpDir},                      // SFTP, not chrooted
	{name: "proftpd-sftp", dir: proSFTPDir},              // SFTP (mod_sftp), chrooted, password
	{name: "pure-ftpd-active", dir: activeMode(pureDir)}, // EPRT: the server connects back
	{name: "iis-scripted", dir: iisDir},                  // LIST in IIS `dir` form, no MLSD, no EPSV (internal/fakeiis)
}

type testServer struct {
	name string
	dir  serverDir
	// hidesDots: the server leaves names starting with a dot out of LIST
	// (vsftpd unless force_dot_files=YES), so includeHidden cannot see them.
	hidesDots bool
}

func eachServer(t *testing.T, f func(t *testing.T, s testServer)) {
	for _, s := range testServers {
		t.Run(s.name, func(t *testing.T) { f(t, s) })
	}
}

// remoteParent is the remote directory that holds cfg.Path, where tests
// put siblings (an archive) of the watched directory.
func remoteParent(cfg ListenerConfig) string { return path.Dir(cfg.Path) }

// proftpdDir makes a directory of the test's own on ProFTPD (FTP, chrooted
// to its root).
func proftpdDir(t *testing.T) (ListenerConfig, string) {
	t.Helper()
	host, p := hostPort(t, "FTPCOORD_TEST_PROFTPD_ADDR")
	dir, local := testDir(t, env(t, "FTPCOORD_TEST_PROFTPD_ROOT"))
	return ListenerConfig{Protocol: FTP, Host: host, Port: p, Path: "/" + dir, PollingInterval: 0.1,
		Auth: &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_PROFTPD_USER"), Password: env(t, "FTPCOORD_TEST_PROFTPD_PASSWORD")}},
	}, local
}

// proSFTPDir makes a directory of the test's own on ProFTPD's mod_sftp,
// an SFTP server that is not OpenSSH, logging in with a password.
func proSFTPDir(t *testing.T) (ListenerConfig, string) {
	t.Helper()
	host, p := hostPort(t, "FTPCOORD_TEST_PROFTPD_SFTP_ADDR")
	dir, local := testDir(t, env(t, "FTPCOORD_TEST_PROFTPD_ROOT"))
	return ListenerConfig{Protocol: SFTP, Host: host, Port: p, Path: "/" + dir, PollingInterval: 0.1,
		SftpSshKnownHosts: env(t, "FTPCOORD_TEST_PROFTPD_SFTP_KNOWN_HOSTS"),
		Auth:              &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_PROFTPD_USER"), Password: env(t, "FTPCOORD_TEST_PROFTPD_PASSWORD")}},
	}, local
}

// The scripted IIS-style servers (internal/fakeiis), one per LIST dialect
// for the whole test binary, serving a directory that outlives the tests.
var iisServers = sync.OnceValues(func() (map[fakeiis.Dialect]*fakeiis.Server, error) {
	root, err := os.MkdirTemp("", "ftpcoord-fakeftp-")
	if err != nil {
		return nil, err
	}
	iisRoot = root
	servers := map[fakeiis.Dialect]*fakeiis.Server{}
	for _, d := range fakeiis.Dialects {
		if servers[d], err = fakeiis.Start(root, d); err != nil {
			return nil, err
		}
	}
	return servers, nil
})

var iisRoot string

// iisDir makes a directory of the test's own on the scripted IIS server.
var iisDir = iisDialectDir(fakeiis.IIS)

// iisDialectDir makes a directory of the test's own on the scripted server
// that lists in dialect d.
func iisDialectDir(d fakeiis.Dialect) serverDir {
	return func(t *testing.T) (ListenerConfig, string) {
		t.Helper()
		servers, err := iisServers()
		require.NoError(t, err, "scripted FTP server")
		dir, local := testDir(t, iisRoot)
		return ListenerConfig{Protocol: FTP, Host: "127.0.0.1", Port: servers[d].Addr().Port, Path: "/" + dir, PollingInterval: 0.1,
			Auth: &Auth{Credentials: &Credentials{Username: "tester", Password: "secret"}}}, local
	}
}

// Every form of the Windows `dir` listing that jlaffaye/ftp reads (two- and
// four-digit years, 12- and 24-hour clocks, ISO dates) through the
// listener: new, changed and deleted files with awkward names, each
// reported once.
func TestWindowsDirDialects(t *testing.T) {
	for _, d := range fakeiis.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			testPollReportsEachVersionOnce(t, testServer{name: "iis-" + d.String(), dir: iisDialectDir(d)})
		})
	}
}

// activeMode is dir with activeMode set.
func activeMode(dir serverDir) serverDir {
	return func(t *testing.T) (ListenerConfig, string) {
		cfg, local := dir(t)
		cfg.ActiveMode = true
		return cfg, local
	}
}

func TestActiveModeNeedsFTPOrImplicitTLS(t *testing.T) {
	for _, c := range []ListenerConfig{
		{Protocol: SFTP, Host: "h", Port: 22, Path: "/in", PollingInterval: 1, SftpSshKnownHosts: "/kh", ActiveMode: true},
		{Protocol: FTPS, Host: "h", Port: 21, Path: "/in", PollingInterval: 1, ActiveMode: true},
	} {
		_, err := New(c)
		require.ErrorContains(t, err, "activeMode", "%s", c.Protocol)
		require.ErrorContains(t, err, "IMPLICIT", "%s", c.Protocol)
	}
	ok := ListenerConfig{Protocol: FTPS, Host: "h", Port: 990, Path: "/in", PollingInterval: 1, ActiveMode: true,
		Auth: &Auth{SecureSocket: &SecureSocket{Mode: "IMPLICIT"}}}
	_, err := New(ok)
	require.NoError(t, err, "implicit FTPS in active mode")
	ok.Proxy = &ProxyConfig{Host: "127.0.0.1", Port: 1080, Type: "SOCKS5"}
	_, err = New(ok)
	require.ErrorContains(t, err, "activeMode: cannot work through a proxy")
}

func TestSftpAlgorithmsAreChecked(t *testing.T) {
	c := ListenerConfig{Protocol: SFTP, Host: "h", Port: 22, Path: "/in", PollingInterval: 1, SftpSshKnownHosts: "/kh",
		SftpAlgorithms: &remote.SSHAlgorithms{Ciphers: []string{"aes128-cbc", "rot13"}}}
	_, err := New(c)
	require.ErrorContains(t, err, "sftpAlgorithms")
	require.ErrorContains(t, err, `"rot13"`)
	require.NotContains(t, err.Error(), `"aes128-cbc" is not`, "a legacy algorithm this build implements is accepted")
}

// An SFTP listener with a narrowed algorithm set polls OpenSSH.
func TestSftpAlgorithmsReachTheServer(t *testing.T) {
	cfg, local := sftpDir(t)
	cfg.SftpAlgorithms = &remote.SSHAlgorithms{Ciphers: []string{"aes256-ctr"}, MACs: []string{"hmac-sha2-512"}}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "a.csv", "ay", time.Hour)
	poll(t, l)
	order, _, errs := rec.take()
	require.Empty(t, errs)
	require.Equal(t, []string{cfg.Path + "/a.csv"}, order)
	cfg.SftpAlgorithms = &remote.SSHAlgorithms{Ciphers: []string{"3des-cbc"}}
	l2 := newListener(t, cfg, newRecorder())
	err := l2.PollOnce(context.Background())
	require.ErrorContains(t, err, "sftpAlgorithms.ciphers", "a cipher OpenSSH does not offer")
}
