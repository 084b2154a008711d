package taskcompat

// Liveness that does not depend on the zone a heartbeat was written in.
//
// PostgreSQL's last_heartbeat is a TIMESTAMP WITHOUT TIME ZONE: each writer
// stores CURRENT_TIMESTAMP as the wall clock of its session zone, which a
// Ballerina node's JDBC driver sets from the JVM's default zone. A member
// whose session is in another zone reads a live holder's heartbeat as hours
// old or hours in the future. (MySQL TIMESTAMP columns are stored in UTC and
// do not have the problem; DATETIME columns do.)
//
// So a member judges the holder by two rules, and takes over when either says
// the holder is dead; each one implies that the heartbeat is really older than
// Ballerina's limit, so the takeover is never looser than Ballerina's:
//
//   - The value has not changed for the limit, timed on the database clock
//     from when this member first saw it (the way client-go's leader election
//     times the observed record). Needs no zone at all.
//   - Its age, corrected by the writer's zone offset relative to our session
//     zone. The offset is learned when the value changes (the writer is alive
//     then, so its fresh value's apparent age is the offset, rounded to the
//     quarter hour, as every zone offset is). Before any change has been seen
//     (a member just started), the holder is dead at once only when no zone
//     offset could make its heartbeat live: a holder dead for an hour might
//     be a live one an hour west, so that case waits for the first rule.
//
// The zones seen also decide the zone this member writes its own heartbeat in
// while it is active: Ballerina standbys read only the holder's row, in their
// own zone (see writeSkew).

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
)

const (
	// zoneStep: every zone offset in use is a whole number of quarter hours.
	zoneStep = 15 * time.Minute
	// maxSkew: the widest difference between two zones (UTC-12 to UTC+14).
	maxSkew = 26 * time.Hour
	// skewTolerance absorbs clock resolution and a heartbeat committed while
	// the observing statement ran.
	skewTolerance = 1500 * time.Millisecond
	// maxLearnGap: a change seen more than this after the previous sighting
	// says too little about when it was written to learn a zone from.
	maxLearnGap = 5 * time.Minute
)

// hbRow is one health_check row of the group, as observed.
type hbRow struct {
	taskID string
	wallUS int64 // last_heartbeat as stored: wall clock, µs since 1970 as if UTC
	age    time.Duration
	locked bool // its member lock is held (memberlock.go; SQL dialects)
}

// rowTrack follows one member's heartbeat row.
type rowTrack struct {
	wallUS    int64
	since     time.Time     // database clock when this value was first seen
	seen      time.Time     // database clock at the last sighting
	changedAt time.Time     // database clock when the value last changed (zero: never seen changing)
	skew      time.Duration // our session zone's offset minus the writer's: the apparent age of a fresh value
	known     bool          // skew learned from a change
	// east and eastUntil: the writer's zone was further east (a smaller
	// skew) until it moved its clocks back; see writeSkew.
	east      time.Duration
	eastUntil time.Time
}

// eastAfterDST is how long a member keeps writing in a zone's offset from
// before its clocks went back: the hour of local times that then occur twice.
const eastAfterDST = time.Hour

// zoneTracker follows the group's heartbeat rows; loop goroutine only.
type zoneTracker struct {
	rows     map[string]*rowTrack
	reported string // the mismatch last logged, to log each new one once
}

// update records one observation of the group's rows at database time now;
// self is this member's own task_id, whose row teaches nothing.
func (z *zoneTracker) update(rows []hbRow, self string, now time.Time) {
	if z.rows == nil {
		z.rows = map[string]*rowTrack{}
	}
	present := make(map[string]bool, len(rows))
	for _, r := range rows {
		present[r.taskID] = true
		t := z.rows[r.taskID]
		if t == nil {
			z.rows[r.taskID] = &rowTrack{wallUS: r.wallUS, since: now, seen: now}
			continue
		}
		if r.wallUS != t.wallUS {
			if now.Sub(t.seen) <= maxLearnGap {
				if s, ok := zoneOffsetNear(r.age); ok {
					if t.known && s > t.skew && s-t.skew <= 2*time.Hour {
						t.east, t.eastUntil = t.skew, now.Add(eastAfterDST)
					}
					t.skew, t.known = s, true
				}
			}
			t.wallUS, t.since, t.changedAt = r.wallUS, now, now
		}
		t.seen = now
	}
	for id := range z.rows {
		if !present[id] {
			delete(z.rows, id)
		}
	}
}

// zoneOffsetNear returns the zone offset that explains an apparent age of a
// value just written: the nearest quarter hour, if near enough.
func zoneOffsetNear(age time.Duration) (time.Duration, bool) {
	s := age.Round(zoneStep)
	d := age - s
	if s < -maxSkew || s > maxSkew || d < -skewTolerance || d > maxLearnGap {
		return 0, false
	}
	return s, true
}

// mayBeLive reports whether a heartbeat of apparent age a could be that of a
// live writer in some zone: a - offset in [-tolerance, limit) for an offset.
func mayBeLive(a, limit time.Duration) bool {
	lo := max((a-limit).Truncate(zoneStep)-zoneStep, -maxSkew)
	hi := min(a+skewTolerance, maxSkew)
	for s := lo.Truncate(zoneStep); s <= hi; s += zoneStep {
		if d := a - s; d >= -skewTolerance && d < limit {
			return true
		}
	}
	return false
}

// judge returns the holder's heartbeat age as best known and whether it is
// older than limit (then the holder is dead by Ballerina's rule, in the
// writer's own zone). apparent is the age read in our session zone.
func (z *zoneTracker) judge(holder string, apparent, limit time.Duration, now time.Time) (age time.Duration, dead bool) {
	t := z.rows[holder]
	if t == nil { // not tracked: cannot happen after update; judge by age alone
		return apparent, apparent >= limit
	}
	unchanged := now.Sub(t.since)
	switch {
	case t.known:
		age = apparent - t.skew
	case apparent >= -skewTolerance && apparent < limit:
		age = apparent // live in our zone, or just died
	case !mayBeLive(apparent, limit):
		return apparent, true // dead whatever zone it was written in
	default:
		age = unchanged // it may be live in another zone: wait for a change
	}
	return age, age >= limit || unchanged >= limit
}

// knownSkews returns the zone skews learned from the rows still in the
// table, other than self's: the zones the group's members write in, those of
// members that stopped included.
func (z *zoneTracker) knownSkews(self string) map[string]time.Duration {
	out := map[string]time.Duration{}
	for id, t := range z.rows {
		if id != self && t.known {
			out[id] = t.skew
		}
	}
	return out
}

// writeSkew is the skew of the zone to write our heartbeat in while active
// (the value written is our session's wall clock minus it), so that
// Ballerina standbys, which read the holder's row in their own zone, see its
// true age. The candidates are the zones of the members alive now (their
// value changed within limit) and the zone other than ours seen last (a
// Ballerina node keeps its row when it stops, and a node restarted, or a new
// one, is likely to be in that zone; a member of ours in our own zone does
// not need to read our heartbeat in its zone). Of the candidates, the
// easternmost (the smallest skew): no Ballerina standby among them then sees
// our heartbeat older than it is (a false takeover); those further west see
// it younger and take over late after a crash (ftpcoord standbys do not
// depend on the zone and take over in time). No candidate: our session zone.
//
// After a standby's zone moves its clocks back, its wall clocks of the next
// hour occur twice, and the JDBC driver reads them as the first time, an
// hour earlier: a heartbeat written in the new offset would read an hour
// old. For that hour the old, eastern, offset stays a candidate.
func (z *zoneTracker) writeSkew(self string, limit time.Duration, now time.Time) time.Duration {
	var cand []time.Duration
	var foreign *rowTrack
	for id, t := range z.rows {
		if id == self || !t.known {
			continue
		}
		if !t.changedAt.IsZero() && now.Sub(t.changedAt) <= limit {
			cand = append(cand, t.skew)
			if now.Before(t.eastUntil) {
				cand = append(cand, t.east)
			}
		}
		if t.skew != 0 && (foreign == nil || t.changedAt.After(foreign.changedAt)) {
			foreign = t
		}
	}
	if foreign != nil {
		cand = append(cand, foreign.skew)
	}
	var best time.Duration
	for i, s := range cand {
		if i == 0 || s < best {
			best = s
		}
	}
	return best
}

// mismatch describes the zones seen when they differ from ours, "" when all
// the live members write in our session zone.
func mismatch(sessionZone string, skews map[string]time.Duration, now time.Time) string {
	if len(skews) == 0 {
		return ""
	}
	ids := make([]string, 0, len(skews))
	for id, s := range skews {
		if s != 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	sort.Strings(ids)
	distinct := map[time.Duration]bool{}
	for _, s := range skews {
		distinct[s] = true
	}
	own := sessionOffset(sessionZone, now)
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s writes in %s", id, utcOffset(own-skews[id]))
	}
	if len(distinct) > 1 {
		b.WriteString("; the other members disagree among themselves: Ballerina nodes among them misjudge each other whatever ftpcoord does")
	}
	return b.String()
}

// sessionOffset is the UTC offset of a session zone at t (0 if unknown).
func sessionOffset(zone string, t time.Time) time.Duration {
	loc, err := sqldb.SessionLocation(zone)
	if err != nil {
		return 0
	}
	_, off := t.In(loc).Zone()
	return time.Duration(off) * time.Second
}

// utcOffset writes an offset as UTC+05:30.
func utcOffset(d time.Duration) string {
	sign := '+'
	if d < 0 {
		sign, d = '-', -d
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}
