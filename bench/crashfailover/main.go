// Command crashfailover measures failover after the active member's process
// is killed with SIGKILL, at the default settings (livenessCheckInterval 30,
// heartbeatFrequency 1), with real member processes: the crash signal
// (a session lock that ends with the process) against the heartbeat rule,
// measured in the same run by pausing the holder (SIGSTOP) until someone
// takes over, which only the heartbeat rule can do.
//
//	go run ./bench/crashfailover -out bench/crashfailover.md
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// childEnv holds the database configuration (JSON) in a member process.
const childEnv = "FTPCOORD_CRASHBENCH_MEMBER"

func main() {
	if v := os.Getenv(childEnv); v != "" {
		if err := member(v, os.Getenv(childEnv+"_ID")); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		return
	}
	out := flag.String("out", "", "write the Markdown report here (default: stdout only)")
	kills := flag.Int("kills", 20, "SIGKILLs per dialect")
	pauses := flag.Int("pauses", 2, "SIGSTOPs per dialect (each lasts about livenessCheckInterval)")
	members := flag.Int("members", 3, "member processes")
	dialects := flag.String("dialects", "postgresql,mysql,sqlite", "dialects to measure")
	flag.Parse()
	var rs []result
	for _, name := range strings.Split(*dialects, ",") {
		d, err := schema.ParseDialect(name)
		if err != nil {
			benchenv.Fatal(err)
		}
		r, err := measure(d, *members, *kills, *pauses)
		if err != nil {
			benchenv.Fatal(fmt.Errorf("%s: %w", d, err))
		}
		rs = append(rs, r)
	}
	report := render(*members, rs)
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

// member is one member process at the defaults: it prints "active TERM
// UNIXNANO" whenever it becomes active.
func member(cfgJSON, id string) error {
	var db taskcompat.DatabaseConfig
	if err := json.Unmarshal([]byte(cfgJSON), &db); err != nil {
		return err
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	c, err := taskcompat.New(ctx, taskcompat.Config{Database: db, TaskID: id, GroupID: "crashbench"},
		taskcompat.WithCallbacks(taskcompat.Callbacks{OnBecameActive: func(e taskcompat.Event) {
			fmt.Printf("active %d %d\n", e.Term, e.At.UnixNano())
		}}))
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	fmt.Println("ready")
	select {}
}

type proc struct {
	id    string
	cmd   *exec.Cmd
	lines chan string
}

type activation struct {
	p    *proc
	term int64
	at   time.Time
}

type result struct {
	dialect       schema.Dialect
	server        string
	kills, pauses []time.Duration
}

func measure(d schema.Dialect, n, kills, pauses int) (result, error) {
	ctx := context.Background()
	r := result{dialect: d}
	cfg, db, done, err := testdb.Bench(ctx, d)
	if err != nil {
		return r, err
	}
	defer done()
	r.server = benchenv.ServerVersion(db, d)
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return r, err
	}
	self, err := os.Executable()
	if err != nil {
		return r, err
	}
	active := make(chan activation, 64)
	var procs []*proc
	next := 0
	start := func() (*proc, error) {
		p := &proc{id: fmt.Sprintf("m%d", next), lines: make(chan string, 16)}
		next++
		p.cmd = exec.Command(self)
		p.cmd.Env = append(os.Environ(), childEnv+"="+string(cfgJSON), childEnv+"_ID="+p.id)
		p.cmd.Stderr = os.Stderr
		out, err := p.cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := p.cmd.Start(); err != nil {
			return nil, err
		}
		ready := make(chan error, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				switch {
				case len(f) == 1 && f[0] == "ready":
					ready <- nil
				case len(f) == 3 && f[0] == "active":
					term, _ := strconv.ParseInt(f[1], 10, 64)
					ns, _ := strconv.ParseInt(f[2], 10, 64)
					active <- activation{p: p, term: term, at: time.Unix(0, ns)}
				default:
					ready <- fmt.Errorf("member %s: %s", p.id, sc.Text())
				}
			}
		}()
		select {
		case err := <-ready:
			if err != nil {
				return nil, err
			}
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("member %s did not start", p.id)
		}
		procs = append(procs, p)
		return p, nil
	}
	defer func() {
		for _, p := range procs {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	}()
	for range n {
		if _, err := start(); err != nil {
			return r, err
		}
	}
	var holder activation
	select {
	case holder = <-active:
	case <-time.After(10 * time.Second):
		return r, fmt.Errorf("nobody became active")
	}
	// successor waits for another member to become active after t0.
	successor := func(t0 time.Time, victim activation, limit time.Duration) (activation, error) {
		for {
			select {
			case a := <-active:
				if a.p != victim.p && a.term > victim.term {
					return a, nil
				}
			case <-time.After(limit):
				return activation{}, fmt.Errorf("no successor within %v of the crash of %s (term %d)", limit, victim.p.id, victim.term)
			}
		}
	}
	replace := func(victim *proc) error {
		victim.cmd.Process.Kill()
		victim.cmd.Wait()
		procs = slices.DeleteFunc(procs, func(p *proc) bool { return p == victim })
		_, err := start()
		return err
	}
	for i := range kills + pauses {
		// Let the standbys begin their waits on the new holder (each starts
		// at its next check, within heartbeatFrequency), then crash it at a
		// random phase of its heartbeat.
		time.Sleep(2*time.Second + rand.N(time.Second))
		t0 := time.Now()
		if i < kills {
			holder.p.cmd.Process.Signal(syscall.SIGKILL)
			a, err := successor(t0, holder, 60*time.Second)
			if err != nil {
				return r, err
			}
			r.kills = append(r.kills, a.at.Sub(t0))
			if err := replace(holder.p); err != nil {
				return r, err
			}
			holder = a
			continue
		}
		holder.p.cmd.Process.Signal(syscall.SIGSTOP)
		a, err := successor(t0, holder, 90*time.Second)
		if err != nil {
			return r, err
		}
		r.pauses = append(r.pauses, a.at.Sub(t0))
		if err := replace(holder.p); err != nil {
			return r, err
		}
		holder = a
	}
	return r, nil
}

func stats(ds []time.Duration) (median, worst, best time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1], s[0]
}

func ms(ds []time.Duration) string {
	var p []string
	for _, d := range ds {
		p = append(p, strconv.FormatInt(d.Milliseconds(), 10))
	}
	return strings.Join(p, ", ")
}

func render(n int, rs []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Crash failover at the default settings\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/crashfailover -out bench/crashfailover.md`  \n")
	fmt.Fprintf(&b, "Date: %s  \n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Machine: %s %s, %d CPUs, %s  \n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "Settings: the defaults (livenessCheckInterval 30, heartbeatFrequency 1), %d member processes.\n\n", n)
	b.WriteString("SIGKILL: the active member's process is killed at a random phase of its heartbeat; the delay runs to another member\n" +
		"process becoming active (both times on this host's clock). Its database session ends with it, and the standby waiting on\n" +
		"its session lock takes over (the crash signal). SIGSTOP: the holder is paused until another member takes over, which only\n" +
		"the heartbeat rule does (a paused process keeps its session): Ballerina's rule, measured in the same run. Target for SIGKILL:\n" +
		"median under 1 s, worst at most 2 s.\n\n")
	b.WriteString("| dialect | server | SIGKILLs | median | worst | best | SIGSTOPs (heartbeat rule) | median | worst |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		km, kw, kb := stats(r.kills)
		pm, pw, _ := stats(r.pauses)
		fmt.Fprintf(&b, "| %s | %s | %d | %v | %v | %v | %d | %v | %v |\n", r.dialect, serverName(r.server),
			len(r.kills), km.Round(time.Millisecond), kw.Round(time.Millisecond), kb.Round(time.Millisecond), len(r.pauses), pm.Round(time.Millisecond), pw.Round(time.Millisecond))
	}
	b.WriteString("\nEvery failover, in order (ms):\n\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "- %s: SIGKILL %s; SIGSTOP %s\n", r.dialect, ms(r.kills), ms(r.pauses))
	}
	return b.String()
}

// serverName is the first two words of a version string ("PostgreSQL 15.18").
func serverName(s string) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(2, len(f))], " ")
}
