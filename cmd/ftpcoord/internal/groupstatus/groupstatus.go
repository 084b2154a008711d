// Package groupstatus is a coordination group's state for the ftpcoord
// command: it connects to the group's database, and reads and prints what
// `ftpcoord status` shows (the demo shows it too).
package groupstatus

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/safetext"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Open connects to the coordination database of a configuration.
func Open(ctx context.Context, c taskcompat.Config) (*sql.DB, schema.Dialect, error) {
	d, err := c.Database.Dialect()
	if err != nil {
		return nil, "", exitcode.With(exitcode.Config, &taskcompat.FieldError{Field: "coordination.databaseConfig.type", Problem: err.Error()})
	}
	db, err := taskcompat.Connect(ctx, c.Database, c.SessionTimeZone, 10*time.Second)
	if err != nil {
		return nil, d, err
	}
	db.SetMaxOpenConns(2)
	return db, d, nil
}

// Status is what `ftpcoord status` reports.
type Status struct {
	Group    string `json:"group"`
	Database string `json:"database"` // without the password
	Holder   string `json:"holder"`   // "" when nobody holds the token
	Term     int64  `json:"term"`
	// Active is true when the holder's heartbeat is fresh by the
	// database clock (not older than livenessCheckInterval whole seconds).
	Active bool `json:"active"`
	// LivenessCheckInterval is the interval that judged the heartbeats
	// (stale: older than it, in whole seconds), and LivenessSource where it
	// came from: the members' own (recorded in ftpcoord_member; the smallest
	// when they disagree, the soonest a standby takes over), else the
	// reader's (see Judge).
	LivenessCheckInterval int            `json:"livenessCheckInterval"`
	LivenessSource        string         `json:"livenessSource,omitempty"`
	Members               []Member       `json:"members"`
	Ledger                map[string]int `json:"ledger,omitempty"` // by state; absent without the ledger's table
	LedgerNote            string         `json:"ledgerNote,omitempty"`
}

type Member struct {
	ID string `json:"memberId"`
	// HeartbeatAgeSeconds is the age of its last heartbeat by the
	// database clock.
	HeartbeatAgeSeconds float64 `json:"heartbeatAgeSeconds"`
	// Role: "active" (the holder, fresh), "standby" (fresh), "stale".
	Role string `json:"role"`
	// LivenessCheckInterval is the member's own, as it recorded it when it
	// started; 0 for Ballerina nodes and members of older versions.
	LivenessCheckInterval int `json:"livenessCheckInterval,omitempty"`
}

// Judge says which livenessCheckInterval judges the heartbeats.
type Judge struct {
	// Override, when above 0, judges by this interval whatever the members
	// recorded (ftpcoord status --liveness).
	Override int
	// Fallback judges when no member recorded its interval, and Source
	// says where it came from ("--config FILE").
	Fallback int
	Source   string
}

// Stale is Ballerina's rule: a heartbeat is stale when its age in whole
// seconds exceeds livenessCheckInterval.
// The rule is taskcompat's.
func Stale(ageMS int64, liveness int) bool {
	return taskcompat.Stale(time.Duration(ageMS)*time.Millisecond, time.Duration(liveness)*time.Second)
}

// Read reads the group's holder, members and ledger counts, judging the
// heartbeats by the members' recorded interval or else by c's.
func Read(ctx context.Context, db *sql.DB, d schema.Dialect, c taskcompat.Config) (Status, error) {
	return ReadJudged(ctx, db, d, c, Judge{Fallback: c.LivenessCheckInterval})
}

// ReadJudged is Read with the interval chosen as j says.
func ReadJudged(ctx context.Context, db *sql.DB, d schema.Dialect, c taskcompat.Config, j Judge) (Status, error) {
	st := Status{Group: c.GroupID, Database: c.Database.String(), Members: []Member{}}
	if err := schema.Verify(ctx, db, d); err != nil {
		return st, err
	}
	g, err := taskcompat.ReadGroup(ctx, db, d, c.GroupID)
	if err != nil {
		return st, err
	}
	st.Holder, st.Term = g.Holder, g.Term
	for _, m := range g.Members {
		st.Members = append(st.Members, Member{ID: m.ID, HeartbeatAgeSeconds: m.Age.Seconds()})
	}
	recorded := readTimings(ctx, db, d, c.GroupID)
	for i := range st.Members {
		st.Members[i].LivenessCheckInterval = recorded[st.Members[i].ID]
	}
	st.LivenessCheckInterval, st.LivenessSource = j.choose(st.Members)
	for i, m := range st.Members {
		switch {
		case !g.Members[i].AgeKnown || taskcompat.Stale(g.Members[i].Age, time.Duration(st.LivenessCheckInterval)*time.Second):
			st.Members[i].Role = "stale"
		case m.ID == st.Holder:
			st.Members[i].Role, st.Active = "active", true
		default:
			st.Members[i].Role = "standby"
		}
	}
	if err := schema.VerifyLedger(ctx, db, d); err != nil {
		st.LedgerNote = "no ledger table (" + err.Error() + ")"
		return st, nil
	}
	lg, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: c.GroupID, MemberID: "ftpcoord-status"})
	if err != nil {
		return st, err
	}
	counts, err := lg.Counts(ctx)
	if err != nil {
		return st, err
	}
	st.Ledger = map[string]int{}
	for _, s := range []ledger.Status{ledger.Pending, ledger.InProgress, ledger.Done, ledger.Failed, ledger.Rejected} {
		st.Ledger[string(s)] = counts[s]
	}
	return st, nil
}

// readTimings reads the intervals the group's members recorded
// (taskcompat writes them at start); none when the table is missing (a
// schema made before it) or unreadable: the judge then falls back.
func readTimings(ctx context.Context, db *sql.DB, d schema.Dialect, group string) map[string]int {
	out := map[string]int{}
	rows, err := db.QueryContext(ctx, sqldb.Rebind(d, `SELECT task_id, liveness_check_interval FROM ftpcoord_member WHERE group_id = ?`), group)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if rows.Scan(&id, &n) == nil {
			out[id] = n
		}
	}
	return out
}

// choose picks the interval that judges the members' heartbeats and says
// where it came from.
func (j Judge) choose(members []Member) (int, string) {
	if j.Override > 0 {
		return j.Override, "as --liveness asked"
	}
	var ids []string
	smallest, agree := 0, true
	for _, m := range members {
		if m.LivenessCheckInterval == 0 {
			continue
		}
		ids = append(ids, fmt.Sprintf("%s %ds", m.ID, m.LivenessCheckInterval))
		if smallest != 0 && m.LivenessCheckInterval != smallest {
			agree = false
		}
		if smallest == 0 || m.LivenessCheckInterval < smallest {
			smallest = m.LivenessCheckInterval
		}
	}
	switch {
	case len(ids) == 0:
		src := "the reader's"
		if j.Source != "" {
			src = "from " + j.Source
		}
		return j.Fallback, src + ": no member recorded its own (Ballerina nodes and older ftpcoord members do not; ftpcoord schema apply adds the table)"
	case agree:
		return smallest, "the members' own (recorded by " + strings.Join(ids, ", ") + ")"
	}
	return smallest, "the smallest the members recorded (" + strings.Join(ids, ", ") + "): they disagree, so standbys judge the holder differently; give them one livenessCheckInterval"
}

// Write prints the status for a person.
func Write(w io.Writer, st Status) {
	esc := safetext.Escape
	st.Group, st.Database, st.Holder, st.LedgerNote = esc(st.Group), esc(st.Database), esc(st.Holder), esc(st.LedgerNote)
	st.Members = slices.Clone(st.Members)
	for i := range st.Members {
		st.Members[i].ID, st.Members[i].Role = esc(st.Members[i].ID), esc(st.Members[i].Role)
	}
	fmt.Fprintf(w, "group %s on %s\n", st.Group, st.Database)
	switch {
	case st.Holder == "":
		fmt.Fprintln(w, "holder: none (nobody has taken the token yet)")
	case st.Active:
		fmt.Fprintf(w, "holder: %s, term %d, active\n", st.Holder, st.Term)
	case !slices.ContainsFunc(st.Members, func(m Member) bool { return m.ID == st.Holder }):
		fmt.Fprintf(w, "holder: %s, term %d, NOT ACTIVE: it has no heartbeat row (it stopped, stepped aside because it could not reach the file server, or never started); any other member takes over, one that stepped aside takes it back after stepAsideAfter\n", st.Holder, st.Term)
	default:
		fmt.Fprintf(w, "holder: %s, term %d, NOT ACTIVE: its heartbeat is older than livenessCheckInterval (%ds); a standby takes over at its next check\n", st.Holder, st.Term, st.LivenessCheckInterval)
	}
	fmt.Fprintf(w, "roles judged by livenessCheckInterval %ds, %s\n", st.LivenessCheckInterval, st.LivenessSource)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tHEARTBEAT AGE\tROLE")
	for _, m := range st.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.ID, (time.Duration(m.HeartbeatAgeSeconds*1000) * time.Millisecond).String(), m.Role)
	}
	tw.Flush()
	if len(st.Members) == 0 {
		fmt.Fprintln(w, "(no member has a heartbeat row)")
	}
	if st.Ledger == nil {
		fmt.Fprintln(w, "ledger:", st.LedgerNote)
		return
	}
	var parts []string
	for _, s := range []string{"PENDING", "IN_PROGRESS", "DONE", "FAILED", "REJECTED"} {
		parts = append(parts, fmt.Sprintf("%s %d", s, st.Ledger[s]))
	}
	fmt.Fprintln(w, "ledger:", strings.Join(parts, ", "))
}

// OrNone is a token holder for a person: "-" when nobody holds the token.
func OrNone(holder string) string {
	if holder == "" {
		return "-"
	}
	return holder
}
