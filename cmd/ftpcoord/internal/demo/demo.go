package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/shell"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// flags are the flags of `ftpcoord demo`.
type flags struct {
	files    int
	keep     bool
	database string // JSON databaseConfig; default an SQLite file in the demo's directory
	timeout  time.Duration
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("ftpcoord demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.files, "files", 60, "files to upload")
	fs.BoolVar(&f.keep, "keep", false, "keep the demo's directory (server files, database, logs)")
	fs.StringVar(&f.database, "database-config", "", `coordination database as JSON, e.g. {"type":"postgresql","host":"127.0.0.1","port":5432,"user":"u","password":"p","database":"d"} (default: an SQLite file in the demo's directory)`)
	fs.DurationVar(&f.timeout, "timeout", 50*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return f, exitcode.FlagError(err)
	}
	if fs.NArg() > 0 {
		return f, exitcode.Usagef("demo: unexpected argument %q", fs.Arg(0))
	}
	if f.files < 3 {
		return f, exitcode.Usagef("demo: --files must be at least 3")
	}
	return f, nil
}

// demo is one run of the tour.
type demo struct {
	out      io.Writer
	dir      string
	exe      string
	start    time.Time
	server   *ftpServer
	dbConfig taskcompat.DatabaseConfig
	db       *sql.DB
	dialect  schema.Dialect
	group    string
	ledger   *ledger.Ledger
	logPath  string
	members  map[string]*exec.Cmd
	baseCfg  map[string]any
	execCmd  string
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "%6.1fs  %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

// Run is `ftpcoord demo`: the tour: an FTP server, a database, three
// members, uploads, a crash of the active member, and a check that every
// file was processed once. The members are processes of the running
// executable (`ftpcoord run`, with `ftpcoord demo-handler` as their --exec
// handler, which the command serves with Handler).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	d := &demo{out: stdout, start: time.Now(), members: map[string]*exec.Cmd{}}
	if d.exe, err = os.Executable(); err != nil {
		return err
	}
	if d.dir, err = os.MkdirTemp("", "ftpcoord-demo-"); err != nil {
		return err
	}
	defer func() {
		d.stopMembers()
		if d.server != nil {
			d.server.Stop()
		}
		if d.db != nil {
			d.forgetGroup()
			d.db.Close()
		}
		if f.keep {
			fmt.Fprintf(stdout, "kept %s (ftp/, coord.db, member logs, handled.log)\n", d.dir)
		} else {
			os.RemoveAll(d.dir)
		}
	}()
	if err := d.setUp(ctx, f); err != nil {
		return err
	}
	return d.play(ctx, f.files)
}

// forgetGroup deletes the demo group's rows from a server database (an
// SQLite file goes with the demo's directory).
func (d *demo) forgetGroup() {
	if d.dialect == schema.SQLite {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d.db.ExecContext(ctx, sqldb.Rebind(d.dialect, "DELETE FROM ftpcoord_file WHERE group_id = ?"), d.group)
	taskcompat.ForgetGroup(ctx, d.db, d.dialect, d.group)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// setUp starts the FTP server, prepares the database and the members'
// configuration.
func (d *demo) setUp(ctx context.Context, f flags) error {
	root := filepath.Join(d.dir, "ftp")
	if err := os.MkdirAll(filepath.Join(root, "inbox"), 0o755); err != nil {
		return err
	}
	pass := randomHex(8)
	srv, err := startFTPServer(root, "demo", pass)
	if err != nil {
		return fmt.Errorf("demo FTP server: %w", err)
	}
	d.server = srv
	d.group = "demo-" + randomHex(4)
	if f.database != "" {
		if err := json.Unmarshal([]byte(f.database), &d.dbConfig); err != nil {
			return exitcode.Usagef("--database-config: %v", err)
		}
	} else {
		d.dbConfig = taskcompat.DatabaseConfig{Type: "sqlite", Database: filepath.Join(d.dir, "coord.db")}
	}
	tc := taskcompat.Config{Database: d.dbConfig, TaskID: "demo", GroupID: d.group}.WithDefaults()
	if d.db, d.dialect, err = groupstatus.Open(ctx, tc); err != nil {
		return err
	}
	if err := schema.Apply(ctx, d.db, d.dialect); err != nil {
		return err
	}
	if d.ledger, err = ledger.New(ctx, ledger.Config{DB: d.db, Dialect: d.dialect, GroupID: d.group, MemberID: "demo"}); err != nil {
		return err
	}
	host, port := splitHostPort(srv.Addr())
	d.say("FTP server on %s (directory %s), database %s, group %s", srv.Addr(), root, d.dbConfig, d.group)
	d.logPath = filepath.Join(d.dir, "handled.log")
	d.execCmd = shell.Quote(d.exe) + " demo-handler --log " + shell.Quote(d.logPath)
	d.baseCfg = map[string]any{
		"protocol": "FTP", "host": host, "port": port, "path": "/inbox", "pollingInterval": 0.25,
		"auth": map[string]any{"credentials": map[string]any{"username": "demo", "password": pass}},
		"coordination": map[string]any{"databaseConfig": d.dbConfig, "coordinationGroup": d.group,
			"livenessCheckInterval": liveness, "heartbeatFrequency": 0.25},
		"workers": 2, "maxFilesPerPoll": 10, "processingTimeout": 3, "retryTimeout": 0.3, "maxTries": 5,
	}
	return nil
}

func splitHostPort(addr string) (string, int) {
	i := strings.LastIndexByte(addr, ':')
	var port int
	fmt.Sscan(addr[i+1:], &port)
	return addr[:i], port
}
