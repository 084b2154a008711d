package taskcompat

import (
	"context"
	"database/sql"
	"time"
)

// Connect opens the coordination database like OpenDB and checks that it
// answers. A failure is an ErrDatabase error that says what to check
// (host and port, user and password, the database name); the password never
// appears in it.
func Connect(ctx context.Context, db DatabaseConfig, sessionTimeZone string, timeout time.Duration) (*sql.DB, error) {
	pool, err := OpenDB(db, sessionTimeZone, timeout)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, describeConnectError(db, err)
	}
	return pool, nil
}
