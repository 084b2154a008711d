package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// runRecord is one scenario of one column in one round, as appended to
// bench/peers/runs/*.jsonl: the raw record every figure of the report is
// computed from.
type runRecord struct {
	Batch       string       `json:"batch"`  // one invocation of the matrix
	Commit      string       `json:"commit"` // the commit measured
	Dirty       bool         `json:"dirty"`  // the worktree differed from the commit
	Column      string       `json:"column"`
	System      string       `json:"system"`
	Concurrency int          `json:"concurrency"`
	Settings    string       `json:"settings"`
	Round       int          `json:"round"`
	Position    int          `json:"position"` // place in the round's (rotated) order
	Scenario    string       `json:"scenario"` // tput or crash
	Started     time.Time    `json:"started"`
	Took        float64      `json:"took_s"`
	LoadStart   string       `json:"loadavg_start"` // /proc/loadavg
	LoadEnd     string       `json:"loadavg_end"`
	Go          string       `json:"go"`
	Java        string       `json:"java"`
	Files       int          `json:"files"`
	Rate        float64      `json:"rate_per_s,omitempty"`  // crash: arrivals per second
	Done        bool         `json:"done"`                  // every file processed in time
	Seconds     float64      `json:"seconds,omitempty"`     // tput: last rename to last handler
	FilesPerSec float64      `json:"files_per_s,omitempty"` // tput
	Lost        int          `json:"lost"`
	Twice       int          `json:"twice"`  // repeated completions (every system)
	Reruns      int          `json:"reruns"` // of twice: same idempotency key (ftpcoord)
	Extra       int          `json:"extra"`
	Kills       []killRecord `json:"kills,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// killRecord is one SIGKILL of the crash scenario: when (seconds after the
// first arrival), and the delays to the other instance's takeover signal
// and to its first processed file (0: none seen).
type killRecord struct {
	Instance  string  `json:"instance"`
	At        float64 `json:"at_s"`
	Takeover  float64 `json:"takeover_s"`
	FirstFile float64 `json:"first_file_s"`
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// loadRuns reads every record of dir/*.jsonl.
func loadRuns(dir string) ([]runRecord, []string, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	sort.Strings(files)
	var out []runRecord
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var r runRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				fh.Close()
				return nil, nil, fmt.Errorf("%s:%d: %w", f, n, err)
			}
			out = append(out, r)
		}
		fh.Close()
	}
	return out, files, nil
}

// spread is "min / median / max" of xs, or "-" without values.
func spread(xs []float64, format string) string {
	if len(xs) == 0 {
		return "-"
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf(format+" / "+format+" / "+format, s[0], m, s[len(s)-1])
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func load1(s string) float64 {
	var x float64
	fmt.Sscan(s, &x)
	return x
}

// columnOrder lists the columns the records hold, matrix order first.
func columnOrder(recs []runRecord) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range strings.Split(allColumns+",ftpcoord-shared-8", ",") {
		for _, r := range recs {
			if r.Column == k && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	for _, r := range recs {
		if !seen[r.Column] {
			seen[r.Column] = true
			out = append(out, r.Column)
		}
	}
	return out
}

// stats gathers one column's figures over its runs.
type stats struct {
	title, settings                 string
	conc                            int
	tputRuns, crashRuns             int
	tputErrs, crashErrs, tputUndone int
	secs, fps                       []float64
	lost, twice, reruns             []float64
	takeover, first                 []float64
	kills, killsNoFile              int
	load                            []float64
}

func gather(recs []runRecord, col string) *stats {
	st := &stats{}
	for _, r := range recs {
		if r.Column != col {
			continue
		}
		st.title, st.settings, st.conc = r.System, r.Settings, r.Concurrency
		st.load = append(st.load, load1(r.LoadStart), load1(r.LoadEnd))
		switch r.Scenario {
		case "tput":
			st.tputRuns++
			if r.Error != "" {
				st.tputErrs++
			}
			if r.Done {
				st.secs = append(st.secs, r.Seconds)
				st.fps = append(st.fps, r.FilesPerSec)
			} else {
				st.tputUndone++
			}
		case "crash":
			st.crashRuns++
			if r.Error != "" {
				st.crashErrs++
			}
			st.lost = append(st.lost, float64(r.Lost))
			st.twice = append(st.twice, float64(r.Twice))
			st.reruns = append(st.reruns, float64(r.Reruns))
			for _, k := range r.Kills {
				st.kills++
				if k.Takeover > 0 {
					st.takeover = append(st.takeover, k.Takeover)
				}
				if k.FirstFile > 0 {
					st.first = append(st.first, k.FirstFile)
				} else {
					st.killsNoFile++
				}
			}
		}
	}
	return st
}

func sum(xs []float64) int {
	var s float64
	for _, x := range xs {
		s += x
	}
	return int(s)
}

// render writes the Markdown report of every recorded run.
func render(recs []runRecord, files []string) string {
	var b strings.Builder
	b.WriteString("# Side by side: ftpcoord, Apache Camel and Spring Integration\n\n")
	b.WriteString("Generated by `make bench-peers` from every run record in bench/peers/runs/ (")
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%s](peers/runs/%s)", filepath.Base(f), filepath.Base(f))
	}
	b.WriteString("); `go run ./bench/peers -report-only -out bench/peers.md` renders it again. No run is left out: a run that failed or timed out is counted as such below.")
	if len(files) > 0 && hasSuperseded(filepath.Dir(files[0])) {
		b.WriteString(" Records of an earlier harness with a flaw, kept as measured but not in these figures, are in [runs/superseded/](peers/runs/superseded/README.md), with why.")
	}
	b.WriteString("\n\n")
	if len(recs) == 0 {
		b.WriteString("No runs recorded yet.\n")
		return b.String()
	}
	commits, batches := map[string]bool{}, map[string]bool{}
	var first, last time.Time
	var goV, javaV string
	dirty := false
	for _, r := range recs {
		commits[r.Commit] = true
		batches[r.Batch] = true
		if first.IsZero() || r.Started.Before(first) {
			first = r.Started
		}
		if r.Started.After(last) {
			last = r.Started
		}
		goV, javaV = r.Go, r.Java
		dirty = dirty || r.Dirty
	}
	var cs []string
	for c := range commits {
		cs = append(cs, c[:min(12, len(c))])
	}
	sort.Strings(cs)
	fmt.Fprintf(&b, "Runs: %d records, %s to %s UTC, commit(s) measured: %s%s; %s, %s. Machine: a shared VM with 2 CPUs on which six other engineers' tests ran at the same time (the 1-minute load average at the start and end of every run is in its record; its range per column is below); pure-ftpd and PostgreSQL of tests/services on loopback.\n\n",
		len(recs), first.Format("2006-01-02 15:04"), last.Format("15:04"), strings.Join(cs, ", "),
		map[bool]string{true: " (a worktree with uncommitted changes: see the records)", false: ""}[dirty], goV, javaV)

	cols := columnOrder(recs)
	all := map[string]*stats{}
	for _, c := range cols {
		all[c] = gather(recs, c)
	}
	b.WriteString("## Throughput\n\nFiles of 1 KiB renamed into the directory at once while both instances run (leader elected, consumer started, polling the empty directory); from the last rename to the last file's handler. Each cell: min / median / max over the runs.\n\n")
	b.WriteString("| column | runs | not finished | seconds | files/s | load avg (1 min) |\n|---|---|---|---|---|---|\n")
	for _, c := range cols {
		st := all[c]
		if st.tputRuns == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s |\n", st.title, st.tputRuns, st.tputUndone,
			spread(st.secs, "%.2f"), spread(st.fps, "%.0f"), spread(st.load, "%.1f"))
	}
	b.WriteString("\n## Crash\n\nFiles arriving at a steady rate (written elsewhere, renamed in) while the active instance is SIGKILLed, each kill at a uniformly random time within its share of the arrivals (moved, at a random phase still, to at least 10 s after the other instance's start or restart, so that it stands by), and restarted once the other instance processed a file (at most 20 s later). Lost: never processed by the end (every file processed, or 45 s after the last arrival). Processed twice: every repeated run of a handler to its effect, for every system; reruns: those of them that carried the idempotency key of the earlier run (ftpcoord hands its handler one; Camel's and Spring's handlers get none, so theirs are always 0). Takeover: from the kill to the other instance's own takeover signal (Camel: its clustered route started; Spring: `onGranted` of its leader candidate; ftpcoord: `became active`); first file: from the kill to the first file the other instance processed. Per run: min / median / max; total over all runs in brackets. Failover cells are over all kills.\n\n")
	b.WriteString("| column | runs | lost | processed twice | of which reruns | takeover s | first file s | kills without a file by the other instance |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range cols {
		st := all[c]
		if st.crashRuns == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s (%d) | %s (%d) | %s (%d) | %s | %s | %d of %d |\n", st.title, st.crashRuns,
			spread(st.lost, "%.0f"), sum(st.lost), spread(st.twice, "%.0f"), sum(st.twice), spread(st.reruns, "%.0f"), sum(st.reruns),
			spread(st.takeover, "%.2f"), spread(st.first, "%.2f"), st.killsNoFile, st.kills)
	}
	b.WriteString("\n")
	b.WriteString(winners(cols, all))
	b.WriteString(settingsText)
	b.WriteString("\n## Every run\n\n| started (UTC) | column | round / place | scenario | result | load avg start → end | commit |\n|---|---|---|---|---|---|---|\n")
	for _, r := range recs {
		res := ""
		switch r.Scenario {
		case "tput":
			if r.Done {
				res = fmt.Sprintf("%d files in %.2f s (%.0f/s)", r.Files, r.Seconds, r.FilesPerSec)
			} else {
				res = fmt.Sprintf("not finished: %d of %d", r.Files-r.Lost, r.Files)
			}
			if r.Twice > 0 {
				res += fmt.Sprintf(", %d twice", r.Twice)
			}
		case "crash":
			var ks []string
			for _, k := range r.Kills {
				ks = append(ks, fmt.Sprintf("%s at %.1f s: takeover %.2f, file %.2f", k.Instance, k.At, k.Takeover, k.FirstFile))
			}
			res = fmt.Sprintf("%d files at %.0f/s: lost %d, twice %d (reruns %d); %s", r.Files, r.Rate, r.Lost, r.Twice, r.Reruns, strings.Join(ks, "; "))
			res = strings.Replace(res, " at 0/s", "", 1)
		}
		if r.Error != "" {
			res += "; **error**: " + strings.ReplaceAll(r.Error, "|", "/")
		}
		for _, n := range r.Notes {
			res += "; " + n
		}
		ls, le := strings.Fields(r.LoadStart), strings.Fields(r.LoadEnd)
		l := func(f []string) string {
			if len(f) == 0 {
				return "?"
			}
			return f[0]
		}
		fmt.Fprintf(&b, "| %s | %s | %d / %d | %s | %s | %s → %s | %s |\n", r.Started.Format("01-02 15:04:05"), r.Column,
			r.Round, r.Position, r.Scenario, res, l(ls), l(le), r.Commit[:min(12, len(r.Commit))])
	}
	return b.String()
}

// winners shows, per concurrency, every column's median of each figure,
// the best in bold (all of them when tied), peers included.
func winners(cols []string, all map[string]*stats) string {
	var b strings.Builder
	b.WriteString("## Medians side by side\n\nThe best median of each row in bold (every one that ties for it).\n\n")
	figures := []struct {
		name   string
		f      func(*stats) []float64
		lower  bool
		format string
	}{
		{"throughput, files/s", func(s *stats) []float64 { return s.fps }, false, "%.0f"},
		{"lost per crash run", func(s *stats) []float64 { return s.lost }, true, "%.0f"},
		{"processed twice per crash run", func(s *stats) []float64 { return s.twice }, true, "%.0f"},
		{"kill to takeover signal, s", func(s *stats) []float64 { return s.takeover }, true, "%.2f"},
		{"kill to first file by the other instance, s", func(s *stats) []float64 { return s.first }, true, "%.2f"},
	}
	for _, conc := range []int{1, 8} {
		var in []string
		for _, c := range cols {
			if all[c].conc == conc {
				in = append(in, c)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(&b, "Concurrency %d:\n\n| |", conc)
		for _, c := range in {
			fmt.Fprintf(&b, " %s |", all[c].title)
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(in)) + "\n")
		for _, fg := range figures {
			best := math.NaN()
			for _, c := range in {
				v, _ := strconv.ParseFloat(fmt.Sprintf(fg.format, median(fg.f(all[c]))), 64)
				if !math.IsNaN(v) && (math.IsNaN(best) || (fg.lower && v < best) || (!fg.lower && v > best)) {
					best = v
				}
			}
			fmt.Fprintf(&b, "| %s |", fg.name)
			for _, c := range in {
				m := median(fg.f(all[c]))
				if math.IsNaN(m) {
					b.WriteString(" - |")
					continue
				}
				cell := fmt.Sprintf(fg.format, m)
				if v, _ := strconv.ParseFloat(cell, 64); v == best {
					cell = "**" + cell + "**"
				}
				fmt.Fprintf(&b, " %s |", cell)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// hasSuperseded reports whether dir/superseded holds run records of an
// earlier harness (kept, not counted).
func hasSuperseded(dir string) bool {
	sup, _ := filepath.Glob(filepath.Join(dir, "superseded", "*.jsonl"))
	return len(sup) > 0
}
