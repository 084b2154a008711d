package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseConfig feeds hostile TOML and JSON to the command's
// configuration reader: it never panics (line lookups included), an
// accepted configuration validates, and a refusal always says something.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"protocol = \"FTP\"\nhost = \"127.0.0.1\"\nport = 2121\npath = \"/in\"\n[auth.credentials]\nusername = \"u\"\npassword = \"p\"\n",
		"pollingInterval = 0.5\n[coordination]\nmemberId = \"a\"\ncoordinationGroup = \"g\"\n[coordination.databaseConfig]\ntype = \"sqlite\"\ndatabase = \"/tmp/x.db\"\n",
		"port = \"21\"\n",
		"[[fileDependencyConditions]]\ntargetPattern = \"(.*).csv\"\nrequiredFiles = [\"$1.done\"]\n",
		"a = [1, {b = 2}]\n[x.y.z]\nw = 1979-05-27T07:32:00Z\n",
		`{"protocol": "FTP", "port": 21, "auth": {"credentials": {"username": "u"}}}`,
		`{"port": "x"}`,
		"\xff\xfe = 1",
	} {
		f.Add([]byte(seed), seed[0] != '{')
	}
	f.Fuzz(func(t *testing.T, raw []byte, tomlSyntax bool) {
		cfg, err := parseConfig(raw, tomlSyntax)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		require.NoError(t, cfg.Validate(), "accepted, yet Validate says")
	})
}
