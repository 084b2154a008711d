package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every configuration error names the line and the field, in JSON and TOML.
func TestConfigErrorsNameLineAndField(t *testing.T) {
	cases := []struct {
		name string
		toml bool
		in   string
		want []string
	}{
		{"json syntax", false, "{\n  \"host\": \"127.0.0.1\",\n  \"port\": 21,,\n}", []string{"line 3"}},
		{"json unknown field", false, "{\n  \"host\": \"127.0.0.1\",\n  \"pollingIntervall\": 5\n}", []string{"line 3", `pollingIntervall: unknown field`}},
		{"json wrong type", false, "{\n  \"host\": \"127.0.0.1\",\n  \"port\": \"twenty-one\"\n}", []string{"line 3", "port"}},
		{"json invalid value", false, "{\n  \"protocol\": \"FTP\",\n  \"coordination\": {\n    \"memberId\": \"\",\n    \"coordinationGroup\": \"g\",\n    \"databaseConfig\": {\"type\": \"postgresql\"}\n  }\n}",
			[]string{"line 4", "memberId"}},
		{"toml syntax", true, "host = \"127.0.0.1\"\nport = = 21\n", []string{"line 2"}},
		{"toml unknown field", true, "host = \"127.0.0.1\"\n\n[coordination]\nmemberId = \"a\"\ncoordinationGroupp = \"g\"\n", []string{"line 5", "coordinationGroupp"}},
		{"toml wrong type", true, "host = \"127.0.0.1\"\nport = \"x\"\n", []string{"line 2", "port"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseConfig([]byte(c.in), c.toml)
			require.Error(t, err)
			for _, w := range c.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
}

// The same configuration in JSON and TOML decodes to the same values.
func TestTOMLMatchesJSON(t *testing.T) {
	js := `{"protocol": "FTP", "host": "127.0.0.1", "port": 2121, "path": "/inbox", "pollingInterval": 0.5,
	  "auth": {"credentials": {"username": "u", "password": "p"}},
	  "coordination": {"memberId": "a", "coordinationGroup": "g", "livenessCheckInterval": 5, "heartbeatFrequency": 0.5,
	    "databaseConfig": {"type": "postgresql", "host": "127.0.0.1", "port": 5432, "user": "u", "password": "p", "database": "d"}},
	  "afterProcess": {"moveTo": "/done"}, "maxTries": 4}`
	tm := `protocol = "FTP"
host = "127.0.0.1"
port = 2121
path = "/inbox"
pollingInterval = 0.5
maxTries = 4
afterProcess = { moveTo = "/done" }

[auth.credentials]
username = "u"
password = "p"

[coordination]
memberId = "a"
coordinationGroup = "g"
livenessCheckInterval = 5
heartbeatFrequency = 0.5

[coordination.databaseConfig]
type = "postgresql"
host = "127.0.0.1"
port = 5432
user = "u"
password = "p"
database = "d"
`
	a, err := parseConfig([]byte(js), false)
	require.NoError(t, err)
	b, err := parseConfig([]byte(tm), true)
	require.NoError(t, err)
	if a.Port != b.Port || a.Path != b.Path || a.PollingInterval != b.PollingInterval || a.MaxTries != b.MaxTries ||
		a.AfterProcess.MoveTo != b.AfterProcess.MoveTo || *a.Coordination != *b.Coordination || a.Auth.Credentials.Password != b.Auth.Credentials.Password {
		t.Fatalf("JSON %+v\nTOML %+v", a, b)
	}
}

// A syntax error never echoes the file's text: an unquoted password comes
// back as a position and a hint, not as its value (or its first letter).
func TestConfigSyntaxErrorsHideValues(t *testing.T) {
	for _, c := range []struct {
		toml bool
		in   string
	}{
		{true, "[auth.credentials]\nusername = \"u\"\npassword = trueSecret9\n"},
		{true, "[auth.credentials]\npassword = s3cretPw\n"},
		{true, "[auth.credentials]\npassword = 2020-13-45Secret9\n"},
		{true, "[auth.credentials]\npassword = \"ab\\qSecret9\"\n"},
		{false, "{\"auth\": {\"credentials\": {\"password\": s3cretPw}}}"},
		{false, "{\"auth\": {\"credentials\": {\"password\": \"x\" Secret9}}}"},
	} {
		_, err := parseConfig([]byte(c.in), c.toml)
		require.Error(t, err, "%q", c.in)
		for _, secret := range []string{"Secret9", "s3cret", "2020-13-45", `"s"`, `'s'`, `'S'`, `\q`} {
			require.NotContains(t, err.Error(), secret, "the error of %q echoes the file", c.in)
		}
		require.Contains(t, err.Error(), "line ", "the error of %q has no position", c.in)
	}
	r := ftpcoord(t, "run", "--exec", "true", "--config", writeFile(t, "bad.toml", "protocol = \"FTP\"\n[auth.credentials]\npassword = trueSecret9\n"))
	require.NotZero(t, r.code)
	require.NotContains(t, r.stderr, "Secret9", "ftpcoord run echoed the password")
	require.Contains(t, r.stderr, "line 3", "ftpcoord run")
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}
