package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// Run is one handler run in the log: from its start line to its end line
// (End is zero when it never finished).
type Run struct {
	Pid        int
	Key, Path  string
	Attempt    int
	Start, End time.Time
}

// Role is one role line: the coordinator made the process active or standby.
type Role struct {
	Pid    int
	At     time.Time
	Active bool
	Term   int64
	Reason string
}

// Error is an error the listener reported to the handler (OnError).
type Error struct {
	Pid int
	At  time.Time
	Msg string
}

// Log is the parsed handlers' log.
type Log struct {
	Runs   []*Run
	Roles  []Role
	Errors []Error
	Deaths map[string]int // aimed deaths by point
	// DiedAt is when a member aimed at a point logged, just before its
	// own SIGKILL, that it dies: earlier than when the harness sees the
	// exit, by as long as the kernel and the reaper take. With the crash
	// signal a peer takes over within that gap.
	DiedAt map[int]time.Time
}

// ReadLog parses the shared log of tests/member ("PID UNIXNANO EVENT ...").
func ReadLog(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return &Log{Deaths: map[string]int{}, DiedAt: map[int]time.Time{}}, nil
		}
		return nil, err
	}
	defer f.Close()
	lg := &Log{Deaths: map[string]int{}, DiedAt: map[int]time.Time{}}
	open := map[string]*Run{} // pid/key/attempt -> run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 3 {
			continue
		}
		pid, _ := strconv.Atoi(fl[0])
		ns, _ := strconv.ParseInt(fl[1], 10, 64)
		at := time.Unix(0, ns)
		switch fl[2] {
		case "start", "end":
			if len(fl) < 6 {
				continue
			}
			attempt, _ := strconv.Atoi(fl[4])
			id := fl[0] + "/" + fl[3] + "/" + fl[4]
			if fl[2] == "start" {
				r := &Run{Pid: pid, Key: fl[3], Attempt: attempt, Path: fl[5], Start: at}
				lg.Runs = append(lg.Runs, r)
				open[id] = r
			} else if r := open[id]; r != nil {
				r.End = at
			}
		case "die":
			if len(fl) >= 6 {
				lg.Deaths[fl[5]]++
			}
			lg.DiedAt[pid] = at
		case "error":
			msg, _ := strconv.Unquote(strings.Join(fl[3:], " "))
			lg.Errors = append(lg.Errors, Error{Pid: pid, At: at, Msg: msg})
		case "role":
			if len(fl) < 5 {
				continue
			}
			term, _ := strconv.ParseInt(fl[4], 10, 64)
			reason := ""
			if len(fl) > 5 {
				reason, _ = strconv.Unquote(strings.Join(fl[5:], " "))
			}
			lg.Roles = append(lg.Roles, Role{Pid: pid, At: at, Active: fl[3] == "active", Term: term, Reason: reason})
		}
	}
	return lg, sc.Err()
}

func (lg *Log) lastRole(pid int) (Role, bool) {
	for i := len(lg.Roles) - 1; i >= 0; i-- {
		if lg.Roles[i].Pid == pid {
			return lg.Roles[i], true
		}
	}
	return Role{}, false
}

// Result is what one scenario showed.
type Result struct {
	Scenario, Dialect string
	Files             int           // files put in the directory
	Done, Rejected    int           // by the ledger
	Lost              int           // neither DONE nor REJECTED
	Duplicated        int           // completed twice without a death or fault to explain it
	Reruns            int           // versions whose handler ran more than once
	ExplainedReruns   int           // finished runs not committed, each after a death, pause or fault
	StaleStarts       int           // handlers a woken member started for claims it made before its pause
	CutShort          int           // handler runs that never finished (killed, or the transfer failed)
	Errors            int           // errors the listeners reported (OnError): failed listings, transfers, commits
	FailoverMax       time.Duration // the slowest takeover after the active member was taken away
	Failovers         int
	// ReclaimMax is the longest wait, from a SIGKILL, for a handler the
	// killed member had at work to run again in another process.
	ReclaimMax time.Duration
	// HeldMax is the longest wait, from a SIGSTOP, until every claim the
	// paused member held then was committed, given back or reclaimed
	// (HeldClaims of them in all).
	HeldMax       time.Duration
	HeldClaims    int
	Kills, Pauses int
	Elapsed       time.Duration
	Violations    []string
}

// Verdict is PASS or FAIL.
func (r Result) Verdict() string {
	if len(r.Violations) == 0 {
		return "PASS"
	}
	return "FAIL"
}

func (r *Result) violate(format string, args ...any) {
	if len(r.Violations) < 50 {
		r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
	}
}

// Verify stops the members and checks the invariants:
//   - every file put in the directory is DONE or REJECTED in the ledger;
//   - every DONE version's committed attempt finished its handler, and any
//     other finished run of it belongs to a process that was killed or
//     paused, or overlapped a fault that cut that process from its
//     database or the FTP server, before it could commit (else: completed
//     twice);
//   - no two participants (our members, a Ballerina peer) believed
//     themselves active at the same time; a paused member counts as active
//     only until it was stopped, and after it woke it claimed and completed
//     nothing under its old term and started no handler before becoming
//     active again;
//   - every commit was made by the token holder of the moment by the
//     database's clock, under its term (from the sampled token history);
//   - every claim a paused member held when it stopped was committed, given
//     back or reclaimed before the run ended (HeldMax: how soon).
func (g *Group) Verify(ctx context.Context, scenario string) Result {
	held := g.heldNow() // before the members stop and give their claims back
	g.StopAll()
	r := Result{Scenario: scenario, Dialect: string(g.Opt.Dialect), Files: g.Expected(), Kills: g.Killed(), Pauses: g.Paused()}
	lg, err := ReadLog(g.Log)
	if err != nil {
		r.violate("read the handler log: %v", err)
		return r
	}
	type row struct {
		key, path, status, owner string
		tries                    int
		size                     int64
		term                     int64
		doneAt                   time.Time
	}
	rows, err := g.SQL.QueryContext(ctx, testdb.Q(g.Opt.Dialect,
		`SELECT version_key, path, status, tries, COALESCE(owner_member, ''), COALESCE(term, 0), done_at, size FROM ftpcoord_file WHERE group_id = ?`), g.Name)
	if err != nil {
		r.violate("read the ledger: %v", err)
		return r
	}
	var ledger []row
	byPath := map[string]row{}
	for rows.Next() {
		var x row
		var done *time.Time
		if err := rows.Scan(&x.key, &x.path, &x.status, &x.tries, &x.owner, &x.term, &done, &x.size); err != nil {
			r.violate("read the ledger: %v", err)
			rows.Close()
			return r
		}
		if done != nil {
			x.doneAt = *done
		}
		ledger = append(ledger, x)
		byPath[x.path] = x
	}
	rows.Close()

	// One version of each file is finished, and it is the file as it was
	// last written: no earlier version of a file that was still being
	// written reached a handler as a whole file (the versions differ, so
	// the checks by version key below would not tell).
	finished := map[string]int{}
	for _, x := range ledger {
		if x.status == "DONE" || x.status == "REJECTED" {
			finished[x.path]++
			if st, err := os.Stat(filepath.Join(g.localDir, path.Base(x.path))); err == nil && st.Size() != x.size {
				r.violate("%s %s with %d bytes, but the file has %d", x.path, x.status, x.size, st.Size())
			}
		}
	}
	for p, n := range finished {
		if n > 1 {
			r.violate("%s: %d versions finished, want 1", p, n)
		}
	}

	// Nothing lost.
	g.mu.Lock()
	names := append([]string(nil), g.names...)
	killed := map[int]time.Time{}
	for k, v := range g.killed {
		if died, ok := lg.DiedAt[k]; ok && died.Before(v) {
			v = died // it killed itself: it acted no more from its last line
		}
		killed[k] = v
	}
	pauses := append([]Pause(nil), g.paused...)
	paused := map[int]bool{}
	for _, p := range pauses {
		paused[p.Pid] = true
	}
	windows := append([]Window(nil), g.windows...)
	failovers := append([]time.Time(nil), g.failovers...)
	all := append([]*Member(nil), g.all...)
	peers := append([]*peerTrack(nil), g.peers...)
	g.mu.Unlock()
	for _, n := range names {
		x, ok := byPath["/"+g.remoteDir+"/"+n]
		switch {
		case !ok:
			r.Lost++
			r.violate("lost: %s is not in the ledger", n)
		case x.status == "DONE":
			r.Done++
		case x.status == "REJECTED":
			r.Rejected++
		default:
			r.Lost++
			r.violate("lost: %s is %s after %d tries", n, x.status, x.tries)
		}
	}

	pidID := map[int]string{}
	for _, m := range all {
		pidID[m.Pid] = m.ID
	}
	inFault := func(run *Run) bool {
		end := run.End
		if end.IsZero() {
			end = time.Now()
		}
		for _, w := range windows {
			if !(run.Start.Before(w.To) && end.After(w.From)) {
				continue
			}
			if w.Kind == "ftp" {
				return true
			}
			for _, id := range w.Members {
				if id == pidID[run.Pid] {
					return true
				}
			}
		}
		return false
	}

	// A commit that failed on a database error (not a lost claim), or that
	// the member declined, after the process's database had been cut (on
	// SQLite: another member was paused, maybe holding the write lock),
	// reported within 20 s of the run's end: a connection the cut left
	// hanging, say, or heartbeats that could not be written. The file is
	// then processed again, at least once, as it must be.
	commitFailed := func(run *Run) bool {
		for _, e := range lg.Errors {
			if e.Pid != run.Pid || e.At.Before(run.End) || e.At.After(run.End.Add(20*time.Second)) {
				continue
			}
			// A commit that failed, or one the member declined: it could
			// not write its heartbeat meanwhile (the listener commits
			// nothing then), and gave the files back.
			declined := strings.Contains(e.Msg, "processed files not committed: this member is no longer active")
			if !declined && (!strings.HasPrefix(e.Msg, "listener: commit ") || strings.Contains(e.Msg, "claim was lost")) {
				continue
			}
			for _, w := range windows {
				if w.Kind != "db" || !w.From.Before(e.At) {
					continue
				}
				for _, id := range w.Members {
					if id == pidID[run.Pid] {
						return true
					}
				}
			}
		}
		return false
	}

	// Nothing completed twice.
	r.Errors = len(lg.Errors)
	runsByKey := map[string][]*Run{}
	for _, run := range lg.Runs {
		runsByKey[run.Key] = append(runsByKey[run.Key], run)
		if run.End.IsZero() {
			r.CutShort++
		}
	}
	for _, x := range ledger {
		if x.status != "DONE" {
			continue
		}
		runs := runsByKey[x.key]
		if len(runs) > 1 {
			r.Reruns++
		}
		committedFinished, dup := false, false
		for _, run := range runs {
			if run.End.IsZero() {
				continue
			}
			_, wasKilled := killed[run.Pid]
			wasPaused := paused[run.Pid]
			switch {
			case run.Attempt == x.tries:
				committedFinished = true
			case wasKilled || wasPaused || inFault(run) || commitFailed(run):
				r.ExplainedReruns++
			default:
				dup = true
				r.violate("completed twice: %s run %d by live process %d (%s) finished, yet attempt %d committed",
					x.path, run.Attempt, run.Pid, pidID[run.Pid], x.tries)
			}
		}
		if dup {
			r.Duplicated++
		}
		if !committedFinished {
			r.violate("%s is DONE under attempt %d, but no run of that attempt finished its handler", x.path, x.tries)
		}
	}

	// At most one active at a time: belief intervals from the role lines.
	var ivs []Interval
	openAt := map[int]*Interval{}
	for _, rl := range lg.Roles {
		if rl.Active {
			if openAt[rl.Pid] == nil {
				openAt[rl.Pid] = &Interval{Who: pidID[rl.Pid], Pid: rl.Pid, Term: rl.Term, From: rl.At}
			}
			continue
		}
		if iv := openAt[rl.Pid]; iv != nil {
			iv.To = rl.At
			ivs = append(ivs, *iv)
			delete(openAt, rl.Pid)
		}
	}
	for pid, iv := range openAt {
		iv.To, iv.Open = time.Now(), true
		if at, ok := killed[pid]; ok {
			iv.To, iv.Open = at, false
		}
		ivs = append(ivs, *iv)
	}
	for i := range ivs { // a paused process acts no more from its SIGSTOP on
		for _, p := range pauses {
			if p.Pid == ivs[i].Pid && ivs[i].From.Before(p.From) && ivs[i].To.After(p.From) {
				ivs[i].To = p.From
			}
		}
		if at, ok := killed[ivs[i].Pid]; ok && ivs[i].To.After(at) {
			ivs[i].To = at
		}
	}
	for _, pt := range peers {
		ivs = append(ivs, pt.intervals()...)
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].From.Before(ivs[j].From) })
	for i := range ivs {
		for j := i + 1; j < len(ivs) && ivs[j].From.Before(ivs[i].To); j++ {
			r.violate("two active at once: %s (pid %d, term %d) %s..%s and %s (pid %d, term %d) from %s",
				ivs[i].Who, ivs[i].Pid, ivs[i].Term, clock(ivs[i].From), clock(ivs[i].To),
				ivs[j].Who, ivs[j].Pid, ivs[j].Term, clock(ivs[j].From))
		}
	}

	// A paused member, once woken, claims and completes nothing, but for a
	// commit statement it had sent before its SIGSTOP: on SQLite, where the
	// member runs the statement itself (and may hold the write lock, so
	// that nobody could take over meanwhile), it finishes, fenced, a moment
	// after the SIGCONT, with the database clock of that moment.
	const inFlight = 100 * time.Millisecond
	for _, p := range pauses {
		pid := p.Pid
		for _, x := range ledger {
			sentBefore := g.Opt.Dialect == schema.SQLite && x.doneAt.Sub(p.To) < inFlight
			if x.owner == p.ID && x.term == p.Term && x.status == "DONE" && x.doneAt.After(p.To) && !sentBefore {
				r.violate("woken member %s (pid %d) completed %s under its old term %d at %s, after it woke at %s",
					p.ID, pid, x.path, p.Term, clock(x.doneAt), clock(p.To))
			}
		}
		// Its handlers may only start before it saw (on waking) that it
		// was no longer active: those passed their check before the
		// SIGSTOP. None after, until it becomes active again.
		var steppedDown, activeAgain time.Time
		for _, rl := range lg.Roles {
			if rl.Pid != pid || !rl.At.After(p.To) {
				continue
			}
			if !rl.Active && steppedDown.IsZero() {
				steppedDown = rl.At
			}
			if rl.Active && activeAgain.IsZero() {
				activeAgain = rl.At
			}
		}
		if steppedDown.IsZero() {
			r.violate("woken member %s (pid %d) never logged that it stepped down", p.ID, pid)
			continue
		}
		if g.Opt.Mode == "shared" {
			continue // every member claims and processes in shared mode, active or not: new claims after waking are its due
		}
		// A worker that passed its check just before the SIGSTOP opens its
		// file and starts the handler after waking: at most one such run
		// per worker, each soon after waking. Any other start is a member
		// that kept processing after it knew it was no longer active.
		var stale []*Run
		for _, run := range lg.Runs {
			if run.Pid == pid && run.Start.After(p.To) && (activeAgain.IsZero() || run.Start.Before(activeAgain)) {
				stale = append(stale, run)
			}
		}
		workers := g.workers()
		for i, run := range stale {
			if i >= workers || run.Start.Sub(steppedDown) > 500*time.Millisecond {
				r.violate("woken member %s (pid %d) started %s at %s, after it stepped down at %s (%d starts after waking, %d workers)",
					p.ID, pid, run.Path, clock(run.Start), clock(steppedDown), len(stale), workers)
			}
		}
		r.StaleStarts += len(stale)
		for _, x := range ledger {
			if x.owner == p.ID && x.term == p.Term && x.status == "IN_PROGRESS" {
				r.violate("woken member %s (pid %d) holds a claim on %s under its old term %d", p.ID, pid, x.path, p.Term)
			}
		}
	}

	// Every commit by the holder of the moment, by database time.
	samples := g.sampler.all()
	if g.Opt.Mode != "shared" {
		checkCommits(&r, samples, func(yield func(owner, path string, term int64, at time.Time)) {
			for _, x := range ledger {
				if x.status == "DONE" {
					yield(x.owner, x.path, x.term, x.doneAt)
				}
			}
		})
	}
	// Terms only grow.
	for i := 1; i < len(samples); i++ {
		if samples[i].Term < samples[i-1].Term {
			r.violate("the token's term went back from %d to %d at %s", samples[i-1].Term, samples[i].Term, clock(samples[i].DB))
		}
	}

	// A paused member's claims: none waits for its lease.
	for _, h := range held {
		r.HeldClaims += h.Claims
		if !h.Done {
			r.violate("%d claims %s held at its SIGSTOP at %s were still IN_PROGRESS under their claim tokens %v later (they wait for their leases)",
				h.Claims, h.ID, clock(h.From), time.Since(h.From).Round(time.Millisecond))
			continue
		}
		r.HeldMax = max(r.HeldMax, h.Settled)
	}

	// Reclaim delay: a handler cut short by a SIGKILL runs again, in
	// another process, this long after the kill.
	for _, run := range lg.Runs {
		at, wasKilled := killed[run.Pid]
		if !wasKilled || !run.End.IsZero() {
			continue
		}
		var again time.Time
		for _, other := range runsByKey[run.Key] {
			if other.Pid != run.Pid && other.Start.After(at) && (again.IsZero() || other.Start.Before(again)) {
				again = other.Start
			}
		}
		if !again.IsZero() {
			r.ReclaimMax = max(r.ReclaimMax, again.Sub(at))
		}
	}

	// Failover delay: from each time the active member was taken away to
	// the next takeover by another participant.
	for _, at := range failovers {
		var next time.Time
		for _, iv := range ivs {
			if iv.From.After(at) && (next.IsZero() || iv.From.Before(next)) {
				next = iv.From
			}
		}
		if next.IsZero() {
			r.violate("nobody took over after the active member was taken away at %s", clock(at))
			continue
		}
		r.Failovers++
		r.FailoverMax = max(r.FailoverMax, next.Sub(at))
	}
	return r
}

// checkCommits proves each commit's (member, term) held the token at the
// commit's database time: the sampled holder just before or just after it
// (samples are 100 ms apart) must be that member under that term.
func checkCommits(r *Result, samples []Sample, commits func(func(owner, path string, term int64, at time.Time))) {
	if len(samples) < 2 {
		r.violate("the token sampler has %d samples", len(samples))
		return
	}
	commits(func(owner, path string, term int64, at time.Time) {
		i := sort.Search(len(samples), func(i int) bool { return !samples[i].DB.Before(at) })
		for _, k := range []int{i - 1, i} {
			if k >= 0 && k < len(samples) && samples[k].Holder == owner && samples[k].Term == term {
				return
			}
		}
		near := samples[min(i, len(samples)-1)]
		r.violate("%s committed by %s under term %d at %s, when the token was %s's under term %d",
			path, owner, term, clock(at), near.Holder, near.Term)
	})
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05.000") }
