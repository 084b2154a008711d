package ledger

// The backlog signals of a group: what waits, how old it is, what it costs
// to get through. The one place that reads and counts them: the command's
// /metrics, the Go API (listener.Status), the C/Java status JSON and the
// Spring meters all take them from here.

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
)

// StateBacklog is the group's file versions in one state.
type StateBacklog struct {
	Files int `json:"files"`
	// OldestSeconds is the age of the oldest of them (from its first
	// listing, on the database clock), 0 when there is none.
	OldestSeconds float64 `json:"oldestSeconds"`
}

// Oldest is OldestSeconds as a Duration.
func (s StateBacklog) Oldest() time.Duration {
	return time.Duration(s.OldestSeconds * float64(time.Second))
}

// Backlog is what a group's ledger holds that is not finished, read in one
// statement (Ledger.Backlog), and what this member counted of its own work.
type Backlog struct {
	// Group-wide, from the database: every member reads the same.
	Pending    StateBacklog `json:"pending"`    // recorded, not claimed yet
	InProgress StateBacklog `json:"inProgress"` // claimed (under a lease)
	Failed     StateBacklog `json:"failed"`     // an attempt failed; claimed again after retryTimeout
	Rejected   StateBacklog `json:"rejected"`   // out of tries (or rejected by hand): wait for a person
	// Retries is the failed attempts of the versions not finished yet
	// (PENDING, FAILED, IN_PROGRESS; the running attempt not counted).
	Retries int64 `json:"retries"`
	// This member's, since it started: versions it dropped as superseded
	// (their rows are deleted, so only the member that dropped them can
	// count them), and the time from the first listing of each version it
	// committed to its commit.
	Supersessions  int64     `json:"supersessions"`
	ListedToCommit Histogram `json:"listedToCommit"`
}

// Histogram is a distribution of durations, in seconds, as Prometheus
// keeps one: Counts[i] is the observations at most Bounds[i] (cumulative);
// Count and SumSeconds cover all of them, those above the last bound too.
type Histogram struct {
	Bounds     []float64 `json:"bounds"`
	Counts     []uint64  `json:"counts"`
	Count      uint64    `json:"count"`
	SumSeconds float64   `json:"sumSeconds"`
}

// ListedToCommitBounds are the bounds, in seconds, of
// Backlog.ListedToCommit: from a file picked up at the next poll to one
// that waited an hour.
var ListedToCommitBounds = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// signals is the member's own counts, kept by the Ledger's writes.
type signals struct {
	supersessions atomic.Int64
	buckets       [16]atomic.Uint64 // per bound of ListedToCommitBounds, then above the last
	count         atomic.Uint64
	sumMicros     atomic.Uint64
}

// committed counts a version this member committed, first listed at
// listed (zero: unknown, e.g. a claim made by hand).
func (s *signals) committed(listed time.Time) {
	if listed.IsZero() {
		return
	}
	d := max(time.Since(listed), 0)
	sec := d.Seconds()
	i := 0
	for i < len(ListedToCommitBounds) && sec > ListedToCommitBounds[i] {
		i++
	}
	s.buckets[i].Add(1)
	s.count.Add(1)
	s.sumMicros.Add(uint64(d.Microseconds()))
}

func (s *signals) histogram() Histogram {
	h := Histogram{Bounds: ListedToCommitBounds, Counts: make([]uint64, len(ListedToCommitBounds))}
	var cum uint64
	for i := range ListedToCommitBounds {
		cum += s.buckets[i].Load()
		h.Counts[i] = cum
	}
	// Count may run ahead of the buckets read a moment ago: keep it
	// at least their sum, as a scraper expects.
	h.Count = max(s.count.Load(), cum)
	h.SumSeconds = float64(s.sumMicros.Load()) / 1e6
	return h
}

// ageMS is, in SQL, the age in milliseconds of a row's first listing on
// the database clock.
func (l *Ledger) ageMS() string { return l.ageOf("first_seen") }

// ageOf is the age in milliseconds of the time expression t on the
// database clock.
func (l *Ledger) ageOf(t string) string {
	switch l.cfg.Dialect {
	case schema.MySQL:
		return "TIMESTAMPDIFF(MICROSECOND, " + t + ", CURRENT_TIMESTAMP(3)) DIV 1000"
	case schema.SQLite:
		return "CAST((julianday('now') - julianday(" + t + ")) * 86400000 AS INTEGER)"
	}
	return "CAST(EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - " + t + ")) * 1000 AS BIGINT)"
}

// listedAt is when a version first listed ageMS ago was listed, on this
// process's (monotonic) clock: durations measured from it do not depend
// on the two clocks agreeing.
func listedAt(ageMS int64) time.Time {
	return time.Now().Add(-time.Duration(max(ageMS, 0)) * time.Millisecond)
}

// Backlog reads the group's unfinished versions by state, with the age of
// the oldest of each and the failed attempts among them, in one statement
// that reads only the rows not DONE: on MySQL/MariaDB and SQLite from the
// claim index (group_id, status, ...); on PostgreSQL the claim index holds
// PENDING, FAILED and IN_PROGRESS, and REJECTED rows are read through the
// primary key's group (bench/backlog.md has the cost with 100,000 files).
// The member's own counts (supersessions, time to commit) come with them.
func (l *Ledger) Backlog(ctx context.Context) (Backlog, error) {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	out := Backlog{Supersessions: l.signals.supersessions.Load(), ListedToCommit: l.signals.histogram()}
	q := `SELECT status, count(*), COALESCE(SUM(tries), 0), ` + l.ageOf("MIN(first_seen)") + ` FROM ftpcoord_file
		WHERE group_id = ? AND status IN ('PENDING', 'FAILED', 'IN_PROGRESS', 'REJECTED') GROUP BY status`
	rows, err := l.cfg.DB.QueryContext(ctx, l.q(q), l.cfg.GroupID)
	if err != nil {
		return out, fmt.Errorf("ledger: backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n, tries, age int64
		if err := rows.Scan(&status, &n, &tries, &age); err != nil {
			return out, fmt.Errorf("ledger: backlog: %w", err)
		}
		s := StateBacklog{Files: int(n), OldestSeconds: math.Max(float64(age), 0) / 1000}
		switch Status(status) {
		case Pending:
			out.Pending, out.Retries = s, out.Retries+tries
		case Failed:
			out.Failed, out.Retries = s, out.Retries+tries
		case InProgress:
			out.InProgress, out.Retries = s, out.Retries+tries-n // the running attempts are not retries yet
		case Rejected:
			out.Rejected = s
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("ledger: backlog: %w", err)
	}
	return out, nil
}
