package ledger

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// A server picks one of two transactions that lock rows in opposite orders
// (a renewal and a commit of the same claims, a commit and a claim of
// neighbouring rows) as a deadlock victim and rolls it back: it changed
// nothing, and the server's advice is to run it again. So does a MySQL lock
// wait that timed out, and a PostgreSQL serialization failure.
const (
	mysqlDeadlock        = 1213
	mysqlLockWaitTimeout = 1205
	deadlockRetries      = 8
)

func retryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == mysqlDeadlock || me.Number == mysqlLockWaitTimeout
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// retryDeadlock runs f again, after a short random wait, while the server
// answers that it rolled f back for a deadlock (or a lock timeout).
func retryDeadlock(ctx context.Context, f func() error) error {
	wait := 2 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !retryable(err) || attempt == deadlockRetries {
			return err
		}
		t := time.NewTimer(wait + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}
