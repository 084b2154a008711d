package taskcompat

// Statements on the member's own connection, and how database failures are
// logged.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"
)

// noteFailure logs a database outage once, not on every retry.
func (c *Coordinator) noteFailure(what string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Healthy = false
	msg := err.Error()
	if c.outageSince.IsZero() {
		c.outageSince = c.now()
		c.lastOutage = msg
		c.log.Warn("coordination database failing; retrying with backoff", "during", what, "db", c.cfg.Database, "err", err)
		return
	}
	if msg != c.lastOutage {
		c.lastOutage = msg
		c.log.Debug("coordination database still failing", "during", what, "err", err)
	}
}

func (c *Coordinator) noteSuccess() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Healthy = true
	if !c.outageSince.IsZero() {
		c.log.Info("coordination database answering again", "after", c.since(c.outageSince).Round(time.Millisecond))
		c.outageSince = time.Time{}
		c.lastOutage = ""
	}
}

// The member's statements run one at a time on one connection of its own
// (the loop's, then Stop's), held between statements: handing it back to the
// pool would make the PostgreSQL driver ping it before reuse after a second
// idle, a third statement per heartbeat. A failed connection is dropped and
// the next statement takes a fresh one.

func (c *Coordinator) exec(ctx context.Context, q string, args ...any) (int64, error) {
	c.statementCnt.Add(1)
	conn, err := c.connection(ctx)
	if err != nil {
		return 0, err
	}
	res, err := conn.ExecContext(ctx, q, args...)
	if err != nil {
		c.dropConnection()
		return 0, err
	}
	return res.RowsAffected()
}

// queryRow runs a query and scans its single row into dest.
func (c *Coordinator) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	c.statementCnt.Add(1)
	conn, err := c.connection(ctx)
	if err != nil {
		return err
	}
	err = conn.QueryRowContext(ctx, q, args...).Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		c.dropConnection()
	}
	return err
}

// queryRows runs a query and calls scan for each row.
func (c *Coordinator) queryRows(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	c.statementCnt.Add(1)
	conn, err := c.connection(ctx)
	if err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, q, args...)
	if err == nil {
		for rows.Next() {
			if err = scan(rows); err != nil {
				break
			}
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		c.dropConnection()
	}
	return err
}

func (c *Coordinator) connection(ctx context.Context) (*sql.Conn, error) {
	if c.conn == nil {
		conn, err := c.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		c.conn = conn
		c.memberConnOpened(ctx, conn) // its member lock (memberlock.go)
	}
	return c.conn, nil
}

func (c *Coordinator) dropConnection() {
	if c.conn != nil {
		c.conn.Raw(func(any) error { return driver.ErrBadConn }) // do not reuse it
		c.conn.Close()
		c.conn = nil
		c.memberConnDropped()
	}
}
