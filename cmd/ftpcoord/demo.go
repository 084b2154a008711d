package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// demoFlags are the flags of `ftpcoord demo`.
type demoFlags struct {
	files    int
	keep     bool
	database string // JSON databaseConfig; default an SQLite file in the demo's directory
	timeout  time.Duration
}

func parseDemoFlags(args []string, stderr io.Writer) (demoFlags, error) {
	var f demoFlags
	fs := flag.NewFlagSet("ftpcoord demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.files, "files", 60, "files to upload")
	fs.BoolVar(&f.keep, "keep", false, "keep the demo's directory (server files, database, logs)")
	fs.StringVar(&f.database, "database-config", "", `coordination database as JSON, e.g. {"type":"postgresql","host":"127.0.0.1","port":5432,"user":"u","password":"p","database":"d"} (default: an SQLite file in the demo's directory)`)
	fs.DurationVar(&f.timeout, "timeout", 50*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return f, parseFlagError(err)
	}
	if fs.NArg() > 0 {
		return f, usageError("demo: unexpected argument %q", fs.Arg(0))
	}
	if f.files < 3 {
		return f, usageError("demo: --files must be at least 3")
	}
	return f, nil
}

// demo is one run of the tour.
type demo struct {
	out      io.Writer
	dir      string
	exe      string
	start    time.Time
	server   *demoServer
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

// cmdDemo runs the tour: an FTP server, a database, three members, uploads,
// a crash of the active member, and a check that every file was processed
// once.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseDemoFlags(args, stderr)
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
	for _, table := range []string{"ftpcoord_file", "health_check", "token_holder"} {
		d.db.ExecContext(ctx, rebind(d.dialect, "DELETE FROM "+table+" WHERE group_id = ?"), d.group)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// setUp starts the FTP server, prepares the database and the members'
// configuration.
func (d *demo) setUp(ctx context.Context, f demoFlags) error {
	root := filepath.Join(d.dir, "ftp")
	if err := os.MkdirAll(filepath.Join(root, "inbox"), 0o755); err != nil {
		return err
	}
	pass := randomHex(8)
	srv, err := startDemoServer(root, "demo", pass)
	if err != nil {
		return fmt.Errorf("demo FTP server: %w", err)
	}
	d.server = srv
	d.group = "demo-" + randomHex(4)
	if f.database != "" {
		if err := json.Unmarshal([]byte(f.database), &d.dbConfig); err != nil {
			return usageError("--database-config: %v", err)
		}
	} else {
		d.dbConfig = taskcompat.DatabaseConfig{Type: "sqlite", Database: filepath.Join(d.dir, "coord.db")}
	}
	tc := taskcompat.Config{Database: d.dbConfig, TaskID: "demo", GroupID: d.group}.WithDefaults()
	if d.db, d.dialect, err = openDatabase(ctx, tc); err != nil {
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
	d.execCmd = shellQuote(d.exe) + " demo-handler --log " + shellQuote(d.logPath)
	d.baseCfg = map[string]any{
		"protocol": "FTP", "host": host, "port": port, "path": "/inbox", "pollingInterval": 0.25,
		"auth": map[string]any{"credentials": map[string]any{"username": "demo", "password": pass}},
		"coordination": map[string]any{"databaseConfig": d.dbConfig, "coordinationGroup": d.group,
			"livenessCheckInterval": 2, "heartbeatFrequency": 0.25},
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

// startMember starts `ftpcoord run` for one member as a process of its own.
func (d *demo) startMember(id string) error {
	cfg := map[string]any{}
	b, _ := json.Marshal(d.baseCfg)
	json.Unmarshal(b, &cfg)
	cfg["coordination"].(map[string]any)["memberId"] = id
	b, _ = json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(d.dir, id+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(d.dir, id+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(d.exe, "run", "--config", path, "--exec", d.execCmd, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = logf, logf
	// A process group of its own: a Ctrl-C on the demo reaches the demo,
	// which stops the members itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start member %s: %w", id, err)
	}
	d.members[id] = cmd
	return nil
}

// stopMembers stops every member gracefully (SIGTERM), then by force.
func (d *demo) stopMembers() {
	for _, c := range d.members {
		c.Process.Signal(syscall.SIGTERM)
	}
	for id, c := range d.members {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
		}
		delete(d.members, id)
	}
}

// holder reads the token holder and term.
func (d *demo) holder(ctx context.Context) (string, int64) {
	var h string
	var term int64
	d.db.QueryRowContext(ctx, rebind(d.dialect, `SELECT task_id, term FROM token_holder WHERE group_id = ?`), d.group).Scan(&h, &term)
	return h, term
}

// uploader puts files on the server: each written under a hidden name and
// renamed, as careful senders do, so no member sees half a file.
func (d *demo) upload(ctx context.Context, n int, every time.Duration, uploaded chan<- string) error {
	defer close(uploaded)
	host, port := splitHostPort(d.server.Addr())
	c, err := remote.DialFTP(ctx, remote.FTPConfig{Addr: fmt.Sprintf("%s:%d", host, port), User: d.server.user, Password: d.server.pass})
	if err != nil {
		return fmt.Errorf("demo uploader: %w", err)
	}
	defer c.Close()
	for i := range n {
		name := fmt.Sprintf("invoice-%03d.csv", i)
		if i%9 == 4 {
			name = fmt.Sprintf("invoice-%03d-flaky.csv", i)
		}
		body := strings.Repeat(fmt.Sprintf("%d,item,%d.00\n", i, i*7), 20+i)
		if err := c.Write(ctx, "/inbox/."+name+".part", strings.NewReader(body)); err != nil {
			return fmt.Errorf("demo uploader: %w", err)
		}
		if err := c.Rename(ctx, "/inbox/."+name+".part", "/inbox/"+name); err != nil {
			return fmt.Errorf("demo uploader: %w", err)
		}
		uploaded <- "/inbox/" + name
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	return nil
}

// play runs the tour and checks the outcome.
func (d *demo) play(ctx context.Context, files int) error {
	ids := []string{"m1", "m2", "m3"}
	for _, id := range ids {
		if err := d.startMember(id); err != nil {
			return err
		}
	}
	d.say("started members m1, m2, m3 (ftpcoord run --exec 'ftpcoord demo-handler'), each a process of its own")
	// Wait for an active member.
	var active string
	var term int64
	for active == "" {
		if err := d.alive(); err != nil {
			return err
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("no member became active: %w (member logs in %s)", err, d.dir)
		}
		active, term = d.holder(ctx)
	}
	d.say("%s is active (term %d); the others are standbys", active, term)

	uploaded := make(chan string, files)
	upErr := make(chan error, 1)
	every := 6 * time.Second / time.Duration(files)
	go func() { upErr <- d.upload(ctx, files, every, uploaded) }()
	d.say("uploading %d files to /inbox over about 6 s (every 9th one fails its first attempt)", files)

	var (
		seen         = map[string]bool{}
		uploadDone   bool
		killed       string
		killedAt     time.Time
		failoverTook time.Duration
		newActive    string
		lastReport   time.Time
	)
	for {
		for drained := false; !drained; {
			select {
			case p, ok := <-uploaded:
				if !ok {
					uploaded, uploadDone = nil, true
					d.say("all %d files uploaded", files)
				} else {
					seen[p] = true
				}
			default:
				drained = true
			}
		}
		if err := d.alive(); err != nil {
			return err
		}
		h, t := d.holder(ctx)
		counts, err := d.ledger.Counts(ctx)
		if err != nil {
			return err
		}
		done := counts[ledger.Done]
		// Crash the active member once a third of the files are done.
		if killed == "" && done >= files/3 && h != "" && d.members[h] != nil {
			killed, killedAt = h, time.Now()
			d.members[h].Process.Signal(syscall.SIGKILL)
			d.members[h].Wait()
			delete(d.members, h)
			d.say("SIGKILL %s, the active member, in the middle of its work (%d files done)", h, done)
		}
		if killed != "" && newActive == "" && h != killed && h != "" {
			newActive, failoverTook = h, time.Since(killedAt)
			d.say("%s took over (term %d), %.1f s after the crash (livenessCheckInterval 2 s)", h, t, failoverTook.Seconds())
			if err := d.startMember("m4"); err != nil {
				return err
			}
			d.say("started m4 in place of %s; it joins as a standby", killed)
		}
		if time.Since(lastReport) >= time.Second {
			lastReport = time.Now()
			retries := d.retries()
			d.say("active %-3s term %d | uploaded %d/%d | done %d | claimed %d | waiting %d | retries %d",
				orNone(h), t, len(seen), files, done, counts[ledger.InProgress], counts[ledger.Pending]+counts[ledger.Failed], retries)
		}
		if uploadDone && done == files {
			break
		}
		if counts[ledger.Rejected] > 0 {
			return withCode(ExitLost, fmt.Errorf("%d files were rejected (see ftpcoord files list --status REJECTED)", counts[ledger.Rejected]))
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			if errors.Is(err, context.Canceled) {
				return errors.New("demo interrupted; cleaning up")
			}
			return withCode(ExitLost, fmt.Errorf("gave up: %d of %d files done after %s: %w (run with --keep to keep the member logs)", done, files, time.Since(d.start).Round(time.Second), err))
		}
	}
	if err := <-upErr; err != nil {
		return err
	}
	h, t := d.holder(ctx)
	d.say("every file is DONE; %s is active (term %d). What `ftpcoord status` shows now:", h, t)
	tc := taskcompat.Config{Database: d.dbConfig, TaskID: "demo", GroupID: d.group}.WithDefaults()
	tc.LivenessCheckInterval = 2
	if st, err := readStatus(ctx, d.db, d.dialect, tc); err == nil {
		var b strings.Builder
		writeStatus(&b, st)
		fmt.Fprint(d.out, "          "+strings.ReplaceAll(strings.TrimRight(b.String(), "\n"), "\n", "\n          ")+"\n")
	}
	d.say("stopping the members (SIGTERM: each hands over gracefully)")
	d.stopMembers()
	return d.summary(ctx, seen, killed, failoverTook)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// alive fails when a member exited on its own.
func (d *demo) alive() error {
	for id, c := range d.members {
		if c.ProcessState != nil {
			continue
		}
		var ws syscall.WaitStatus
		pid, _ := syscall.Wait4(c.Process.Pid, &ws, syscall.WNOHANG, nil)
		if pid == c.Process.Pid {
			c.Process.Release()
			delete(d.members, id)
			log, _ := os.ReadFile(filepath.Join(d.dir, id+".log"))
			return fmt.Errorf("member %s exited (%v):\n%s", id, ws.ExitStatus(), tail(string(log), 2000))
		}
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// handled is what the handler log says about one file.
type handled struct {
	ends  []string // members whose handler finished it, in order
	fails int
}

// readHandlerLog parses the demo handlers' log.
func readHandlerLog(path string) (map[string]*handled, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	out := map[string]*handled{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 {
			continue
		}
		h := out[f[5]]
		if h == nil {
			h = &handled{}
			out[f[5]] = h
		}
		switch f[1] {
		case "end":
			h.ends = append(h.ends, f[2])
		case "fail":
			h.fails++
		}
	}
	return out, nil
}

func (d *demo) retries() int {
	log, _ := readHandlerLog(d.logPath)
	n := 0
	for _, h := range log {
		n += h.fails
	}
	return n
}

// demoVerdict is the outcome of the demo, from the ledger and the handler log.
type demoVerdict struct {
	uploaded, seen, done, retries int
	lost                          []string // uploaded but not DONE, or never finished by a handler
	duplicates                    []string // finished twice with no crash to explain it
	redelivered                   []string // finished by the killed member, then again: it died before its commit
}

// judge compares the uploads, the ledger and the handler log. A file may be
// finished twice only when the first run was the killed member's: it died
// between its handler and its commit (at-least-once; the idempotency key is
// there for handlers to skip such a repeat).
func judge(uploaded map[string]bool, rows []ledger.Entry, log map[string]*handled, killed string) demoVerdict {
	v := demoVerdict{uploaded: len(uploaded), seen: len(rows)}
	done := map[string]bool{}
	for _, r := range rows {
		if r.Status == ledger.Done {
			done[r.Path] = true
			v.done++
		}
	}
	for _, h := range log {
		v.retries += h.fails
	}
	paths := make([]string, 0, len(uploaded))
	for p := range uploaded {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		h := log[p]
		if !done[p] || h == nil || len(h.ends) == 0 {
			v.lost = append(v.lost, p)
			continue
		}
		if len(h.ends) == 1 {
			continue
		}
		explained := true
		for _, m := range h.ends[:len(h.ends)-1] {
			if m != killed {
				explained = false
			}
		}
		if explained {
			v.redelivered = append(v.redelivered, p)
		} else {
			v.duplicates = append(v.duplicates, p)
		}
	}
	return v
}

func (d *demo) summary(ctx context.Context, uploaded map[string]bool, killed string, failover time.Duration) error {
	rows, err := d.ledger.List(ctx, "", 1_000_000)
	if err != nil {
		return err
	}
	log, err := readHandlerLog(d.logPath)
	if err != nil {
		return err
	}
	v := judge(uploaded, rows, log, killed)
	fmt.Fprintf(d.out, "\nsummary (%.1f s)\n", time.Since(d.start).Seconds())
	fmt.Fprintf(d.out, "  files uploaded          %d\n", v.uploaded)
	fmt.Fprintf(d.out, "  files seen (ledger)     %d\n", v.seen)
	fmt.Fprintf(d.out, "  processed once each     %s (%d DONE, each committed once)\n", yesNo(len(v.lost) == 0 && len(v.duplicates) == 0), v.done)
	fmt.Fprintf(d.out, "  lost                    %d\n", len(v.lost))
	fmt.Fprintf(d.out, "  duplicates              %d\n", len(v.duplicates))
	fmt.Fprintf(d.out, "  failed attempts retried %d\n", v.retries)
	if killed != "" {
		fmt.Fprintf(d.out, "  failover delay          %.1f s (SIGKILL of %s to the new holder's takeover)\n", failover.Seconds(), killed)
	}
	if len(v.redelivered) > 0 {
		fmt.Fprintf(d.out, "  reruns after the crash  %d (%s finished them but died before its commit; the rerun carried the same\n"+
			"                          FTPCOORD_IDEMPOTENCY_KEY, so a handler can tell and skip the work)\n", len(v.redelivered), killed)
	}
	if len(v.lost) > 0 || len(v.duplicates) > 0 {
		return withCode(ExitLost, fmt.Errorf("demo failed: lost %v, duplicated %v", v.lost, v.duplicates))
	}
	if v.seen != v.uploaded {
		return withCode(ExitLost, fmt.Errorf("demo failed: %d files uploaded, %d in the ledger", v.uploaded, v.seen))
	}
	fmt.Fprintln(d.out, "ok: every file was processed once, across a crash of the active member")
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
