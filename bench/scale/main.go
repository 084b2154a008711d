// Command scale measures how ftpcoord's shared mode scales with member
// processes (1, 2, 4 and 8 members, 4 workers each, a handler that waits
// 20 ms per file, 4,000 files), against the ideal line, and what many idle
// groups cost the database (50 groups x 3 members on one PostgreSQL and on
// one MariaDB: statements per second and server connections). The members
// are tests/member processes; the FTP server is an in-process ftpserverlib
// server (so that 150 members do not take the sessions of the shared
// pure-ftpd other tests use).
//
//	eval "$(bash bench/scale/servers.sh)"; go run ./bench/scale -out bench/scale.md
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
)

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	files := flag.Int("files", 4000, "files per curve point")
	counts := flag.String("members", "1,2,4,8", "member counts of the curve")
	work := flag.Duration("work", 20*time.Millisecond, "each handler's wait")
	groups := flag.Int("groups", 50, "idle groups")
	per := flag.Int("per-group", 3, "members per idle group")
	idle := flag.Duration("idle", 30*time.Second, "idle: how long statements are counted")
	dialects := flag.String("dialects", "postgresql,mysql", "idle: dialects")
	binary := flag.Bool("binary", false, "only the shared-mode curve, with the ftpcoord command as the members (binary.go), -rounds runs per point")
	rounds := flag.Int("rounds", 3, "-binary: runs per member count")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	dir, err := os.MkdirTemp("", "ftpcoord-scale-")
	if err != nil {
		benchenv.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := startFTP(filepath.Join(dir, "ftp"))
	if err != nil {
		benchenv.Fatal(err)
	}
	defer srv.Stop()
	if *binary {
		var ns []int
		for _, f := range strings.Split(*counts, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				benchenv.Fatal(err)
			}
			ns = append(ns, n)
		}
		report, err := binaryCurve(dir, srv, ns, *files, *rounds, *work)
		if err != nil {
			benchenv.Fatal(err)
		}
		fmt.Print(report)
		if *out != "" {
			if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
				benchenv.Fatal(err)
			}
		}
		return
	}
	bin, err := harness.BuildMember(dir)
	if err != nil {
		benchenv.Fatal(err)
	}

	var b strings.Builder
	b.WriteString("# Scale: shared mode by member count, and many idle groups\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/scale %s` (via `make bench`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \nMachine: a shared VM with %d CPUs (other engineers' builds and tests ran on it at the same time), %s; "+
		"a PostgreSQL and a MariaDB of its own on loopback (bench/scale/servers.sh: tests/services' scripts on other ports, "+
		"max_connections 1000); an in-process FTP server (ftpserverlib) in the benchmark's process.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version())

	fmt.Fprintf(&b, "## Shared mode: files per second by member count\n\n%d files of 1 KiB moved into the directory once every member "+
		"has started; members are tests/member processes in `shared` mode on PostgreSQL, 4 workers and 4 connections each, "+
		"pollingInterval 0.25 s, maxFilesPerPoll 100; each handler reads the file and waits %v. The ideal line is members x "+
		"4 workers / %v. CPU: the machine's busy share while the clock ran (/proc/stat).\n\n", *files, *work, *work)
	b.WriteString("| members | time | files/s | ideal files/s | of ideal | machine CPU busy |\n|---|---|---|---|---|---|\n")
	for _, f := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			benchenv.Fatal(err)
		}
		took, busy, err := curvePoint(bin, srv, dir, n, *files, *work)
		if err != nil {
			benchenv.Fatal(fmt.Errorf("%d members: %w", n, err))
		}
		ideal := float64(n*4) / work.Seconds()
		got := float64(*files) / took.Seconds()
		fmt.Fprintf(&b, "| %d | %.2f s | %.0f | %.0f | %.0f%% | %.0f%% |\n", n, took.Seconds(), got, ideal, 100*got/ideal, 100*busy)
		fmt.Fprintf(os.Stderr, "scale: %d members: %v, %.0f files/s (ideal %.0f), CPU %.0f%%\n", n, took, got, ideal, 100*busy)
	}

	fmt.Fprintf(&b, "\n## Many idle groups on one database\n\n%d groups x %d idle members (tests/member processes, warm-backup, "+
		"heartbeatFrequency 1 s, livenessCheckInterval 30 s, pollingInterval 1 s, an empty directory each), all in one "+
		"database; counted over %v once all had started. Statements: pg_stat_statements calls in that database "+
		"(PostgreSQL), the statement counters of the members' own user in information_schema.USER_STATISTICS (MariaDB, "+
		"userstat on for the run). Connections: the server's sessions on that database (pg_stat_activity, PROCESSLIST).\n\n",
		*groups, *per, *idle)
	b.WriteString("| database | members | statements/s in all | per member | server connections in all | per member |\n|---|---|---|---|---|---|\n")
	for _, d := range strings.Split(*dialects, ",") {
		dl, err := schema.ParseDialect(d)
		if err != nil {
			benchenv.Fatal(err)
		}
		st, conns, err := idleGroups(bin, srv, dir, dl, *groups, *per, *idle)
		if err != nil {
			benchenv.Fatal(fmt.Errorf("idle %s: %w", d, err))
		}
		m := *groups * *per
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.2f | %d | %.2f |\n", d, m, st, st/float64(m), conns, float64(conns)/float64(m))
		fmt.Fprintf(os.Stderr, "scale: idle %s: %.0f statements/s, %d connections\n", d, st, conns)
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

// ftpServer is ftpserverlib over a local directory, user scale / scale.
type ftpServer struct {
	root string
	fs   afero.Fs
	srv  *ftpserver.FtpServer
}

func startFTP(root string) (*ftpServer, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	s := &ftpServer{root: root, fs: afero.NewBasePathFs(afero.NewOsFs(), root)}
	s.srv = ftpserver.NewFtpServer(s)
	s.srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := s.srv.Listen(); err != nil {
		return nil, err
	}
	go s.srv.Serve()
	return s, nil
}

func (s *ftpServer) Stop() { s.srv.Stop() }
func (s *ftpServer) port() int {
	_, p, _ := strings.Cut(s.srv.Addr(), ":")
	n, _ := strconv.Atoi(p)
	return n
}
func (s *ftpServer) GetSettings() (*ftpserver.Settings, error) {
	return &ftpserver.Settings{ListenAddr: "127.0.0.1:0", PublicHost: "127.0.0.1", Banner: "scale",
		DefaultTransferType: ftpserver.TransferTypeBinary, DisableActiveMode: true}, nil
}
func (s *ftpServer) ClientConnected(ftpserver.ClientContext) (string, error) { return "scale", nil }
func (s *ftpServer) ClientDisconnected(ftpserver.ClientContext)              {}
func (s *ftpServer) AuthUser(_ ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if user != "scale" || pass != "scale" {
		return nil, errors.New("bad credentials")
	}
	return s.fs, nil
}
func (s *ftpServer) GetTLSConfig() (*tls.Config, error) { return nil, errors.New("no TLS") }

// member is one tests/member process.
type member struct {
	cmd     *exec.Cmd
	started chan struct{}
	done    chan struct{}
}

func startMember(bin, dir, id string, cfg map[string]any, logPath string, work time.Duration) (*member, error) {
	cfgPath := filepath.Join(dir, id+".json")
	if err := writeJSON(cfgPath, cfg); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-config", cfgPath, "-log", logPath, "-work", work.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errf, err := os.Create(filepath.Join(dir, id+".err"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &member{cmd: cmd, started: make(chan struct{}), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "started" {
				close(m.started)
			}
		}
		cmd.Wait()
		errf.Close()
		close(m.done)
	}()
	return m, nil
}

func (m *member) stop() {
	m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
}

func waitStarted(ms []*member, d time.Duration) error {
	deadline := time.After(d)
	for i, m := range ms {
		select {
		case <-m.started:
		case <-m.done:
			return fmt.Errorf("member %d exited before it started (see its .err file)", i)
		case <-deadline:
			return fmt.Errorf("member %d did not start within %v", i, d)
		}
	}
	return nil
}

func memberConfig(srv *ftpServer, path, id, group, mode string, db taskcompat.DatabaseConfig, extra map[string]any) map[string]any {
	c := map[string]any{
		"protocol": "FTP", "host": "127.0.0.1", "port": srv.port(), "path": path,
		"auth": map[string]any{"credentials": map[string]any{"username": "scale", "password": "scale"}},
		"mode": mode,
		"coordination": map[string]any{"memberId": id, "coordinationGroup": group,
			"livenessCheckInterval": 30, "heartbeatFrequency": 1,
			"databaseConfig": map[string]any{"type": db.Type, "host": db.Host, "port": db.Port,
				"user": db.User, "password": db.Password, "database": db.Database}},
	}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// curvePoint runs n shared-mode members over files files and returns the
// time from the files' arrival to the last handler's end, and the
// machine's CPU busy share meanwhile.
func curvePoint(bin string, srv *ftpServer, dir string, n, files int, work time.Duration) (time.Duration, float64, error) {
	ctx := context.Background()
	db, sqldb, done, err := testdb.Bench(ctx, schema.Postgres)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	sqldb.Close()
	name := fmt.Sprintf("curve-%d", n)
	remote, local, staging, wd := "/"+name, filepath.Join(srv.root, name), filepath.Join(srv.root, "."+name), filepath.Join(dir, name)
	names, err := stageFiles([]string{local, staging, wd}, staging, files)
	if err != nil {
		return 0, 0, err
	}
	logPath := filepath.Join(wd, "handler.log")
	var ms []*member
	defer func() {
		for _, m := range ms {
			m.stop()
		}
	}()
	for i := range n {
		id := fmt.Sprintf("m%d", i+1)
		m, err := startMember(bin, wd, id, memberConfig(srv, remote, id, name, "shared", db, map[string]any{
			"workers": 4, "maxConnections": 4, "pollingInterval": 0.25, "maxFilesPerPoll": 100,
			"processingTimeout": 30}), logPath, work)
		if err != nil {
			return 0, 0, err
		}
		ms = append(ms, m)
	}
	if err := waitStarted(ms, 60*time.Second); err != nil {
		return 0, 0, err
	}
	return releaseAndTime(staging, local, names, func() int { return ends(logPath) })
}

// releaseAndTime moves the staged files into the watched directory at
// once, after the members settled for 2 s, and times them until done()
// counts every one (at most 10 minutes), with the machine's CPU use over
// that time.
func releaseAndTime(staging, local string, names []string, done func() int) (time.Duration, float64, error) {
	time.Sleep(2 * time.Second)
	busy0, total0 := cpuTimes()
	for _, nm := range names {
		if err := os.Rename(filepath.Join(staging, nm), filepath.Join(local, nm)); err != nil {
			return 0, 0, err
		}
	}
	t0 := time.Now()
	for end := t0.Add(10 * time.Minute); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		if done() >= len(names) {
			break
		}
	}
	took := time.Since(t0)
	busy1, total1 := cpuTimes()
	if got := done(); got < len(names) {
		return 0, 0, fmt.Errorf("%d of %d files done after 10 minutes", got, len(names))
	}
	return took, float64(busy1-busy0) / float64(total1-total0), nil
}

// ends counts the distinct files whose handler ended, in tests/member's log
// ("pid nanos end key attempt path").
func ends(logPath string) int {
	f, err := os.Open(logPath)
	if err != nil {
		return 0
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 6 && fs[2] == "end" {
			seen[fs[5]] = true
		}
	}
	return len(seen)
}

// cpuTimes is the machine's busy and total jiffies from /proc/stat.
func cpuTimes() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// idleGroups starts groups x per idle members on one database of dialect d
// and returns the statements per second and server connections of them all.
func idleGroups(bin string, srv *ftpServer, dir string, d schema.Dialect, groups, per int, idle time.Duration) (float64, int, error) {
	ctx := context.Background()
	db, sqldb, done, err := testdb.Bench(ctx, d)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	defer sqldb.Close()
	memberDB := db
	if d == schema.MySQL {
		// The members log in as a user of their own, so that MariaDB's
		// per-user statistics count their statements and nobody else's.
		memberDB.User, memberDB.Password = "ftpc_scale", "ftpc-scale"
		for _, q := range []string{
			"CREATE USER IF NOT EXISTS 'ftpc_scale'@'%' IDENTIFIED BY 'ftpc-scale'",
			"GRANT ALL ON " + db.Database + ".* TO 'ftpc_scale'@'%'",
			"SET GLOBAL userstat = 1",
		} {
			if _, err := sqldb.Exec(q); err != nil {
				return 0, 0, fmt.Errorf("%s: %w", q, err)
			}
		}
		defer sqldb.Exec("SET GLOBAL userstat = 0")
	}
	wd := filepath.Join(dir, "idle-"+string(d))
	var ms []*member
	defer func() {
		for _, m := range ms {
			go m.cmd.Process.Signal(os.Interrupt)
		}
		for _, m := range ms {
			m.stop()
		}
	}()
	for g := range groups {
		name := fmt.Sprintf("idle-%s-%02d", d, g+1)
		if err := os.MkdirAll(filepath.Join(srv.root, name), 0o755); err != nil {
			return 0, 0, err
		}
		gd := filepath.Join(wd, name)
		if err := os.MkdirAll(gd, 0o755); err != nil {
			return 0, 0, err
		}
		for i := range per {
			id := fmt.Sprintf("m%d", i+1)
			m, err := startMember(bin, gd, id, memberConfig(srv, "/"+name, id, name, "warm-backup", memberDB,
				map[string]any{"pollingInterval": 1, "maxConnections": 1}), filepath.Join(gd, "handler.log"), 0)
			if err != nil {
				return 0, 0, err
			}
			ms = append(ms, m)
		}
	}
	if err := waitStarted(ms, 3*time.Minute); err != nil {
		return 0, 0, err
	}
	time.Sleep(5 * time.Second)
	count := func() (int64, error) {
		var n int64
		if d == schema.Postgres {
			err := sqldb.QueryRow(`SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
			return n, err
		}
		err := sqldb.QueryRow(`SELECT coalesce(sum(SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS), 0) FROM information_schema.USER_STATISTICS WHERE USER = 'ftpc_scale'`).Scan(&n)
		return n, err
	}
	before, err := count()
	if err != nil {
		return 0, 0, err
	}
	time.Sleep(idle)
	after, err := count()
	if err != nil {
		return 0, 0, err
	}
	var conns int
	q := `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
	if d == schema.MySQL {
		q = `SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = 'ftpc_scale'`
	}
	if err := sqldb.QueryRow(q).Scan(&conns); err != nil {
		return 0, 0, err
	}
	return float64(after-before) / idle.Seconds(), conns, nil
}

func writeJSON(path string, v any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func jsonMarshal(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// stageFiles makes a curve point's directories (dirs) and writes files
// random files of 1 KiB into staging, to be moved into the watched
// directory at once (releaseAndTime).
func stageFiles(dirs []string, staging string, files int) ([]string, error) {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	var names []string
	for i := range files {
		nm := fmt.Sprintf("s%05d.dat", i+1)
		buf := make([]byte, 1024)
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(staging, nm), buf, 0o644); err != nil {
			return nil, err
		}
		names = append(names, nm)
	}
	return names, nil
}
