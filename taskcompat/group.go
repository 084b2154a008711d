package taskcompat

// What the rest of ftpcoord needs to know of the coordination tables
// (token_holder, health_check), so that this package is the only one that
// writes SQL against them: the fence for a term, the members whose
// heartbeat is stale, and a read of the group.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// StaleAfter is the heartbeat age at which Ballerina's rule calls a member
// dead: its age in whole seconds past livenessCheckInterval (whole seconds
// too), that is from livenessCheckInterval + 1 s on.
func StaleAfter(liveness time.Duration) time.Duration {
	return liveness.Truncate(time.Second) + time.Second
}

// Stale is Ballerina's rule for one heartbeat age.
func Stale(age, liveness time.Duration) bool { return age >= StaleAfter(liveness) }

// FenceSQL is the condition that member still holds group's token under
// term, to AND into a statement (it starts with " AND "), with its
// arguments, in '?' placeholders: a write fenced by it changes nothing once
// another member has taken the token.
func FenceSQL(group, member string, term int64) (string, []any) {
	return " AND EXISTS (SELECT 1 FROM token_holder WHERE group_id = ? AND task_id = ? AND term = ?)",
		[]any{group, member, term}
}

// HoldsTerm reports whether member still holds group's token under term.
func HoldsTerm(ctx context.Context, db *sql.DB, d schema.Dialect, group, member string, term int64) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, sqldb.Rebind(d, `SELECT 1 FROM token_holder WHERE group_id = ? AND task_id = ? AND term = ?`),
		group, member, term).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// OwnerGoneSQL is the condition, to AND into a statement of group's rows,
// that the member named by column (a column of the statement's table) is
// dead: one of stale (StaleMembers), or without a heartbeat row (it stopped,
// or stepped aside), with its arguments in '?' placeholders.
func OwnerGoneSQL(column, group string, stale []string) (string, []any) {
	cond := `NOT EXISTS (SELECT 1 FROM health_check h WHERE h.group_id = ? AND h.task_id = ` + column + `)`
	args := []any{group}
	if len(stale) > 0 {
		cond = column + ` IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(stale)), ", ") + `) OR ` + cond
		args = make([]any, 0, len(stale)+1)
		for _, m := range stale {
			args = append(args, m)
		}
		args = append(args, group)
	}
	return " AND (" + cond + ")", args
}

// StaleMembers returns the members of the group, other than this one,
// whose heartbeat was stale at the last check, by Ballerina's rule applied
// in the zone each one writes in (zones.go): a live member in another
// session zone is never among them, and a dead one is, by
// livenessCheckInterval + 1 s after its last heartbeat plus one check
// period, whatever its zone. Members without a heartbeat row are not
// listed (OwnerGoneSQL covers them). With member locks (WithMemberLocks),
// the members whose lock session ended are among them at once, whatever
// their heartbeat's age.
func (c *Coordinator) StaleMembers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	all := slices.Concat(c.staleMembers, c.goneMembers)
	slices.Sort(all)
	return slices.Compact(all)
}

// noteStale records the members o shows dead; loop goroutine, after
// zones.update.
func (c *Coordinator) noteStale(o observation, limit time.Duration) {
	var stale []string
	for _, r := range o.rows {
		if r.taskID == c.cfg.TaskID {
			continue
		}
		if _, dead := c.zones.judge(r.taskID, r.age, limit, o.dbNow); dead {
			stale = append(stale, r.taskID)
		}
	}
	slices.Sort(stale)
	c.mu.Lock()
	c.staleMembers = stale
	c.mu.Unlock()
}

// Group is a reading of a coordination group's tables.
type Group struct {
	Holder  string // "" when nobody holds the token
	Term    int64
	Members []GroupMember // by task_id
}

// GroupMember is one heartbeat row.
type GroupMember struct {
	ID string
	// Age is the heartbeat's age by the database clock, read in the
	// reader's session zone; AgeKnown is false when the row has no value.
	Age      time.Duration
	AgeKnown bool
}

// heartbeatAge is, per dialect, the age in milliseconds of a health_check
// row's heartbeat by the database clock.
var heartbeatAge = map[schema.Dialect]string{
	schema.Postgres: `floor(EXTRACT(EPOCH FROM (LOCALTIMESTAMP - last_heartbeat)) * 1000)::bigint`,
	schema.MySQL:    `TIMESTAMPDIFF(MICROSECOND, last_heartbeat, CURRENT_TIMESTAMP(6)) DIV 1000`,
	// SQLite stores UTC text with milliseconds.
	schema.SQLite: `CAST(round((julianday('now') - julianday(last_heartbeat)) * 86400000.0) AS INTEGER)`,
}

// ReadGroup reads group's token holder and heartbeat rows once (for
// `ftpcoord status` and the demo). A single reading cannot tell the zone a
// row was written in: a member in another sessionTimeZone shows hours old
// or young here; a running member's StaleMembers judges it right.
func ReadGroup(ctx context.Context, db *sql.DB, d schema.Dialect, group string) (Group, error) {
	g := Group{Members: []GroupMember{}}
	err := db.QueryRowContext(ctx, sqldb.Rebind(d, `SELECT task_id, term FROM token_holder WHERE group_id = ?`), group).Scan(&g.Holder, &g.Term)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("read the token holder: %w", err)
	}
	age, ok := heartbeatAge[d]
	if !ok {
		return g, fmt.Errorf("read the heartbeats: dialect %s not supported", d)
	}
	rows, err := db.QueryContext(ctx, sqldb.Rebind(d, `SELECT task_id, `+age+` FROM health_check WHERE group_id = ? ORDER BY task_id`), group)
	if err != nil {
		return g, fmt.Errorf("read the heartbeats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ms sql.NullInt64
		if err := rows.Scan(&id, &ms); err != nil {
			return g, fmt.Errorf("read the heartbeats: %w", err)
		}
		g.Members = append(g.Members, GroupMember{ID: id, Age: time.Duration(ms.Int64) * time.Millisecond, AgeKnown: ms.Valid})
	}
	if err := rows.Err(); err != nil {
		return g, fmt.Errorf("read the heartbeats: %w", err)
	}
	return g, nil
}

// ForgetGroup deletes group's token and heartbeat rows.
func ForgetGroup(ctx context.Context, db *sql.DB, d schema.Dialect, group string) error {
	for _, table := range []string{"health_check", "token_holder"} {
		if _, err := db.ExecContext(ctx, sqldb.Rebind(d, "DELETE FROM "+table+" WHERE group_id = ?"), group); err != nil {
			return fmt.Errorf("forget group %s: %w", group, err)
		}
	}
	return nil
}
