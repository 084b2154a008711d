package harness

// Scenarios of the crash signal (docs/coordination.md#the-crash-signal), all
// at the default settings (livenessCheckInterval 30, heartbeatFrequency 1,
// processingTimeout 300): a process that dies is replaced, and its files
// run again, within 2 s; what is ambiguous (a short pause, a database
// restart) moves nothing.

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
)

// crashBound is the bound on a SIGKILL at the defaults: another
// member active, and the dead member's files at work again, within 2 s.
const crashBound = 2 * time.Second

func init() {
	Scenarios = append(Scenarios,
		Scenario{Name: "crash-default", What: "defaults (livenessCheckInterval 30, heartbeatFrequency 1, processingTimeout 300): SIGKILL of the active member mid-file, 3 times, each restarted; its files run again within 2 s",
			Faults: killActiveMidFile, Configure: atDefaults, ReclaimWithin: func(time.Duration) time.Duration { return crashBound }},
		Scenario{Name: "crash-shared-default", What: "shared mode at the defaults: SIGKILL of a member mid-file, a standby twice and the active member once, each restarted; every member held claims, and the killed member's run again within 2 s (member locks)",
			Faults: killSharedMidFile, Configure: func(o *Options) {
				atDefaults(o)
				o.Mode = "shared"
				// A backlog every member claims from through the three kills
				// and restarts (the active member takes sparse arrivals
				// alone, in the poll that lists them), in batches no larger
				// than a member's workers: a member claims again as soon as
				// a worker is free, so the reclaimed files (the oldest) wait
				// for no batch claimed ahead of them.
				o.Work = 200 * time.Millisecond
				o.Settings["maxFilesPerPoll"] = 4
			}, ReclaimWithin: func(time.Duration) time.Duration { return crashBound }},
		Scenario{Name: "crash-default-ballerina", What: "defaults, a Ballerina-protocol peer as a standby beside ours: SIGKILL of the active member mid-file, twice; one of ours takes over at once (the peer judges by the heartbeat) and the files run again within 2 s",
			Faults: killBesidePeer, Configure: atDefaults, ReclaimWithin: func(time.Duration) time.Duration { return crashBound }},
		Scenario{Name: "pause-short-default", What: "defaults: SIGSTOP of the active member for 10 s (a third of livenessCheckInterval), twice: its session stays, nobody takes over",
			Faults: pauseShort, Configure: atDefaults},
		Scenario{Name: "db-restart-default", What: "defaults: every database session of every member ended at once and connections refused for 3 s (a database restart), twice: the token goes to nobody new",
			Faults: dbRestart, Configure: atDefaults, NetworkDB: true},
	)
}

// atDefaults leaves every coordination timing and processingTimeout at its
// default.
func atDefaults(o *Options) {
	o.Liveness, o.Heartbeat = 30, 1
	defaultLease(o)
	o.ArrivalEvery = 40 * time.Millisecond // arrivals outlast the faults: each needs a handler at work
}

// killSharedMidFile kills, in shared mode, a member with a handler at work:
// a standby, the active member, a standby. Each is restarted once what it had
// at work ran again elsewhere, so that its restart cannot hide its death.
func killSharedMidFile(ctx context.Context, g *Group, ids []string) error {
	for _, standby := range []bool{true, false, true} {
		active, _, err := g.activeAfter(ctx, 500*time.Millisecond, time.Second, 15*time.Second)
		if err != nil {
			return err
		}
		candidates := []string{active}
		if standby {
			candidates = nil
			for _, other := range ids {
				if other != active {
					candidates = append(candidates, other)
				}
			}
		}
		id, err := g.anyAtWork(ctx, candidates, 10*time.Second)
		if err != nil {
			return err
		}
		pid := g.Member(id).Pid
		if !standby {
			g.MarkFailover()
		}
		g.Kill(id)
		if !standby {
			if _, err := g.activeOtherThan(ctx, id, 15*time.Second); err != nil {
				return err
			}
		}
		if err := g.ranAgain(ctx, pid, 15*time.Second); err != nil {
			return err
		}
		if _, err := g.Start(id); err != nil {
			return err
		}
	}
	return nil
}

// anyAtWork waits until one of ids has a handler run started and not
// ended, and returns it.
func (g *Group) anyAtWork(ctx context.Context, ids []string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if lg, err := ReadLog(g.Log); err == nil {
			for _, id := range ids {
				m := g.Member(id)
				if m == nil {
					continue
				}
				for _, run := range lg.Runs {
					if run.Pid == m.Pid && run.End.IsZero() {
						return id, nil
					}
				}
			}
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("none of %v had a handler at work for %v", ids, timeout)
}

// ranAgain waits until every run that process pid left unfinished started
// again in another process.
func (g *Group) ranAgain(ctx context.Context, pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		lg, err := ReadLog(g.Log)
		if err == nil {
			left := 0
			for _, run := range lg.Runs {
				if run.Pid != pid || !run.End.IsZero() {
					continue
				}
				again := false
				for _, other := range lg.Runs {
					if other.Pid != pid && other.Key == run.Key && other.Start.After(run.Start) {
						again = true
						break
					}
				}
				if !again {
					left++
				}
			}
			if left == 0 {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%d files the killed process %d had at work did not run again within %v", left, pid, timeout)
			}
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

// killBesidePeer starts a Ballerina-protocol peer as a standby, then kills
// our active member mid-file twice: one of ours takes over each time, never
// the peer, which waits for a heartbeat 30 s old.
func killBesidePeer(ctx context.Context, g *Group, ids []string) error {
	if _, _, err := g.Active(ctx, 15*time.Second); err != nil {
		return err
	}
	halt, err := g.StartPeer(ctx, peerID)
	if err != nil {
		return err
	}
	defer halt()
	if err := g.killActive(ctx, kills{n: 2, least: 300 * time.Millisecond, spread: 700 * time.Millisecond, atWork: true}); err != nil {
		return err
	}
	if h, _ := g.Holder(ctx); h == peerID {
		return fmt.Errorf("the Ballerina peer took the token: ours did not take over at once")
	}
	return nil
}

// pauseShort pauses the active member for a third of the liveness interval,
// twice: the holder and its term must be as before, during and after. Not
// a Pause (which stands for a member deposed while it slept): this one
// keeps its term and carries on, and the checks hold it to that, as to a
// member never paused (nothing it completes may run twice).
func pauseShort(ctx context.Context, g *Group, ids []string) error {
	for range 2 {
		id, term, err := g.activeAfter(ctx, 500*time.Millisecond, 1500*time.Millisecond, 15*time.Second)
		if err != nil {
			return err
		}
		m := g.Member(id)
		m.cmd.Process.Signal(syscall.SIGSTOP)
		err = sleep(ctx, g.liveness()/3)
		m.cmd.Process.Signal(syscall.SIGCONT)
		if err != nil {
			return err
		}
		if h, t := g.Holder(ctx); h != id || t != term {
			return fmt.Errorf("the token moved during a %v pause of %s (term %d): now %s, term %d", g.liveness()/3, id, term, h, t)
		}
		// Once the paused member heartbeats and checks again, still nobody new.
		if _, _, err := g.activeAfter(ctx, 2*time.Second, time.Millisecond, 15*time.Second); err != nil {
			return err
		}
		if h, t := g.Holder(ctx); h != id || t != term {
			return fmt.Errorf("the token moved after a %v pause of %s (term %d): now %s, term %d", g.liveness()/3, id, term, h, t)
		}
	}
	return nil
}

// dbRestart ends every member's database sessions at once and refuses
// connections for 3 s, twice, as a restart does: the holder may take the
// token again under a new term, nobody else may.
func dbRestart(ctx context.Context, g *Group, ids []string) error {
	for range 2 {
		id, _, err := g.activeAfter(ctx, time.Second, 1500*time.Millisecond, 15*time.Second)
		if err != nil {
			return err
		}
		if err := Lasting(ctx, g.CutDB(tcpproxy.Refuse), 3*time.Second); err != nil {
			return err
		}
		now, _, err := g.Active(ctx, 20*time.Second)
		if err != nil {
			return err
		}
		if now != id {
			return fmt.Errorf("the token moved from %s to %s across a database restart", id, now)
		}
	}
	return nil
}
