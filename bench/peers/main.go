// Command peers runs ftpcoord side by side with Apache Camel and Spring
// Integration (bench/peers/camel, bench/peers/spring: Java 17, Maven) on the
// same pure-ftpd and PostgreSQL of tests/services. Each column is one system
// at one concurrency (1 or 8 workers/threads/connections; ftpcoord also at
// its defaults); the matrix runs every column -runs times in rotated order,
// each run a throughput scenario and a crash scenario (SIGKILLs of the
// active instance at random phases under steady arrivals). Every run's
// record, with the commit measured and the machine's load, is appended to a
// JSONL file under bench/peers/runs/; the report (bench/peers.md) is
// rendered from those records: min, median and max of every figure.
//
//	make bench-peers
//	eval "$(tests/services/start.sh)"; go run ./bench/peers -runs 1 -columns camel-1,ftpcoord-1
//	go run ./bench/peers -report-only -out bench/peers.md   # re-render from bench/peers/runs/*.jsonl
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
)

type options struct {
	files, crashFiles, kills int
	rate                     float64
	drain, tputTimeout       time.Duration
	scenarios                string
}

func (o options) has(s string) bool { return strings.Contains(","+o.scenarios+",", ","+s+",") }

// allColumns is the matrix, in the order of the first round.
const allColumns = "camel-1,camel-8,spring-1,spring-8,ftpcoord-1,ftpcoord-8,ftpcoord-defaults"

func columnSystem(key string) (*system, error) {
	switch key {
	case "camel-1":
		return camelSystem(1), nil
	case "camel-8":
		return camelSystem(8), nil
	case "spring-1":
		return springSystem(1), nil
	case "spring-8":
		return springSystem(8), nil
	case "ftpcoord-1":
		return ftpcoordSystem("warm-backup", 1), nil
	case "ftpcoord-8":
		return ftpcoordSystem("warm-backup", 8), nil
	case "ftpcoord-defaults":
		return ftpcoordSystem("warm-backup", 0), nil
	case "ftpcoord-shared-8":
		return ftpcoordSystem("shared", 8), nil
	}
	return nil, fmt.Errorf("unknown column %q (one of %s,ftpcoord-shared-8)", key, allColumns)
}

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	var o options
	flag.IntVar(&o.files, "files", 300, "throughput: files of 1 KiB moved in at once under running instances")
	flag.IntVar(&o.crashFiles, "crash-files", 300, "crash: files arriving at -rate")
	flag.Float64Var(&o.rate, "rate", 10, "crash: files per second arriving")
	flag.IntVar(&o.kills, "kills", 2, "crash: SIGKILLs of the active instance, each at a random time in its share of the arrivals")
	flag.DurationVar(&o.drain, "drain", 45*time.Second, "crash: how long after the last arrival files may still complete")
	flag.DurationVar(&o.tputTimeout, "tput-timeout", 3*time.Minute, "throughput: give up after this long")
	runs := flag.Int("runs", 5, "rounds of the matrix; each round rotates the column order by one")
	columns := flag.String("columns", allColumns, "columns to run")
	flag.IntVar(&ftpcoordLiveness, "liveness", 2, "ftpcoord's livenessCheckInterval in the matched columns, whole seconds (a holder is stale once its heartbeat is more than this many whole seconds old: 2 is Spring's 3 s lock lifetime)")
	flag.StringVar(&o.scenarios, "scenarios", "tput,crash", "scenarios per run: tput, crash")
	runsFile := flag.String("runs-file", "", "append run records here (default bench/peers/runs/<UTC date>.jsonl)")
	reportOnly := flag.Bool("report-only", false, "render the report from the run records without running")
	runsDir := flag.String("runs-dir", filepath.Join("bench", "peers", "runs"), "where the run records are kept; the report covers every *.jsonl there")
	work := flag.String("work", filepath.Join(os.TempDir(), "ftpcoord-peers"), "scratch directory")
	flag.Parse()

	if !*reportOnly {
		if *runsFile == "" {
			*runsFile = filepath.Join(*runsDir, time.Now().UTC().Format("2006-01-02")+".jsonl")
		}
		if err := matrix(*work, *runsFile, strings.Split(*columns, ","), *runs, o); err != nil {
			benchenv.Fatal(err)
		}
	}
	recs, files, err := loadRuns(*runsDir)
	if err != nil {
		benchenv.Fatal(err)
	}
	report := render(recs, files)
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

// matrix runs every column runs times, the order rotated by one each
// round, and appends each scenario's record to runsFile as it completes.
func matrix(work, runsFile string, columns []string, runs int, o options) error {
	var cols []*system
	for _, k := range columns {
		s, err := columnSystem(strings.TrimSpace(k))
		if err != nil {
			return err
		}
		cols = append(cols, s)
	}
	e, err := setup(work)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(runsFile), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(runsFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	batch := time.Now().UTC().Format("20060102T150405Z")
	for round := 0; round < runs; round++ {
		for pos := range cols {
			s := cols[(pos+round)%len(cols)]
			for _, sc := range []string{"tput", "crash"} {
				if !o.has(sc) {
					continue
				}
				rec := runRecord{Batch: batch, Commit: e.commit, Dirty: e.dirty, Column: s.key, System: s.title,
					Concurrency: s.conc, Settings: s.settings, Round: round + 1, Position: pos + 1, Scenario: sc,
					Started: time.Now().UTC(), LoadStart: loadavg(), Go: e.goVersion, Java: e.javaVersion}
				var err error
				if sc == "tput" {
					err = throughput(context.Background(), e, s, o, &rec)
				} else {
					err = crash(context.Background(), e, s, o, &rec)
				}
				if err != nil {
					rec.Error = err.Error() // kept: a run is never dropped
					logf("%s %s: %v", s.key, sc, err)
				}
				rec.LoadEnd = loadavg()
				rec.Took = time.Since(rec.Started).Round(time.Millisecond).Seconds()
				b, _ := json.Marshal(rec)
				if _, err := f.Write(append(b, '\n')); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "peers %s: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// setup reads the test servers' settings, names the commit measured, and
// builds ftpcoord and both peers.
func setup(work string) (*env, error) {
	e := &env{ftpUser: benchenv.Need("FTPCOORD_TEST_PUREFTPD_USER"), ftpPass: benchenv.Need("FTPCOORD_TEST_PUREFTPD_PASSWORD"),
		ftpRoot: benchenv.Need("FTPCOORD_TEST_PUREFTPD_ROOT"), work: work, classpath: map[string]string{}}
	addr := benchenv.Need("FTPCOORD_TEST_PUREFTPD_ADDR")
	host, port, _ := strings.Cut(addr, ":")
	e.ftpHost = host
	e.ftpPort, _ = strconv.Atoi(port)
	benchenv.Need(testdb.PostgresURLEnv)
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return nil, fmt.Errorf("git rev-parse HEAD: %w", err)
	}
	e.commit = strings.TrimSpace(string(head))
	// Changes outside the run records make the commit not what was measured.
	st, _ := exec.Command("git", "status", "--porcelain", "--", ".", ":!bench/peers/runs", ":!bench/peers.md").Output()
	e.dirty = len(strings.TrimSpace(string(st))) > 0
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	e.ftpcoordBin = filepath.Join(work, "ftpcoord")
	logf("building ftpcoord")
	if err := runCmd("go", "build", "-o", e.ftpcoordBin, "./cmd/ftpcoord"); err != nil {
		return nil, err
	}
	gv, _ := exec.Command("go", "env", "GOVERSION").Output()
	e.goVersion = strings.TrimSpace(string(gv))
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java not found (JDK 17): %w", err)
	}
	e.java = java
	jv, _ := exec.Command(java, "-version").CombinedOutput()
	e.javaVersion, _, _ = strings.Cut(strings.TrimSpace(string(jv)), "\n")
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

// awaitLeader waits until some instance gave its takeover signal (the
// leader is elected and its consumer started), then lets it poll the empty
// directory once more.
func awaitLeader(r *run, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if err := r.alive(); err != nil {
			return err
		}
		if len(r.sys.leaders(r)) > 0 {
			time.Sleep(2 * time.Second)
			return r.alive()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("no leader within %v", limit)
}

// throughput: both instances run (leader elected, polling an empty
// directory) when all files are renamed into the directory at once; the
// clock runs from the last rename to the last file's handler.
func throughput(ctx context.Context, e *env, s *system, o options, rec *runRecord) error {
	logf("%s: throughput, %d files (round %d)", s.key, o.files, rec.Round)
	rec.Files = o.files
	r, err := newRun(ctx, s, e, "tput")
	if err != nil {
		return err
	}
	defer r.close()
	staging := filepath.Join(e.ftpRoot, ".peers-staging-"+s.key)
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	want := names("t", o.files)
	for _, n := range want {
		if err := writeFile(filepath.Join(staging, n)); err != nil {
			return err
		}
	}
	if err := r.startAll(); err != nil {
		return err
	}
	if err := awaitLeader(r, 60*time.Second); err != nil {
		return err
	}
	for _, n := range want {
		if err := os.Rename(filepath.Join(staging, n), filepath.Join(r.localDir, n)); err != nil {
			return err
		}
	}
	start := time.Now()
	deadline := start.Add(o.tputTimeout)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if t := count(s.records(r), want); t.distinct == len(want) {
			rec.Done = true
			break
		}
	}
	time.Sleep(2 * time.Second) // late duplicates
	t := count(s.records(r), want)
	rec.Lost, rec.Twice, rec.Reruns, rec.Extra = t.lost, t.twice, t.reruns, t.extra
	if rec.Done {
		d := t.last.Sub(start)
		rec.Seconds = d.Seconds()
		rec.FilesPerSec = rate(t.distinct, d)
	}
	logf("%s: throughput: %d/%d files, %.2f s, %.0f files/s", s.key, t.distinct, len(want), rec.Seconds, rec.FilesPerSec)
	return r.alive()
}

// standbyReady is how long an instance gets after its (re)start before the
// other one is killed, for every system: a standby that is still starting
// (a JVM on this loaded machine needs several seconds) cannot take over,
// and the failover would measure its start-up instead.
const standbyReady = 10 * time.Second

// crash: files arrive at o.rate (written elsewhere, renamed into the
// directory) while the active instance is SIGKILLed o.kills times, each at a
// uniformly random time within its share of the arrivals (so at a random
// phase of every heartbeat and poll; pushed past standbyReady after the
// last restart), and restarted once the other instance processed a file
// (at most 20 s later).
func crash(ctx context.Context, e *env, s *system, o options, rec *runRecord) error {
	logf("%s: crash, %d files at %.0f/s, %d kills (round %d)", s.key, o.crashFiles, o.rate, o.kills, rec.Round)
	rec.Files, rec.Rate = o.crashFiles, o.rate
	r, err := newRun(ctx, s, e, "crash")
	if err != nil {
		return err
	}
	defer r.close()
	started := time.Now()
	if err := r.startAll(); err != nil {
		return err
	}
	if err := awaitLeader(r, 60*time.Second); err != nil {
		return err
	}
	time.Sleep(time.Until(started.Add(standbyReady)))
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
	var kills []kill
	var runErr error
	restarted := started
	for k := 0; k < o.kills && runErr == nil; k++ {
		slot := span / time.Duration(o.kills)
		at := begin.Add(slot*time.Duration(k) + time.Duration(mrand.Float64()*float64(slot)))
		if ready := restarted.Add(standbyReady); at.Before(ready) {
			// The restarted instance may not stand by yet: later, at a random phase still.
			at = ready.Add(time.Duration(mrand.Float64() * float64(time.Second)))
		}
		time.Sleep(time.Until(at))
		if runErr = r.alive(); runErr != nil {
			break
		}
		victim := s.active(r)
		if victim == "" {
			rec.Notes = append(rec.Notes, fmt.Sprintf("kill %d: no active instance found", k+1))
			continue
		}
		// The kill's time is taken before the signal: ftpcoord's standby
		// can take over (crash signal) before the harness has reaped the
		// killed process.
		kl := kill{instance: victim, at: time.Now()}
		r.kill(victim)
		kills = append(kills, kl)
		logf("%s: killed %s", s.key, victim)
		// Restart it once the other instance has processed a file, or after
		// 20 s: a member restarted at once may win the leadership back
		// before anyone noticed it died, which would hide the failover.
		for wait := time.Now().Add(20 * time.Second); time.Now().Before(wait); {
			time.Sleep(100 * time.Millisecond)
			if len(failovers(s.records(r), []kill{kl})) > 0 {
				break
			}
		}
		runErr = r.start(victim)
		restarted = time.Now()
	}
	if err := <-arrived; err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		end := time.Now().Add(o.drain)
		for time.Now().Before(end) {
			time.Sleep(500 * time.Millisecond)
			if count(s.records(r), want).distinct == len(want) {
				rec.Done = true
				break
			}
		}
		time.Sleep(3 * time.Second) // late duplicates
	}
	recs := s.records(r)
	t := count(recs, want)
	rec.Lost, rec.Twice, rec.Reruns, rec.Extra = t.lost, t.twice, t.reruns, t.extra
	leaders := s.leaders(r)
	for _, kl := range kills {
		kr := killRecord{Instance: kl.instance, At: kl.at.Sub(begin).Seconds()}
		if d := failovers(leaders, []kill{kl}); len(d) > 0 {
			kr.Takeover = d[0].Seconds()
		}
		if d := failovers(recs, []kill{kl}); len(d) > 0 {
			kr.FirstFile = d[0].Seconds()
		}
		rec.Kills = append(rec.Kills, kr)
	}
	logf("%s: crash: lost %d, twice %d (reruns %d), kills %+v", s.key, t.lost, t.twice, t.reruns, rec.Kills)
	if runErr != nil {
		return runErr
	}
	if err := r.alive(); err != nil {
		return errors.Join(errors.New("at the end"), err)
	}
	return nil
}
