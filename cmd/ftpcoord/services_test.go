package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/shell"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `ftpcoord run` with two services, in a TOML file: one --exec handles
// both, told the service by FTPCOORD_SERVICE; each service's files reach
// it once, under its own filters, through the ledger.
func TestRunServices(t *testing.T) {
	srv := newFTPDir(t)
	for _, d := range []string{"in", "out"} {
		require.NoError(t, os.Mkdir(filepath.Join(srv.local, d), 0o777))
		os.Chmod(filepath.Join(srv.local, d), 0o777)
	}
	db := testdb.New(t, schema.Postgres)
	work := t.TempDir()
	cfg := filepath.Join(work, "member.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`protocol = "FTP"
host = %q
port = %d
pollingInterval = 0.2
retryTimeout = 0.2

[auth.credentials]
username = %q
password = %q

[coordination]
coordinationGroup = "cmd-services"
memberId = "a"
livenessCheckInterval = 3
heartbeatFrequency = 0.25

[coordination.databaseConfig]
type = "postgresql"
host = %q
port = %d
user = %q
password = %q
database = %q

[[services]]
name = "invoices"
path = %q
fileNamePattern = '.*\.csv'

[[services]]
path = %q
fileNamePattern = '.*\.xml'
`, srv.host, srv.port, srv.user, srv.pass, db.Host, db.Port, db.User, db.Password, db.Database,
		srv.path+"/in", srv.path+"/out")), 0o600))
	require.Zero(t, ftpcoord(t, "schema", "apply", "--config", cfg).code)
	handled := filepath.Join(work, "handled.log")
	startRun(t, "--config", cfg, "--exec", `echo "[$FTPCOORD_SERVICE] $FTPCOORD_PATH" >> `+shell.Quote(handled))
	for _, f := range []string{"in/a.csv", "in/b.xml", "out/c.xml", "out/d.csv"} {
		putIn(t, srv, f, f)
	}
	want := []string{"[invoices] " + srv.path + "/in/a.csv", "[] " + srv.path + "/out/c.xml"}
	eventually(t, 30*time.Second, "each service's file handled", func() bool {
		b, _ := os.ReadFile(handled)
		return strings.Count(string(b), "\n") >= len(want)
	})
	// A later file through both services: the polls between would have
	// handled a file again.
	putIn(t, srv, "out/e.xml", "e")
	putIn(t, srv, "in/f.csv", "f")
	want = append(want, "[] "+srv.path+"/out/e.xml", "[invoices] "+srv.path+"/in/f.csv")
	slices.Sort(want)
	eventually(t, 30*time.Second, "the later files handled", func() bool {
		b, _ := os.ReadFile(handled)
		return strings.Count(string(b), "\n") >= len(want)
	})
	b, _ := os.ReadFile(handled)
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(got)
	assert.Equal(t, want, got)

	// The operator's view: each service's files in its own key space.
	eventually(t, 30*time.Second, "the invoices' files DONE", func() bool {
		return countStatus(filesList(t, cfg, "--service", "invoices"), "DONE") == 2
	})
	own := filesList(t, cfg)
	require.Equal(t, 2, countStatus(own, "DONE"), "the group's own rows: the service without a name: %+v", own)
	for _, e := range own {
		assert.Contains(t, e.Path, "/out/", "the unnamed service's rows")
	}
	r := ftpcoord(t, "files", "list", "--config", cfg, "--service", "invoice")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, `--service "invoice": no such service; the configuration's are invoices`)
}

// putIn is srv.put into a subdirectory (dir/name).
func putIn(t *testing.T, srv ftpServer, p, body string) {
	t.Helper()
	dir, name := filepath.Split(p)
	srv.local = filepath.Join(srv.local, dir)
	srv.put(t, name, body)
}

// A path both at the top level and in services is an error that names the
// field and the fix.
func TestRunServicesConfigError(t *testing.T) {
	work := t.TempDir()
	cfg := filepath.Join(work, "bad.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("host = \"x\"\npath = \"/in\"\n\n[[services]]\npath = \"/a\"\n\n[[services]]\npath = \"/b\"\n"), 0o600))
	r := ftpcoord(t, "run", "--config", cfg, "--exec", "cat >/dev/null")
	require.Equal(t, exitcode.Config, r.code, "%s", r.stderr)
	assert.Contains(t, r.stderr, "path: set both at the top level and in services")
	assert.Contains(t, r.stderr, "services[1].name: services[0] has no name either")
}
