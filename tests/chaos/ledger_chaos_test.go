// Package chaos runs groups of member processes (tests/member) against the
// real test servers, kills and pauses them, and proves from the ledger and
// the handlers' own log that no file was lost or completed twice.
package chaos

import (
	"bufio"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

const liveness = 2 // seconds

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make services` (tests/services/start.sh) and export what it prints, or `make test`", name)
	}
	return v
}

func randN(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

// member is one running member process.
type member struct {
	id     string
	cmd    *exec.Cmd
	exited chan struct{} // closed by the waiter of a member started by startAimed
}

// group starts and kills member processes of one coordination group.
type group struct {
	t       *testing.T
	bin     string
	dir     string
	log     string
	members map[string]*member
	killed  map[int]bool // pids that died by SIGKILL
	paused  map[int]bool // pids that were SIGSTOPped past the liveness interval
}

func (g *group) start(id string, cfg map[string]any, args ...string) *member {
	g.t.Helper()
	c := deepCopy(cfg)
	c["coordination"].(map[string]any)["memberId"] = id
	b, _ := json.Marshal(c)
	path := filepath.Join(g.dir, id+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		g.t.Fatal(err)
	}
	// Each handler run takes 40 ms, so that the kills land mid-file.
	cmd := exec.Command(g.bin, append([]string{"-config", path, "-log", g.log, "-work", "40ms"}, args...)...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "started" {
		cmd.Process.Kill()
		g.t.Fatalf("member %s did not start: %q %v", id, line, err)
	}
	m := &member{id: id, cmd: cmd}
	g.members[id] = m
	return m
}

func (g *group) kill(id string) {
	m := g.members[id]
	m.cmd.Process.Signal(syscall.SIGKILL)
	m.cmd.Wait()
	g.killed[m.cmd.Process.Pid] = true
}

func (g *group) stopAll() {
	for _, m := range g.members {
		m.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, m := range g.members {
		if m.exited != nil {
			<-m.exited
		} else {
			m.cmd.Wait()
		}
	}
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// Three member processes process 1,000 files while members are killed with
// SIGKILL at random points 24 times and the active member is paused past
// the liveness interval once. Afterwards every file is DONE, and a handler
// ran twice for a file only where an earlier run's process died (or was
// paused and lost its claim) before the commit.
func TestKillsAndPausesLoseNothing(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "member")
	build := exec.Command("go", "build", "-o", bin, "github.com/ftpcoord/ftpcoord/tests/member")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build tests/member: %v", err)
	}
	// One dialect after the other: all at once would divide the CPU each
	// group gets and blur what the test shows. On SQLite the three
	// processes share one database file.
	for _, d := range schema.Dialects {
		t.Run(string(d), func(t *testing.T) { killsAndPauses(t, d, "warm-backup", bin) })
	}
	// Shared mode: every member claims and processes; the claim token
	// fences the work instead of the term.
	t.Run("shared", func(t *testing.T) { killsAndPauses(t, schema.Postgres, "shared", bin) })
	// Shared mode on one SQLite file: three processes claim from it at once.
	t.Run("shared-sqlite", func(t *testing.T) { killsAndPauses(t, schema.SQLite, "shared", bin) })
}

func killsAndPauses(t *testing.T, d schema.Dialect, mode string, bin string) {
	const files = 1000
	g, sqlDB, cfg := newScenario(t, d, mode, bin, files)
	ids := []string{"m0", "m1", "m2"}
	for _, id := range ids {
		g.start(id, cfg)
	}
	t.Cleanup(g.stopAll)

	holder := func() string {
		var h string
		sqlDB.QueryRow(`SELECT task_id FROM token_holder WHERE group_id = 'chaos'`).Scan(&h)
		return h
	}
	kills, pauses := 0, 0
	for round := 0; kills < 24 || pauses == 0; round++ {
		time.Sleep(time.Duration(150+randN(400)) * time.Millisecond) // let it work a random while
		victim := ids[randN(len(ids))]
		if round%3 == 0 {
			if h := holder(); g.members[h] != nil {
				victim = h // the active member, most of the time mid-file
			}
		}
		if round >= 7 && pauses == 0 {
			// Pause the active member past the liveness interval: a
			// standby takes over; when it wakes it must not complete what
			// it held.
			h := holder()
			if m := g.members[h]; m != nil {
				m.cmd.Process.Signal(syscall.SIGSTOP)
				g.paused[m.cmd.Process.Pid] = true
				time.Sleep((liveness + 2) * time.Second)
				m.cmd.Process.Signal(syscall.SIGCONT)
				pauses++
				continue
			}
		}
		g.kill(victim)
		kills++
		g.start(victim, cfg)
	}
	finish(t, g, sqlDB, files, kills)
}

// Kills aimed where files are lost or done twice: each member process
// kills itself with SIGKILL when its Nth file (N random, 1 to 3) reaches a
// point (half the content read; content read, work not done; work done and
// logged, commit not made), and is restarted aimed at the point with the
// fewest deaths so far, until each point has at least 8. Afterwards every
// file is DONE, and every run that finished without being committed
// belongs to a process that died.
func TestAimedKillsLoseNothing(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "member")
	build := exec.Command("go", "build", "-o", bin, "github.com/ftpcoord/ftpcoord/tests/member")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build tests/member: %v", err)
	}
	for _, d := range schema.Dialects {
		t.Run(string(d), func(t *testing.T) { aimedKills(t, d, bin) })
	}
}

func aimedKills(t *testing.T, d schema.Dialect, bin string) {
	const files, perPoint = 1500, 8
	points := []string{"mid-download", "mid-handler", "after-handler"}
	g, sqlDB, cfg := newScenario(t, d, "warm-backup", bin, files)
	type death struct {
		id, point string
		pid       int
		status    syscall.WaitStatus
	}
	deaths := make(chan death, 64) // read by this goroutine only
	perPointDeaths := map[string]int{}
	quotaMet := func() bool {
		for _, p := range points {
			if perPointDeaths[p] < perPoint {
				return false
			}
		}
		return true
	}
	startAimed := func(id string) {
		var args []string
		point := ""
		if !quotaMet() {
			point = points[0]
			for _, p := range points[1:] {
				if perPointDeaths[p] < perPointDeaths[point] {
					point = p
				}
			}
			args = []string{"-die-at", point, "-die-after", strconv.Itoa(1 + randN(3))}
		}
		m := g.start(id, cfg, args...)
		m.exited = make(chan struct{})
		go func() {
			m.cmd.Wait()
			st, _ := m.cmd.ProcessState.Sys().(syscall.WaitStatus)
			if point != "" && st.Signaled() {
				deaths <- death{id: id, point: point, pid: m.cmd.Process.Pid, status: st}
			}
			close(m.exited)
		}()
	}
	record := func(d death) {
		if d.status.Signal() != syscall.SIGKILL {
			t.Fatalf("member %s (aimed at %s) ended with %v, not by its SIGKILL", d.id, d.point, d.status)
		}
		g.killed[d.pid] = true
		perPointDeaths[d.point]++
	}
	for _, id := range []string{"m0", "m1", "m2"} {
		startAimed(id)
	}
	t.Cleanup(g.stopAll)
	timeout := time.After(4 * time.Minute)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case d := <-deaths:
			record(d)
			startAimed(d.id)
			continue
		case <-timeout:
			t.Fatalf("not done in 4 minutes; aimed deaths %v", perPointDeaths)
		case <-tick.C:
		}
		var left int
		sqlDB.QueryRow(`SELECT count(*) FROM ftpcoord_file WHERE group_id = 'chaos' AND status <> 'DONE'`).Scan(&left)
		if left > 0 {
			continue
		}
		if !quotaMet() {
			t.Fatalf("all files were done after only the aimed deaths %v: add files", perPointDeaths)
		}
		break
	}
	g.stopAll()
	for len(deaths) > 0 { // died before it could be stopped
		record(<-deaths)
	}
	finish(t, g, sqlDB, files, len(g.killed))
	// The handlers' log shows each aimed death at its point.
	logged := map[string]int{}
	b, _ := os.ReadFile(g.log)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 5 && f[1] == "die" {
			logged[f[4]]++
		}
	}
	for _, p := range points {
		if logged[p] != perPointDeaths[p] {
			t.Fatalf("the handler log shows deaths %v, the processes' exits %v", logged, perPointDeaths)
		}
	}
	t.Logf("aimed deaths: %v", perPointDeaths)
}

// finish waits until every file is DONE, stops the group and proves from
// the ledger and the handlers' log that nothing was lost or done twice.
func finish(t *testing.T, g *group, sqlDB *sql.DB, files, kills int) {
	t.Helper()
	done := func() int {
		var n int
		sqlDB.QueryRow(`SELECT count(*) FROM ftpcoord_file WHERE group_id = 'chaos' AND status = 'DONE'`).Scan(&n)
		return n
	}
	deadline := time.Now().Add(3 * time.Minute)
	for done() < files && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	g.stopAll()
	if n := done(); n != files {
		var states []string
		rows, _ := sqlDB.Query(`SELECT status, count(*) FROM ftpcoord_file WHERE group_id = 'chaos' GROUP BY status`)
		for rows.Next() {
			var s string
			var k int
			rows.Scan(&s, &k)
			states = append(states, fmt.Sprintf("%s=%d", s, k))
		}
		t.Fatalf("%d of %d files DONE after %d kills (%v)", n, files, kills, states)
	}
	verifyLog(t, g, sqlDB, files)
}

// newScenario makes a database, a directory of files on pure-ftpd and the
// configuration of a group of member processes over them.
func newScenario(t *testing.T, d schema.Dialect, mode, bin string, files int) (*group, *sql.DB, map[string]any) {
	work := t.TempDir()
	db := testdb.NewWithSchema(t, d)
	sqlDB := testdb.Open(t, db, "UTC")

	root := env(t, "FTPCOORD_TEST_PUREFTPD_ROOT")
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), ":")
	p, _ := strconv.Atoi(port)
	dirName := fmt.Sprintf("chaos-%d", time.Now().UnixNano())
	local := filepath.Join(root, dirName)
	os.Mkdir(local, 0o777)
	os.Chmod(local, 0o777)
	t.Cleanup(func() { os.RemoveAll(local) })
	old := time.Now().Add(-time.Hour)
	for i := range files {
		f := filepath.Join(local, fmt.Sprintf("file-%04d.dat", i))
		os.WriteFile(f, []byte(strings.Repeat(fmt.Sprintf("%04d", i), 256+i)), 0o644)
		os.Chtimes(f, old, old)
	}

	cfg := map[string]any{
		"protocol": "FTP", "host": host, "port": p, "path": "/" + dirName, "pollingInterval": 0.2,
		"auth": map[string]any{"credentials": map[string]any{
			"username": env(t, "FTPCOORD_TEST_PUREFTPD_USER"), "password": env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD")}},
		"coordination": map[string]any{"databaseConfig": db, "coordinationGroup": "chaos",
			"livenessCheckInterval": liveness, "heartbeatFrequency": 0.25},
		"maxFilesPerPoll": 25, "workers": 4, "processingTimeout": 2, "retryTimeout": 0.2, "maxTries": 50, "mode": mode,
	}
	g := &group{t: t, bin: bin, dir: work, log: filepath.Join(work, "handler.log"),
		members: map[string]*member{}, killed: map[int]bool{}, paused: map[int]bool{}}
	return g, sqlDB, cfg
}

// verifyLog proves from the handlers' own log that every DONE version's
// committed run finished its handler, and that any other finished run of
// the same version belongs to a process that was killed, or paused until
// its claim was lost, before it could commit.
func verifyLog(t *testing.T, g *group, db *sql.DB, files int) {
	t.Helper()
	committed := map[string]int{} // version key -> the attempt that committed
	rows, err := db.Query(`SELECT version_key, tries FROM ftpcoord_file WHERE group_id = 'chaos' AND status = 'DONE'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var tries int
		rows.Scan(&k, &tries)
		committed[k] = tries
	}
	rows.Close()
	if len(committed) != files {
		t.Fatalf("%d DONE versions, want %d", len(committed), files)
	}
	f, err := os.Open(g.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	finished := map[string][]struct{ pid, attempt int }{}
	starts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || (fields[1] != "start" && fields[1] != "end") {
			continue
		}
		pid, _ := strconv.Atoi(fields[0])
		attempt, _ := strconv.Atoi(fields[3])
		key := fields[2]
		if fields[1] == "start" {
			starts[key]++
		} else {
			finished[key] = append(finished[key], struct{ pid, attempt int }{pid, attempt})
		}
	}
	reruns, afterDeath := 0, 0
	for key, want := range committed {
		ok := false
		for _, r := range finished[key] {
			switch {
			case r.attempt == want:
				ok = true
			case g.killed[r.pid] || g.paused[r.pid]:
				afterDeath++ // finished, then died (or lost its claim) before the commit
			default:
				t.Errorf("version %s: run %d by live process %d finished, yet attempt %d committed: completed twice",
					key, r.attempt, r.pid, want)
			}
		}
		if !ok {
			t.Errorf("version %s: DONE under attempt %d, but no run of that attempt finished its handler", key, want)
		}
		if starts[key] > 1 {
			reruns++
		}
	}
	t.Logf("%d files DONE after %d kills and %d pauses; %d files' handlers ran more than once, %d finished runs were lost to a death before commit",
		files, len(g.killed), len(g.paused), reruns, afterDeath)
}
