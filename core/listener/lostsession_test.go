package listener

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// stubborn runs one handler per file until released: the one of
// ignoring ignores its context, the others return when it ends. It records
// each context's end and cause.
type stubborn struct {
	*recorder
	ignoring string
	started  chan string
	release  chan struct{}
	mu       sync.Mutex
	causes   map[string]error // a file's context ended, with this cause
	returned map[string]bool
}

func (s *stubborn) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	s.started <- f.Name
	if f.Name != s.ignoring {
		<-ctx.Done()
		s.note(f.Name, context.Cause(ctx), true)
		return ctx.Err()
	}
	go func() { <-ctx.Done(); s.note(f.Name, context.Cause(ctx), false) }()
	<-s.release // ignores ctx
	s.note(f.Name, nil, true)
	return s.recorder.OnFile(ctx, f, r, c)
}

func (s *stubborn) note(name string, cause error, returned bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cause != nil {
		s.causes[name] = cause
	}
	if returned {
		s.returned[name] = true
	}
}

func (s *stubborn) state(name string) (cause error, returned bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.causes[name], s.returned[name]
}

// The active member's lock session ends under it (a DBA's kill, a proxy
// that cut it) while two of its handlers run: a standby waiting on its lock
// takes over at once, and the holder, which cannot take its lock again,
// stops being active at once and cancels its handlers' contexts (cause
// errStandingLost): the one that honours its context returns and its file
// goes back uncounted; the one that ignores it runs on, and while it does
// the new active member processes the same file: that run is the whole
// at-least-once window. Its late result is not committed: each file is
// DONE once, by the new member. At the default settings.
func TestHolderThatLosesItsLockSessionStopsAtOnce(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg.Workers = 2
		cfg, db := withLedger(t, cfg, d, "a")
		cfg.Coordination.LivenessCheckInterval, cfg.Coordination.HeartbeatFrequency = 0, 0 // the defaults
		write(t, local, "f0", "0", time.Hour)
		write(t, local, "f1", "1", time.Hour)
		h := &stubborn{recorder: newRecorder(), ignoring: "f1", started: make(chan string, 10), release: make(chan struct{}),
			causes: map[string]error{}, returned: map[string]bool{}}
		defer func() {
			select {
			case <-h.release:
			default:
				close(h.release)
			}
		}()
		a := startedListener(t, cfg, h)
		<-h.started
		<-h.started // both at work
		cfgB := member2(cfg, db, "b")
		cfgB.Coordination.LivenessCheckInterval, cfgB.Coordination.HeartbeatFrequency = 0, 0
		b := newRecorder()
		lb := startedListener(t, cfgB, b)
		waitUntil(t, "b to wait on a's session lock", func() bool { return lb.Coordinator().State().CrashSignal })

		direct := testdb.Open(t, db, "UTC")
		killHolderLockSession(t, d, direct)

		waitUntil(t, "a to stop being active", func() bool { return !a.Coordinator().IsActive() })
		waitUntil(t, "f0's handler at a to return on its cancelled context", func() bool { _, ret := h.state("f0"); return ret })
		cause, _ := h.state("f0")
		require.ErrorIs(t, cause, errStandingLost, "f0's context cause")
		waitUntil(t, "f1's context at a to be cancelled", func() bool { c, _ := h.state("f1"); return c != nil })
		// The at-least-once window: f1 at b while a's handler still runs.
		got := map[string]bool{}
		for len(got) < 2 {
			select {
			case p := <-b.arrivals:
				got[p] = true
			case <-time.After(60 * time.Second):
				t.Fatalf("b processed %v of the 2 files a had at work", got)
			}
		}
		_, ret := h.state("f1")
		require.False(t, ret, "the handler that ignores its context is still running")
		close(h.release)
		waitUntil(t, "f1's handler at a to return", func() bool { _, ret := h.state("f1"); return ret })
		for _, name := range []string{"f0", "f1"} {
			p := cfg.Path + "/" + name
			waitUntil(t, p+" to be committed", func() bool {
				rows := ledgerRows(t, lb, p)
				return len(rows) == 1 && rows[0].Status == ledger.Done
			})
			rows := ledgerRows(t, lb, p)
			require.Equal(t, "b", rows[0].Owner, "%s: %+v, want DONE by b", p, rows[0])
		}
		// a's late result was refused, not committed.
		_, _, errs := h.recorder.take()
		for _, e := range errs {
			require.True(t, errors.Is(e, ledger.ErrLost), "a's OnError: %v", e)
		}
	})
}

// killHolderLockSession ends, from outside, the session on which the holder
// holds its term's lock: the one whose lock a standby waits on.
func killHolderLockSession(t *testing.T, d schema.Dialect, db *sql.DB) {
	t.Helper()
	var id int64
	switch d {
	case schema.Postgres:
		require.NoError(t, db.QueryRow(`SELECT l.pid FROM pg_locks l JOIN pg_locks w ON w.locktype = 'advisory' AND NOT w.granted `+
			`AND w.classid = l.classid AND w.objid = l.objid AND w.objsubid = l.objsubid AND w.database = l.database `+
			`WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&id))
		_, err := db.Exec(`SELECT pg_terminate_backend($1)`, id)
		require.NoError(t, err)
	case schema.MySQL:
		var info string
		require.NoError(t, db.QueryRow(`SELECT INFO FROM information_schema.PROCESSLIST WHERE STATE = 'User lock' AND DB = DATABASE()`).Scan(&info))
		m := regexp.MustCompile(`GET_LOCK\('([^']+)'`).FindStringSubmatch(info)
		require.NotNil(t, m, "the standby's wait: %s", info)
		require.NoError(t, db.QueryRow(`SELECT IS_USED_LOCK(?)`, m[1]).Scan(&id))
		_, err := db.Exec(fmt.Sprintf("KILL %d", id))
		require.NoError(t, err)
	default:
		t.Fatalf("no lock session to kill on %s", d)
	}
}
