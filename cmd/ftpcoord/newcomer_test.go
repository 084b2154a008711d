package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
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
			want: `line 3: coordination.frobnicate: unknown field; the fields of coordination are checkPeriod, coordinationGroup, crashSignal, databaseConfig, heartbeatFrequency, livenessCheckInterval, memberId, sessionTimeZone`,
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
				if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := loadConfig(path)
				if err == nil {
					t.Fatal("accepted")
				}
				if got, want := err.Error(), "config "+path+": "+want; got != want {
					t.Errorf("error\n got: %s\nwant: %s", got, want)
				}
				if code := exitCode(err); code != exitcode.Config {
					t.Errorf("exit code %d, want %d", code, exitcode.Config)
				}
				if msg := strings.TrimPrefix(err.Error(), "config "+path); strings.Contains(msg, "json:") || (format == "toml" && strings.Contains(msg, "JSON")) {
					t.Errorf("the message speaks of JSON internals: %s", err)
				}
				var fe *listener.FieldError
				if !errors.As(err, &fe) {
					t.Errorf("not a *listener.FieldError: %#v", err)
				}
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
		if err != nil {
			t.Fatalf("%s: %v", alias, err)
		}
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
		"host": "127.0.0.1", "port": 1, "path": "/", "retryConfig": map[string]any{"count": 1, "interval": 0.01, "maxWaitInterval": 0.01},
		"coordination": map[string]any{"databaseConfig": empty, "coordinationGroup": "g", "memberId": "m"},
	})
	fix := "create the tables with: ftpcoord schema apply --config " + path + " (or run the SQL that ftpcoord schema print --config " + path + " writes)"
	for _, args := range [][]string{{"status", "--config", path}, {"files", "list", "--config", path}, {"run", "--config", path, "--exec", "cat >/dev/null"}} {
		r := ftpcoord(t, args...)
		if r.code != exitcode.Database {
			t.Errorf("%v: exit %d, want %d: %s", args, r.code, exitcode.Database, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, "ftpcoord: ") || !strings.HasSuffix(last, "schema: token_holder: table is missing: "+fix) {
			t.Errorf("%v: stderr ends\n %s\nwant it to end\n schema: token_holder: table is missing: %s", args, last, fix)
		}
		if strings.Contains(r.stderr, "schema.Apply") || strings.Contains(r.stderr, "schema.DDL") {
			t.Errorf("%v: the message names Go functions:\n%s", args, r.stderr)
		}
	}
	// The SQL the message points at is there.
	if r := ftpcoord(t, "schema", "print", "--config", path); r.code != 0 || !strings.Contains(r.stdout, "CREATE TABLE IF NOT EXISTS token_holder") {
		t.Errorf("schema print: exit %d\n%s%s", r.code, r.stdout, r.stderr)
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
	if len(lines) != 2 {
		t.Fatalf("want two log lines:\n%s", buf.String())
	}
	if !strings.Contains(lines[0], `msg="handler finished" path=/in/a.csv attempt=1 took=`) || strings.Contains(lines[0], "err=") {
		t.Errorf("success logged as %s", lines[0])
	}
	if !strings.Contains(lines[1], `msg="handler finished" path=/in/a.csv attempt=1 took=`) || !strings.Contains(lines[1], `err="exit status 3"`) {
		t.Errorf("failure logged as %s", lines[1])
	}
}

// The command to install the Java bindings, in the README's quickstart, in
// docs/java.md and in docs/spring.md, prints clean output: its Maven invocation, run as written
// (validate in place of install, which needs the build), prints no escape
// sequence.
func TestREADMEMavenCommandPrintsNoEscapes(t *testing.T) {
	ran := map[string]bool{}
	for _, doc := range []string{"README.md", "docs/java.md", "docs/spring.md"} {
		b, err := os.ReadFile("../../" + doc)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile("(?m)^make (?:java|jni) && \\(cd bindings/java && (.*mvn .*)\\)$").FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("%s has no `make java && (cd bindings/java && mvn ...)` line (make jni for the reactor)", doc)
		}
		if !strings.Contains(m[1], " install") {
			t.Fatalf("the Maven command of %s does not install: %s", doc, m[1])
		}
		if ran[m[1]] {
			continue
		}
		ran[m[1]] = true
		ensureTool(t, "mvn", "maven")
		cmd := exec.Command("bash", "-c", strings.Replace(m[1], " install", " validate", 1))
		cmd.Dir = "../../bindings/java"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %s: %v\n%s", doc, m[1], err, out)
		}
		if bytes.ContainsRune(out, 0x1b) {
			t.Errorf("%s: %s prints escape sequences: %q", doc, m[1], out)
		}
	}
}

// ensureTool installs a Debian package when its command is missing, with
// the test servers' helper (as root on a fresh machine).
func ensureTool(t *testing.T, command string, packages ...string) {
	t.Helper()
	if _, err := exec.LookPath(command); err == nil {
		return
	}
	args := append([]string{"-c", `. "$0"; ensure_packages "$@"`, "../../tests/services/lib.sh", command}, packages...)
	if out, err := exec.Command("bash", args...).CombinedOutput(); err != nil {
		t.Fatalf("install %v for %s: %v\n%s", packages, command, err, out)
	}
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
		if err != nil {
			t.Fatalf("toml %v: %v", c.toml, err)
		}
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
		want := "config " + path + ": line " + line + ": coordination.databaseConfig.password: ${FTPCOORD_TEST_UNSET_VAR}: the environment variable FTPCOORD_TEST_UNSET_VAR is not set (a shell variable must be exported: export FTPCOORD_TEST_UNSET_VAR)"
		if err == nil || err.Error() != want || exitCode(err) != exitcode.Config {
			t.Errorf("%s: %v\nwant %s", name, err, want)
		}
	}
}

// memberId = "${HOSTNAME}" with HOSTNAME not exported (bash sets it for
// itself only), set but empty, or written without braces: each an error
// naming the field and the variable, never a literal or empty memberId.
func TestConfigHostnameReference(t *testing.T) {
	t.Setenv("HOSTNAME", "") // restored after the test
	os.Unsetenv("HOSTNAME")
	t.Setenv("FTPCOORD_TEST_EMPTY_VAR", "")
	body := func(memberID string) string {
		return "[coordination]\nmemberId = \"" + memberID + "\"\ncoordinationGroup = \"g\"\n[coordination.databaseConfig]\ntype = \"sqlite\"\ndatabase = \"/tmp/x.db\"\n"
	}
	for memberID, want := range map[string]string{
		"${HOSTNAME}": "line 2: coordination.memberId: ${HOSTNAME}: the environment variable HOSTNAME is not set (HOSTNAME is a shell variable that is often not exported to programs: run export HOSTNAME before ftpcoord; " +
			"under systemd set it with Environment=, in Kubernetes from the downward API, e.g. POD_NAME from metadata.name)",
		"${FTPCOORD_TEST_EMPTY_VAR}": "line 2: coordination.memberId: ${FTPCOORD_TEST_EMPTY_VAR}: the environment variable FTPCOORD_TEST_EMPTY_VAR is empty, which would leave the field empty: give it a value, or leave the field out",
		"$HOSTNAME":                  `line 2: coordination.memberId: "$HOSTNAME" is not expanded: write ${HOSTNAME} (with braces) to take the environment variable HOSTNAME`,
	} {
		_, err := parseConfig([]byte(body(memberID)), true)
		if err == nil || err.Error() != want {
			t.Errorf("memberId = %q: %v\nwant %s", memberID, err, want)
		}
	}
	t.Setenv("HOSTNAME", "node-7")
	cfg, err := parseConfig([]byte(body("${HOSTNAME}")), true)
	if err != nil || cfg.Coordination.MemberID != "node-7" {
		t.Errorf("memberId = \"${HOSTNAME}\" with HOSTNAME=node-7: %v, %+v", err, cfg.Coordination)
	}
}
