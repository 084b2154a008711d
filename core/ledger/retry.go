package ledger

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
)

// InnoDB picks one of two transactions that lock rows in opposite orders
// (a commit and a claim of neighbouring rows, say) as a deadlock victim and
// rolls it back: the statement changed nothing, and the server's advice is
// to run it again. So does a lock wait that timed out.
const (
	mysqlDeadlock        = 1213
	mysqlLockWaitTimeout = 1205
	mysqlRetries         = 8
)

func mysqlRetryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == mysqlDeadlock || me.Number == mysqlLockWaitTimeout)
}

// retryMySQL runs f again, after a short random wait, while MySQL answers
// that it rolled f back for a deadlock or a lock timeout.
func retryMySQL(ctx context.Context, f func() error) error {
	wait := 2 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !mysqlRetryable(err) || attempt == mysqlRetries {
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
