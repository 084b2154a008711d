package listener

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// A configuration written from ballerina/ftp 2.18's records (every field
// of ListenerConfiguration, at non-default values where it has some) loads
// unchanged, and each field that has no effect here is named at start.
func TestBallerinaSpecConfigLoads(t *testing.T) {
	raw, err := os.ReadFile("testdata/ballerina-2.18-listener.json")
	require.NoError(t, err)
	c, err := DecodeConfig(raw)
	require.NoError(t, err)

	assert.True(t, c.UserDirIsRoot)
	assert.True(t, c.LaxDataBinding)
	require.NotNil(t, c.SocketConfig)
	assert.Equal(t, 120.0, *c.SocketConfig.FtpDataTimeout)
	assert.Equal(t, 60.0, *c.SocketConfig.FtpSocketTimeout)
	require.NotNil(t, c.Proxy)
	assert.Equal(t, ProxyConfig{Host: "proxy.example.com", Port: 1080, Type: "SOCKS5", Auth: &ProxyCredentials{Username: "proxyuser", Password: "proxypass"}}, *c.Proxy)
	assert.Equal(t, []string{"KEYBOARD_INTERACTIVE", "GSSAPI_WITH_MIC", "PASSWORD", "PUBLICKEY"}, c.Auth.PreferredMethods)
	assert.Equal(t, "CREATION_TIME", c.FileAgeFilter.AgeCalculationMode)
	require.NotNil(t, c.FileDependencyConditions[1].RequiredFileCount)
	assert.Equal(t, 0, *c.FileDependencyConditions[1].RequiredFileCount, "requiredFileCount 0 stays 0")
	assert.Nil(t, c.FileDependencyConditions[0].RequiredFileCount, "absent: Ballerina's default 1 applies")
	// retryConfig's fields left out take Ballerina's defaults, not 0.
	assert.Equal(t, remote.RetryConfig{Count: 5, Interval: 2.0, BackOffFactor: 2.0, MaxWaitInterval: 30.0}, *c.RetryConfig)
	assert.Equal(t, "node-1", c.Coordination.MemberID)

	got := strings.Join(c.Unhonoured(), "\n")
	for _, field := range []string{"userDirIsRoot", "laxDataBinding", "fileTransferMode ASCII", "sftpCompression", "csvFailSafe",
		"socketConfig.sftpSessionTimeout", "GSSAPI_WITH_MIC", "ageCalculationMode CREATION_TIME", "coordination.databaseConfig.connectionPool"} {
		assert.Contains(t, got, field, "warnings")
	}
	assert.NotContains(t, got, "proxypass")
	assert.NotContains(t, got, "wso2123")
}

// Ballerina's defaults for the same fields give no warning at all.
func TestBallerinaDefaultsWarnNothing(t *testing.T) {
	c, err := DecodeConfig([]byte(`{"path": "/in", "userDirIsRoot": false, "laxDataBinding": false, "fileTransferMode": "BINARY",
		"sftpCompression": ["none"], "socketConfig": {"ftpDataTimeout": 120, "ftpSocketTimeout": 60, "sftpSessionTimeout": 300},
		"auth": {"preferredMethods": ["PUBLICKEY", "PASSWORD"]}, "fileAgeFilter": {"ageCalculationMode": "LAST_MODIFIED"}}`))
	require.NoError(t, err)
	assert.Empty(t, c.Unhonoured())
}

// The warnings are logged when the listener is made.
func TestUnhonouredFieldsAreLoggedAtStart(t *testing.T) {
	c, err := DecodeConfig([]byte(`{"userDirIsRoot": true, "fileTransferMode": "ASCII"}`))
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = New(c, WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "level=WARN")
	assert.Contains(t, buf.String(), "userDirIsRoot: has no effect")
	assert.Contains(t, buf.String(), "fileTransferMode ASCII: has no effect")
	assert.Contains(t, buf.String(), "path: not set, so / is watched", "a 2.17+ listener's path is in @ftp:ServiceConfig")
}

func TestBallerinaChecksAndDefaults(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"retryConfig": {"count": 0}}`, "retryConfig.count: must be at least 1"},
		{`{"retryConfig": {"backOffFactor": 0.5}}`, "retryConfig.backOffFactor: must be at least 1.0"},
		{`{"retryConfig": {"interval": 5, "maxWaitInterval": 2}}`, "retryConfig.maxWaitInterval: must be positive and at least interval"},
		{`{"retryConfig": {"interval": 0}}`, "retryConfig.interval: must be positive"},
		{`{"fileTransferMode": "EBCDIC"}`, `fileTransferMode: "EBCDIC" is not one of BINARY, ASCII`},
		{`{"proxy": {"host": "p", "port": 1, "type": "STREAM", "command": "ssh -W %h:%p jump"}}`, "proxy: type STREAM (a proxy command) is not supported by ftpcoord yet"},
		{`{"proxy": {"host": "p", "port": 0}}`, "proxy.port: 0 is not a TCP port"},
		{`{"socketConfig": {"ftpDataTimeout": 0}}`, "socketConfig.ftpDataTimeout: must be positive"},
		{`{"auth": {"preferredMethods": ["PASSWD"]}}`, `auth.preferredMethods: "PASSWD" is not one of`},
		{`{"protocol": "FTPS", "auth": {"secureSocket": {"key": {"password": "x"}}}}`, "auth.secureSocket.key.path: is required"},
		{`{"protocol": "FTPS", "auth": {"secureSocket": {"cert": {"path": "/t.p12", "pasword": "x"}}}}`, `auth.secureSocket.cert.pasword: unknown field; did you mean "password"?`},
		{`{"protocol": "FTPS", "auth": {"secureSocket": {"cert": 5}}}`, `auth.secureSocket.cert: want a PEM file's path or a trust store {"path": "/trust.p12", "password": "..."}, got a number`},
		{`{"sftpTrustOnFirstUse": true}`, "sftpTrustOnFirstUse: needs sftpSshKnownHosts"},
		{`{"protocol": "SFTP", "auth": {"credentials": {"username": "u"}}}`, "sftpTrustOnFirstUse = true"},
		// A near name in databaseConfig is a misspelling, not an extra field.
		{`{"coordination": {"memberId": "m", "coordinationGroup": "g", "databaseConfig": {"type": "postgresql", "user": "u", "database": "d", "pasword": "x"}}}`, `coordination.databaseConfig.pasword: unknown field; did you mean "password"?`},
	} {
		_, err := DecodeConfig([]byte(tc.json))
		require.Error(t, err, tc.json)
		assert.Contains(t, err.Error(), tc.want, tc.json)
		assert.NotContains(t, err.Error(), `"x"`, "no secret in the error")
	}

	c, err := DecodeConfig([]byte(`{"afterProcess": {"moveTo": "/done"}, "afterError": {"moveTo": "/err", "preserveSubDirs": false},
		"protocol": "FTPS", "auth": {"secureSocket": {"cert": "/ca.pem"}}}`))
	require.NoError(t, err)
	assert.True(t, c.AfterProcess.PreserveSubDirs, "preserveSubDirs defaults to true, as Ballerina's Move")
	assert.False(t, c.AfterError.PreserveSubDirs)
	assert.Equal(t, TrustStore{Path: "/ca.pem"}, c.Auth.SecureSocket.Cert, "a PEM path still reads")
	assert.Equal(t, remote.DefaultRetryConfig, *c.WithDefaults().RetryConfig)
}

// EXACT_COUNT counts as Ballerina does: each (required pattern, file)
// match, the target's own name too; requiredFileCount 0 means none.
func TestExactCountCountsLikeBallerina(t *testing.T) {
	n := func(i int) *int { return &i }
	deps := compileDependencies([]FileDependencyCondition{
		{TargetPattern: `b_(\d+)\.csv`, RequiredFiles: []string{`b_$1_.*\.part`}, MatchingMode: "EXACT_COUNT", RequiredFileCount: n(2)},
		{TargetPattern: `z_(\d+)\.csv`, RequiredFiles: []string{`z_$1\.lock`}, MatchingMode: "EXACT_COUNT", RequiredFileCount: n(0)},
		{TargetPattern: `d_(\d+)\.csv`, RequiredFiles: []string{`d_$1\..*`, `d_$1\.ok`}, MatchingMode: "EXACT_COUNT"},
	})
	// Files, not patterns: two parts of one pattern make 2.
	assert.True(t, deps.satisfied("b_1.csv", []string{"b_1.csv", "b_1_a.part", "b_1_b.part"}))
	assert.False(t, deps.satisfied("b_1.csv", []string{"b_1.csv", "b_1_a.part"}))
	assert.False(t, deps.satisfied("b_1.csv", []string{"b_1.csv", "b_1_a.part", "b_1_b.part", "b_1_c.part"}))
	// 0: held while a lock is there, released when it is gone.
	assert.True(t, deps.satisfied("z_1.csv", []string{"z_1.csv"}))
	assert.False(t, deps.satisfied("z_1.csv", []string{"z_1.csv", "z_1.lock"}))
	// Default 1; a file matched by two patterns counts twice, and d_1\..*
	// matches the target itself: Ballerina's count.
	assert.False(t, deps.satisfied("d_1.csv", []string{"d_1.csv", "d_1.ok"}), "d_1.csv and d_1.ok match the first pattern, d_1.ok the second: 3")
	assert.True(t, deps.satisfied("d_1.csv", []string{"d_1.csv"}), "only the target itself: 1")
}

// A listener whose proxy cannot be reached says so.
func TestProxyUnreachableIsNamed(t *testing.T) {
	c := ListenerConfig{Host: "127.0.0.1", Port: 21, Proxy: &ProxyConfig{Host: "127.0.0.1", Port: 1, Type: "SOCKS5"},
		RetryConfig: &remote.RetryConfig{Count: 1, Interval: 0.01, BackOffFactor: 1, MaxWaitInterval: 0.01}}
	l, err := New(c)
	require.NoError(t, err)
	require.NoError(t, l.Attach(newRecorder()))
	err = l.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrProxy)
	assert.Contains(t, err.Error(), "SOCKS5 proxy 127.0.0.1:1")
}

// socketConfig's documented defaults reach the FTP layer when it is absent.
func TestSocketConfigDefaults(t *testing.T) {
	var none *SocketConfig
	assert.Equal(t, 60.0, none.ftpSocketTimeout())
	assert.Equal(t, 120.0, none.ftpDataTimeout())
	v := 5.0
	assert.Equal(t, 5.0, (&SocketConfig{FtpSocketTimeout: &v}).ftpSocketTimeout())
	assert.Equal(t, 120.0, (&SocketConfig{FtpSocketTimeout: &v}).ftpDataTimeout())
}
