// Command matrix runs the chaos fault matrix (make chaos): every scenario of
// tests/chaos/harness on every dialect, three member processes sharing a
// group with thousands of files flowing, and checks after each that no file
// was lost or completed twice and that at most one member was active at a
// time. It prints a table and exits non-zero on any violation.
//
//	go run ./tests/chaos/matrix [-out bench/chaos.md] [-scenarios a,b] [-dialects postgresql,mysql]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
)

func main() {
	out := flag.String("out", "", "also write the table to this Markdown file (with command, date and machine)")
	only := flag.String("scenarios", "", "comma-separated scenario names (default: all)")
	dialects := flag.String("dialects", "", "comma-separated dialects (default: all)")
	files := flag.Int("files", 3000, "files in the directory when the members start")
	arrivals := flag.Int("arrivals", 2000, "files that arrive while the faults run")
	every := flag.Duration("arrive-every", 10*time.Millisecond, "one arrival every")
	flag.Parse()

	var scenarios []harness.Scenario
	for _, s := range harness.Scenarios {
		if *only == "" || contains(*only, s.Name) {
			scenarios = append(scenarios, s)
		}
	}
	var ds []schema.Dialect
	for _, d := range harness.Dialects {
		if *dialects == "" || contains(*dialects, string(d)) {
			ds = append(ds, d)
		}
	}
	if len(scenarios) == 0 || len(ds) == 0 {
		fmt.Fprintln(os.Stderr, "matrix: -scenarios or -dialects matched nothing; scenarios:", names())
		os.Exit(2)
	}
	env, err := harness.EnvFromOS()
	if err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(2)
	}
	tmp, err := os.MkdirTemp("", "ftpcoord-matrix-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(tmp)
	bin, err := harness.BuildMember(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	plan := harness.Plan{Files: *files, Arrivals: *arrivals, ArrivalEvery: *every, Settle: 3 * time.Minute}
	began := time.Now()
	var results []harness.Result
	for _, d := range ds {
		for _, s := range scenarios {
			if !s.Applies(d) {
				continue
			}
			fmt.Fprintf(os.Stderr, "matrix: %s on %s ...\n", s.Name, d)
			r := harness.RunScenario(ctx, bin, env, d, s, plan)
			fmt.Fprintf(os.Stderr, "matrix: %s on %s: %s in %v\n", s.Name, d, r.Verdict(), r.Elapsed.Round(time.Second))
			for _, v := range r.Violations {
				fmt.Fprintln(os.Stderr, "  violation:", v)
			}
			results = append(results, r)
			if ctx.Err() != nil {
				break
			}
		}
	}
	failed := 0
	for _, r := range results {
		if r.Verdict() != "PASS" {
			failed++
		}
	}
	table(os.Stdout, results)
	if *out != "" {
		if err := report(*out, results, scenarios, plan, time.Since(began)); err != nil {
			fmt.Fprintln(os.Stderr, "matrix: -out:", err)
			os.Exit(1)
		}
	}
	if failed > 0 || ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "matrix: %d of %d runs failed\n", failed, len(results))
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "matrix: all %d runs passed in %v\n", len(results), time.Since(began).Round(time.Second))
}

func contains(list, name string) bool {
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == name {
			return true
		}
	}
	return false
}

func names() string {
	var n []string
	for _, s := range harness.Scenarios {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

func failover(r harness.Result) string {
	if r.Failovers == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f s (%d)", r.FailoverMax.Seconds(), r.Failovers)
}

func table(w io.Writer, results []harness.Result) {
	fmt.Fprintln(w, "| scenario | dialect | files | done | rejected | lost | duplicated | errors reported | runs cut short | finished, not committed (after a death or fault) | kills | pauses | failover delay (max, count) | killed member's files run again (max) | paused member's claims settled (max, count) | time | verdict |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		reclaim := "-"
		if r.ReclaimMax > 0 {
			reclaim = fmt.Sprintf("%.2f s", r.ReclaimMax.Seconds())
		}
		held := "-"
		if r.HeldClaims > 0 {
			held = fmt.Sprintf("%.2f s (%d)", r.HeldMax.Seconds(), r.HeldClaims)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s | %.0f s | %s |\n",
			r.Scenario, r.Dialect, r.Files, r.Done, r.Rejected, r.Lost, r.Duplicated, r.Errors, r.CutShort, r.ExplainedReruns,
			r.Kills, r.Pauses, failover(r), reclaim, held, r.Elapsed.Seconds(), r.Verdict())
	}
}

func report(path string, results []harness.Result, scenarios []harness.Scenario, plan harness.Plan, took time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Chaos matrix\n\n")
	fmt.Fprintf(&b, "Command: `make chaos` (`go run ./tests/chaos/matrix -out bench/chaos.md`, args `%s`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s  \n", harness.Machine())
	fmt.Fprintf(&b, "Total time: %v\n\n", took.Round(time.Second))
	fmt.Fprintf(&b, "Each run: three member processes (tests/member) in one warm-backup group, livenessCheckInterval 2 s, "+
		"heartbeatFrequency 0.25 s, pollingInterval 0.2 s, 4 workers, 10 ms of handler work per file; %d files in the "+
		"directory at the start and %d more arriving one every %v while the faults run; pure-ftpd through a TCP relay, "+
		"each member's database through a relay of its own.\n\n", plan.Files, plan.Arrivals, plan.ArrivalEvery)
	fmt.Fprintf(&b, "Checked after each run: every file DONE or REJECTED (else *lost*); every DONE version's committed attempt "+
		"finished its handler and every other finished run of it belongs to a process that was killed or paused, or that overlapped "+
		"a cut of its database or of the FTP server (else *duplicated*); no two members (nor the Ballerina peer) believed themselves "+
		"active at once (from the role changes each member logs); every commit made by the token holder of that moment under its "+
		"term, by the database's clock (token sampled every 100 ms); a woken paused member completed nothing under its old term "+
		"and started no handler after it stepped down (but for at most one per worker that had passed its check just before the "+
		"SIGSTOP); every claim a paused member held when it stopped committed, given back or reclaimed (*paused member's claims settled*: "+
		"the longest wait from the SIGSTOP, and how many claims; bounded where a scenario says so, never the lease). A finished run also counts as explained when its member reported a failed commit (a database error, not a lost "+
		"claim) after its database had been cut. *Errors reported*: what the listeners reported to their handlers' OnError (failed listings, transfers, commits): the faults' visible effect. *Runs cut short*: handler runs that never finished (killed, or the transfer "+
		"failed). *Failover delay*: from taking the active member away to the next takeover by another member. *Killed member's files run again*: "+
		"from a SIGKILL to the moment a handler the killed member had at work starts again in another process (the longest). Every file "+
		"is finished in one version only, the one last written, with its size (else a version of a file still being written reached a "+
		"handler as a whole file).\n\n")
	fmt.Fprintf(&b, "Scenarios:\n\n")
	for _, s := range scenarios {
		fmt.Fprintf(&b, "- `%s`: %s\n", s.Name, s.What)
	}
	b.WriteString("\n")
	table(&b, results)
	for _, r := range results {
		for _, v := range r.Violations {
			fmt.Fprintf(&b, "\n- %s/%s: %s", r.Scenario, r.Dialect, v)
		}
	}
	b.WriteString("\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
