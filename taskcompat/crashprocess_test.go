package taskcompat_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/childproc"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// crashChild prefixes the child's value (childEnv) with the database
// configuration in JSON: the child is a member at the defaults in group
// "gk" that prints "active TERM" whenever it becomes active. With
// membersChild before it, it holds a member lock (WithMemberLocks) and
// prints "gone ID" when it takes another member for gone and "locked IDS"
// when the member locks it sees held change.
const (
	crashChild   = "crash:"
	membersChild = "members+"
)

func runCrashChild(cfgJSON, id string, members bool) error {
	var db taskcompat.DatabaseConfig
	if err := json.Unmarshal([]byte(cfgJSON), &db); err != nil {
		return err
	}
	ctx := context.Background()
	opts := []taskcompat.Option{taskcompat.WithCallbacks(taskcompat.Callbacks{
		OnBecameActive: func(e taskcompat.Event) { fmt.Println("active", e.Term) },
		OnMemberGone:   func(e taskcompat.Event) { fmt.Println("gone", e.Holder) },
	})}
	if members {
		opts = append(opts, taskcompat.WithMemberLocks())
	}
	c, err := taskcompat.New(ctx, taskcompat.Config{Database: db, TaskID: id, GroupID: "gk"}, opts...)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if err := c.Start(ctx); err != nil {
		return err
	}
	polled, locked := false, ""
	for {
		if !polled && taskcompat.Polling() > 0 { // SQLite: this process polls a held lock
			polled = true
			fmt.Println("polling")
		}
		if l := strings.Join(c.LockedMembers(), ","); members && l != locked {
			locked = l
			fmt.Println("locked", l)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// memberProc is a member process and the terms it became active under.
type memberProc struct {
	*childproc.Child
	id     string
	mu     sync.Mutex
	active []string
	polled bool
	gone   []string // members it took for gone
	locked string   // the member locks it saw held last
}

func (p *memberProc) polling() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.polled
}

func startMemberProc(t *testing.T, cfg taskcompat.DatabaseConfig, id string) *memberProc {
	t.Helper()
	return startChild(t, cfg, id, "")
}

// startLockedProc starts a member process with a member lock.
func startLockedProc(t *testing.T, cfg taskcompat.DatabaseConfig, id string) *memberProc {
	t.Helper()
	return startChild(t, cfg, id, membersChild)
}

func startChild(t *testing.T, cfg taskcompat.DatabaseConfig, id, prefix string) *memberProc {
	t.Helper()
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	p := &memberProc{Child: childproc.Start(t, childEnv, prefix+crashChild+string(b), id), id: id}
	go func() {
		for p.Out.Scan() {
			line := p.Out.Text()
			p.mu.Lock()
			switch {
			case line == "polling":
				p.polled = true
			case strings.HasPrefix(line, "gone "):
				p.gone = append(p.gone, strings.TrimPrefix(line, "gone "))
			case strings.HasPrefix(line, "locked"):
				p.locked = strings.TrimSpace(strings.TrimPrefix(line, "locked"))
			default:
				p.active = append(p.active, strings.TrimPrefix(line, "active "))
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// sees reports whether p's last check saw the member locks of ids held.
func (p *memberProc) sees(ids string) func() bool {
	return func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.locked == ids
	}
}

func (p *memberProc) goneSeen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.gone...)
}

func (p *memberProc) terms() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.active...)
}

func holderIs(t *testing.T, db *sql.DB, d schema.Dialect, id string, term int64) func() bool {
	return func() bool {
		var h string
		var tm int64
		err := db.QueryRow(testdb.Q(d, `SELECT task_id, term FROM token_holder WHERE group_id = ?`), "gk").Scan(&h, &tm)
		if err != nil {
			// Nobody took it yet, or the server restarts (the pool
			// drops the connection that saw it).
			if !errors.Is(err, sql.ErrNoRows) {
				t.Logf("read the token: %v", err)
			}
			return false
		}
		return h == id && tm == term
	}
}

// A member process killed with SIGKILL at the defaults (livenessCheckInterval
// 30) is replaced long before its heartbeat could go stale: its session ended
// with it, and the standby waiting on its session lock took over.
func TestSIGKILLedHolderReplacedAtOnce(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMemberProc(t, cfg, "a")
		waitFor(t, 10*time.Second, "a active", holderIs(t, db, d, "a", 1))
		b := startMemberProc(t, cfg, "b")
		waitBlocked(t, d, db, b.polling)
		killedAt := time.Now()
		require.NoError(t, a.Cmd.Process.Signal(syscall.SIGKILL))
		// Half of livenessCheckInterval: the heartbeat rule could not.
		waitFor(t, 15*time.Second, "b to take over", holderIs(t, db, d, "b", 2))
		t.Logf("%s: b holds the token %v after the SIGKILL", d, time.Since(killedAt).Round(time.Millisecond))
		waitFor(t, 5*time.Second, "b to say it is active", func() bool { return len(b.terms()) > 0 })
		require.Equal(t, []string{"2"}, b.terms(), "b became active under")
	})
}

// A holder paused (SIGSTOP) for less than livenessCheckInterval keeps its
// session and its lock: nobody takes over, during the pause or after it.
func TestSIGSTOPShorterThanLivenessNoTakeover(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		a := startMemberProc(t, cfg, "a")
		waitFor(t, 10*time.Second, "a active", holderIs(t, db, d, "a", 1))
		b := startMemberProc(t, cfg, "b")
		waitBlocked(t, d, db, b.polling)
		require.NoError(t, a.Cmd.Process.Signal(syscall.SIGSTOP))
		time.Sleep(5 * time.Second) // the pause itself: 5 s of livenessCheckInterval's 30
		last, ok := lastHeartbeat(t, db, d, "a", "gk")
		require.True(t, ok)
		require.NoError(t, a.Cmd.Process.Signal(syscall.SIGCONT))
		// Once a heartbeats again, the pause is over as far as anyone can tell.
		waitFor(t, 10*time.Second, "a to heartbeat again", func() bool {
			now, _ := lastHeartbeat(t, db, d, "a", "gk")
			return now.After(last)
		})
		h, term := token(t, db, d, "gk")
		require.Equal(t, "a", h, "token %s/%d after a pause shorter than livenessCheckInterval: want a/1", h, term)
		require.Equal(t, int64(1), term, "token %s/%d after a pause shorter than livenessCheckInterval: want a/1", h, term)
		require.Empty(t, b.terms(), "b became active")
		require.Equal(t, []string{"1"}, a.terms(), "a's terms")
	})
}
