package main

import (
	"github.com/BurntSushi/toml"
	"strings"
	"testing"
	"unicode"

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

// An unquoted password value, whatever it holds, never comes back in the
// syntax error it causes (a run of 4 or more of its bytes, or the value).
func FuzzConfigSyntaxErrorHidesPassword(f *testing.F) {
	for _, seed := range []string{"s3cret", "trueSecret9", "2020-13-45Secret", "0xZZtop", "inf1nity", "[1, secret", "{a = 1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		raw := "[auth.credentials]\nusername = \"u\"\npassword = " + value + "\n"
		var m map[string]any
		if _, err := toml.Decode(raw, &m); err == nil {
			return // valid TOML: not a syntax error
		}
		_, err := parseConfig([]byte(raw), true)
		require.Error(t, err)
		msg := err.Error()
		for i := 0; i+4 <= len(value); i++ {
			part := value[i : i+4]
			if strings.ContainsFunc(part, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
				continue // punctuation the grammar may name (expected ']')
			}
			if strings.Contains(msg, part) && !strings.Contains(raw[:strings.Index(raw, "password = ")], part) && !strings.Contains(syntaxHintWords, part) {
				t.Fatalf("the error of password = %q quotes %q: %s", value, part, msg)
			}
		}
	})
}

// syntaxHintWords are the words of the parser's and our own messages.
const syntaxHintWords = "line column expected value but found instead the file's text is not shown as it may be a secret string must be quoted password invalid datetime number hexadecimal escape strings cannot contain newlines unexpected EOF top-level item to end with a newline comment or array terminator got end of file table key"
