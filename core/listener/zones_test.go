package listener

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// zoneWorker counts the files it finished; once hold is set it keeps every
// file it starts until its context ends (a member that dies with files in
// hand).
type zoneWorker struct {
	name    string
	hold    atomic.Bool
	started chan string
	done    func(member, path string)
}

func (w *zoneWorker) OnFile(ctx context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	io.Copy(io.Discard, r)
	if w.hold.Load() {
		select {
		case w.started <- f.Path:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}
	time.Sleep(30 * time.Millisecond) // the work a handler does: claims stay in hand a while
	w.done(w.name, f.Path)
	return nil
}

// Issue 26: three shared members whose sessions are in UTC, Asia/Kolkata
// and America/Los_Angeles, files arriving. Read in one zone, a heartbeat
// written in another looks hours old or hours young; the members judge
// each other's claims by the zone-aware rule of taskcompat
// (StaleMembers), so no live member's claims are reclaimed (no file is
// handled twice), and when the Kolkata member dies (Halt: as a crash) with
// files in hand, the others reclaim them within livenessCheckInterval and a
// few seconds, not after the 300 s lease.
func TestSharedModeAcrossSessionZones(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		testSharedAcrossZones(t, d, func(*taskcompat.CoordinationConfig) {})
	})
}

// The same with every coordination timing at its documented default
// (livenessCheckInterval 30 s, heartbeatFrequency 1 s).
func TestSharedModeAcrossSessionZonesWithDefaultTimings(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		testSharedAcrossZones(t, d, func(c *taskcompat.CoordinationConfig) {
			c.LivenessCheckInterval, c.HeartbeatFrequency = 0, 0
		})
	})
}

func testSharedAcrossZones(t *testing.T, d schema.Dialect, edit func(*taskcompat.CoordinationConfig)) {
	cfg, local := pureDir(t)
	stage := local + "-stage"
	require.NoError(t, os.MkdirAll(stage, 0o777))
	t.Cleanup(func() { os.RemoveAll(stage) })
	// A file appears whole, with its final mtime: staged, then renamed in.
	arrive := func(name string) {
		write(t, stage, name, name, time.Hour)
		require.NoError(t, os.Rename(filepath.Join(stage, name), filepath.Join(local, name)))
	}
	cfg.Mode, cfg.Workers, cfg.MaxFilesPerPoll = "shared", 2, 4
	cfg, db := withLedger(t, cfg, d, "utc")
	zone := func(z string) string {
		if d != schema.MySQL {
			return z
		}
		// The MariaDB test server has no time zone tables: offsets.
		return map[string]string{"UTC": "UTC", "Asia/Kolkata": "+05:30", "America/Los_Angeles": "-08:00"}[z]
	}

	var mu sync.Mutex
	finished := map[string][]string{} // path -> the members that finished it
	doneBy := func(member, path string) {
		mu.Lock()
		defer mu.Unlock()
		finished[path] = append(finished[path], member)
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(finished)
	}
	members := map[string]*zoneWorker{}
	listeners := map[string]*Listener{}
	for _, m := range []struct{ id, zone string }{{"utc", "UTC"}, {"kolkata", "Asia/Kolkata"}, {"la", "America/Los_Angeles"}} {
		c := member2(cfg, db, m.id)
		c.Coordination.SessionTimeZone = zone(m.zone)
		edit(c.Coordination)
		c.PollingInterval = 0.05
		w := &zoneWorker{name: m.id, started: make(chan string, 100), done: doneBy}
		members[m.id] = w
		listeners[m.id] = startedListener(t, c, w)
	}
	edit(cfg.Coordination)
	timings := cfg.Coordination.TaskConfig().WithDefaults()
	liveness := time.Duration(timings.LivenessCheckInterval) * time.Second
	limit := taskcompat.StaleAfter(liveness)

	// Files arrive for longer than the stale limit (livenessCheckInterval
	// + 1 s): a member that misread another's live heartbeat as stale would
	// have reclaimed its claims by then.
	// They come in bursts, more than the lister claims for itself, so that
	// every member has claims in hand.
	pace := max(50*time.Millisecond, limit/30) // the pace bursts arrive at
	const burst = 6
	first := 0
	for arrivals := time.Now(); time.Since(arrivals) < limit+time.Second; {
		for range burst {
			arrive(fmt.Sprintf("f%03d", first))
			first++
		}
		time.Sleep(pace)
	}
	waitUntil(t, "every arrived file handled", func() bool { return count() == first })
	mu.Lock()
	before := map[string]int{}
	for _, ms := range finished {
		before[ms[0]]++
	}
	mu.Unlock()
	t.Logf("%s: files handled per member while all live: %v", d, before)

	// The Kolkata member takes files and dies with them in hand; files keep
	// arriving until it has one.
	members["kolkata"].hold.Store(true)
	total := first
	var held string
	for held == "" {
		require.Less(t, total, first+200, "the Kolkata member took none of the new files")
		arrive(fmt.Sprintf("g%03d", total))
		total++
		select {
		case held = <-members["kolkata"].started:
		case <-time.After(50 * time.Millisecond):
		}
	}
	require.NoError(t, listeners["kolkata"].Halt())
	killed := time.Now()
	// livenessCheckInterval + 1 s makes it stale, a check period sees it,
	// the next poll reclaims; the lease would be 300 s.
	bound := limit + 10*time.Second
	for count() < total {
		require.Less(t, time.Since(killed), bound, "reclaim of a dead member's claims: want within livenessCheckInterval + a few seconds, not the lease")
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(killed)
	t.Logf("%s: the Kolkata member's files were handled %v after it died (livenessCheckInterval %v)", d, took.Round(time.Millisecond), liveness)

	mu.Lock()
	defer mu.Unlock()
	by := map[string]int{}
	for p, ms := range finished {
		require.Len(t, ms, 1, "%s handled by %v: a live member's claim was reclaimed", p, ms)
		by[ms[0]]++
	}
	t.Logf("%s: files handled per member %v", d, by)
	require.NotZero(t, by["la"], "the Los Angeles member handled nothing: %v", by)
	require.NotZero(t, by["utc"], "the UTC member handled nothing: %v", by)
}
