package taskcompat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
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
		require.ErrorIs(t, err, taskcompat.ErrDuplicateMember, "second Start: %v, want ErrDuplicateMember naming node-a and the fix", err)
		require.ErrorContains(t, err, `memberId "node-a"`, "second Start: %v, want ErrDuplicateMember naming node-a and the fix", err)
		require.ErrorContains(t, err, "give every member its own memberId", "second Start: %v, want ErrDuplicateMember naming node-a and the fix", err)
		_, term := token(t, testdb.Open(t, db, "UTC"), d, "g")
		require.True(t, a.IsActive(), "a active %v, term %d; want a still active under term 1", a.IsActive(), term)
		require.Equal(t, int64(1), term, "a active %v, term %d; want a still active under term 1", a.IsActive(), term)
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
			} else {
				require.ErrorIs(t, err, taskcompat.ErrDuplicateMember, "Start")
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
		require.Equal(t, "twin", holder, "token %s term %d, was term %d: the twins still take it from each other", holder, term, settled)
		require.Equal(t, settled, term, "token %s term %d, was term %d: the twins still take it from each other", holder, term, settled)
		active := 0
		for _, m := range ms {
			if m.IsActive() {
				active++
			}
			if err := m.Duplicate(); err != nil {
				require.True(t, m.Stats().DuplicateMember, "the twin that stepped aside: stats %+v, logs %s", m.Stats(), m.logs.String())
				require.Contains(t, m.logs.String(), "another live process uses this memberId", "the twin that stepped aside: stats %+v", m.Stats())
				lost := m.eventsOf(taskcompat.LostActive)
				require.NotEmpty(t, lost, "LostActive events %+v, want one naming the memberId", lost)
				require.Contains(t, lost[len(lost)-1].Reason, "memberId", "LostActive events %+v, want one naming the memberId", lost)
			}
		}
		require.Equal(t, 1, active, "twins active")
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
		require.ErrorIs(t, m.Start(context.Background()), taskcompat.ErrDuplicateMember, "Start beside a Ballerina node with the same id")
	})
}
