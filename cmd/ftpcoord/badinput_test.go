package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each bad input prints an error a person can act on and exits with its
// documented code; no password ever appears.
func TestBadInputs(t *testing.T) {
	srv := newFTPDir(t)
	work := t.TempDir()
	withSchema := testdb.NewWithSchema(t, schema.Postgres)
	empty := testdb.New(t, schema.Postgres) // no tables
	file := func(name, body string) string {
		p := filepath.Join(work, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := writeJSON(t, filepath.Join(work, "good.json"), memberConfig(srv, withSchema, "bad-inputs", "m", nil))
	noTables := writeJSON(t, filepath.Join(work, "notables.json"), memberConfig(srv, empty, "bad-inputs", "m", nil))
	wrongPW := withSchema
	wrongPW.Password = "Not-The-Password-77"
	badDBPassword := writeJSON(t, filepath.Join(work, "dbpw.json"), memberConfig(srv, wrongPW, "bad-inputs", "m", nil))
	closed := withSchema
	closed.Port = 1 // nothing listens there
	unreachable := writeJSON(t, filepath.Join(work, "unreachable.json"), memberConfig(srv, closed, "bad-inputs", "m", nil))
	noType := withSchema // as written from Ballerina's PostgresqlConfig, at a port that does not tell
	noType.Type = ""
	dialectless := writeJSON(t, filepath.Join(work, "notype.json"), memberConfig(srv, noType, "bad-inputs", "m", nil))
	asMySQL := withSchema
	asMySQL.Type = "mysql"
	otherProtocol := writeJSON(t, filepath.Join(work, "asmysql.json"), memberConfig(srv, asMySQL, "bad-inputs", "m", nil))
	ftpPW := memberConfig(srv, withSchema, "bad-inputs", "m", nil)
	ftpPW["auth"] = map[string]any{"credentials": map[string]any{"username": srv.user, "password": "Wrong-FTP-Secret-99"}}
	badFTPPassword := writeJSON(t, filepath.Join(work, "ftppw.json"), ftpPW)
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_SFTP_ADDR"), ":")
	sftpPort, _ := strconv.Atoi(port)
	knownHosts := file("known_hosts", "") // trusts nobody
	unknownHost := writeJSON(t, filepath.Join(work, "sftp.json"), map[string]any{
		"protocol": "SFTP", "host": host, "port": sftpPort, "path": "/",
		"auth":              map[string]any{"credentials": map[string]any{"username": env(t, "FTPCOORD_TEST_SFTP_USER")}, "privateKey": map[string]any{"path": env(t, "FTPCOORD_TEST_SFTP_KEY")}},
		"sftpSshKnownHosts": knownHosts,
	})
	noCoordination := file("nocoord.json", `{"host": "127.0.0.1", "port": 2121}`)

	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no command", nil, exitcode.Usage, []string{"usage:"}},
		{"unknown command", []string{"frobnicate"}, exitcode.Usage, []string{`unknown command "frobnicate"`}},
		{"run without config", []string{"run"}, exitcode.Usage, []string{"--config FILE is required"}},
		{"unknown flag", []string{"status", "--config", good, "--colour"}, exitcode.Usage, []string{"-colour"}},
		{"run without a handler", []string{"run", "--config", good}, exitcode.Usage, []string{"run: no handler: add --exec CMD", "add --commit-unprocessed"}},
		{"run with two handlers", []string{"run", "--config", good, "--exec", "true", "--commit-unprocessed"}, exitcode.Usage, []string{"--exec and --commit-unprocessed exclude each other"}},
		{"bad log format", []string{"run", "--config", good, "--exec", "true", "--log-format", "xml"}, exitcode.Usage, []string{`--log-format "xml"`}},
		{"schema without action", []string{"schema", "--config", good}, exitcode.Usage, []string{"want print or apply"}},
		{"files without path", []string{"files", "retry", "--config", good}, exitcode.Usage, []string{"PATH is required"}},
		{"files bad status", []string{"files", "list", "--config", good, "--status", "done-ish"}, exitcode.Usage, []string{"--status"}},
		{"config missing", []string{"status", "--config", filepath.Join(work, "nope.json")}, exitcode.Config, []string{"no such file"}},
		{"json syntax", []string{"status", "--config", file("syntax.json", "{\n  \"host\": \"x\"\n  \"port\": 21\n}")}, exitcode.Config, []string{"line 3", "syntax.json"}},
		{"json unknown field", []string{"run", "--config", file("field.json", "{\n  \"host\": \"x\",\n  \"pollingIntervall\": 5\n}"), "--exec", "cat >/dev/null"}, exitcode.Config, []string{"line 3", "pollingIntervall"}},
		{"toml syntax", []string{"status", "--config", file("syntax.toml", "host = \"x\"\nport = = 2\n")}, exitcode.Config, []string{"line 2", "syntax.toml"}},
		{"toml bad value", []string{"schema", "print", "--config", file("value.toml", "host = \"x\"\n\n[coordination]\nmemberId = \"m\"\ncoordinationGroup = \"g\"\nheartbeatFrequency = \"often\"\n")}, exitcode.Config, []string{"line 6", "heartbeatFrequency"}},
		{"status without coordination", []string{"status", "--config", noCoordination}, exitcode.Config, []string{`no "coordination" section`}},
		{"wrong database password", []string{"status", "--config", badDBPassword}, exitcode.Database, []string{"check databaseConfig.user and databaseConfig.password"}},
		{"database unreachable", []string{"files", "list", "--config", unreachable}, exitcode.Database, []string{"cannot reach database", "databaseConfig.host"}},
		{"database without type", []string{"status", "--config", dialectless}, exitcode.Config, []string{"coordination.databaseConfig.type: is not set, and port " + strconv.Itoa(noType.Port) + ` is neither PostgreSQL's 5432 nor MySQL's 3306: set type = "postgresql" or "mysql"`}},
		{"mysql at a PostgreSQL server", []string{"run", "--config", otherProtocol, "--exec", "cat >/dev/null"}, exitcode.Database, []string{`speaks the PostgreSQL protocol, not MySQL: set databaseConfig.type = "postgresql"`}},
		{"status on missing tables", []string{"status", "--config", noTables}, exitcode.Database, []string{"token_holder", "ftpcoord schema apply --config " + noTables}},
		{"files on missing tables", []string{"files", "list", "--config", noTables}, exitcode.Database, []string{"ftpcoord schema apply --config " + noTables}},
		{"run on missing tables", []string{"run", "--config", noTables, "--exec", "cat >/dev/null"}, exitcode.Database, []string{"ftpcoord schema apply --config " + noTables}},
		{"wrong FTP password", []string{"run", "--config", badFTPPassword, "--exec", "cat >/dev/null"}, exitcode.Remote, []string{"file server"}},
		{"unknown SFTP host key", []string{"run", "--config", unknownHost, "--exec", "cat >/dev/null"}, exitcode.Remote, []string{"host key", "ssh-keyscan -p " + port + " " + host + " >> " + knownHosts}},
		{"no active member", []string{"status", "--config", good}, exitcode.Inactive, []string{"no active member"}},
		{"retry of an unknown file", []string{"files", "retry", "--config", good, "/nowhere.csv"}, exitcode.Failure, []string{"no such file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ftpcoord(t, c.args...)
			assert.Equal(t, c.code, r.code, "exit code\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range c.want {
				assert.Contains(t, r.stderr, w, "stderr")
			}
			for _, secret := range []string{"Not-The-Password-77", "Wrong-FTP-Secret-99", withSchema.Password} {
				if secret != "" && (strings.Contains(r.stderr, secret) || strings.Contains(r.stdout, secret)) {
					t.Errorf("a password appears in the output:\n%s%s", r.stdout, r.stderr)
				}
			}
		})
	}
}
