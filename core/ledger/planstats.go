package ledger

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ftpcoord/ftpcoord/schema"
)

// planStats keeps PostgreSQL's statistics of the ledger table current after
// bursts of new rows that autovacuum has not seen yet (it looks once a
// minute, and then waits for a tenth of the table to change). A new table
// holding 10,000 rows that the planner believed to be a handful led it to
// scan the whole group for every commit batch instead of looking up the
// batch's keys: 85 us per file instead of 6. Only the columns the plans
// turn on are analyzed: group_id and status (how many rows a group and a
// state hold: a group taken for a rare value hides the key lookup from the
// generic plan) and version_key (unique: without its statistics a batch of
// keys looks like a third of the table, and the custom plan is a sequential
// scan). ANALYZE counts the table's rows all the same. The other columns
// (the path above all) cost as much again and are left to autovacuum,
// whose count of changes a partial ANALYZE does not reset.
type planStats struct {
	mu      sync.Mutex
	entered int  // rows this member entered since its last ANALYZE
	running bool // an ANALYZE is under way
	off     bool // ANALYZE was refused (the user does not own the table)
}

// burstRows is the fewest new rows that may be worth an ANALYZE.
const burstRows = 1000

// after is told how many rows a write entered. Once this member has entered
// at least burstRows rows, and more than the planner believes the whole
// table holds, it runs ANALYZE in the background: the reading of a sample
// (at most 30,000 rows at the default statistics target), a few
// milliseconds, and never more than the table doubling in size can call
// for. Failure only costs speed; after a refusal it stops trying.
func (s *planStats) after(ctx context.Context, l *Ledger, entered int) {
	if l.cfg.Dialect != schema.Postgres || entered <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entered += entered
	if s.off || s.running || s.entered < burstRows {
		return
	}
	s.running = true
	go s.analyze(context.WithoutCancel(ctx), l)
}

func (s *planStats) analyze(ctx context.Context, l *Ledger) {
	ctx, cancel := l.bound(ctx)
	defer cancel()
	done := func(analyzed, refused bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.running = false
		if analyzed {
			s.entered = 0
		}
		s.off = s.off || refused
	}
	var known float64 // -1: never analyzed
	if err := l.cfg.DB.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = to_regclass('ftpcoord_file')`).Scan(&known); err != nil {
		done(false, false)
		return
	}
	s.mu.Lock()
	entered := s.entered
	s.mu.Unlock()
	if known >= float64(entered) {
		done(false, false)
		return
	}
	_, err := l.cfg.DB.ExecContext(ctx, `ANALYZE ftpcoord_file (group_id, status, version_key)`)
	var pe *pgconn.PgError
	done(err == nil, errors.As(err, &pe) && pe.Code == "42501") // insufficient_privilege
}
