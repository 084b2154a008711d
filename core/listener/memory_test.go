package listener

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote/memconn"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
)

// These tests run the listener on an in-memory file server (memconn):
// the pipeline's own logic, without a server. What servers do (their
// listings, their failures) is tested against the real ones.

// memListener is a listener without coordination watching /in on an
// in-memory server; cfg's other fields keep their defaults unless change
// sets them.
func memListener(t *testing.T, svc any, change func(*ListenerConfig)) (*Listener, *memconn.Server) {
	t.Helper()
	srv := memconn.New()
	require.NoError(t, srv.Fs().MkdirAll("/in", 0o755))
	cfg := ListenerConfig{Protocol: FTP, Host: "memory.invalid", Port: 21, Path: "/in"}
	if change != nil {
		change(&cfg)
	}
	l, err := New(cfg, WithDialer(srv.Dialer()))
	require.NoError(t, err)
	require.NoError(t, l.Attach(svc))
	t.Cleanup(func() { l.Stop(context.Background()) })
	return l, srv
}

// With the documented defaults (settleTime 1 s, one worker) a poll reports
// new and changed versions oldest first, each once, and the files gone.
func TestInMemoryPollReportsEachVersionOnce(t *testing.T) {
	rec := newRecorder()
	l, srv := memListener(t, rec, nil)
	now := time.Now()
	require.NoError(t, srv.WriteFile("/in/b.csv", "bee", now.Add(-time.Hour)))
	require.NoError(t, srv.WriteFile("/in/a.csv", "ay", now.Add(-2*time.Hour)))
	require.NoError(t, srv.WriteFile("/in/.hidden", "hidden", now.Add(-time.Hour)))
	poll(t, l)
	order, deleted, errs := rec.take()
	require.Equal(t, []string{"/in/a.csv", "/in/b.csv"}, order, "oldest first, hidden files left out")
	require.Empty(t, deleted)
	require.Empty(t, errs)
	require.Equal(t, "ay", rec.files["/in/a.csv"])
	require.Len(t, rec.changes, 1, "one OnFileChange per poll")
	require.Len(t, rec.changes[0].AddedFiles, 2)

	poll(t, l)
	order, deleted, _ = rec.take()
	require.Empty(t, order, "an unchanged directory reported files")
	require.Empty(t, deleted, "an unchanged directory reported deletions")

	require.NoError(t, srv.WriteFile("/in/a.csv", "ay, changed", now.Add(-time.Minute)))
	require.NoError(t, srv.Fs().Remove("/in/b.csv"))
	poll(t, l)
	order, deleted, _ = rec.take()
	require.Equal(t, []string{"/in/a.csv"}, order, "the changed version")
	require.Equal(t, []string{"/in/b.csv"}, deleted)
	require.Equal(t, "ay, changed", rec.files["/in/a.csv"])
}

// Several workers deliver every file once, and each file's afterProcess
// action runs once its handler took it.
func TestInMemoryWorkersDeliverEachFileOnceAndMoveIt(t *testing.T) {
	rec := newRecorder()
	l, srv := memListener(t, rec, func(c *ListenerConfig) {
		c.Workers, c.MaxConnections = 4, 4
		c.SettleTime = new(0.0)
		c.AfterProcess = &PostAction{MoveTo: "/done"}
	})
	for i := range 20 {
		require.NoError(t, srv.WriteFile(fmt.Sprintf("/in/f%02d", i), fmt.Sprint(i), time.Now().Add(-time.Hour)))
	}
	poll(t, l)
	order, _, errs := rec.take()
	require.Empty(t, errs)
	require.ElementsMatch(t, names("/in/f%02d", 20), order, "each file once")
	left, err := afero.ReadDir(srv.Fs(), "/in")
	require.NoError(t, err)
	require.Empty(t, left, "every file moved away")
	moved, err := afero.ReadDir(srv.Fs(), "/done")
	require.NoError(t, err)
	require.Len(t, moved, 20)

	poll(t, l)
	order, deleted, _ := rec.take()
	require.Empty(t, order, "nothing new")
	require.ElementsMatch(t, names("/in/f%02d", 20), deleted, "moved away: gone from the watched directory")
}

// A poll whose leadership ends mid-dispatch starts no more files and tells
// no deletions; the next poll delivers what it did not start, and nothing
// twice.
func TestInMemoryLostLeadershipLeavesTheRestToTheNextPoll(t *testing.T) {
	var holds atomic.Bool
	holds.Store(true)
	svc := &endsLeadership{recorder: newRecorder(), holds: &holds}
	l, srv := memListener(t, svc, func(c *ListenerConfig) { c.SettleTime = new(0.0) })
	for i := range 3 {
		require.NoError(t, srv.WriteFile(fmt.Sprintf("/in/f%d", i), fmt.Sprint(i), time.Now().Add(-time.Duration(3-i)*time.Minute)))
	}
	l.seen["/in/gone"] = &seenFile{} // seen by an earlier poll, not listed now

	ctx := context.Background()
	added, complete, err := l.listReporting(ctx, svc)
	require.NoError(t, err)
	ev := l.diff(added, complete)
	require.Equal(t, []string{"/in/gone"}, ev.DeletedFiles)
	lead, release := withLeadership(ctx, holds.Load)
	defer release()
	require.NoError(t, l.dispatch(ctx, lead, svc, ev))
	order, deleted, _ := svc.take()
	require.Equal(t, []string{"/in/f0"}, order, "the file at work when leadership ended is finished; no other starts")
	require.Empty(t, deleted, "no deletion told after leadership ended")
	require.False(t, held(lead))

	holds.Store(true)
	poll(t, l)
	order, deleted, _ = svc.take()
	require.Equal(t, []string{"/in/f1", "/in/f2"}, order, "the next poll delivers the rest, f0 not again")
	require.Equal(t, []string{"/in/gone"}, deleted)
}

// endsLeadership ends the poll's leadership in its first OnFile.
type endsLeadership struct {
	*recorder
	holds *atomic.Bool
}

func (s *endsLeadership) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	s.holds.Store(false)
	return s.recorder.OnFile(ctx, f, r, c)
}

func names(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// With the ledger (SQLite, a real database needing no server), the
// listing's first batch, the batches entered after it and the commit loop
// take every file through once: DONE, handed over once, moved once.
func TestInMemoryLedgerTakesEachFileThroughOnce(t *testing.T) {
	rec := newRecorder()
	db := testdb.NewWithSchema(t, schema.SQLite)
	l, srv := memListener(t, rec, func(c *ListenerConfig) {
		*c = member2(*c, db, "a")
		c.Workers, c.MaxConnections, c.MaxFilesPerPoll = 4, 4, 8 // batches of 16 (4 workers), then 8
		c.SettleTime = new(0.0)
		c.AfterProcess = &PostAction{MoveTo: "/done"}
	})
	for i := range 30 {
		require.NoError(t, srv.WriteFile(fmt.Sprintf("/in/f%02d", i), fmt.Sprint(i), time.Now().Add(-time.Duration(60-i)*time.Minute)))
	}
	require.NoError(t, l.Start(context.Background())) // alone, it becomes active and polls at once
	waitUntil(t, "30 files delivered", func() bool { return rec.delivered() >= 30 })
	pollHand(t, l) // waits for the first poll: its commits are in
	order, _, errs := rec.take()
	require.Empty(t, errs)
	require.ElementsMatch(t, names("/in/f%02d", 30), order, "each file once")
	for _, p := range names("/in/f%02d", 30) {
		rows := ledgerRows(t, l, p)
		require.Len(t, rows, 1, p)
		require.Equal(t, ledger.Done, rows[0].Status, p)
	}
	moved, err := afero.ReadDir(srv.Fs(), "/done")
	require.NoError(t, err)
	require.Len(t, moved, 30)
}
