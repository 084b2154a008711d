package remote

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/fakeiis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feat is what an FTP server answers to FEAT before login: the first word
// of each feature line.
func feat(t *testing.T, addr string) map[string]bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	for {
		l, err := r.ReadString('\n')
		require.NoError(t, err, "%s: greeting", addr)
		if len(l) > 3 && l[3] == ' ' {
			break
		}
	}
	fmt.Fprintf(c, "FEAT\r\n")
	got := map[string]bool{}
	for {
		l, err := r.ReadString('\n')
		require.NoError(t, err, "%s: FEAT", addr)
		if strings.HasPrefix(l, "211 ") {
			return got
		}
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, "211-") {
			got[strings.ToUpper(f[0])] = true
		}
	}
}

// The FTP columns of docs/listener.md's server table: what each server
// announces (MLSD through MLST, MDTM, SIZE, REST, EPSV/EPRT, AUTH TLS) and
// what ftpcoord makes of it (MLSD listings to the second, or LIST, whose
// times may be days only; MDTM for exact times). Passive and active data connections are
// exercised by the FTP matrix (ftpServers), TLS session reuse by
// TestFTPSWithSessionReuseRequired.
func TestServerTableFTP(t *testing.T) {
	ca := env(t, "FTPCOORD_TEST_FTP_CA")
	iis, _ := fakeIIS(t, fakeiis.IIS)
	for _, s := range []struct {
		name     string
		cfg      FTPConfig
		announce []string
		lacks    []string
		mlsd     bool
	}{
		{"pure-ftpd", FTPConfig{Addr: env(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), User: env(t, "FTPCOORD_TEST_PUREFTPD_USER"), Password: env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD")},
			[]string{"MLST", "MLSD", "MDTM", "SIZE", "REST", "EPSV", "EPRT", "PRET", "AUTH"}, nil, true},
		{"vsftpd", FTPConfig{Addr: env(t, "FTPCOORD_TEST_VSFTPD_ADDR"), TLS: TLSExplicit, CAFile: ca},
			[]string{"MDTM", "SIZE", "REST", "EPSV", "EPRT", "AUTH"}, []string{"MLST", "MLSD"}, false},
		{"proftpd", FTPConfig{Addr: env(t, "FTPCOORD_TEST_PROFTPD_ADDR"), User: env(t, "FTPCOORD_TEST_PROFTPD_USER"), Password: env(t, "FTPCOORD_TEST_PROFTPD_PASSWORD")},
			[]string{"MLST", "MDTM", "SIZE", "REST", "EPSV", "EPRT", "AUTH"}, nil, true},
		{"iis-scripted", FTPConfig{Addr: iis},
			[]string{"MDTM", "SIZE", "REST"}, []string{"MLST", "MLSD", "EPSV", "EPRT", "AUTH"}, false},
	} {
		t.Run(s.name, func(t *testing.T) {
			got := feat(t, s.cfg.Addr)
			for _, f := range s.announce {
				assert.True(t, got[f], "FEAT does not announce %s: %v", f, got)
			}
			for _, f := range s.lacks {
				assert.False(t, got[f], "FEAT announces %s", f)
			}
			conn, err := DialFTP(context.Background(), s.cfg)
			require.NoError(t, err)
			defer conn.Close()
			c := conn.(ExactTimer)
			want := PrecisionDay
			if s.mlsd {
				want = PrecisionSecond
			}
			assert.Equal(t, want, c.ListPrecision(), "ftpcoord lists with MLSD: %v", s.mlsd)
			assert.True(t, c.CanTimeExactly(), "ftpcoord uses MDTM")
		})
	}
}

// The SFTP columns of the table: the extensions each server announces, and
// the one ftpcoord uses (posix-rename@openssh.com, so that Rename replaces
// an existing target). The legacy-only OpenSSH is the same sshd.
func TestServerTableSFTP(t *testing.T) {
	openssh := []string{"posix-rename@openssh.com", "statvfs@openssh.com", "fstatvfs@openssh.com", "hardlink@openssh.com",
		"fsync@openssh.com", "lsetstat@openssh.com", "limits@openssh.com", "expand-path@openssh.com", "copy-data",
		"home-directory", "users-groups-by-id@openssh.com"}
	targets := map[string]SFTPConfig{}
	for _, s := range sftpServers(t) {
		targets[s.name] = s.cfg
	}
	legacy := targets["openssh"]
	legacy.Addr, legacy.KnownHostsPath = env(t, "FTPCOORD_TEST_SFTP_LEGACY_ADDR"), env(t, "FTPCOORD_TEST_SFTP_LEGACY_KNOWN_HOSTS")
	legacy.Algorithms = SSHAlgorithms{KeyExchanges: []string{"diffie-hellman-group14-sha1"}, Ciphers: []string{"aes128-cbc"},
		MACs: []string{"hmac-sha1"}, HostKeyAlgorithms: []string{"ssh-rsa"}}
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "x.txt"), []byte("x"), 0o644))
	addr, known := kbdServer(t, root)
	scripted := SFTPConfig{Addr: addr, User: "tester", Password: "s3cret", KnownHostsPath: known, Algorithms: SSHAlgorithms{Ciphers: []string{"aes128-cbc"}}}
	for _, s := range []struct {
		name     string
		cfg      SFTPConfig
		announce []string
		lacks    []string
	}{
		{"openssh", targets["openssh"], openssh, nil},
		{"openssh-legacy", legacy, openssh, nil},
		{"proftpd-mod_sftp", targets["proftpd-mod_sftp"], []string{"posix-rename@openssh.com", "statvfs@openssh.com",
			"fstatvfs@openssh.com", "hardlink@openssh.com", "fsync@openssh.com", "home-directory", "versions"}, []string{"limits@openssh.com", "copy-data"}},
		{"scripted", scripted, []string{"posix-rename@openssh.com", "statvfs@openssh.com", "hardlink@openssh.com"}, []string{"fsync@openssh.com"}},
	} {
		t.Run(s.name, func(t *testing.T) {
			c, err := DialSFTP(context.Background(), s.cfg)
			require.NoError(t, err)
			defer c.Close()
			sc := c.(*sftpConn)
			for _, e := range s.announce {
				_, ok := sc.c.HasExtension(e)
				assert.True(t, ok, "the server does not announce %s", e)
			}
			for _, e := range s.lacks {
				_, ok := sc.c.HasExtension(e)
				assert.False(t, ok, "the server announces %s", e)
			}
			assert.True(t, sc.posix, "ftpcoord does not rename with posix-rename@openssh.com")
		})
	}
}
