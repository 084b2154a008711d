// Package chaos runs groups of member processes (tests/member) against the
// real test servers, kills and pauses them, and proves from the ledger and
// the handlers' own log that no file was lost or completed twice. The
// harness it shares with the fault matrix (tests/chaos/matrix) and the soak
// (tests/soak) is tests/chaos/harness.
package chaos

import (
	"context"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	binDir    string
	memberBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// setup builds tests/member once per test binary and reads the servers'
// settings.
func setup(t *testing.T) (string, harness.Env) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ftpcoord-chaos-bin-")
		if buildErr != nil {
			return
		}
		memberBin, buildErr = harness.BuildMember(binDir)
	})
	require.NoError(t, buildErr)
	env, err := harness.EnvFromOS()
	require.NoError(t, err)
	return memberBin, env
}

func newGroup(t *testing.T, opt harness.Options) *harness.Group {
	t.Helper()
	g, err := harness.New(context.Background(), opt)
	require.NoError(t, err)
	t.Cleanup(g.Close)
	return g
}

func start(t *testing.T, g *harness.Group, id string, args ...string) *harness.Member {
	t.Helper()
	m, err := g.Start(id, args...)
	require.NoError(t, err)
	return m
}

// verify waits until every file is DONE or REJECTED and fails the test on
// any violation of the invariants (harness.Group.Verify).
func verify(t *testing.T, g *harness.Group, name string) harness.Result {
	t.Helper()
	assert.NoError(t, g.WaitSettled(context.Background(), 3*time.Minute), "after %d kills and %d pauses", g.Killed(), g.Paused())
	r := g.Verify(context.Background(), name)
	for _, v := range r.Violations {
		t.Error(v)
	}
	t.Logf("%d files: %d DONE, %d REJECTED after %d kills and %d pauses; %d files' handlers ran more than once, "+
		"%d finished runs were lost to a death or fault before the commit",
		r.Files, r.Done, r.Rejected, r.Kills, r.Pauses, r.Reruns, r.ExplainedReruns)
	return r
}

// Three member processes process 1,000 files while members are killed with
// SIGKILL at random points 24 times and the active member is paused past
// the liveness interval once. Afterwards every file is DONE, and a handler
// ran twice for a file only where an earlier run's process died (or was
// paused and lost its claim) before the commit.
func TestKillsAndPausesLoseNothing(t *testing.T) {
	bin, env := setup(t)
	// One dialect after the other: all at once would divide the CPU each
	// group gets and blur what the test shows. On SQLite the three
	// processes share one database file.
	for _, d := range schema.Dialects {
		t.Run(string(d), func(t *testing.T) { killsAndPauses(t, bin, env, d, "warm-backup") })
	}
	// Shared mode: every member claims and processes; the claim token
	// fences the work instead of the term.
	t.Run("shared", func(t *testing.T) { killsAndPauses(t, bin, env, schema.Postgres, "shared") })
	// Shared mode on one SQLite file: three processes claim from it at once.
	t.Run("shared-sqlite", func(t *testing.T) { killsAndPauses(t, bin, env, schema.SQLite, "shared") })
}

func killsAndPauses(t *testing.T, bin string, env harness.Env, d schema.Dialect, mode string) {
	ctx := context.Background()
	g := newGroup(t, harness.Options{Bin: bin, Env: env, Dialect: d, Mode: mode, Files: 1000})
	ids := []string{"m0", "m1", "m2"}
	for _, id := range ids {
		start(t, g, id)
	}
	kills, pauses := 0, 0
	for round := 0; kills < 24 || pauses == 0; round++ {
		time.Sleep(time.Duration(150+harness.RandN(400)) * time.Millisecond) // let it work a random while
		victim := ids[harness.RandN(len(ids))]
		if round%3 == 0 {
			if h, _ := g.Holder(ctx); g.Member(h) != nil {
				victim = h // the active member, most of the time mid-file
			}
		}
		if round >= 7 && pauses == 0 {
			// Pause the active member past the liveness interval: a
			// standby takes over; when it wakes it must not complete what
			// it held.
			if h, term := g.Holder(ctx); g.Member(h) != nil {
				g.Pause(h, term, time.Duration(g.Opt.Liveness+2)*time.Second)
				pauses++
				continue
			}
		}
		g.Kill(victim)
		kills++
		start(t, g, victim)
	}
	verify(t, g, "kills-and-pauses")
}

// Kills aimed where files are lost or done twice: each member process
// kills itself with SIGKILL when its Nth file (N random, 1 to 3) reaches a
// point (half the content read; content read, work not done; work done and
// logged, commit not made), and is restarted aimed at the point with the
// fewest deaths so far, until each point has at least 8. Afterwards every
// file is DONE, and every run that finished without being committed
// belongs to a process that died.
func TestAimedKillsLoseNothing(t *testing.T) {
	bin, env := setup(t)
	for _, d := range schema.Dialects {
		t.Run(string(d), func(t *testing.T) { aimedKills(t, bin, env, d) })
	}
}

func aimedKills(t *testing.T, bin string, env harness.Env, d schema.Dialect) {
	const files, perPoint = 1500, 8
	points := []string{"mid-download", "mid-handler", "after-handler"}
	g := newGroup(t, harness.Options{Bin: bin, Env: env, Dialect: d, Files: files})
	deaths := make(chan *harness.Member, 64) // read by this goroutine only
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
		if !quotaMet() {
			point := points[0]
			for _, p := range points[1:] {
				if perPointDeaths[p] < perPointDeaths[point] {
					point = p
				}
			}
			args = []string{"-die-at", point, "-die-after", strconv.Itoa(1 + harness.RandN(3))}
		}
		m := start(t, g, id, args...)
		go func() {
			<-m.Exited()
			if m.DieAt != "" && m.Status().Signaled() {
				deaths <- m
			}
		}()
	}
	record := func(m *harness.Member) {
		require.Equal(t, syscall.SIGKILL, m.Status().Signal(), "member %s (aimed at %s) ended with %v, not by its SIGKILL", m.ID, m.DieAt, m.Status())
		perPointDeaths[m.DieAt]++
	}
	for _, id := range []string{"m0", "m1", "m2"} {
		startAimed(id)
	}
	timeout := time.After(4 * time.Minute)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m := <-deaths:
			record(m)
			startAimed(m.ID)
			continue
		case <-timeout:
			t.Fatalf("not done in 4 minutes; aimed deaths %v", perPointDeaths)
		case <-tick.C:
		}
		c, err := g.Counts(context.Background())
		if err != nil || c["DONE"] < files {
			continue
		}
		require.True(t, quotaMet(), "all files were done after only the aimed deaths %v: add files", perPointDeaths)
		break
	}
	g.StopAll()
	for len(deaths) > 0 { // died before it could be stopped
		record(<-deaths)
	}
	verify(t, g, "aimed-kills")
	// The handlers' log shows each aimed death at its point.
	lg, err := harness.ReadLog(g.Log)
	require.NoError(t, err)
	for _, p := range points {
		require.Equal(t, perPointDeaths[p], lg.Deaths[p], "the handler log shows deaths %v, the processes' exits %v", lg.Deaths, perPointDeaths)
	}
	t.Logf("aimed deaths: %v", perPointDeaths)
}
