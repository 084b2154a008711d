package taskcompat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// A second process started with a memberId that a live one uses refuses to
// start, naming the id and the fix; the first goes on undisturbed.
func TestSecondProcessWithTheSameIDRefusesToStart(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		db := testdb.NewWithSchema(t, d)
		a := startMember(t, db, "node-a", "g")
		waitFor(t, 10*time.Second, "a active", a.IsActive)
		b := newMember(t, db, "node-a", "g")
		err := b.Start(context.Background())
		if !errors.Is(err, taskcompat.ErrDuplicateMember) || !strings.Contains(err.Error(), `memberId "node-a"`) ||
			!strings.Contains(err.Error(), "give every member its own memberId") {
			t.Fatalf("second Start: %v, want ErrDuplicateMember naming node-a and the fix", err)
		}
		_, term := token(t, testdb.Open(t, db, "UTC"), d, "g")
		if !a.IsActive() || term != 1 {
			t.Fatalf("a active %v, term %d; want a still active under term 1", a.IsActive(), term)
		}
		// A member that restarts after a crash (its row left as it was)
		// starts as before.
		a.Halt()
		c := startMember(t, db, "node-a", "g")
		waitFor(t, 10*time.Second, "the restarted member active", c.IsActive)
	})
}

// Two processes with one memberId that start at the same moment (neither
// sees the other's row yet) would take the token from each other at every
// check; the one that finds a term it did not take steps aside, and the
// term stops moving.
func TestDuplicatesStartingTogetherDoNotLivelock(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		db := testdb.NewWithSchema(t, d)
		ms := []*member{newMember(t, db, "twin", "g"), newMember(t, db, "twin", "g")}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, m := range ms {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = m.Start(context.Background()) }()
		}
		wg.Wait()
		running := 0
		for _, err := range errs {
			if err == nil {
				running++
			} else if !errors.Is(err, taskcompat.ErrDuplicateMember) {
				t.Fatalf("Start: %v", err)
			}
		}
		if running == 2 {
			waitFor(t, 15*time.Second, "one of the twins to step aside", func() bool {
				return ms[0].Duplicate() != nil || ms[1].Duplicate() != nil
			})
		}
		sqlDB := testdb.Open(t, db, "UTC")
		_, settled := token(t, sqlDB, d, "g")
		time.Sleep(6 * heartbeat) // the term must not move any more: no livelock to wait for
		holder, term := token(t, sqlDB, d, "g")
		if holder != "twin" || term != settled {
			t.Fatalf("token %s term %d, was term %d: the twins still take it from each other", holder, term, settled)
		}
		active := 0
		for _, m := range ms {
			if m.IsActive() {
				active++
			}
			if err := m.Duplicate(); err != nil {
				if !m.Stats().DuplicateMember || !strings.Contains(m.logs.String(), "another live process uses this memberId") {
					t.Fatalf("the twin that stepped aside: stats %+v, logs %s", m.Stats(), m.logs.String())
				}
				lost := m.eventsOf(taskcompat.LostActive)
				if len(lost) == 0 || !strings.Contains(lost[len(lost)-1].Reason, "memberId") {
					t.Fatalf("LostActive events %+v, want one naming the memberId", lost)
				}
			}
		}
		if active != 1 {
			t.Fatalf("%d twins active, want 1", active)
		}
	})
}

// A Ballerina node that uses a member's id (Ballerina lets two nodes with one
// taskId both be active): an ftpcoord member started with it refuses.
func TestBallerinaNodeWithTheSameIDIsRefused(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		db := testdb.NewWithSchema(t, d)
		p := startPeer(t, db, "shared-id", "g", "UTC")
		waitFor(t, 10*time.Second, "the Ballerina node active", p.IsActive)
		m := newMember(t, db, "shared-id", "g")
		if err := m.Start(context.Background()); !errors.Is(err, taskcompat.ErrDuplicateMember) {
			t.Fatalf("Start beside a Ballerina node with the same id: %v, want ErrDuplicateMember", err)
		}
	})
}
