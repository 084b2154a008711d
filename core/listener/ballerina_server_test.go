package listener

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/internal/proxytest"
)

// A Ballerina-shaped SFTP configuration, with no known_hosts of the
// user's yet, through a SOCKS5 proxy: the JSON is decoded and the listener
// reaches OpenSSH through the proxy, pins the host key on first use and
// delivers the file.
func TestBallerinaSFTPThroughProxyWithTrustOnFirstUse(t *testing.T) {
	host, p := hostPort(t, "FTPCOORD_TEST_SFTP_ADDR")
	_, local := testDir(t, env(t, "FTPCOORD_TEST_SFTP_ROOT"))
	proxy := proxytest.SOCKS5(t, "pu", "pp")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	raw, _ := json.Marshal(map[string]any{
		"protocol": "sftp", "host": host, "port": p, "path": local, "pollingInterval": 30,
		"auth": map[string]any{"credentials": map[string]any{"username": env(t, "FTPCOORD_TEST_SFTP_USER")},
			"privateKey": map[string]any{"path": env(t, "FTPCOORD_TEST_SFTP_KEY")}, "preferredMethods": []string{"PUBLICKEY"}},
		"sftpSshKnownHosts": kh, "sftpTrustOnFirstUse": true,
		"proxy":           map[string]any{"host": "127.0.0.1", "port": proxy.Port(), "type": "SOCKS5", "auth": map[string]any{"username": "pu", "password": "pp"}},
		"sftpCompression": []string{"none"}, "userDirIsRoot": false,
	})
	cfg, err := DecodeConfig(raw)
	require.NoError(t, err)
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "statement.xml", "<ok/>", time.Hour)
	poll(t, l)
	order, _, errs := rec.take()
	require.Empty(t, errs)
	require.Equal(t, []string{local + "/statement.xml"}, order)
	assert.Positive(t, proxy.Tunnels(), "through the proxy")
	pinned, err := os.ReadFile(kh)
	require.NoError(t, err)
	assert.Contains(t, string(pinned), "ssh-", "the host key was recorded")
}

// EXACT_COUNT on pure-ftpd as Ballerina counts: requiredFileCount 2 waits
// for two parts, 0 holds a file while a lock is there.
func TestExactCountOnServer(t *testing.T) {
	cfg, local := pureDir(t)
	raw, _ := json.Marshal(map[string]any{"fileDependencyConditions": []map[string]any{
		{"targetPattern": `b_(\d+)\.csv`, "requiredFiles": []string{`b_$1_.*\.part`}, "matchingMode": "EXACT_COUNT", "requiredFileCount": 2},
		{"targetPattern": `z_(\d+)\.csv`, "requiredFiles": []string{`z_$1\.lock`}, "matchingMode": "EXACT_COUNT", "requiredFileCount": 0},
	}, "fileNamePattern": `.*\.csv`})
	deps, err := DecodeConfig(raw)
	require.NoError(t, err)
	cfg.FileDependencyConditions, cfg.FileNamePattern = deps.FileDependencyConditions, deps.FileNamePattern
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "b_1.csv", "b", time.Hour)
	write(t, local, "b_1_a.part", "", time.Hour)
	write(t, local, "z_1.csv", "z", time.Hour)
	write(t, local, "z_1.lock", "", time.Hour)
	poll(t, l)
	order, _, _ := rec.take()
	assert.Empty(t, order, "one part of two; a lock present")
	write(t, local, "b_1_b.part", "", time.Hour)
	require.NoError(t, os.Remove(filepath.Join(local, "z_1.lock")))
	poll(t, l)
	order, _, _ = rec.take()
	slices.Sort(order)
	assert.Equal(t, []string{cfg.Path + "/b_1.csv", cfg.Path + "/z_1.csv"}, order)
}
