package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/schema"
)

// Scenario is one fault, applied to a running group of three members while
// files arrive.
type Scenario struct {
	Name string
	What string // one line for the report
	// Faults runs while the files arrive, after the members started.
	Faults func(ctx context.Context, g *Group, ids []string) error
	// Before runs before the members start (the Ballerina peer).
	Before func(ctx context.Context, g *Group) error
	// NetworkDB: the fault cuts the network to the database, which a
	// database file (SQLite) does not have.
	NetworkDB bool
	// Configure changes the group's options (settings, arrivals).
	Configure func(*Options)
	// ReclaimWithin, when set, bounds how long after a kill the handlers
	// the killed member had at work run again elsewhere (ReclaimMax).
	ReclaimWithin func(liveness time.Duration) time.Duration
	// HeldWithin, when set, bounds how long after a SIGSTOP every claim
	// the paused member held then is committed, given back or reclaimed
	// (HeldMax): a bound from the liveness interval, far below the lease.
	HeldWithin func(liveness time.Duration) time.Duration
	// Servers: the scenario needs a database server (a JVM Ballerina node
	// has no SQLite).
	Servers bool
}

// Applies tells whether s makes sense on dialect d.
func (s Scenario) Applies(d schema.Dialect) bool {
	return !((s.NetworkDB || s.Servers) && d == schema.SQLite)
}

// Dialects the matrix runs on. A database file (SQLite) has no network for
// the relays to cut: the scenarios that cut it do not apply there.
var Dialects = []schema.Dialect{schema.Postgres, schema.MySQL, schema.SQLite}

// Scenarios is the fault matrix.
var Scenarios = []Scenario{
	{Name: "kill-active", What: "SIGKILL of the active member at random points, 6 times, each restarted", Faults: killActive},
	{Name: "pause-active", What: "SIGSTOP of the active member for liveness + 2 s, then SIGCONT, twice", Faults: pauseActive},
	{Name: "db-outage", What: "database unreachable for all members for 2x liveness (blackhole, then refuse)", Faults: dbOutage, NetworkDB: true},
	{Name: "ftp-restart", What: "FTP connections cut and refused for 3 s (a server restart, mid-listing or mid-transfer), 3 times", Faults: ftpRestart},
	{Name: "ballerina-peer", What: "a Ballerina-protocol peer holds the token, stops heartbeating; later joins as a standby", Before: peerHolds, Faults: peerStandby},
	{Name: "kill-default-lease", What: "SIGKILL of the active member mid-file, 3 times, each restarted, processingTimeout at its default (300 s)",
		Faults: killActiveMidFile, Configure: func(o *Options) {
			o.Settings = map[string]any{"processingTimeout": nil}
			o.ArrivalEvery = 50 * time.Millisecond // arrivals outlast the three kills: each needs a handler at work
		},
		ReclaimWithin: func(l time.Duration) time.Duration { return l + 3*time.Second }},
	{Name: "pause-default-lease", What: "SIGSTOP of the active member for liveness + 2 s, twice, processingTimeout at its default: the new active member reclaims its files at once, and once woken it starts and commits none of them",
		Faults: pauseActive, Configure: defaultLease},
	{Name: "pause-shared", What: "shared mode (every member claims and processes), SIGSTOP of the active member while one of its handlers is at work, for liveness + 2 s, then for liveness (past its fence, short of stale), processingTimeout at its default: the others reclaim its claims once its heartbeat is stale, or it gives back, once woken, those it does not commit; none waits for its lease",
		Faults: pauseActiveAtWork, Configure: func(o *Options) {
			defaultLease(o)
			o.Mode = "shared"
			o.ArrivalEvery = 40 * time.Millisecond // arrivals outlast the two pauses: each needs a handler at work
		},
		HeldWithin: pausedClaimsWithin},
	{Name: "grow-in-place", What: "files written in place in 250-byte pieces while the members list them (no guard set: settleTime 0), SIGKILL of the active member twice",
		Faults: killActive2, Configure: func(o *Options) {
			o.GrowInPlace = true
			o.Settings = map[string]any{"settleTime": 0} // the supersession under test, not the guard that prevents it
		}},
	{Name: "jvm-peer-ist", What: "a Ballerina node on the JVM in Asia/Kolkata (UTC+05:30; members on UTC) holds the token, is killed; a second joins as a standby",
		Before: jvmPeerHolds, Faults: jvmPeerStandby, Servers: true},
	{Name: "partition-active", What: "the active member cut from the database (still reaching FTP) for 2x liveness + 1 s, twice", Faults: partitionActive, NetworkDB: true},
}

// pausedClaimsWithin is the bound on a paused member's claims (HeldWithin)
// when a pause lasts up to liveness + 2 s (pauseActiveAtWork): the longest
// pause and one liveness interval more. Its heartbeat turns stale liveness + 1 s after
// the last one it wrote, and the others, even busy with a backlog, look
// for stale members every second; a pause too short for them to notice
// ends with the member giving back, at once, what it does not commit.
func pausedClaimsWithin(l time.Duration) time.Duration { return 2*l + 2*time.Second }

// defaultLease leaves processingTimeout at its default (300 s): a file
// reclaimed only when its lease ends would wait for longer than a run.
func defaultLease(o *Options) { o.Settings = map[string]any{"processingTimeout": nil} }

// ScenarioByName finds a scenario.
func ScenarioByName(name string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

func (g *Group) liveness() time.Duration { return time.Duration(g.Opt.Liveness) * time.Second }

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// activeAfter waits a random while, from least to least+spread, then for
// an active member (within timeout), and returns it with its term: the
// start of each fault.
func (g *Group) activeAfter(ctx context.Context, least, spread, timeout time.Duration) (string, int64, error) {
	if err := sleep(ctx, least+time.Duration(RandN(int(spread.Milliseconds())))*time.Millisecond); err != nil {
		return "", 0, err
	}
	return g.Active(ctx, timeout)
}

func killActive(ctx context.Context, g *Group, ids []string) error {
	return g.killActive(ctx, kills{n: 6, least: 500 * time.Millisecond, spread: 1500 * time.Millisecond})
}

// killActiveMidFile kills the active member 3 times, each while one of its
// handlers is at work, and restarts it once another member took over.
func killActiveMidFile(ctx context.Context, g *Group, ids []string) error {
	return g.killActive(ctx, kills{n: 3, least: 300 * time.Millisecond, spread: 700 * time.Millisecond, atWork: true})
}

// atWork waits until member id has a handler run started and not ended.
func (g *Group) atWork(ctx context.Context, id string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m := g.Member(id)
		if lg, err := ReadLog(g.Log); err == nil && m != nil {
			for _, run := range lg.Runs {
				if run.Pid == m.Pid && run.End.IsZero() {
					return nil
				}
			}
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s had no handler at work for %v", id, timeout)
}

func killActive2(ctx context.Context, g *Group, ids []string) error {
	return g.killActive(ctx, kills{n: 2, least: 500 * time.Millisecond, spread: 1500 * time.Millisecond})
}

// kills is a series of SIGKILLs of the active member: n of them, each a
// random while (least to least+spread) after an active member is known,
// and with atWork only while one of its handlers is at work.
type kills struct {
	n             int
	least, spread time.Duration
	atWork        bool
}

// killActive kills the active member as k says, each time restarted once
// another member took over.
func (g *Group) killActive(ctx context.Context, k kills) error {
	for range k.n {
		id, _, err := g.activeAfter(ctx, k.least, k.spread, 15*time.Second)
		if err != nil {
			return err
		}
		if k.atWork {
			if err := g.atWork(ctx, id, 10*time.Second); err != nil {
				return err
			}
		}
		g.MarkFailover()
		g.Kill(id)
		// Restarted at once, a member with the same id would find itself
		// the holder and carry on (as a Ballerina node does): let another
		// member take over first.
		if _, err := g.activeOtherThan(ctx, id, 15*time.Second); err != nil {
			return err
		}
		if _, err := g.Start(id); err != nil {
			return err
		}
	}
	return nil
}

func pauseActive(ctx context.Context, g *Group, ids []string) error {
	l := g.liveness() + 2*time.Second
	return g.pauseActive(ctx, false, l, l)
}

// pauseActiveAtWork pauses the active member twice, each time while one of
// its handlers is at work, so that it holds claims when it stops: for
// liveness + 2 s (the others see its heartbeat stale and reclaim them),
// then for liveness (past its fence deadline, liveness - heartbeatFrequency,
// so that it commits nothing when it wakes; too short for the others to
// see it stale, so that it must give back what it does not commit).
func pauseActiveAtWork(ctx context.Context, g *Group, ids []string) error {
	return g.pauseActive(ctx, true, g.liveness()+2*time.Second, g.liveness())
}

// pauseActive SIGSTOPs the active member once for each length, each a
// random while after an active member is known, and with atWork only while
// one of its handlers is at work. A pause past the liveness interval is a
// failover: another member takes over.
func (g *Group) pauseActive(ctx context.Context, atWork bool, lengths ...time.Duration) error {
	for _, d := range lengths {
		id, term, err := g.activeAfter(ctx, 500*time.Millisecond, 1500*time.Millisecond, 15*time.Second)
		if err != nil {
			return err
		}
		if atWork {
			if err := g.atWork(ctx, id, 10*time.Second); err != nil {
				return err
			}
		}
		if d > g.liveness() {
			g.MarkFailover()
		}
		g.Pause(id, term, d)
	}
	return nil
}

func dbOutage(ctx context.Context, g *Group, ids []string) error {
	for _, mode := range []tcpproxy.Mode{tcpproxy.Blackhole, tcpproxy.Refuse} {
		if _, _, err := g.activeAfter(ctx, time.Second, 1500*time.Millisecond, 15*time.Second); err != nil {
			return err
		}
		if err := Lasting(ctx, g.CutDB(mode), 2*g.liveness()); err != nil {
			return err
		}
	}
	return nil
}

func ftpRestart(ctx context.Context, g *Group, ids []string) error {
	for range 3 {
		if _, _, err := g.activeAfter(ctx, 1500*time.Millisecond, 2*time.Second, 30*time.Second); err != nil {
			return err
		}
		if err := Lasting(ctx, g.CutFTP(), 3*time.Second); err != nil {
			return err
		}
	}
	return nil
}

func partitionActive(ctx context.Context, g *Group, ids []string) error {
	for range 2 {
		id, _, err := g.activeAfter(ctx, 500*time.Millisecond, 1500*time.Millisecond, 15*time.Second)
		if err != nil {
			return err
		}
		g.MarkFailover()
		// A partition: neither side hears of the cut (Blackhole would close
		// the server's side, which ends the session: that is a crash to the
		// crash signal, not a partition).
		if err := Lasting(ctx, g.CutDB(tcpproxy.Partition, id), 2*g.liveness()+time.Second); err != nil {
			return err
		}
	}
	return nil
}

// Lasting keeps a fault (already applied; restore ends it) for d, or until
// ctx ends, and always ends it.
func Lasting(ctx context.Context, restore func(), d time.Duration) error {
	defer restore()
	return sleep(ctx, d)
}

// activeOtherThan waits for a member other than id to be active.
func (g *Group) activeOtherThan(ctx context.Context, id string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		a, _, err := g.Active(ctx, time.Until(deadline))
		if err != nil {
			return "", err
		}
		if a != id {
			return a, nil
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return "", err
		}
	}
}

const peerID = "ballerina-node"

// peerHolds starts a Ballerina peer before our members: it takes the token.
func peerHolds(ctx context.Context, g *Group) error {
	return g.holdsFirst(ctx, "the Ballerina peer", func() (func(), error) { return g.StartPeer(ctx, peerID) })
}

// holdsFirst starts a peer (what) before our members and checks that it
// took the token.
func (g *Group) holdsFirst(ctx context.Context, what string, start func() (halt func(), err error)) error {
	halt, err := start()
	if err != nil {
		return err
	}
	g.peerHalt = halt
	if h, _ := g.Holder(ctx); h != peerID {
		return fmt.Errorf("%s did not take the token (holder %q)", what, h)
	}
	return nil
}

// peerStandby lets the peer hold the token for 3 s while ours stand by
// (nothing may be claimed meanwhile), halts it, and after our takeover
// starts a second Ballerina node that must stay a standby while ours
// heartbeat; then halts it too.
func peerStandby(ctx context.Context, g *Group, ids []string) error {
	if err := sleep(ctx, 3*time.Second); err != nil {
		return err
	}
	if h, _ := g.Holder(ctx); h != peerID {
		return fmt.Errorf("the Ballerina peer lost the token while heartbeating (holder %q)", h)
	}
	var claimed int
	g.SQL.QueryRowContext(ctx, qq(g, `SELECT count(*) FROM ftpcoord_file WHERE group_id = ? AND tries > 0`), g.Name).Scan(&claimed)
	if claimed > 0 {
		return fmt.Errorf("%d files were claimed while the Ballerina peer held the token", claimed)
	}
	g.MarkFailover()
	g.peerHalt()
	if _, _, err := g.Active(ctx, 15*time.Second); err != nil {
		return err
	}
	halt, err := g.StartPeer(ctx, peerID+"-2")
	if err != nil {
		return err
	}
	defer halt()
	if err := sleep(ctx, 3*g.liveness()); err != nil {
		return err
	}
	if h, _ := g.Holder(ctx); h == peerID+"-2" {
		return fmt.Errorf("the second Ballerina node took the token from a heartbeating member")
	}
	return nil
}

// The JVM peers' zone: east of the members' UTC sessions, so that on
// PostgreSQL a member that holds the token must write its heartbeat in the
// JVMs' zone for them to read it as fresh.
const jvmZone = "Asia/Kolkata"

func jvmPeerHolds(ctx context.Context, g *Group) error {
	return g.holdsFirst(ctx, "the JVM node", func() (func(), error) { return g.StartJVMPeer(ctx, peerID, jvmZone) })
}

// jvmPeerStandby is peerStandby with JVM nodes: no member takes the token
// from the heartbeating JVM node; after it is killed one takes over, and a
// second JVM node in the same zone stays a standby while ours heartbeat.
func jvmPeerStandby(ctx context.Context, g *Group, ids []string) error {
	if err := sleep(ctx, 3*g.liveness()); err != nil {
		return err
	}
	if h, _ := g.Holder(ctx); h != peerID {
		return fmt.Errorf("the JVM node (%s) lost the token while heartbeating (holder %q)", jvmZone, h)
	}
	g.MarkFailover()
	g.peerHalt()
	if _, _, err := g.Active(ctx, 15*time.Second); err != nil {
		return err
	}
	halt, err := g.StartJVMPeer(ctx, peerID+"-2", jvmZone)
	if err != nil {
		return err
	}
	defer halt()
	if err := sleep(ctx, 3*g.liveness()); err != nil {
		return err
	}
	if h, _ := g.Holder(ctx); h == peerID+"-2" {
		return fmt.Errorf("the second JVM node (%s) took the token from a heartbeating member", jvmZone)
	}
	return nil
}

// Plan sizes one scenario run.
type Plan struct {
	Files, Arrivals int
	ArrivalEvery    time.Duration
	Settle          time.Duration // how long the files may take after the faults
}

// RunScenario runs one scenario on one dialect with three members and
// returns the verified result.
func RunScenario(ctx context.Context, bin string, env Env, d schema.Dialect, s Scenario, p Plan) Result {
	start := time.Now()
	opt := Options{Bin: bin, Env: env, Dialect: d, Files: p.Files, Arrivals: p.Arrivals,
		ArrivalEvery: p.ArrivalEvery, Work: 10 * time.Millisecond}
	if s.Configure != nil {
		s.Configure(&opt)
	}
	g, err := New(ctx, opt)
	if err != nil {
		r := Result{Scenario: s.Name, Dialect: string(d)}
		r.violate("set up: %v", err)
		return r
	}
	defer g.Close()
	fail := func(format string, args ...any) Result {
		r := g.Verify(ctx, s.Name)
		r.Violations = append([]string{fmt.Sprintf(format, args...)}, r.Violations...)
		r.Elapsed = time.Since(start)
		return r
	}
	if s.Before != nil {
		if err := s.Before(ctx, g); err != nil {
			return fail("before the members: %v", err)
		}
	}
	ids := []string{"m0", "m1", "m2"}
	for _, id := range ids {
		if _, err := g.Start(id); err != nil {
			return fail("%v", err)
		}
	}
	g.Arrive()
	if err := s.Faults(ctx, g, ids); err != nil {
		return fail("fault: %v", err)
	}
	if err := g.WaitSettled(ctx, p.Settle); err != nil {
		return fail("not settled: %v", err)
	}
	r := g.Verify(ctx, s.Name)
	if s.ReclaimWithin != nil {
		if bound := s.ReclaimWithin(g.liveness()); r.ReclaimMax > bound {
			r.violate("a file the killed member had at work ran again only %v after the kill (bound %v)", r.ReclaimMax.Round(time.Millisecond), bound)
		}
	}
	if s.HeldWithin != nil {
		if bound := s.HeldWithin(g.liveness()); r.HeldMax > bound {
			r.violate("a claim the paused member held was settled only %v after its SIGSTOP (bound %v)", r.HeldMax.Round(time.Millisecond), bound)
		}
		if r.HeldClaims == 0 {
			r.violate("the paused members held no claims when they stopped: the scenario tested nothing")
		}
	}
	r.Elapsed = time.Since(start)
	return r
}
