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

// system is one of the compared systems: how it starts an instance and
// where its completions are logged.
type system struct {
	key, title string
	mode       string // ftpcoord: warm-backup or shared
	prepare    func(r *run) error
	command    func(r *run, instance string) *exec.Cmd
	records    func(r *run) []record
	active     func(r *run) string // the instance to kill as "the active one"
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
	)
}

// latest is the instance of the newest completion: with a single active
// consumer, the one to kill.
func latest(r *run) string {
	recs := r.sys.records(r)
	var best record
	for _, x := range recs {
		if x.at.After(best.at) {
			best = x
		}
	}
	return best.instance
}

// camelDDL is JdbcMessageIdRepository's default CREATE statement (camel-sql 4.22.0).
const camelDDL = "CREATE TABLE CAMEL_MESSAGEPROCESSED (processorName VARCHAR(255), messageId VARCHAR(100), createdAt TIMESTAMP, PRIMARY KEY (processorName, messageId))"

func camelSystem() *system {
	return &system{key: "camel", title: "Apache Camel 4.22.0",
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
		active:  latest,
	}
}

func springSystem() *system {
	return &system{key: "spring", title: "Spring Integration 7.1.2",
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

// ftpcoord's settings in every scenario: the same 1 s poll as the peers, a
// dead member noticed after 3 s, 8 workers and connections.
func ftpcoordSystem(mode string) *system {
	s := &system{key: "ftpcoord-" + mode, title: "ftpcoord (" + mode + ")", mode: mode}
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
			if err := writeJSON(filepath.Join(r.dir, i+".json"), ftpcoordConfig(r, i, mode)); err != nil {
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

func ftpcoordConfig(r *run, instance, mode string) map[string]any {
	return map[string]any{
		"protocol": "FTP", "host": r.env.ftpHost, "port": r.env.ftpPort, "path": r.remoteDir,
		"auth":            map[string]any{"credentials": map[string]any{"username": r.env.ftpUser, "password": r.env.ftpPass}},
		"pollingInterval": 1, "workers": 8, "maxConnections": 8, "maxFilesPerPoll": 1000,
		"mode": mode, // processingTimeout at its default (300 s): a dead member's files are reclaimed at the takeover
		"coordination": map[string]any{
			"memberId": instance, "coordinationGroup": "peers",
			"livenessCheckInterval": ftpcoordLiveness, "heartbeatFrequency": 1,
			"databaseConfig": map[string]any{"type": "postgresql", "host": r.db.Host, "port": r.db.Port,
				"user": r.db.User, "password": r.db.Password, "database": r.db.Database},
		},
	}
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

// takeovers is, for each kill, the time to the other ftpcoord member's
// "became active" log line: the coordination's share of the failover.
func takeovers(r *run, kills []kill) []time.Duration {
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
	return failovers(active, kills)
}
