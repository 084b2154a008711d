package taskcompat

import "github.com/ftpcoord/ftpcoord/schema"

// statements is the SQL one member issues, per dialect.
//
// The heartbeat is ballerina/task's statement verbatim (COMPAT.md section 3),
// so a Ballerina node reads our heartbeats as its own. The other statements are
// ours: they read and write the same columns with the same meaning, but a
// takeover is a compare-and-swap on the observed holder and term (stricter than
// Ballerina's unconditional upsert, never looser), and the staleness is computed
// by the database in one round trip.
type statements struct {
	// heartbeat(task_id, group_id): Ballerina's upsert.
	heartbeat string
	// observe(group_id) -> one row per heartbeat row of the group (one with
	// NULLs when there is none): holder task_id, term, the row's task_id, its
	// last_heartbeat as stored (wall clock in µs since 1970 as if UTC), its
	// age read in our session zone in whole milliseconds (as Java's getTime
	// truncates), and the database clock. No rows: nobody holds the token.
	observe string
	// heartbeatShifted(task_id, group_id, seconds): the heartbeat written
	// in another zone than the session's, seconds east of it (zones.go).
	// The value has the same meaning as Ballerina's: the wall clock now in
	// the zone its readers are in.
	// Empty where heartbeats carry no zone (SQLite).
	heartbeatShifted string
	// claimFree(task_id, group_id): take the token of a group nobody holds;
	// term 1 as in Ballerina. Affects 1 row when it won, 0 when not.
	claimFree string
	// takeOver(new task_id, group_id, observed task_id, observed term):
	// affects 1 row only if nobody changed the token since it was observed.
	takeOver string
	// resign(task_id, group_id): a graceful stop deletes its own heartbeat row,
	// which every standby (Ballerina's too) reads as "the holder is gone".
	resign string
	// ownHeartbeat(task_id, group_id) -> last_heartbeat: a member's row as
	// stored (duplicate.go compares two readings).
	ownHeartbeat string
}

var dialectSQL = map[schema.Dialect]statements{
	schema.Postgres: {
		heartbeat: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES ($1, $2, CURRENT_TIMESTAMP) ` +
			`ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = EXCLUDED.last_heartbeat`,
		// LOCALTIMESTAMP is CURRENT_TIMESTAMP in the session zone without a
		// zone: the same value the heartbeat upsert stores.
		observe: `SELECT t.task_id, t.term, h.task_id, floor(EXTRACT(EPOCH FROM h.last_heartbeat) * 1000000)::bigint, ` +
			`floor(EXTRACT(EPOCH FROM (LOCALTIMESTAMP - h.last_heartbeat)) * 1000)::bigint, CURRENT_TIMESTAMP ` +
			`FROM token_holder t LEFT JOIN health_check h ON h.group_id = t.group_id ` +
			`WHERE t.group_id = $1`,
		heartbeatShifted: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES ($1, $2, LOCALTIMESTAMP + $3::bigint * INTERVAL '1 second') ` +
			`ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = EXCLUDED.last_heartbeat`,
		claimFree:    `INSERT INTO token_holder(task_id, group_id, term) VALUES ($1, $2, 1) ON CONFLICT (group_id) DO NOTHING`,
		takeOver:     `UPDATE token_holder SET task_id = $1, term = term + 1 WHERE group_id = $2 AND task_id = $3 AND term = $4`,
		resign:       `DELETE FROM health_check WHERE task_id = $1 AND group_id = $2`,
		ownHeartbeat: `SELECT last_heartbeat FROM health_check WHERE task_id = $1 AND group_id = $2`,
	},
	// SQLite keeps timestamps as UTC text with milliseconds (see
	// schema/sqlite.sql); staleness is computed in whole milliseconds.
	schema.SQLite: {
		heartbeat: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES (?, ?, ` + sqliteNow + `) ` +
			`ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat`,
		observe: `SELECT t.task_id, t.term, h.task_id, ` + sqliteMS("h.last_heartbeat") + ` * 1000, ` +
			sqliteMS("'now'") + ` - ` + sqliteMS("h.last_heartbeat") + `, ` + sqliteNow + ` ` +
			`FROM token_holder t LEFT JOIN health_check h ON h.group_id = t.group_id ` +
			`WHERE t.group_id = ?`,
		claimFree:    `INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 1) ON CONFLICT (group_id) DO NOTHING`,
		takeOver:     `UPDATE token_holder SET task_id = ?, term = term + 1 WHERE group_id = ? AND task_id = ? AND term = ?`,
		resign:       `DELETE FROM health_check WHERE task_id = ? AND group_id = ?`,
		ownHeartbeat: `SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = ?`,
	},
	schema.MySQL: {
		heartbeat: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES (?, ?, CURRENT_TIMESTAMP) ` +
			`ON DUPLICATE KEY UPDATE last_heartbeat = CURRENT_TIMESTAMP`,
		// CURRENT_TIMESTAMP without precision has whole seconds, as in
		// Ballerina's SELECT CURRENT_TIMESTAMP, so staleness is never looser.
		// The database clock returned has microseconds: it times how long a
		// heartbeat value stays unchanged (zones.go).
		observe: `SELECT t.task_id, t.term, h.task_id, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', h.last_heartbeat), ` +
			`TIMESTAMPDIFF(MICROSECOND, h.last_heartbeat, CURRENT_TIMESTAMP) DIV 1000, CURRENT_TIMESTAMP(6) ` +
			`FROM token_holder t LEFT JOIN health_check h ON h.group_id = t.group_id ` +
			`WHERE t.group_id = ?`,
		// Only DATETIME columns carry the writer's zone; a TIMESTAMP column
		// never shows a zone difference, so this is never used for it.
		heartbeatShifted: `INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES (?, ?, CURRENT_TIMESTAMP + INTERVAL ? SECOND) ` +
			`ON DUPLICATE KEY UPDATE last_heartbeat = VALUES(last_heartbeat)`,
		// With clientFoundRows off, a no-op update reports 0 affected rows.
		claimFree:    `INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE term = term`,
		takeOver:     `UPDATE token_holder SET task_id = ?, term = term + 1 WHERE group_id = ? AND task_id = ? AND term = ?`,
		resign:       `DELETE FROM health_check WHERE task_id = ? AND group_id = ?`,
		ownHeartbeat: `SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = ?`,
	},
}

// sqliteNow is SQLite's clock as stored: UTC text with milliseconds. 'now'
// is the same instant throughout one statement.
const sqliteNow = `strftime('%Y-%m-%d %H:%M:%f', 'now')`

// sqliteMS is an SQLite time value (such as 'now' or a stored timestamp) in
// whole milliseconds since the epoch; NULL for NULL.
func sqliteMS(x string) string {
	return `CAST(round((julianday(` + x + `) - 2440587.5) * 86400000.0) AS INTEGER)`
}
