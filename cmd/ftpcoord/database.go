package main

import (
	"context"
	"database/sql"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// groupOf reads a configuration file and returns its coordination group,
// for the commands that work on a group rather than run a member.
func groupOf(path string) (taskcompat.Config, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return taskcompat.Config{}, err
	}
	return coordinationOf(cfg)
}

// openGroup reads a configuration file and connects to its coordination
// database.
func openGroup(ctx context.Context, path string) (taskcompat.Config, *sql.DB, schema.Dialect, error) {
	c, err := groupOf(path)
	if err != nil {
		return c, nil, "", err
	}
	db, d, err := groupstatus.Open(ctx, c)
	return c, db, d, err
}

// openLedger opens the group's ledger for the operator commands, the key
// space of one service ("" for the group's own rows). It checks the tables,
// so a missing one is a *schema.Error that says to apply the schema.
func openLedger(ctx context.Context, c taskcompat.Config, db *sql.DB, d schema.Dialect, space string) (*ledger.Ledger, error) {
	if err := schema.Verify(ctx, db, d); err != nil {
		return nil, err
	}
	return ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: c.GroupID, MemberID: c.TaskID, Space: space})
}
