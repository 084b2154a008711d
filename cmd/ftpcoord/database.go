package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/sqlbind"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// openDatabase connects to the coordination database of a configuration.
func openDatabase(ctx context.Context, c taskcompat.Config) (*sql.DB, schema.Dialect, error) {
	d, err := c.Database.Dialect()
	if err != nil {
		return nil, "", withCode(ExitConfig, &taskcompat.FieldError{Field: "coordination.databaseConfig.type", Problem: err.Error()})
	}
	db, err := taskcompat.Connect(ctx, c.Database, c.SessionTimeZone, 10*time.Second)
	if err != nil {
		return nil, d, err
	}
	db.SetMaxOpenConns(2)
	return db, d, nil
}

// openLedger opens the group's ledger for the operator commands. It checks
// the tables, so a missing one is a *schema.Error that says to apply the
// schema.
func openLedger(ctx context.Context, c taskcompat.Config, db *sql.DB, d schema.Dialect) (*ledger.Ledger, error) {
	if err := schema.Verify(ctx, db, d); err != nil {
		return nil, err
	}
	return ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: c.GroupID, MemberID: c.TaskID})
}

// rebind writes ? placeholders for the dialect.
func rebind(d schema.Dialect, q string) string { return sqlbind.Rebind(d, q) }
