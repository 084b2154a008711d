package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// record is one handler completion: which file, which instance, when, and
// (ftpcoord only) the attempt and idempotency key.
type record struct {
	name     string
	instance string
	at       time.Time
	attempt  int
	key      string
}

// parsePeerLine reads a line the Java peers append:
// "name instance epochNanos bytes".
func parsePeerLine(line string) (record, bool) {
	f := strings.Fields(line)
	if len(f) < 3 || strings.HasPrefix(f[0], "!") {
		return record{}, false
	}
	ns, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return record{}, false
	}
	return record{name: f[0], instance: f[1], at: time.Unix(0, ns), attempt: 1}, true
}

// parseLeaderLine reads a Java peer's takeover signal, "!leader instance
// epochNanos": Camel's clustered route started, Spring's leadership granted.
func parseLeaderLine(line string) (record, bool) {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "!leader" {
		return record{}, false
	}
	ns, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return record{}, false
	}
	return record{name: f[0], instance: f[1], at: time.Unix(0, ns)}, true
}

// parseFtpcoordLine reads one JSON log line of `ftpcoord run --log-format
// json`; only the "file" messages of its default handler are completions.
func parseFtpcoordLine(line, instance string) (record, bool) {
	if !strings.Contains(line, `"msg":"file"`) {
		return record{}, false
	}
	var v struct {
		Time    time.Time `json:"time"`
		Msg     string    `json:"msg"`
		Path    string    `json:"path"`
		Attempt int       `json:"attempt"`
		Key     string    `json:"idempotencyKey"`
	}
	if json.Unmarshal([]byte(line), &v) != nil || v.Msg != "file" || v.Path == "" {
		return record{}, false
	}
	return record{name: path.Base(v.Path), instance: instance, at: v.Time, attempt: v.Attempt, key: v.Key}, true
}

// readRecords parses a whole log file with parse; a missing file is empty.
func readRecords(file string, parse func(string) (record, bool)) []record {
	fh, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer fh.Close()
	var out []record
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if r, ok := parse(sc.Text()); ok {
			out = append(out, r)
		}
	}
	return out
}

// tally is what a run's completions add up to against the files expected.
type tally struct {
	distinct    int       // expected files completed at least once
	lost        int       // expected files never completed
	twice       int       // repeated completions: the handler ran to its effect again (every system, one rule)
	reruns      int       // of twice: a later attempt carrying the idempotency key of the earlier one (ftpcoord offers one)
	extra       int       // completions of names that were not expected
	first, last time.Time // first and last completion of an expected file
}

// count tallies recs against the expected names. Every repeated completion
// counts as twice, for every system; of those, a repeat that is a later
// attempt (attempt > 1) carrying the idempotency key of the earlier
// completions is also counted as a rerun, which a handler could have
// recognised. The Java peers hand their handlers no such key.
func count(recs []record, expected []string) tally {
	want := make(map[string]bool, len(expected))
	for _, n := range expected {
		want[n] = true
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].at.Before(recs[j].at) })
	seen := map[string][]record{}
	var t tally
	for _, r := range recs {
		if !want[r.name] {
			t.extra++
			continue
		}
		if t.first.IsZero() || r.at.Before(t.first) {
			t.first = r.at
		}
		if r.at.After(t.last) {
			t.last = r.at
		}
		prev := seen[r.name]
		if len(prev) > 0 {
			rerun := r.attempt > 1 && r.key != ""
			for _, p := range prev {
				if p.key != r.key {
					rerun = false
				}
			}
			t.twice++
			if rerun {
				t.reruns++
			}
		}
		seen[r.name] = append(prev, r)
	}
	t.distinct = len(seen)
	t.lost = len(expected) - t.distinct
	return t
}

// failovers returns, for each kill time, the delay to the first completion
// after it by an instance other than the one killed.
func failovers(recs []record, kills []kill) []time.Duration {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].at.Before(recs[j].at) })
	var out []time.Duration
	for _, k := range kills {
		for _, r := range recs {
			if r.at.After(k.at) && r.instance != k.instance {
				out = append(out, r.at.Sub(k.at))
				break
			}
		}
	}
	return out
}

// kill is one SIGKILL of the instance then active.
type kill struct {
	instance string
	at       time.Time
}

func medianMax(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m, s[len(s)-1]
}
