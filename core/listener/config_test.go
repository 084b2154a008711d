package listener

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeBallerinaConfig(t *testing.T) {
	c, err := DecodeConfig([]byte(`{
		"protocol": "FTP", "host": "ftp.example.com", "port": 2121,
		"auth": {"credentials": {"username": "u", "password": "p"}},
		"path": "/inbox", "fileNamePattern": "order-\\d+\\.csv", "pollingInterval": 2.5,
		"fileAgeFilter": {"minAge": 10, "maxAge": 3600},
		"connectTimeout": 5, "retryConfig": {"count": 5, "interval": 0.5, "backOffFactor": 1.5, "maxWaitInterval": 10},
		"coordination": {"databaseConfig": {"type": "postgresql", "user": "x", "database": "coord"},
		                 "memberId": "node-1", "coordinationGroup": "orders"}
	}`))
	require.NoError(t, err)
	for field, got := range map[string][2]any{
		"host": {"ftp.example.com", c.Host}, "port": {2121, c.Port}, "path": {"/inbox", c.Path},
		"pollingInterval": {2.5, c.PollingInterval}, "fileAgeFilter.minAge": {10, c.FileAgeFilter.MinAge},
		"retryConfig.count": {5, c.RetryConfig.Count}, "coordination.memberId": {"node-1", c.Coordination.MemberID},
		"auth.credentials.username": {"u", c.Auth.Credentials.Username},
	} {
		require.EqualValues(t, got[0], got[1], "decoded %s: %+v", field, c)
	}
	d := ListenerConfig{}.WithDefaults()
	for field, got := range map[string][2]any{
		"protocol": {"FTP", d.Protocol}, "host": {"127.0.0.1", d.Host}, "port": {21, d.Port}, "path": {"/", d.Path},
		"pollingInterval": {60, d.PollingInterval}, "connectTimeout": {30, d.ConnectTimeout},
		"retryConfig.count": {3, d.RetryConfig.Count}, "retryConfig.interval": {1, d.RetryConfig.Interval},
		"retryConfig.backOffFactor": {2, d.RetryConfig.BackOffFactor}, "retryConfig.maxWaitInterval": {30, d.RetryConfig.MaxWaitInterval},
		"maxConnections": {4, d.MaxConnections},
	} {
		require.EqualValues(t, got[0], got[1], "default %s: %+v", field, d)
	}
	require.Equal(t, 22, (ListenerConfig{Protocol: "sftp"}).WithDefaults().Port, "SFTP default port")
}

func TestDecodeErrorsNameTheProblem(t *testing.T) {
	cases := map[string]string{
		`{"protocl": "FTP"}`:                                                    `listener config: protocl: unknown field; did you mean "protocol"?`,
		"{\n  \"port\": 21,\n  \"path\": \"/\" oops}":                           "line 3",
		`{"port": "twenty-one"}`:                                                "port",
		`{"protocol": "HTTP"}`:                                                  "protocol:",
		`{"port": 70000}`:                                                       "port:",
		`{"path": "inbox"}`:                                                     "path:",
		`{"pollingInterval": -1}`:                                               "pollingInterval:",
		`{"fileNamePattern": "(?!tmp).*"}`:                                      "fileNamePattern:",
		`{"fileAgeFilter": {"minAge": 10, "maxAge": 5}}`:                        "fileAgeFilter.maxAge:",
		`{"protocol": "SFTP", "auth": {"credentials": {"username": "u"}}}`:      "sftpSshKnownHosts:",
		`{"protocol": "FTPS", "auth": {"secureSocket": {"mode": "SOMETIMES"}}}`: "auth.secureSocket.mode:",
		`{"coordination": {"databaseConfig": {"user": "u", "database": "d"}, "coordinationGroup": "g"}}`: "coordination.memberId:",
	}
	for in, want := range cases {
		_, err := DecodeConfig([]byte(in))
		assert.ErrorContains(t, err, want, "%s", in)
	}
	_, err := DecodeConfig([]byte(`{"protocol": "HTTP"}`))
	var fe *FieldError
	if assert.ErrorAs(t, err, &fe, "not a FieldError") {
		assert.Equal(t, "protocol", fe.Field, "FieldError %v", err)
	}
}

func TestPatternsMatchWholeNamesAndRefuseJavaOnlySyntax(t *testing.T) {
	for _, bad := range []string{`(?=a).*`, `(?<!x)y`, `a*+`, `(?>ab)`, `\h+`, `(?U)\w+`, `(a)\1`} {
		assert.Error(t, CheckPattern(bad), "%s accepted", bad)
	}
	l, err := New(ListenerConfig{FileNamePattern: `.*\.csv`})
	require.NoError(t, err)
	for name, want := range map[string]bool{"a.csv": true, "a.csv.tmp": false, "x.CSV": false, ".csv": true} {
		assert.Equal(t, want, l.filters.pattern.MatchString(name), "%q matched", name)
	}
}

func TestPasswordsStayHidden(t *testing.T) {
	c := Credentials{Username: "u", Password: "hunter2"}
	k := PrivateKey{Path: "/k", Password: "hunter3"}
	require.NotContains(t, c.String()+k.String(), "hunter", "shown")
}

func TestDependencyConditionValidation(t *testing.T) {
	for in, want := range map[string]string{
		`{"fileDependencyConditions": [{"requiredFiles": ["x"]}]}`:                                               "fileDependencyConditions[0].targetPattern",
		`{"fileDependencyConditions": [{"targetPattern": "a", "requiredFiles": []}]}`:                            "fileDependencyConditions[0].requiredFiles",
		`{"fileDependencyConditions": [{"targetPattern": "a", "requiredFiles": ["(?=x)"]}]}`:                     "fileDependencyConditions[0].requiredFiles[0]",
		`{"fileDependencyConditions": [{"targetPattern": "a", "requiredFiles": ["b"], "matchingMode": "MOST"}]}`: "fileDependencyConditions[0].matchingMode",
		`{"stableListings": -1}`: "stableListings",
	} {
		_, err := DecodeConfig([]byte(in))
		assert.ErrorContains(t, err, want, "%s", in)
	}
}
