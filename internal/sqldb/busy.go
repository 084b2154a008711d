package sqldb

// SQLite's busy lock: recognising SQLITE_BUSY and retrying a statement that
// hit it.

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsBusy reports whether err is SQLite's "database is locked" (SQLITE_BUSY,
// or SQLITE_LOCKED within one process): the statement could not take the
// lock it needed, within the busy timeout, and changed nothing.
func IsBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// Attempts is how often Retry runs a statement that keeps failing with
// SQLITE_BUSY.
const Attempts = 3

// RetryFor runs f until it succeeds, fails otherwise than with SQLITE_BUSY,
// ctx ends or total has passed, trying again after a millisecond or two
// (randomised, so that waiters do not try in lockstep): a waiting statement
// then takes the lock in the first gap between other writers' statements.
func RetryFor(ctx context.Context, total time.Duration, f func() error) error {
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil || !IsBusy(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Millisecond + rand.N(time.Millisecond)):
		}
	}
}

// Retry runs f until it succeeds, fails otherwise than with SQLITE_BUSY,
// has run Attempts times, or ctx ends. A busy statement changed nothing, so
// running it again is safe.
func Retry(ctx context.Context, f func() error) error {
	var err error
	for i := range Attempts {
		if err = f(); err == nil || !IsBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(10<<i) * time.Millisecond):
		}
	}
	return err
}
