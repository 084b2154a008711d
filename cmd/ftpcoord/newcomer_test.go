package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A newcomer's mistakes in a configuration file, each written in JSON and
// in TOML, and the whole message the command prints for it.
func TestConfigErrorTextsInFull(t *testing.T) {
	cases := []struct {
		name       string
		json, toml string
		want       string // the same for both formats unless wantTOML is set
		wantTOML   string
	}{
		{
			name: "misspelt nested field",
			json: "{\n  \"host\": \"127.0.0.1\",\n  \"coordination\": {\n    \"memberId\": \"a\",\n    \"heartbeatFrequncy\": 1\n  }\n}",
			toml: "host = \"127.0.0.1\"\n\n[coordination]\nmemberId = \"a\"\nheartbeatFrequncy = 1\n",
			want: `line 5: coordination.heartbeatFrequncy: unknown field; did you mean "heartbeatFrequency"?`,
		},
		{
			name: "misspelt top-level field",
			json: "{\n  \"host\": \"127.0.0.1\",\n  \"pollingIntervall\": 5\n}",
			toml: "host = \"127.0.0.1\"\npollingIntervall = 5\n",
			want: `line 3: pollingIntervall: unknown field; did you mean "pollingInterval"?`,
			// TOML has no opening brace line.
			wantTOML: `line 2: pollingIntervall: unknown field; did you mean "pollingInterval"?`,
		},
		{
			name: "misspelt field two levels down",
			json: "{\n  \"auth\": {\n    \"credentials\": {\"usename\": \"u\"}\n  }\n}",
			toml: "[auth.credentials]\n\nusename = \"u\"\n",
			want: `line 3: auth.credentials.usename: unknown field; did you mean "username"?`,
		},
		{
			name: "field in an array of tables",
			json: "{\n  \"fileDependencyConditions\": [\n    {\"targetPatern\": \"a\", \"requiredFiles\": [\"b\"]}\n  ]\n}",
			toml: "\n[[fileDependencyConditions]]\ntargetPatern = \"a\"\nrequiredFiles = [\"b\"]\n",
			want: `line 3: fileDependencyConditions[0].targetPatern: unknown field; did you mean "targetPattern"?`,
		},
		{
			name: "field nowhere near a valid name",
			json: "{\n  \"coordination\": {\n    \"frobnicate\": 1\n  }\n}",
			toml: "[coordination]\n\nfrobnicate = 1\n",
			want: `line 3: coordination.frobnicate: unknown field; the fields of coordination are checkPeriod, coordinationGroup, databaseConfig, heartbeatFrequency, livenessCheckInterval, memberId, sessionTimeZone`,
		},
		{
			name: "top-level field nowhere near a valid name",
			json: "{\n  \"colour\": \"blue\"\n}",
			toml: "\ncolour = \"blue\"\n",
			want: `line 2: colour: unknown field (the listener configuration's fields are listed in docs/configuration.md)`,
		},
		{
			name:     "two misspelt fields, in the file's order",
			json:     "{\n  \"prot\": \"FTP\",\n  \"retryConfig\": {\n    \"cont\": 2\n  }\n}",
			toml:     "prot = \"FTP\"\n\n[retryConfig]\ncont = 2\n",
			want:     "line 2: prot: unknown field; did you mean \"port\"?\nline 4: retryConfig.cont: unknown field; did you mean \"count\"?",
			wantTOML: "line 1: prot: unknown field; did you mean \"port\"?\nline 4: retryConfig.cont: unknown field; did you mean \"count\"?",
		},
		{
			name: "misspelt field of an inline table",
			json: "{\n  \"path\": \"/in\",\n  \"afterProcess\": {\"moveTo\": \"/done\", \"preserveSubDir\": true}\n}",
			toml: "path = \"/in\"\n\nafterProcess = { moveTo = \"/done\", preserveSubDir = true }\n",
			want: `line 3: afterProcess.preserveSubDir: unknown field; did you mean "preserveSubDirs"?`,
		},
		{
			name: "wrong type",
			json: "{\n  \"host\": \"127.0.0.1\",\n  \"port\": \"twenty-one\"\n}",
			toml: "host = \"127.0.0.1\"\n\nport = \"twenty-one\"\n",
			want: `line 3: port: want a whole number, got a string`,
		},
		{
			name:     "table where a number goes",
			json:     "{\n  \"host\": \"127.0.0.1\",\n  \"port\": {\"number\": 21}\n}",
			toml:     "host = \"127.0.0.1\"\n\nport = { number = 21 }\n",
			want:     `line 3: port: want a whole number, got an object`,
			wantTOML: `line 3: port: want a whole number, got a table`,
		},
		{
			name:     "after-processing action",
			json:     "{\n  \"path\": \"/in\",\n  \"afterProcess\": \"MOVE\"\n}",
			toml:     "path = \"/in\"\n\nafterProcess = \"MOVE\"\n",
			want:     `line 3: afterProcess: want "DELETE" or {"moveTo": "/dir", "preserveSubDirs": true}, got string "MOVE"`,
			wantTOML: `line 3: afterProcess: want "DELETE" or { moveTo = "/dir", preserveSubDirs = true }, got string "MOVE"`,
		},
		{
			name: "seconds that are not a number",
			json: "{\n  \"coordination\": {\n    \"heartbeatFrequency\": \"often\"\n  }\n}",
			toml: "[coordination]\n\nheartbeatFrequency = \"often\"\n",
			want: `line 3: coordination.heartbeatFrequency: want a number of seconds, got "often"`,
		},
		{
			name:     "unknown database type",
			json:     "{\n  \"coordination\": {\"memberId\": \"a\", \"coordinationGroup\": \"g\",\n    \"databaseConfig\": {\"user\": \"u\", \"database\": \"d\",\n      \"type\": \"oracle\"}}\n}",
			toml:     "[coordination]\nmemberId = \"a\"\ncoordinationGroup = \"g\"\n\n[coordination.databaseConfig]\nuser = \"u\"\ndatabase = \"d\"\ntype = \"oracle\"\n",
			want:     `line 4: coordination.databaseConfig.type: unknown database type "oracle": use "mysql", "postgresql" or "sqlite"`,
			wantTOML: `line 8: coordination.databaseConfig.type: unknown database type "oracle": use "mysql", "postgresql" or "sqlite"`,
		},
	}
	dir := t.TempDir()
	for _, c := range cases {
		for _, format := range []string{"json", "toml"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				body, want := c.json, c.want
				if format == "toml" {
					body = c.toml
					if c.wantTOML != "" {
						want = c.wantTOML
					}
				}
				path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+"."+format)
				require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
				_, err := loadConfig(path)
				require.Error(t, err, "accepted")
				assert.EqualError(t, err, "config "+path+": "+want)
				assert.Equal(t, ExitConfig, exitCode(err), "exit code")
				if msg := strings.TrimPrefix(err.Error(), "config "+path); strings.Contains(msg, "json:") || (format == "toml" && strings.Contains(msg, "JSON")) {
					t.Errorf("the message speaks of JSON internals: %s", err)
				}
				var fe *listener.FieldError
				assert.ErrorAs(t, err, &fe, "not a *listener.FieldError: %#v", err)
			})
		}
	}
}

// The database type's aliases are accepted and go by their own names;
// anything else is refused (above).
func TestDatabaseTypeAliases(t *testing.T) {
	for alias, name := range map[string]string{"postgres": "postgresql", "PostgreSQL": "postgresql", "mariadb": "mysql", "sqlite3": "sqlite"} {
		db := `user = "u"` + "\n" + `database = "d"`
		if name == "sqlite" {
			db = `database = "/tmp/x.db"`
		}
		cfg, err := parseConfig([]byte("[coordination]\nmemberId = \"a\"\ncoordinationGroup = \"g\"\n[coordination.databaseConfig]\ntype = \""+alias+"\"\n"+db+"\n"), true)
		require.NoError(t, err, "%s", alias)
		d := cfg.Coordination.DatabaseConfig
		if d.Type != name || !strings.HasPrefix(d.String(), name+":") {
			t.Errorf("type %q became %q, shown as %s; want %s", alias, d.Type, d.String(), name)
		}
	}
}

// A missing table: the command says what a command user can do, and no Go
// function's name.
func TestMissingTableMessage(t *testing.T) {
	empty := testdb.New(t, schema.Postgres)
	path := writeJSON(t, filepath.Join(t.TempDir(), "m.json"), map[string]any{
		"host": "127.0.0.1", "port": 1, "path": "/", "retryConfig": map[string]any{"count": 0},
		"coordination": map[string]any{"databaseConfig": empty, "coordinationGroup": "g", "memberId": "m"},
	})
	fix := "create the tables with: ftpcoord schema apply --config " + path + " (or run the SQL that ftpcoord schema print --config " + path + " writes)"
	for _, args := range [][]string{{"status", "--config", path}, {"files", "list", "--config", path}, {"run", "--config", path}} {
		r := ftpcoord(t, args...)
		assert.Equal(t, ExitDatabase, r.code, "%v: exit code: %s", args, r.stderr)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, "ftpcoord: ") || !strings.HasSuffix(last, "schema: token_holder: table is missing: "+fix) {
			t.Errorf("%v: stderr ends\n %s\nwant it to end\n schema: token_holder: table is missing: %s", args, last, fix)
		}
		assert.NotContains(t, r.stderr, "schema.Apply", "%v: the message names Go functions", args)
		assert.NotContains(t, r.stderr, "schema.DDL", "%v: the message names Go functions", args)
	}
	// The SQL the message points at is there.
	r := ftpcoord(t, "schema", "print", "--config", path)
	assert.Zero(t, r.code, "schema print: exit code\n%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "CREATE TABLE IF NOT EXISTS token_holder", "schema print")
}

// While the killed holder is not replaced, the demo's progress line says its
// heartbeat is ageing, not that it is active.
func TestHolderPhrase(t *testing.T) {
	for _, c := range []struct {
		holder string
		killed bool
		age    time.Duration
		want   string
	}{
		{"m1", false, -1, "active m1  term 1"},
		{"", false, -1, "active -   term 1"},
		{"m1", true, 1340 * time.Millisecond, "holder m1 (killed) term 1, heartbeat ageing: 1.3 s old, takeover at 3 s"},
		{"m1", true, -1, "holder m1 (killed) term 1, no heartbeat row: takeover at the next check"},
	} {
		assert.Equal(t, c.want, holderPhrase(c.holder, 1, c.killed, c.age), "holderPhrase(%q, %v, %v)", c.holder, c.killed, c.age)
	}
}

// A file whose command succeeded is logged without err=<nil>; a failed one
// with the error.
func TestExecHandlerLogsErrOnlyOnFailure(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	for _, shell := range []string{"cat >/dev/null", "cat >/dev/null; exit 3"} {
		h := &execHandler{shell: shell, memberID: "m", log: log}
		h.OnFile(context.Background(), listener.FileInfo{Path: "/in/a.csv", Attempt: 1}, strings.NewReader("x"), nil)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2, "want two log lines")
	if !strings.Contains(lines[0], `msg="handler finished" path=/in/a.csv attempt=1 took=`) || strings.Contains(lines[0], "err=") {
		t.Errorf("success logged as %s", lines[0])
	}
	if !strings.Contains(lines[1], `msg="handler finished" path=/in/a.csv attempt=1 took=`) || !strings.Contains(lines[1], `err="exit status 3"`) {
		t.Errorf("failure logged as %s", lines[1])
	}
}

// The README's command to install the Java bindings prints clean output:
// its Maven invocation, run as written (validate in place of install, which
// needs the build), prints no escape sequence.
func TestREADMEMavenCommandPrintsNoEscapes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?m)^make java && \\(cd bindings/java && (.*mvn .*)\\)$").FindStringSubmatch(string(b))
	require.NotNil(t, m, "README has no `make java && (cd bindings/java && mvn ...)` line")
	require.Contains(t, m[1], " install", "the README's Maven command does not install")
	ensureTool(t, "mvn", "maven")
	cmd := exec.Command("bash", "-c", strings.Replace(m[1], " install", " validate", 1))
	cmd.Dir = "../../bindings/java"
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", m[1], out)
	assert.NotContains(t, string(out), "\x1b", "%s prints escape sequences", m[1])
}

// ensureTool installs a Debian package when its command is missing, with
// the test servers' helper (as root on a fresh machine).
func ensureTool(t *testing.T, command string, packages ...string) {
	t.Helper()
	if _, err := exec.LookPath(command); err == nil {
		return
	}
	args := append([]string{"-c", `. "$0"; ensure_packages "$@"`, "../../tests/services/lib.sh", command}, packages...)
	out, err := exec.Command("bash", args...).CombinedOutput()
	require.NoError(t, err, "install %v for %s\n%s", packages, command, out)
}

// ${NAME} in a string takes the environment variable's value (passwords
// from a Secret or an EnvironmentFile); an unset one is an error that
// names the field and the variable; $${ is a literal ${.
func TestConfigEnvironmentReferences(t *testing.T) {
	t.Setenv("FTPCOORD_TEST_DB_PASSWORD", `pa"ss${w}ord`)
	t.Setenv("FTPCOORD_TEST_FTP_USER", "invoices")
	js := "{\n  \"auth\": {\"credentials\": {\"username\": \"${FTPCOORD_TEST_FTP_USER}\", \"password\": \"$${literal}\"}},\n" +
		"  \"coordination\": {\"memberId\": \"a\", \"coordinationGroup\": \"g\",\n    \"databaseConfig\": {\"type\": \"postgresql\", \"user\": \"u\", \"database\": \"d\",\n" +
		"      \"password\": \"${FTPCOORD_TEST_DB_PASSWORD}\"}},\n  \"pollingInterval\": 5\n}"
	tm := "pollingInterval = 5\n[auth.credentials]\nusername = \"${FTPCOORD_TEST_FTP_USER}\"\npassword = \"$${literal}\"\n" +
		"[coordination]\nmemberId = \"a\"\ncoordinationGroup = \"g\"\n[coordination.databaseConfig]\ntype = \"postgresql\"\nuser = \"u\"\ndatabase = \"d\"\npassword = \"${FTPCOORD_TEST_DB_PASSWORD}\"\n"
	for _, c := range []struct {
		body string
		toml bool
	}{{js, false}, {tm, true}} {
		cfg, err := parseConfig([]byte(c.body), c.toml)
		require.NoError(t, err, "toml %v", c.toml)
		if cfg.Coordination.DatabaseConfig.Password != `pa"ss${w}ord` || cfg.Auth.Credentials.Username != "invoices" ||
			cfg.Auth.Credentials.Password != "${literal}" || cfg.PollingInterval != 5 {
			t.Errorf("toml %v: expanded to %+v / %+v", c.toml, cfg.Auth.Credentials, cfg.Coordination.DatabaseConfig.Password)
		}
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"unset.json": strings.ReplaceAll(js, "FTPCOORD_TEST_DB_PASSWORD", "FTPCOORD_TEST_UNSET_VAR"),
		"unset.toml": strings.ReplaceAll(tm, "FTPCOORD_TEST_DB_PASSWORD", "FTPCOORD_TEST_UNSET_VAR")} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o600)
		line := map[string]string{"unset.json": "5", "unset.toml": "12"}[name]
		_, err := loadConfig(path)
		want := "config " + path + ": line " + line + ": coordination.databaseConfig.password: ${FTPCOORD_TEST_UNSET_VAR}: the environment variable FTPCOORD_TEST_UNSET_VAR is not set"
		assert.EqualError(t, err, want, name)
		assert.Equal(t, ExitConfig, exitCode(err), "%s: exit code", name)
	}
}
