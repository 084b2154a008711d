package remote

// How finely a listed modification time is known, and how two times of
// different precision are compared. LIST answers (`ls -l` style) give
// minutes for files younger than about six months and only the day for
// older (or future) ones, so one unchanged file is listed at two
// precisions in its life; MLSD, MDTM and SFTP give seconds or better.

import (
	"context"
	"time"
)

// Precision is how finely Entry.ModTime is known: the file's real time is
// somewhere in [ModTime, ModTime + one unit).
type Precision uint8

// The precisions, finest first. The zero value is PrecisionExact.
const (
	// PrecisionExact: as the server keeps it (MLSD with fractions of a second).
	PrecisionExact Precision = iota
	// PrecisionSecond: whole seconds (MLSD, MDTM, SFTP).
	PrecisionSecond
	// PrecisionMinute: whole minutes (LIST "Jun 07 01:34", Windows dir).
	PrecisionMinute
	// PrecisionDay: the date only, midnight in the server's zone (LIST
	// "Jun 07  2026", for files older than about six months or in the future).
	PrecisionDay
)

func (p Precision) String() string {
	switch p {
	case PrecisionExact:
		return "exact"
	case PrecisionSecond:
		return "second"
	case PrecisionMinute:
		return "minute"
	case PrecisionDay:
		return "day"
	}
	return "unknown"
}

// End returns the end of the span a time t of precision p stands for: the
// file's real time is in [t, End). A day ends at the next midnight in loc
// (the zone the server lists in; nil is UTC), which is 23 or 25 hours away
// across a DST change. Exact times span one millisecond, the grain of the
// times ftpcoord keeps.
func (p Precision) End(t time.Time, loc *time.Location) time.Time {
	switch p {
	case PrecisionSecond:
		return t.Add(time.Second)
	case PrecisionMinute:
		return t.Add(time.Minute)
	case PrecisionDay:
		if loc == nil {
			loc = time.UTC
		}
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	}
	return t.Add(time.Millisecond)
}

// Truncate returns t to precision p: the start of its minute or of its day
// in loc (nil: UTC); exact and second times are cut to the millisecond.
func (p Precision) Truncate(t time.Time, loc *time.Location) time.Time {
	switch p {
	case PrecisionSecond:
		return t.Truncate(time.Second)
	case PrecisionMinute:
		return t.Truncate(time.Minute) // zones are whole minutes from UTC
	case PrecisionDay:
		if loc == nil {
			loc = time.UTC
		}
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).UTC()
	}
	return t.Truncate(time.Millisecond)
}

// SameTime reports whether a (of precision pa) and b (of precision pb) may
// be the same modification time: whether their spans overlap. "Jun 07
// 2026" and "Jun 07 01:34" may be one time; "Jun 07 01:34" and "Jun 07
// 01:35" are not.
func SameTime(a time.Time, pa Precision, b time.Time, pb Precision, loc *time.Location) bool {
	return a.Before(pb.End(b, loc)) && b.Before(pa.End(a, loc))
}

// ExactTimer is implemented by sessions whose listings may give coarse
// times and that can read one file's time to the second (FTP: LIST and
// MDTM). A caller asks only for the files whose coarse time is not enough,
// never for every listed file.
type ExactTimer interface {
	// ListPrecision is the coarsest precision List may give:
	// PrecisionSecond (or finer) when it lists with MLSD, PrecisionDay
	// with LIST.
	ListPrecision() Precision
	// CanTimeExactly reports whether ExactModTime works on this server
	// (FTP: it announces MDTM).
	CanTimeExactly() bool
	// ExactModTime returns p's modification time to the second, in UTC
	// (RFC 3659's MDTM); an error that is errors.ErrUnsupported when the
	// server cannot tell it.
	ExactModTime(ctx context.Context, p string) (time.Time, error)
}
