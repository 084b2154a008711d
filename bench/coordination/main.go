// Command coordination measures warm-backup coordination on the real test
// databases: the failover delay after a crash of the active member (median
// and worst over many crashes, per dialect) and the statements per second an
// idle member sends. It writes a Markdown report with the command, date and
// machine.
//
//	go run ./bench/coordination -out bench/coordination.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

type params struct {
	rounds    int
	liveness  int
	heartbeat time.Duration
	members   int
	idle      time.Duration
}

type result struct {
	dialect         schema.Dialect
	delays          []time.Duration // crash -> successor active (local clock)
	staleAtTakeover []time.Duration // holder's heartbeat age at takeover (database clock)
	idleStmtPerSec  []float64       // per member, counted by the member
	dbStmtPerSec    float64         // per member, counted by the server
	serverVersion   string
}

func main() {
	var p params
	out := flag.String("out", "", "write the Markdown report here (default: stdout only)")
	flag.IntVar(&p.rounds, "rounds", 20, "crashes per dialect")
	flag.IntVar(&p.liveness, "liveness", 2, "livenessCheckInterval, seconds")
	flag.DurationVar(&p.heartbeat, "heartbeat", time.Second, "heartbeatFrequency")
	flag.IntVar(&p.members, "members", 3, "members in the group")
	flag.DurationVar(&p.idle, "idle", 30*time.Second, "how long to count an idle group's statements")
	dialects := flag.String("dialects", "postgresql,mysql,sqlite", "dialects to measure")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	var results []result
	for _, name := range strings.Split(*dialects, ",") {
		d, err := schema.ParseDialect(name)
		if err != nil {
			benchenv.Fatal(err)
		}
		r, err := measure(d, p)
		if err != nil {
			benchenv.Fatal(fmt.Errorf("%s: %w", d, err))
		}
		results = append(results, r)
	}
	report := render(p, results)
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

func measure(d schema.Dialect, p params) (result, error) {
	ctx := context.Background()
	r := result{dialect: d}
	cfg, db, done, err := testdb.Bench(ctx, d)
	if err != nil {
		return r, err
	}
	defer done()
	r.serverVersion = benchenv.ServerVersion(db, d)
	serverStatements := func() (int64, error) {
		if d == schema.SQLite {
			return 0, nil // no server to count them
		}
		return testdb.ServerStatements(db, d)
	}

	activated := make(chan taskcompat.Event, 1024)
	start := func(id string) (*taskcompat.Coordinator, error) {
		c, err := taskcompat.New(ctx, taskcompat.Config{Database: cfg, TaskID: id, GroupID: "bench",
			LivenessCheckInterval: p.liveness, HeartbeatFrequency: taskcompat.Seconds(p.heartbeat)},
			taskcompat.WithCallbacks(taskcompat.Callbacks{OnBecameActive: func(e taskcompat.Event) { activated <- e }}))
		if err != nil {
			return nil, err
		}
		return c, c.Start(ctx)
	}
	members := map[string]*taskcompat.Coordinator{}
	for i := range p.members {
		id := fmt.Sprintf("m%d", i)
		c, err := start(id)
		if err != nil {
			return r, err
		}
		members[id] = c
	}
	defer func() {
		for _, c := range members {
			c.Halt()
		}
	}()
	<-activated

	// Idle load: nobody changes role, every member heartbeats and checks.
	before := map[string]int64{}
	for id, c := range members {
		before[id] = c.Stats().Statements
	}
	serverBefore, err := serverStatements()
	if err != nil {
		return r, err
	}
	t0 := time.Now()
	time.Sleep(p.idle)
	elapsed := time.Since(t0).Seconds()
	serverAfter, err := serverStatements()
	if err != nil {
		return r, err
	}
	for id, c := range members {
		r.idleStmtPerSec = append(r.idleStmtPerSec, float64(c.Stats().Statements-before[id])/elapsed)
	}
	// The first counter read is counted in the second.
	r.dbStmtPerSec = float64(serverAfter-serverBefore-1) / elapsed / float64(p.members)
	if d == schema.SQLite {
		r.dbStmtPerSec = -1
	}

	// Failover: crash the active member at a random phase of its heartbeat,
	// time how long until another member is active, restart the crashed one.
	for round := range p.rounds {
		var victim string
		for id, c := range members {
			if c.IsActive() {
				victim = id
			}
		}
		if victim == "" {
			return r, fmt.Errorf("round %d: no active member", round)
		}
		time.Sleep(rand.N(p.heartbeat))
		crashed := time.Now()
		members[victim].Halt()
		var lastHB time.Time
		if err := db.QueryRow(testdb.Q(d, "SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = 'bench'"), victim).Scan(&lastHB); err != nil {
			return r, err
		}
		select {
		case e := <-activated:
			r.delays = append(r.delays, e.At.Sub(crashed))
			r.staleAtTakeover = append(r.staleAtTakeover, e.DBTime.Sub(lastHB))
		case <-time.After(time.Duration(p.liveness)*time.Second + 30*time.Second):
			return r, fmt.Errorf("round %d: no failover", round)
		}
		c, err := start(victim)
		if err != nil {
			return r, err
		}
		members[victim] = c
		fmt.Fprintf(os.Stderr, "%s round %d: failover %v\n", d, round+1, r.delays[len(r.delays)-1].Round(time.Millisecond))
	}
	return r, nil
}

func render(p params, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Coordination benchmark\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/coordination %s` (via `make bench`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s  \n", hostInfo(), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "Settings: livenessCheckInterval %d s, heartbeatFrequency %v, %d members, %d crashes per dialect, idle load counted over %v.\n\n",
		p.liveness, p.heartbeat, p.members, p.rounds, p.idle)
	fmt.Fprintf(&b, "Failover delay is from the crash (Halt: no more heartbeats; its sessions end as a crashed process's do, so\n"+
		"the standbys' crash signal applies) of the active member, at a random phase of its heartbeat, to another member\n"+
		"becoming active. Target: worst <= livenessCheckInterval + 3 s = %d s. SIGKILLed member processes at the default\n"+
		"settings, beside the heartbeat rule measured in the same run: [crashfailover.md](crashfailover.md)\n"+
		"(`go run ./bench/crashfailover -out bench/crashfailover.md`).\n\n", p.liveness+3)
	fmt.Fprintf(&b, "| dialect | server | failovers | median | worst | best | holder heartbeat age at takeover (DB clock), min..max | idle statements/s per member (client) | idle statements/s per member (server) |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		d := slices.Clone(r.delays)
		slices.Sort(d)
		s := slices.Clone(r.staleAtTakeover)
		slices.Sort(s)
		idle := slices.Clone(r.idleStmtPerSec)
		slices.Sort(idle)
		server := "n/a"
		if r.dbStmtPerSec >= 0 {
			server = fmt.Sprintf("%.2f", r.dbStmtPerSec)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %v | %v | %v | %v..%v | %.2f..%.2f | %s |\n", r.dialect, short(r.serverVersion), len(d),
			median(d).Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond), d[0].Round(time.Millisecond),
			s[0].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), idle[0], idle[len(idle)-1], server)
	}
	b.WriteString("\nIdle statements are counted by each member (`Stats().Statements`) and by the server " +
		"(pg_stat_statements calls in the benchmark's database; MariaDB's server-wide Questions; SQLite has no server), divided by the members. " +
		"Target: at most 2 per second per idle member with heartbeatFrequency 1 s.\n")
	b.WriteString("\nEvery failover, in order (ms):\n\n")
	for _, r := range results {
		var ms []string
		for _, x := range r.delays {
			ms = append(ms, fmt.Sprint(x.Milliseconds()))
		}
		fmt.Fprintf(&b, "- %s: %s\n", r.dialect, strings.Join(ms, ", "))
	}
	return b.String()
}

func median(d []time.Duration) time.Duration {
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func short(v string) string {
	if i := strings.Index(v, " ("); i > 0 {
		v = v[:i] // "PostgreSQL 15.18 (Debian ...) on x86_64 ..."
	}
	if len(v) > 40 {
		v = v[:40]
	}
	return v
}

func hostInfo() string {
	out, err := exec.Command("uname", "-sr").Output()
	if err != nil {
		return runtime.GOOS + "/" + runtime.GOARCH
	}
	return strings.TrimSpace(string(out)) + " " + runtime.GOARCH
}
