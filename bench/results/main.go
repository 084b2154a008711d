// Command results gathers the latest figures of every benchmark, the chaos
// matrix and the soak (the bench/*.md files that `make bench`, `make chaos`
// and `make soak` rewrite, each with its command, date and machine) into one
// page, bench/RESULTS.md, with the targets they are measured against.
//
//	go run ./bench/results -out bench/RESULTS.md
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sources, in the order a reader wants them; a missing file is listed as
// not yet measured, never silently dropped.
var sources = []struct{ file, what, target string }{
	{"coordination.md", "Failover and idle load of the coordination", "worst failover <= livenessCheckInterval + 3 s; at most 2 statements/s per idle member"},
	{"crashfailover.md", "Failover after a SIGKILL at the default settings", "median under 1 s, worst at most 2 s over 20 kills per dialect"},
	{"listing.md", "One poll of a large directory against the bare listing", "a poll within 1.2x the bare listing; under 300 B of heap per listed file"},
	{"ledger.md", "Ledger throughput", ">= 5,000 transitions/s on PostgreSQL; <= 0.2 statements per file"},
	{"backlog.md", "One scrape of a group's backlog with 100,000 files in the ledger", "milliseconds for a group keeping up; in proportion to the backlog for one far behind"},
	{"endtoend.md", "Files per second through one member", "within 1.5x of a bare download loop"},
	{"jni.md", "One event across the C ABI and JNI", "under 20 microseconds per event from Java"},
	{"scale.md", "Shared mode by member count, and many idle groups on one database", "files/s growing with members until the machine is busy; where the curve bends, and why"},
	{"scale-binary.md", "Shared mode by member count, the ftpcoord command (go run ./bench/scale -binary)", "files/s growing with members until the machine is busy; several runs per point"},
	{"peers.md", "Side by side with Apache Camel and Spring Integration (make bench-peers)", "throughput at least the best peer's; 0 lost, 0 completed twice; the shortest failover"},
	{"chaos.md", "The fault matrix", "no file lost, none completed twice, at most one active member"},
	{"soak.md", "The soak", "no growth of memory, goroutines or connections"},
}

func main() {
	dir := flag.String("dir", "bench", "where the benchmark files are")
	out := flag.String("out", "", "write the page here (default: stdout)")
	flag.Parse()
	var b strings.Builder
	b.WriteString("# Results\n\n")
	b.WriteString("The latest figure of every benchmark and test campaign, gathered by `go run ./bench/results -out bench/RESULTS.md` " +
		"(run by `make bench`) from the files below; each section keeps the command, date and machine it was measured with.\n\n")
	b.WriteString("| what | target | source |\n|---|---|---|\n")
	for _, s := range sources {
		fmt.Fprintf(&b, "| %s | %s | [%s](%s) |\n", s.what, s.target, s.file, s.file)
	}
	for _, s := range sources {
		raw, err := os.ReadFile(filepath.Join(*dir, s.file))
		fmt.Fprintf(&b, "\n## %s\n\n", s.what)
		if err != nil {
			fmt.Fprintf(&b, "Not measured yet (%s is missing).\n", s.file)
			continue
		}
		body := strings.TrimSpace(string(raw))
		if strings.HasPrefix(body, "# ") { // the file's own title; the section has one
			_, body, _ = strings.Cut(body, "\n")
			body = strings.TrimSpace(body)
		}
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "#") {
				line = "#" + line // one level down
			}
			b.WriteString(line + "\n")
		}
	}
	if *out == "" {
		fmt.Print(b.String())
		return
	}
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(1)
	}
}
