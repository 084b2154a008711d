// Command soak runs a group of three member processes (tests/member) for a
// while (make soak: 10 minutes) with files arriving steadily and periodic
// faults (a member killed and restarted, the database cut for every member,
// the FTP server's connections cut), and samples over time each member's
// memory (RSS from /proc), goroutines and heap (from the member's -stats
// file), its open FTP and database connections (its sockets, from /proc),
// and the database server's connections for the group's database. Growth of
// any of them (the last third of the samples against the first, after a
// warm-up) fails the soak, as does any violation of the chaos invariants
// (tests/chaos/harness) at the end.
//
//	go run ./tests/soak [-duration 10m] [-every 10s] [-dialect postgresql] [-out bench/soak.md]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
)

// sample is one reading of one member process.
type sample struct {
	At         time.Duration // since the start
	ID         string
	Pid        int
	RSSKB      int64
	HeapInuse  uint64
	Goroutines int
	FTPConns   int // its sockets to the FTP server (control connections through the relay)
	DBConns    int // its sockets to the database (through its relay)
	ServerDB   int // the database server's connections to the group's database (all members)
	Done       int // files DONE so far
	Backlog    int // files put but not yet DONE or REJECTED
}

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long the group runs")
	every := flag.Duration("every", 10*time.Second, "sampling period")
	dialect := flag.String("dialect", string(schema.Postgres), "postgresql or mysql")
	faultEvery := flag.Int("fault-every", 3, "a fault after every this many samples")
	arriveEvery := flag.Duration("arrive-every", 40*time.Millisecond, "one file arrives every")
	out := flag.String("out", "", "write the report (Markdown) here, and a PNG plot beside it when matplotlib is available")
	flag.Parse()
	if err := run(*duration, *every, schema.Dialect(*dialect), *faultEvery, *arriveEvery, *out); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(duration, every time.Duration, d schema.Dialect, faultEvery int, arriveEvery time.Duration, out string) error {
	if !d.Valid() {
		return fmt.Errorf("-dialect %q: use postgresql or mysql", d)
	}
	env, err := harness.EnvFromOS()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "ftpcoord-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := harness.BuildMember(tmp)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	arrivals := int(duration / arriveEvery)
	g, err := harness.New(ctx, harness.Options{Bin: bin, Env: env, Dialect: d, Files: 200, Arrivals: arrivals,
		ArrivalEvery: arriveEvery, Work: 10 * time.Millisecond, Stats: true})
	if err != nil {
		return err
	}
	defer g.Close()
	ids := []string{"m0", "m1", "m2"}
	for _, id := range ids {
		if _, err := g.Start(id); err != nil {
			return err
		}
	}
	began := time.Now()
	g.Arrive()

	// m0 and m1 live through the whole soak (their samples are the ones
	// judged for growth); m2 is the one killed and restarted.
	faults := []struct {
		name string
		do   func() error
	}{
		{"kill m2 (SIGKILL), restart it", func() error {
			g.Kill("m2")
			_, err := g.Start("m2")
			return err
		}},
		{"database cut for all members for 2x liveness (blackhole)", func() error {
			return harness.Lasting(context.Background(), g.CutDB(tcpproxy.Blackhole), 2*time.Duration(g.Opt.Liveness)*time.Second)
		}},
		{"the active member paused (SIGSTOP) for liveness + 2 s, then SIGCONT", func() error {
			id, term, err := g.Active(ctx, 15*time.Second)
			if err != nil {
				return err
			}
			g.MarkFailover()
			g.Pause(id, term, time.Duration(g.Opt.Liveness+2)*time.Second)
			return nil
		}},
		{"FTP connections cut and refused for 3 s", func() error {
			return harness.Lasting(context.Background(), g.CutFTP(), 3*time.Second)
		}},
	}
	var samples []sample
	var faultLog []string
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; time.Since(began) < duration; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		samples = append(samples, take(ctx, g, began)...)
		if n%faultEvery == 0 && time.Since(began)+every < duration {
			f := faults[(n/faultEvery-1)%len(faults)]
			faultLog = append(faultLog, fmt.Sprintf("%s: %s", fmtAt(time.Since(began)), f.name))
			fmt.Fprintf(os.Stderr, "soak: %s\n", faultLog[len(faultLog)-1])
			if err := f.do(); err != nil {
				return err
			}
		}
	}
	if err := g.WaitSettled(ctx, 3*time.Minute); err != nil {
		return err
	}
	res := g.Verify(ctx, "soak")
	growth := judge(samples, []string{"m0", "m1"})
	report := render(g, d, duration, every, samples, faultLog, growth, res, time.Since(began))
	fmt.Print(report)
	if out != "" {
		if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
			return err
		}
		plot(out, samples)
	}
	var failures []string
	for _, v := range res.Violations {
		failures = append(failures, "invariant: "+v)
	}
	for _, gr := range growth {
		if gr.Fail {
			failures = append(failures, fmt.Sprintf("growth: %s %s: %s", gr.ID, gr.What, gr.Detail))
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d failures:\n  %s", len(failures), strings.Join(failures, "\n  "))
	}
	fmt.Fprintln(os.Stderr, "soak: PASS")
	return nil
}

func shorter(d time.Duration) string {
	if d >= 10*time.Minute {
		return ""
	}
	return " A shorter run than `make soak`'s 10 minutes."
}

func fmtAt(d time.Duration) string { return fmt.Sprintf("%4.0f s", d.Seconds()) }

// take samples every running member process.
func take(ctx context.Context, g *harness.Group, began time.Time) []sample {
	counts, _ := g.Counts(ctx)
	done := counts["DONE"]
	backlog := g.Expected() - done - counts["REJECTED"]
	server := serverConns(ctx, g)
	sockets := tcpSockets()
	var out []sample
	for _, id := range []string{"m0", "m1", "m2"} {
		m := g.Member(id)
		if m == nil {
			continue
		}
		s := sample{At: time.Since(began), ID: id, Pid: m.Pid, ServerDB: server, Done: done, Backlog: backlog}
		s.RSSKB = rssKB(m.Pid)
		if b, err := os.ReadFile(m.Stats); err == nil {
			var st struct {
				Goroutines int    `json:"goroutines"`
				HeapInuse  uint64 `json:"heapInuse"`
			}
			if json.Unmarshal(b, &st) == nil {
				s.Goroutines, s.HeapInuse = st.Goroutines, st.HeapInuse
			}
		}
		for _, inode := range socketInodes(m.Pid) {
			switch sockets[inode] {
			case g.FTPRelayPort():
				s.FTPConns++
			case g.DBRelayPort(id):
				s.DBConns++
			}
		}
		out = append(out, s)
	}
	return out
}

func rssKB(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// socketInodes are the inodes of pid's open sockets.
func socketInodes(pid int) []string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]"))
		}
	}
	return out
}

// tcpSockets maps the inode of every established IPv4 TCP socket to its
// remote port (/proc/net/tcp).
func tcpSockets() map[string]int {
	out := map[string]int{}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "01" { // 01: ESTABLISHED
			continue
		}
		_, port, _ := strings.Cut(f[2], ":")
		p, err := strconv.ParseInt(port, 16, 32)
		if err == nil {
			out[f[9]] = int(p)
		}
	}
	return out
}

// serverConns counts the database server's sessions on the group's
// database (ours from the harness included: one pool, constant).
func serverConns(ctx context.Context, g *harness.Group) int {
	var n int
	q := `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`
	if g.Opt.Dialect == schema.MySQL {
		q = `SELECT count(*) FROM information_schema.processlist WHERE db = ?`
	}
	g.SQL.QueryRowContext(ctx, q, g.DB.Database).Scan(&n)
	return n
}

// growthCheck is the verdict on one measure of one member.
type growthCheck struct {
	ID, What    string
	First, Last float64
	Fail        bool
	Detail      string
}

// judge compares, for each long-lived member, the last third of its
// samples with the first third, after dropping the first fifth (warm-up).
func judge(samples []sample, ids []string) []growthCheck {
	var out []growthCheck
	for _, id := range ids {
		var mine []sample
		for _, s := range samples {
			if s.ID == id {
				mine = append(mine, s)
			}
		}
		mine = mine[len(mine)/5:]
		if len(mine) < 3 {
			out = append(out, growthCheck{ID: id, What: "samples", Fail: true, Detail: fmt.Sprintf("only %d samples after warm-up: run longer", len(mine))})
			continue
		}
		third := len(mine) / 3
		first, last := mine[:third], mine[len(mine)-third:]
		type measure struct {
			what string
			get  func(sample) float64
			// allowed is how much above the first third the last may be.
			allowed func(first float64) float64
			useMax  bool
		}
		for _, m := range []measure{
			{"RSS (MB)", func(s sample) float64 { return float64(s.RSSKB) / 1024 }, func(f float64) float64 { return max(0.25*f, 8) }, false},
			{"heap in use (MB)", func(s sample) float64 { return float64(s.HeapInuse) / (1 << 20) }, func(f float64) float64 { return max(0.5*f, 4) }, false},
			{"goroutines", func(s sample) float64 { return float64(s.Goroutines) }, func(f float64) float64 { return max(0.2*f, 10) }, false},
			{"FTP connections (max)", func(s sample) float64 { return float64(s.FTPConns) }, func(float64) float64 { return 1 }, true},
			{"DB connections (max)", func(s sample) float64 { return float64(s.DBConns) }, func(float64) float64 { return 2 }, true},
			{"server DB sessions (max)", func(s sample) float64 { return float64(s.ServerDB) }, func(float64) float64 { return 3 }, true},
		} {
			agg := func(xs []sample) float64 {
				v := 0.0
				for _, s := range xs {
					if m.useMax {
						v = max(v, m.get(s))
					} else {
						v += m.get(s) / float64(len(xs))
					}
				}
				return v
			}
			f, l := agg(first), agg(last)
			c := growthCheck{ID: id, What: m.what, First: f, Last: l}
			if l > f+m.allowed(f) {
				c.Fail = true
				c.Detail = fmt.Sprintf("grew from %.1f to %.1f (allowed %.1f more)", f, l, m.allowed(f))
			}
			out = append(out, c)
		}
	}
	return out
}

func render(g *harness.Group, d schema.Dialect, duration, every time.Duration, samples []sample, faults []string,
	growth []growthCheck, res harness.Result, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Soak\n\n")
	fmt.Fprintf(&b, "Command: `go run ./tests/soak %s` (`make soak` runs `-duration 10m`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s  \n", harness.Machine())
	fmt.Fprintf(&b, "Dialect: %s; ran %v (sampling every %v), %v in all with the final drain and checks.%s\n\n",
		d, duration, every, took.Round(time.Second), shorter(duration))
	fmt.Fprintf(&b, "Three member processes (tests/member) in one warm-backup group (livenessCheckInterval %d s, heartbeatFrequency %.2f s, "+
		"pollingInterval 0.2 s, 4 workers, 10 ms of handler work per file), 200 files at the start and one more every %v; m0 and m1 run "+
		"throughout (paused, never killed), m2 is the one killed. Faults, in turn after every few samples:\n\n", g.Opt.Liveness, g.Opt.Heartbeat, g.Opt.ArrivalEvery)
	for _, f := range faults {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	verdict := "PASS"
	for _, gr := range growth {
		if gr.Fail {
			verdict = "FAIL"
		}
	}
	if len(res.Violations) > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n**Verdict: %s.** Files: %d put, %d DONE, %d REJECTED, %d lost, %d completed twice; %d finished runs re-run after a kill or fault; "+
		"%d takeovers after a pause of the active member, the slowest %.2f s.\n\n",
		verdict, res.Files, res.Done, res.Rejected, res.Lost, res.Duplicated, res.ExplainedReruns, res.Failovers, res.FailoverMax.Seconds())
	for _, v := range res.Violations {
		fmt.Fprintf(&b, "- violation: %s\n", v)
	}
	fmt.Fprintf(&b, "## Growth (last third of the samples against the first, after a warm-up fifth)\n\n")
	fmt.Fprintf(&b, "| member | measure | first third | last third | verdict |\n|---|---|---:|---:|---|\n")
	for _, gr := range growth {
		v := "ok"
		if gr.Fail {
			v = "FAIL: " + gr.Detail
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %s |\n", gr.ID, gr.What, gr.First, gr.Last, v)
	}
	fmt.Fprintf(&b, "\n## Samples\n\nFTP and DB connections are the member's own sockets to the FTP server and to the database "+
		"(from /proc/PID/fd and /proc/net/tcp); server DB sessions are the server's sessions on the group's database (the harness's "+
		"own pool included).\n\n")
	fmt.Fprintf(&b, "| time | member | pid | RSS (MB) | heap in use (MB) | goroutines | FTP conns | DB conns | server DB sessions | files DONE | backlog |\n")
	fmt.Fprintf(&b, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range samples {
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f | %.1f | %d | %d | %d | %d | %d | %d |\n", fmtAt(s.At), s.ID, s.Pid,
			float64(s.RSSKB)/1024, float64(s.HeapInuse)/(1<<20), s.Goroutines, s.FTPConns, s.DBConns, s.ServerDB, s.Done, s.Backlog)
	}
	return b.String()
}

// plot writes a PNG beside out with matplotlib, when python3 has it; the
// report does not depend on it.
func plot(out string, samples []sample) {
	png := strings.TrimSuffix(out, filepath.Ext(out)) + ".png"
	var csv strings.Builder
	csv.WriteString("t,id,rss,heap,gor,ftp,db\n")
	for _, s := range samples {
		fmt.Fprintf(&csv, "%.1f,%s,%.2f,%.2f,%d,%d,%d\n", s.At.Seconds(), s.ID, float64(s.RSSKB)/1024, float64(s.HeapInuse)/(1<<20), s.Goroutines, s.FTPConns, s.DBConns)
	}
	script := `
import sys, csv, io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = list(csv.DictReader(io.StringIO(sys.stdin.read())))
fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
for ax, (key, label) in zip(axes, [("rss", "RSS (MB)"), ("heap", "heap in use (MB)"), ("gor", "goroutines"), ("db", "DB connections")]):
    for mid in sorted({r["id"] for r in rows}):
        xs = [float(r["t"]) for r in rows if r["id"] == mid]
        ys = [float(r[key]) for r in rows if r["id"] == mid]
        ax.plot(xs, ys, marker=".", label=mid)
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
axes[0].legend()
axes[-1].set_xlabel("seconds")
fig.suptitle("ftpcoord soak: members over time")
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=80)
`
	cmd := exec.Command("python3", "-c", script, png)
	cmd.Stdin = strings.NewReader(csv.String())
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "soak: no plot (python3 with matplotlib: %v)\n", err)
		return
	}
	fmt.Fprintf(os.Stderr, "soak: plot in %s\n", png)
}
