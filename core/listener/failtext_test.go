package listener

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// failWith fails every attempt with one error text and counts attempts.
type failWith struct {
	text     string
	mu       sync.Mutex
	attempts []int
}

func (f *failWith) OnFile(_ context.Context, info FileInfo, r io.Reader, _ *Caller) error {
	io.Copy(io.Discard, r)
	f.mu.Lock()
	f.attempts = append(f.attempts, info.Attempt)
	f.mu.Unlock()
	return errors.New(f.text)
}

func (f *failWith) OnError(context.Context, error) {}

// A handler whose error holds a NUL byte (a --exec command's stderr) and
// broken UTF-8 is failed and, at maxTries, REJECTED like any other: the
// ledger stores the text with the bytes replaced. (On PostgreSQL the fail
// statement once errored on the NUL and the file ran on, TRIES 7 with
// maxTries 2.)
func TestErrorTextWithNULIsStoredAndRejectedAtMaxTries(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 2
		write(t, local, "nul.csv", "x", time.Hour)
		svc := &failWith{text: "line 1\x00 bad \xff byte"}
		l := startedListener(t, cfg, svc)
		p := cfg.Path + "/nul.csv"
		pollUntil(t, l, "nul.csv REJECTED", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected
		})
		rows := ledgerRows(t, l, p)
		require.Equal(t, 2, rows[0].Tries, "tries of the rejected file")
		require.True(t, strings.HasSuffix(rows[0].LastError, ": line 1\uFFFD bad \uFFFD byte"), "stored error text %q", rows[0].LastError)
		svc.mu.Lock()
		defer svc.mu.Unlock()
		require.Equal(t, []int{1, 2}, svc.attempts, "the handler's attempts")
	})
}

// A claim that comes back through an expired lease past maxTries (its
// attempt never recorded an outcome: the member died, or the database
// refused the write) is REJECTED without running the handler again.
func TestClaimPastMaxTriesIsRejectedWithoutRunning(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg, db := withLedger(t, cfg, d, "m")
		cfg.Mode = "shared"
		cfg.MaxTries = 1
		write(t, local, "lost.csv", "xyz", time.Hour)
		mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
		require.NoError(t, os.Chtimes(filepath.Join(local, "lost.csv"), mtime, mtime))
		p := cfg.Path + "/lost.csv"
		// Another member's attempt: claimed, then never heard of again.
		other, err := ledger.New(context.Background(), ledger.Config{DB: testdb.Open(t, db, "UTC"), Dialect: d, GroupID: cfg.Coordination.CoordinationGroup, MemberID: "gone", Mode: ledger.Shared})
		require.NoError(t, err)
		_, err = other.Record(context.Background(), []ledger.File{{Path: p, Size: 3, MTime: mtime.UnixMilli()}})
		require.NoError(t, err)
		claims, err := other.Claim(context.Background(), 1, time.Millisecond, 0)
		require.NoError(t, err)
		require.Len(t, claims, 1, "the other member's claim")
		svc := &failWith{text: "must not run"}
		l := startedListener(t, cfg, svc)
		pollUntil(t, l, "lost.csv REJECTED", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected
		})
		rows := ledgerRows(t, l, p)
		require.Equal(t, 2, rows[0].Tries, "tries")
		require.Contains(t, rows[0].LastError, "an earlier attempt ended without recording its outcome")
		svc.mu.Lock()
		defer svc.mu.Unlock()
		require.Empty(t, svc.attempts, "the handler ran past maxTries")
	})
}
