package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// render writes the Markdown report of one run.
func render(results []*result, o options, e *env, took time.Duration) string {
	var b strings.Builder
	b.WriteString("# Side by side: ftpcoord, Apache Camel and Spring Integration\n\n")
	fmt.Fprintf(&b, "Command: `make bench-peers` (`go run ./bench/peers %s`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s; the run took %v.  \n", time.Now().UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second))
	fmt.Fprintf(&b, "Machine: a shared VM with %d CPUs (other engineers' builds and tests ran on it at the same time), %s, %s; "+
		"pure-ftpd and PostgreSQL of tests/services on loopback.\n\n", runtime.NumCPU(), runtime.Version(), javaVersion(e))

	b.WriteString("| system | throughput: files moved in under running instances, to the last processed | files/s | files present at start: from process start | files/s | first to last handler | crash: lost | processed twice | documented reruns | failover median | failover worst | idle statements/s per instance, empty directory | idle, with the crash run's files present |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		w := r.warm
		wl := w.last.Sub(r.warmStart)
		wc := fmt.Sprintf("%s | %.0f", fmtDur(wl), rate(w.distinct, wl))
		if !r.warmDone {
			wc = fmt.Sprintf("%d of %d files in %v (timeout) | -", w.distinct, o.files, o.tputTimeout)
		} else if w.twice > 0 {
			wc += fmt.Sprintf(" (%d twice)", w.twice)
		}
		t := r.tput
		ftl, fs := t.last.Sub(t.first), t.last.Sub(r.tputStart)
		tp := fmt.Sprintf("%s | %.0f | %s", fmtDur(fs), rate(t.distinct, fs), fmtDur(ftl))
		if !r.tputDone {
			tp = fmt.Sprintf("%d of %d files in %v (timeout) | - | -", t.distinct, o.files, o.tputTimeout)
		} else if t.twice > 0 {
			tp += fmt.Sprintf(" (%d twice)", t.twice)
		}
		med, worst := medianMax(r.failover)
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %s | %s | %.1f | %.1f |\n", r.sys.title, wc, tp,
			r.crash.lost, r.crash.twice, r.crash.reruns, fmtDur(med), fmtDur(worst), r.idleEmpty, r.idleFiles)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Throughput: %d files of 1 KiB. First column: both instances run (started %v earlier, leader elected, "+
		"logged in, polling an empty directory) when all files are renamed into the directory at once; the clock runs from "+
		"the last rename to the last file's handler, so it holds one poll interval's wait, the listing, the downloads, the "+
		"handlers and the bookkeeping. Then the same files already present when both instances start: from starting the "+
		"processes (JVM start-up, leader election, first login included) to the last handler, and from the first to the "+
		"last handler (Spring's synchronizer downloads every file before the first handler runs, so its first-to-last "+
		"figure leaves the downloads out).  \n", o.files, o.warmup)
	fmt.Fprintf(&b, "Crash: %d files arrive at %.0f files/s (written elsewhere, renamed into the directory) while the active "+
		"instance (the leader; for ftpcoord the member whose `ftpcoord_active` metric is 1) is SIGKILLed %d times, evenly "+
		"spread, and restarted once the other instance processed a file (at most 20 s later). Lost: never processed within %v after the last arrival. Processed twice: a "+
		"second handler run of a file, except ftpcoord's documented rerun (a later attempt carrying the same idempotency "+
		"key, after a kill prevented the commit), counted apart. Failover: from the kill to the next file processed by "+
		"the other instance.  \n", o.crashFiles, o.rate, o.kills, o.drain)
	fmt.Fprintf(&b, "Idle: statements per second the group's database executed (pg_stat_statements calls, BEGIN/COMMIT "+
		"included; read from another database), over %v, divided by the 2 instances; once in an empty directory %v after "+
		"start, once at the end of the crash run with its %d processed files still on the server.\n\n", o.idle, o.warmup, o.crashFiles)

	for _, r := range results {
		if len(r.kills) > 0 {
			var ds []string
			for i, k := range r.kills {
				d := "none"
				if i < len(r.failover) {
					d = fmtDur(r.failover[i])
				}
				ds = append(ds, fmt.Sprintf("%s killed at +%.1f s: %s", k.instance, k.at.Sub(r.kills[0].at).Seconds(), d))
			}
			fmt.Fprintf(&b, "- %s, kills: %s.\n", r.sys.title, strings.Join(ds, "; "))
			if len(r.takeovers) > 0 {
				var ts []string
				for _, d := range r.takeovers {
					ts = append(ts, fmtDur(d))
				}
				fmt.Fprintf(&b, "  The other member logged `became active` %s after the kills; the rest of each failover is "+
					"the wait for its next poll.\n", strings.Join(ts, ", "))
			}
		}
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s: %s\n", r.sys.title, n)
		}
	}
	return b.String()
}

func javaVersion(e *env) string {
	out, err := exec.Command(e.java, "-version").CombinedOutput()
	if err != nil {
		return "java: " + err.Error()
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
