package taskcompat_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// Fast timing for tests: a crashed holder is stale after 2 whole seconds.
const (
	liveness  = 2
	heartbeat = 250 * time.Millisecond
)

// member is a Coordinator with its events and logs recorded.
type member struct {
	*taskcompat.Coordinator
	id   string
	logs *lockedBuffer

	mu     sync.Mutex
	events []taskcompat.Event
	signal chan struct{}
}

func startMember(t *testing.T, db taskcompat.DatabaseConfig, id, group string, edit ...func(*taskcompat.Config)) *member {
	t.Helper()
	m := newMember(t, db, id, group, edit...)
	require.NoError(t, m.Start(context.Background()))
	return m
}

func newMember(t *testing.T, db taskcompat.DatabaseConfig, id, group string, edit ...func(*taskcompat.Config)) *member {
	t.Helper()
	return newMemberWith(t, db, id, group, nil, edit...)
}

// newMemberWith is newMember with more options for New.
func newMemberWith(t *testing.T, db taskcompat.DatabaseConfig, id, group string, opts []taskcompat.Option, edit ...func(*taskcompat.Config)) *member {
	t.Helper()
	cfg := taskcompat.Config{Database: db, TaskID: id, GroupID: group,
		LivenessCheckInterval: liveness, HeartbeatFrequency: taskcompat.Seconds(heartbeat)}
	for _, e := range edit {
		e(&cfg)
	}
	m := &member{id: id, logs: &lockedBuffer{}, signal: make(chan struct{}, 1)}
	record := func(e taskcompat.Event) {
		m.mu.Lock()
		m.events = append(m.events, e)
		m.mu.Unlock()
		select {
		case m.signal <- struct{}{}:
		default:
		}
	}
	logger := slog.New(slog.NewTextHandler(m.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := taskcompat.New(context.Background(), cfg, append([]taskcompat.Option{taskcompat.WithLogger(logger),
		taskcompat.WithCallbacks(taskcompat.Callbacks{OnBecameActive: record, OnLostActive: record, OnNewHolder: record,
			OnMemberGone: record, OnLostSession: record})}, opts...)...)
	require.NoError(t, err, "New(%s)", id)
	m.Coordinator = c
	t.Cleanup(c.Halt)
	return m
}

// eventsOf returns the recorded events of one kind.
func (m *member) eventsOf(k taskcompat.EventKind) []taskcompat.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []taskcompat.Event
	for _, e := range m.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// waitEvent waits for the n-th event of kind k (1-based) and returns it.
func (m *member) waitEvent(t *testing.T, k taskcompat.EventKind, n int, timeout time.Duration) taskcompat.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if evs := m.eventsOf(k); len(evs) >= n {
			return evs[n-1]
		}
		select {
		case <-m.signal:
		case <-deadline:
			t.Fatalf("%s: no %s event #%d within %v; events: %+v", m.id, k, n, timeout, m.eventsOf(k))
		}
	}
}

// waitFor polls cond until it holds or fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sampler checks, every few milliseconds, that at most one member believes
// it is active.
type sampler struct {
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	samples int
	overlap []string
}

func sample(members func() []*member) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			var active []string
			for _, m := range members() {
				if m.IsActive() {
					active = append(active, m.id)
				}
			}
			s.mu.Lock()
			s.samples++
			if len(active) > 1 && len(s.overlap) < 10 {
				s.overlap = append(s.overlap, strings.Join(active, "+"))
			}
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *sampler) check(t *testing.T) {
	t.Helper()
	close(s.stop)
	<-s.done
	require.Empty(t, s.overlap, "several members active at once in %d of %d samples: %v", len(s.overlap), s.samples, s.overlap)
	require.GreaterOrEqual(t, s.samples, 100, "only %d samples taken", s.samples)
}

// token reads the group's token row.
func token(t *testing.T, db *sql.DB, d schema.Dialect, group string) (holder string, term int64) {
	t.Helper()
	err := db.QueryRow(testdb.Q(d, `SELECT task_id, term FROM token_holder WHERE group_id = ?`), group).Scan(&holder, &term)
	require.NoError(t, err, "read token of %s", group)
	return holder, term
}

// lastHeartbeat reads a member's heartbeat as an instant (the test session is
// in UTC, as the members' are).
func lastHeartbeat(t *testing.T, db *sql.DB, d schema.Dialect, id, group string) (time.Time, bool) {
	t.Helper()
	var ts sql.NullTime
	err := db.QueryRow(testdb.Q(d, `SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = ?`), id, group).Scan(&ts)
	if err == sql.ErrNoRows {
		return time.Time{}, false
	}
	require.NoError(t, err)
	return ts.Time, true
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
