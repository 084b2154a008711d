package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrWrongCharset is a MySQL ledger table whose text columns cannot hold
// every file name: anything but utf8mb4 refuses emoji and other 4-byte
// characters, so one such name would fail a whole batch of the listing.
var ErrWrongCharset = errors.New("text columns cannot hold every file name")

// verifyCharset checks that the ledger's name columns are utf8mb4 on MySQL
// (the DDL makes them so; a table created by hand may not be).
func verifyCharset(ctx context.Context, db *sql.DB, d Dialect) error {
	if d != MySQL {
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ftpcoord_file' AND COLUMN_NAME IN ('path', 'last_error', 'group_id', 'owner_member')`)
	if err != nil {
		return fmt.Errorf("schema: look up the character sets of ftpcoord_file: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var col string
		var cs sql.NullString
		if err := rows.Scan(&col, &cs); err != nil {
			return err
		}
		if cs.String != "utf8mb4" {
			return &Error{Table: "ftpcoord_file", Dialect: d, Err: ErrWrongCharset,
				Detail: fmt.Sprintf("column %s is %s", col, cs.String),
				Fix:    "convert it: ALTER TABLE ftpcoord_file CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"}
		}
	}
	return rows.Err()
}
