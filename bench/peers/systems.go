package main

import (
	"archive/zip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// env is where everything runs: the test servers and the built programs.
type env struct {
	ftpHost, ftpUser, ftpPass, ftpRoot string
	ftpPort                            int
	work                               string // scratch directory: logs, local copies, cluster lock files
	ftpcoordBin                        string
	classpath                          map[string]string // "camel", "spring": target/classes + dependencies
	java                               string
	commit                             string // git HEAD, the commit measured
	dirty                              bool   // the worktree differed from it
	goVersion, javaVersion             string
}

// run is one scenario of one system: a fresh database, a fresh remote
// directory, a handler log, and its instance processes.
type run struct {
	sys       *system
	env       *env
	name      string // scenario: tput, crash, idle
	remoteDir string // as the FTP server shows it
	localDir  string // the same directory on this machine's disk
	db        taskcompat.DatabaseConfig
	dropDB    func() error
	log       string // the Java peers' shared handler log
	procs     map[string]*proc
	metrics   map[string]string // ftpcoord: instance -> metrics address
	dir       string            // this run's scratch directory
}

// proc is one running instance.
type proc struct {
	cmd    *exec.Cmd
	out    string // stdout+stderr file
	exited chan struct{}
}

// system is one column of the comparison: one system at one concurrency,
// how it starts an instance, where its completions and its takeover signal
// are logged, and its settings in one line (kept with every run record).
type system struct {
	key, title string
	mode       string // ftpcoord: warm-backup or shared
	conc       int    // workers / threads / connections
	settings   string
	prepare    func(r *run) error
	command    func(r *run, instance string) *exec.Cmd
	records    func(r *run) []record
	leaders    func(r *run) []record // takeover signals: the instance that became the leader, and when
	active     func(r *run) string   // the instance to kill as "the active one"
}

func instances() []string { return []string{"a", "b"} }

func newRun(ctx context.Context, s *system, e *env, scenario string) (*run, error) {
	r := &run{sys: s, env: e, name: scenario, procs: map[string]*proc{}, metrics: map[string]string{}}
	base := "peers-" + s.key + "-" + scenario
	r.remoteDir = "/" + base
	r.localDir = filepath.Join(e.ftpRoot, base)
	r.dir = filepath.Join(e.work, base)
	for _, d := range []string{r.localDir, r.dir} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	r.log = filepath.Join(r.dir, "handler.log")
	cfg, drop, err := testdb.Create(ctx, schema.Postgres)
	if err != nil {
		return nil, err
	}
	r.db, r.dropDB = cfg, drop
	if err := s.prepare(r); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *run) openDB() (*sql.DB, error) { return taskcompat.OpenDB(r.db, "UTC", 5*time.Second) }

// start starts (or restarts) an instance; its output goes to a file.
func (r *run) start(instance string) error {
	cmd := r.sys.command(r, instance)
	out := filepath.Join(r.dir, instance+".out")
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	p := &proc{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() { cmd.Wait(); f.Close(); close(p.exited) }()
	r.procs[instance] = p
	return nil
}

// alive reports an error naming the first instance whose process ended
// without being killed by us.
func (r *run) alive() error {
	for i, p := range r.procs {
		select {
		case <-p.exited:
			out, _ := os.ReadFile(p.out)
			if len(out) > 600 {
				out = out[len(out)-600:]
			}
			return fmt.Errorf("instance %s exited on its own: %s", i, out)
		default:
		}
	}
	return nil
}

// kill SIGKILLs an instance and waits for it to be gone.
func (r *run) kill(instance string) {
	p := r.procs[instance]
	if p == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// startAll starts every instance of the run.
func (r *run) startAll() error {
	for _, i := range instances() {
		if err := r.start(i); err != nil {
			return err
		}
	}
	return nil
}

// close kills every instance and drops the database.
func (r *run) close() {
	for i := range r.procs {
		r.kill(i)
	}
	if r.dropDB != nil {
		r.dropDB()
	}
}

// javaEnv is the environment of a Java peer instance.
func (r *run) javaEnv(instance string) []string {
	e := r.env
	return append(os.Environ(),
		"PEER_INSTANCE="+instance,
		fmt.Sprintf("PEER_JDBC_URL=jdbc:postgresql://%s:%d/%s", r.db.Host, r.db.Port, r.db.Database),
		"PEER_JDBC_USER="+r.db.User, "PEER_JDBC_PASSWORD="+r.db.Password,
		"PEER_FTP_HOST="+e.ftpHost, "PEER_FTP_PORT="+strconv.Itoa(e.ftpPort),
		"PEER_FTP_USER="+e.ftpUser, "PEER_FTP_PASSWORD="+e.ftpPass,
		"PEER_FTP_DIR="+r.remoteDir, "PEER_LOG="+r.log,
		"PEER_CLUSTER_DIR="+filepath.Join(r.dir, "cluster"),
		"PEER_LOCAL_DIR="+filepath.Join(r.dir, "local-"+instance),
		"PEER_POLL_MS=1000",
		"PEER_CONCURRENCY="+strconv.Itoa(r.sys.conc),
	)
}

// latest is the instance of the newest takeover signal (Camel's route
// started, Spring's leadership granted): with a single active consumer,
// the one to kill. The restarted instance gives none until it leads again.
func latest(r *run) string {
	var best record
	for _, x := range r.sys.leaders(r) {
		if x.at.After(best.at) {
			best = x
		}
	}
	return best.instance
}

// camelDDL is JdbcMessageIdRepository's default CREATE statement (camel-sql 4.22.0).
const camelDDL = "CREATE TABLE CAMEL_MESSAGEPROCESSED (processorName VARCHAR(255), messageId VARCHAR(100), createdAt TIMESTAMP, PRIMARY KEY (processorName, messageId))"

// camelURI is the consumer endpoint of bench/peers/camel (CamelPeer), as the report quotes it.
const camelURI = "ftp://USER@HOST:PORT/DIR?passiveMode=true&binary=true&noop=true&idempotent=true&idempotentRepository=#repo&idempotentEager=false&readLock=none&initialDelay=0&delay=1000"

func camelSystem(conc int) *system {
	set := camelURI + "; JdbcMessageIdRepository; ClusteredRoutePolicy over FileLockClusterService (acquireLockDelay 100 ms, acquireLockInterval 1 s, heartbeatTimeoutMultiplier 3)"
	title := "Apache Camel 4.22.0, 1 thread"
	if conc > 1 {
		set += fmt.Sprintf("; .threads(%d, %d) after the consumer", conc, conc)
		title = fmt.Sprintf("Apache Camel 4.22.0, %d threads", conc)
	}
	return &system{key: fmt.Sprintf("camel-%d", conc), title: title, conc: conc, settings: set,
		prepare: func(r *run) error {
			// JdbcMessageIdRepository creates its table when missing, but two
			// instances starting at once race (check, then CREATE) and one
			// fails to start: create it beforehand with Camel's own DDL, as a
			// deployment would once.
			db, err := r.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Exec(camelDDL); err != nil {
				return fmt.Errorf("camel-sql table: %w", err)
			}
			return os.MkdirAll(filepath.Join(r.dir, "cluster"), 0o755)
		},
		command: func(r *run, instance string) *exec.Cmd {
			cmd := exec.Command(r.env.java, "-cp", r.env.classpath["camel"], "bench.peers.CamelPeer")
			cmd.Env = r.javaEnv(instance)
			return cmd
		},
		records: func(r *run) []record { return readRecords(r.log, parsePeerLine) },
		leaders: func(r *run) []record { return readRecords(r.log, parseLeaderLine) },
		active:  latest,
	}
}

func springSystem(conc int) *system {
	set := "Ftp.inboundStreamingAdapter, maxFetchSize 1, FtpPersistentAcceptOnceFileListFilter over JdbcMetadataStore; poller fixedDelay 1 s, maxMessagesPerPoll -1, transactional (DataSourceTransactionManager, same DataSource); role \"peers\" under LockRegistryLeaderInitiator over JdbcLockRegistry (TTL 3 s, heartbeat 1 s)"
	title := "Spring Integration 7.1.2, 1 thread"
	if conc > 1 {
		title = fmt.Sprintf("Spring Integration 7.1.2, %d threads", conc)
	}
	set += fmt.Sprintf("; poller taskExecutor %d threads; CachingSessionFactory %d sessions", conc, conc)
	if conc == 1 {
		set = strings.Replace(set, "; poller taskExecutor 1 threads", "; no poller taskExecutor", 1)
	}
	return &system{key: fmt.Sprintf("spring-%d", conc), title: title, conc: conc, settings: set,
		prepare: func(r *run) error {
			// spring-integration-jdbc's own PostgreSQL DDL (INT_LOCK, INT_METADATA_STORE, ...).
			ddl, err := jarEntry(r.env.classpath["spring"], "spring-integration-jdbc-", "org/springframework/integration/jdbc/schema-postgresql.sql")
			if err != nil {
				return err
			}
			db, err := r.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			for _, stmt := range splitSQL(ddl) {
				if _, err := db.Exec(stmt); err != nil {
					return fmt.Errorf("spring-integration-jdbc schema: %w", err)
				}
			}
			return nil
		},
		command: func(r *run, instance string) *exec.Cmd {
			cmd := exec.Command(r.env.java, "-cp", r.env.classpath["spring"], "bench.peers.SpringPeer")
			cmd.Env = r.javaEnv(instance)
			return cmd
		},
		records: func(r *run) []record { return readRecords(r.log, parsePeerLine) },
		leaders: func(r *run) []record { return readRecords(r.log, parseLeaderLine) },
		active:  latest,
	}
}

// splitSQL splits a DDL script at semicolons outside comments; block
// comments (the script's optional trigger) are dropped.
func splitSQL(s string) []string {
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "*/")
		if j < 0 {
			s = s[:i]
			break
		}
		s = s[:i] + s[i+j+2:]
	}
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, st := range strings.Split(strings.Join(lines, "\n"), ";") {
		if st = strings.TrimSpace(st); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// jarEntry reads one entry of the JAR on classpath whose file name starts
// with prefix.
func jarEntry(classpath, prefix, entry string) (string, error) {
	for _, p := range filepath.SplitList(classpath) {
		if !strings.HasPrefix(filepath.Base(p), prefix) {
			continue
		}
		z, err := zip.OpenReader(p)
		if err != nil {
			return "", err
		}
		defer z.Close()
		f, err := z.Open(entry)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(f)
		return string(b), err
	}
	return "", fmt.Errorf("no %s*.jar on the classpath", prefix)
}

// ftpcoordSystem is ftpcoord in mode at conc workers and connections with
// the peers' settings (a 1 s poll, no stability check, a dead holder's
// heartbeat stale after 3 s), or, with conc 0, at its documented defaults
// but for the 1 s poll.
func ftpcoordSystem(mode string, conc int) *system {
	s := &system{key: fmt.Sprintf("ftpcoord-%d", conc), title: fmt.Sprintf("ftpcoord (%s), %d workers", mode, conc), mode: mode, conc: conc}
	if conc == 1 {
		s.title = fmt.Sprintf("ftpcoord (%s), 1 worker", mode)
	}
	if conc == 0 {
		s.key, s.title, s.conc = "ftpcoord-defaults", "ftpcoord (warm-backup), defaults", 1
	}
	if mode != "warm-backup" {
		s.key = "ftpcoord-" + mode + strings.TrimPrefix(s.key, "ftpcoord")
	}
	b, _ := json.Marshal(ftpcoordSettings(mode, conc))
	s.settings = string(b) + " (and memberId, coordinationGroup, databaseConfig, host, port, path, auth)"
	s.prepare = func(r *run) error {
		db, err := r.openDB()
		if err != nil {
			return err
		}
		defer db.Close()
		if err := schema.Apply(context.Background(), db, schema.Postgres); err != nil {
			return err
		}
		// Hold every probe listener until all are chosen, so that two
		// members never get the same free port.
		var held []net.Listener
		defer func() {
			for _, l := range held {
				l.Close()
			}
		}()
		for _, i := range instances() {
			if err := writeJSON(filepath.Join(r.dir, i+".json"), ftpcoordConfig(r, i, mode, conc)); err != nil {
				return err
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			held = append(held, l)
			r.metrics[i] = l.Addr().String()
		}
		return nil
	}
	s.command = func(r *run, instance string) *exec.Cmd {
		return exec.Command(r.env.ftpcoordBin, "run", "--config", filepath.Join(r.dir, instance+".json"),
			"--commit-unprocessed", "--log-format", "json", "--metrics-addr", r.metrics[instance])
	}
	s.records = func(r *run) []record {
		var all []record
		for _, i := range instances() {
			all = append(all, readRecords(filepath.Join(r.dir, i+".out"), func(l string) (record, bool) { return parseFtpcoordLine(l, i) })...)
		}
		return all
	}
	s.leaders = func(r *run) []record { return takeoverLines(r) }
	s.active = func(r *run) string {
		for _, i := range instances() {
			if metricActive(r.metrics[i]) {
				return i
			}
		}
		return latest(r)
	}
	return s
}

// ftpcoordLiveness is livenessCheckInterval, seconds (-liveness). 2 is
// like for like with Spring's 3 s lock lifetime: Ballerina's rule takes a
// holder for dead once its heartbeat is more than 2 whole seconds old,
// that is 3 s.
var ftpcoordLiveness = 2

// ftpcoordSettings is what a column sets beyond the connection: conc 0 is
// the defaults column (only the 1 s poll the peers also get).
func ftpcoordSettings(mode string, conc int) map[string]any {
	if conc == 0 {
		return map[string]any{"pollingInterval": 1, "mode": mode, "coordination": map[string]any{}}
	}
	// processingTimeout at its default (300 s): a dead member's files are
	// reclaimed at the takeover; crashSignal at its default (on).
	return map[string]any{
		"pollingInterval": 1, "workers": conc, "maxConnections": conc, "maxFilesPerPoll": 1000,
		"settleTime": 0, // no stability check, as for the peers: files arrive by rename
		"mode":       mode,
		"coordination": map[string]any{
			"livenessCheckInterval": ftpcoordLiveness, "heartbeatFrequency": 1,
		},
	}
}

func ftpcoordConfig(r *run, instance, mode string, conc int) map[string]any {
	c := ftpcoordSettings(mode, conc)
	c["protocol"], c["host"], c["port"], c["path"] = "FTP", r.env.ftpHost, r.env.ftpPort, r.remoteDir
	c["auth"] = map[string]any{"credentials": map[string]any{"username": r.env.ftpUser, "password": r.env.ftpPass}}
	co := c["coordination"].(map[string]any)
	co["memberId"], co["coordinationGroup"] = instance, "peers"
	co["databaseConfig"] = map[string]any{"type": "postgresql", "host": r.db.Host, "port": r.db.Port,
		"user": r.db.User, "password": r.db.Password, "database": r.db.Database}
	return c
}

func writeJSON(file string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o600)
}

// metricActive reads ftpcoord_active from a member's /metrics.
func metricActive(addr string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "ftpcoord_active ") {
			return strings.TrimSpace(strings.TrimPrefix(l, "ftpcoord_active ")) == "1"
		}
	}
	return false
}

// takeoverLines are the ftpcoord members' "became active" log lines.
func takeoverLines(r *run) []record {
	var active []record
	for _, i := range instances() {
		active = append(active, readRecords(filepath.Join(r.dir, i+".out"), func(l string) (record, bool) {
			if !strings.Contains(l, `"msg":"became active"`) {
				return record{}, false
			}
			var v struct {
				Time time.Time `json:"time"`
			}
			if json.Unmarshal([]byte(l), &v) != nil {
				return record{}, false
			}
			return record{name: "became active", instance: i, at: v.Time}, true
		})...)
	}
	return active
}
