// Command peers runs ftpcoord side by side with Apache Camel and Spring
// Integration (bench/peers/camel, bench/peers/spring: Java 17, Maven) on the
// same pure-ftpd and PostgreSQL of tests/services, in one run, and writes
// bench/peers.md: throughput over files already present, SIGKILLs of the
// active instance under steady arrivals (lost, processed twice, failover
// delay), and the idle database load per instance from pg_stat_statements.
//
//	make bench-peers
//	eval "$(tests/services/start.sh postgres pureftpd)"; go run ./bench/peers -files 500 -crash-files 300
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

type options struct {
	files, crashFiles, kills int
	rate                     float64
	warmup, idle, drain      time.Duration
	tputTimeout              time.Duration
	scenarios                string
}

func (o options) has(s string) bool { return strings.Contains(","+o.scenarios+",", ","+s+",") }

// result is one system's row.
type result struct {
	sys                  *system
	tput                 tally
	tputStart            time.Time
	tputDone             bool
	warm                 tally // the same files moved in under running instances
	warmStart            time.Time
	warmDone             bool
	crash                tally
	kills                []kill
	failover             []time.Duration
	takeovers            []time.Duration // ftpcoord: kill to "became active" of the other member
	idleEmpty, idleFiles float64         // statements/s per instance
	notes                []string
}

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	var o options
	flag.IntVar(&o.files, "files", 10000, "throughput: files of 1 KiB already present")
	flag.IntVar(&o.crashFiles, "crash-files", 3000, "crash: files arriving at -rate")
	flag.Float64Var(&o.rate, "rate", 50, "crash: files per second arriving")
	flag.IntVar(&o.kills, "kills", 3, "crash: SIGKILLs of the active instance")
	flag.DurationVar(&o.warmup, "warmup", 12*time.Second, "time the instances get to start and elect a leader")
	flag.DurationVar(&o.idle, "idle", 20*time.Second, "idle: how long statements are counted")
	flag.DurationVar(&o.drain, "drain", 90*time.Second, "crash: how long after the last arrival files may still complete")
	flag.DurationVar(&o.tputTimeout, "tput-timeout", 10*time.Minute, "throughput: give up after this long")
	only := flag.String("systems", "camel,spring,ftpcoord-warm-backup,ftpcoord-shared", "systems to run, in order")
	flag.IntVar(&ftpcoordLiveness, "liveness", 2, "ftpcoord's livenessCheckInterval, whole seconds (a holder is stale once its heartbeat is more than this many whole seconds old: 2 is Spring's 3 s lock lifetime)")
	scenarios := flag.String("scenarios", "tput,crash,idle", "scenarios to run: tput (both throughput runs), crash, idle (both idle counts; needs crash)")
	work := flag.String("work", filepath.Join(os.TempDir(), "ftpcoord-peers"), "scratch directory")
	flag.Parse()

	e, err := setup(*work)
	if err != nil {
		benchenv.Fatal(err)
	}
	all := map[string]*system{"camel": camelSystem(), "spring": springSystem(),
		"ftpcoord-warm-backup": ftpcoordSystem("warm-backup"), "ftpcoord-shared": ftpcoordSystem("shared")}
	var results []*result
	started := time.Now()
	for _, k := range strings.Split(*only, ",") {
		s := all[k]
		if s == nil {
			benchenv.Fatal(fmt.Errorf("unknown system %q", k))
		}
		res := &result{sys: s}
		o.scenarios = *scenarios
		if err := measure(e, res, o); err != nil {
			benchenv.Fatal(fmt.Errorf("%s: %w", s.title, err))
		}
		results = append(results, res)
	}
	report := render(results, o, e, time.Since(started))
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "peers %s: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// setup reads the test servers' settings and builds ftpcoord and both peers.
func setup(work string) (*env, error) {
	e := &env{ftpUser: benchenv.Need("FTPCOORD_TEST_PUREFTPD_USER"), ftpPass: benchenv.Need("FTPCOORD_TEST_PUREFTPD_PASSWORD"),
		ftpRoot: benchenv.Need("FTPCOORD_TEST_PUREFTPD_ROOT"), work: work, classpath: map[string]string{}}
	addr := benchenv.Need("FTPCOORD_TEST_PUREFTPD_ADDR")
	host, port, _ := strings.Cut(addr, ":")
	e.ftpHost = host
	e.ftpPort, _ = strconv.Atoi(port)
	benchenv.Need(testdb.PostgresURLEnv)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	e.ftpcoordBin = filepath.Join(work, "ftpcoord")
	logf("building ftpcoord")
	if err := runCmd("go", "build", "-o", e.ftpcoordBin, "./cmd/ftpcoord"); err != nil {
		return nil, err
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java not found (JDK 17): %w", err)
	}
	e.java = java
	for _, p := range []string{"camel", "spring"} {
		logf("building the %s peer (Maven)", p)
		cpFile := filepath.Join(work, "cp-"+p+".txt")
		pom := filepath.Join("bench", "peers", p, "pom.xml")
		if err := runCmd("mvn", "-q", "-B", "-Dstyle.color=never", "-f", pom, "compile", "dependency:build-classpath", "-Dmdep.outputFile="+cpFile); err != nil {
			return nil, err
		}
		cp, err := os.ReadFile(cpFile)
		if err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(filepath.Join("bench", "peers", p, "target", "classes"))
		e.classpath[p] = abs + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
	}
	return e, nil
}

func runCmd(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d.dat", prefix, i+1)
	}
	return out
}

func writeFile(path string) error {
	b := make([]byte, 1024)
	rand.Read(b)
	return os.WriteFile(path, b, 0o644)
}

func measure(e *env, res *result, o options) error {
	ctx := context.Background()
	s := res.sys

	if o.has("tput") {
		if err := throughput(ctx, e, res, o); err != nil {
			return err
		}
	}
	if !o.has("crash") {
		return nil
	}

	// 2. Crash: steady arrivals, the active instance SIGKILLed and restarted.
	logf("%s: crash, %d files at %.0f/s, %d kills", s.title, o.crashFiles, o.rate, o.kills)
	r, err := newRun(ctx, s, e, "crash")
	if err != nil {
		return err
	}
	defer r.close()
	if err := r.startAll(); err != nil {
		return err
	}
	time.Sleep(o.warmup)
	staging := filepath.Join(e.ftpRoot, ".peers-staging-"+s.key)
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	want := names("c", o.crashFiles)
	span := time.Duration(float64(len(want)) / o.rate * float64(time.Second))
	begin := time.Now()
	arrived := make(chan error, 1)
	go func() {
		for k, n := range want {
			if d := time.Until(begin.Add(time.Duration(float64(k) / o.rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
			tmp := filepath.Join(staging, n)
			if err := writeFile(tmp); err != nil {
				arrived <- err
				return
			}
			if err := os.Rename(tmp, filepath.Join(r.localDir, n)); err != nil {
				arrived <- err
				return
			}
		}
		arrived <- nil
	}()
	for k := 1; k <= o.kills; k++ {
		time.Sleep(time.Until(begin.Add(span * time.Duration(k) / time.Duration(o.kills+1))))
		if err := r.alive(); err != nil {
			return err
		}
		victim := s.active(r)
		if victim == "" {
			res.notes = append(res.notes, fmt.Sprintf("kill %d: no active instance found", k))
			continue
		}
		r.kill(victim)
		res.kills = append(res.kills, kill{instance: victim, at: time.Now()})
		logf("%s: killed %s", s.title, victim)
		// Restart it once the other instance has taken over (a file
		// processed by it), or after 20 s: a member restarted at once under
		// the same identity may take its own token back before anyone
		// notices it died, which would hide the failover being measured.
		killed := res.kills[len(res.kills)-1]
		for wait := time.Now().Add(20 * time.Second); time.Now().Before(wait); {
			time.Sleep(100 * time.Millisecond)
			if len(failovers(s.records(r), []kill{killed})) > 0 {
				break
			}
		}
		if err := r.start(victim); err != nil {
			return err
		}
	}
	if err := <-arrived; err != nil {
		return err
	}
	end := time.Now().Add(o.drain)
	for time.Now().Before(end) {
		time.Sleep(500 * time.Millisecond)
		if count(s.records(r), want).distinct == len(want) {
			break
		}
	}
	time.Sleep(3 * time.Second) // late duplicates
	recs := s.records(r)
	res.crash = count(recs, want)
	res.failover = failovers(recs, res.kills)
	if s.mode != "" {
		res.takeovers = takeovers(r, res.kills)
	}
	logf("%s: crash: lost %d, twice %d, reruns %d, failovers %v", s.title, res.crash.lost, res.crash.twice, res.crash.reruns, res.failover)

	if !o.has("idle") {
		return nil
	}
	// 3a. Idle with the processed files still on the server.
	if res.idleFiles, err = idleLoad(r, o.idle); err != nil {
		return err
	}
	r.close()

	// 3b. Idle on an empty directory.
	r, err = newRun(ctx, s, e, "idle")
	if err != nil {
		return err
	}
	defer r.close()
	if err := r.startAll(); err != nil {
		return err
	}
	time.Sleep(o.warmup)
	if err := r.alive(); err != nil {
		return err
	}
	if res.idleEmpty, err = idleLoad(r, o.idle); err != nil {
		return err
	}
	logf("%s: idle statements/s per instance: %.1f empty, %.1f with %d files", s.title, res.idleEmpty, res.idleFiles, o.crashFiles)
	return nil
}

// idleLoad counts the statements the run's database executes (from
// pg_stat_statements, BEGIN and COMMIT included) over d, per second and per
// instance. It reads from the maintenance database so that its own
// statements are not counted.
func idleLoad(r *run, d time.Duration) (float64, error) {
	admin := r.db
	admin.Database = "postgres"
	db, err := taskcompat.OpenDB(admin, "UTC", 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := testdb.CountStatements(db, schema.Postgres); err != nil {
		return 0, err
	}
	read := func() (int64, error) {
		var n int64
		err := db.QueryRow(`SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`, r.db.Database).Scan(&n)
		return n, err
	}
	before, err := read()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	after, err := read()
	if err != nil {
		return 0, err
	}
	return float64(after-before) / d.Seconds() / float64(len(instances())), nil
}

// throughput runs both throughput scenarios: files present at start, and
// files moved in under running instances.
func throughput(ctx context.Context, e *env, res *result, o options) error {
	s := res.sys
	// 1. Throughput: files already present, both instances started at once.
	logf("%s: throughput, %d files", s.title, o.files)
	r, err := newRun(ctx, s, e, "tput")
	if err != nil {
		return err
	}
	want := names("t", o.files)
	for _, n := range want {
		if err := writeFile(filepath.Join(r.localDir, n)); err != nil {
			r.close()
			return err
		}
	}
	res.tputStart = time.Now()
	if err := r.startAll(); err != nil {
		r.close()
		return err
	}
	deadline := res.tputStart.Add(o.tputTimeout)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if t := count(s.records(r), want); t.distinct == len(want) {
			res.tputDone = true
			break
		}
	}
	time.Sleep(2 * time.Second) // late duplicates
	res.tput = count(s.records(r), want)
	logf("%s: throughput: %d/%d files, first to last %v, from start %v", s.title, res.tput.distinct, len(want),
		res.tput.last.Sub(res.tput.first).Round(time.Millisecond), res.tput.last.Sub(res.tputStart).Round(time.Millisecond))
	r.close()

	// 1b. The same files arriving at once at instances already running
	// (started, leader elected, logged in): time from the last file in
	// place to the last file processed.
	logf("%s: throughput, %d files moved in under running instances", s.title, o.files)
	if r, err = newRun(ctx, s, e, "warm"); err != nil {
		return err
	}
	if err := r.startAll(); err != nil {
		r.close()
		return err
	}
	staging := filepath.Join(e.ftpRoot, ".peers-staging-"+s.key)
	if err := os.RemoveAll(staging); err != nil {
		r.close()
		return err
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		r.close()
		return err
	}
	for _, n := range want {
		if err := writeFile(filepath.Join(staging, n)); err != nil {
			r.close()
			return err
		}
	}
	time.Sleep(o.warmup)
	if err := r.alive(); err != nil {
		r.close()
		return err
	}
	for _, n := range want {
		if err := os.Rename(filepath.Join(staging, n), filepath.Join(r.localDir, n)); err != nil {
			r.close()
			return err
		}
	}
	res.warmStart = time.Now()
	deadline = res.warmStart.Add(o.tputTimeout)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if t := count(s.records(r), want); t.distinct == len(want) {
			res.warmDone = true
			break
		}
	}
	time.Sleep(2 * time.Second)
	res.warm = count(s.records(r), want)
	logf("%s: throughput under running instances: %d/%d files, last one %v after all were in place", s.title,
		res.warm.distinct, len(want), res.warm.last.Sub(res.warmStart).Round(time.Millisecond))
	r.close()

	return nil
}
