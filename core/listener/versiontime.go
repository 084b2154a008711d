package listener

// Version times: when an unchanged file is the same version although its
// listing changed form. LIST answers (`ls -l` style, vsftpd's and most Unix
// servers') give minutes for files younger than six months and only the
// day for older ones, so one file is listed "Jun 07 01:34" and, half a year
// later, "Jun 07  2026". A version's time is therefore kept at one
// precision per server, its grain, which no listing form changes:
//
//   - MLSD and SFTP (seconds or better): the listed time, as before.
//   - LIST with MDTM: the minute. A file listed with its day only is
//     asked for its exact time (MDTM, one command) when it is a new or
//     changed candidate, never when it is unchanged, and the answer is
//     cut to the minute: the minute its young listing showed.
//   - LIST without MDTM: the day, in the server's zone, which every form
//     shows. The cost: a file rewritten with the same size on the same day
//     is not a new version.
//
// Comparisons with what was seen are precision-aware (remote.SameTime): a
// day and a minute inside it are one time.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"
	_ "time/tzdata" // serverTimeZone names must load where the system has no zone files

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// versionTimes settles the times of the versions a listing finds. Used
// under polling.
type versionTimes struct {
	loc   *time.Location   // the zone the server lists in (serverTimeZone)
	grain remote.Precision // the precision version times are kept at, for this server
	// exact holds MDTM's answers for the last poll's candidates, by path,
	// valid while the file's size and coarse time stay the same.
	exact   map[string]exactTime
	learned bool // grain was read from a session
	// mdtm is the zone MDTM answers in, once known: UTC by RFC 3659, but
	// vsftpd with use_localtime=YES answers in the zone it lists in. Only
	// a server listing local time (loc not UTC) needs to find out.
	mdtm *time.Location
}

type exactTime struct {
	size, coarse int64 // ms
	t            time.Time
}

// learn reads the server's grain from a session, and says once what a
// coarse one means.
func (v *versionTimes) learn(c remote.Conn, log *slog.Logger) {
	et, ok := c.(remote.ExactTimer)
	grain := remote.PrecisionExact
	switch {
	case !ok || et.ListPrecision() <= remote.PrecisionSecond:
	case et.CanTimeExactly():
		grain = remote.PrecisionMinute
	default:
		grain = remote.PrecisionDay
	}
	if v.learned && grain == v.grain {
		return
	}
	v.grain, v.learned = grain, true
	switch grain {
	case remote.PrecisionMinute:
		log.Info("listener: the server lists with LIST (no MLSD): file versions keep their time to the minute; MDTM reads the minute of files listed with their day",
			"serverTimeZone", v.zone().String())
	case remote.PrecisionDay:
		log.Warn("listener: the server lists with LIST and has no MDTM: file versions keep their time to the day, so a file rewritten with the same size on the same day is not a new version",
			"serverTimeZone", v.zone().String())
	}
}

// same reports whether a version seen with a time of mtime ms (settled to
// the grain) may be the listed entry e. Exact times compare to the
// millisecond, as they always did.
func (v *versionTimes) same(mtime int64, e remote.Entry) bool {
	if v.grain <= remote.PrecisionSecond && e.Precision <= remote.PrecisionSecond {
		return mtime == e.ModTime.UnixMilli()
	}
	return remote.SameTime(time.UnixMilli(mtime), v.grain, e.ModTime, e.Precision, v.loc)
}

// settle brings the times of a listing's new and changed versions to the
// grain, asking c for the exact time of those listed with their day only
// (when the server can tell it). A version whose time cannot be read now is
// left for a later poll.
func (v *versionTimes) settle(ctx context.Context, c remote.Conn, added []listed, log *slog.Logger) []listed {
	et, _ := c.(remote.ExactTimer)
	if et != nil && v.grain == remote.PrecisionMinute {
		v.calibrate(ctx, et, added)
	}
	kept := added[:0]
	asked := map[string]exactTime{}
	var failed int
	var firstErr error
	for _, a := range added {
		e := &a.entry
		a.listedMS = e.ModTime.UnixMilli()
		switch {
		case e.Precision <= remote.PrecisionSecond:
		case v.grain == remote.PrecisionDay:
			e.ModTime, e.Precision = remote.PrecisionDay.Truncate(e.ModTime, v.loc), remote.PrecisionDay
		case e.Precision == remote.PrecisionDay && et != nil:
			t, err := v.exactTime(ctx, et, joinPath(a.dir, e.Name), *e, asked)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) { // gone: nothing to report
					failed++
					firstErr = cmpErr(firstErr, err)
				}
				continue
			}
			e.ModTime, e.Precision = remote.PrecisionMinute.Truncate(t, v.loc), remote.PrecisionMinute
		}
		kept = append(kept, a)
	}
	v.exact = asked
	if failed > 0 && ctx.Err() == nil {
		log.Warn("listener: could not read the exact time (MDTM) of files listed with their day only; they wait for a later poll",
			"files", failed, "first", firstErr)
	}
	return kept
}

// exactTime returns e's exact time from the last poll's answers or from
// the server, and notes it in asked.
func (v *versionTimes) exactTime(ctx context.Context, et remote.ExactTimer, p string, e remote.Entry, asked map[string]exactTime) (time.Time, error) {
	coarse := e.ModTime.UnixMilli()
	if x, ok := v.exact[p]; ok && x.size == e.Size && x.coarse == coarse {
		asked[p] = x
		return x.t, nil
	}
	raw, err := et.ExactModTime(ctx, p)
	if err != nil {
		return time.Time{}, err
	}
	// The listed day tells the zone of the answer when only one reading
	// falls inside it; when both do and the zone is not known yet, RFC
	// 3659's UTC is taken.
	inDay := func(t time.Time) bool {
		return remote.SameTime(t, remote.PrecisionSecond, e.ModTime, e.Precision, v.loc)
	}
	var t time.Time
	switch utc, local := raw, v.inZone(raw); {
	case v.mdtm != nil:
		t = v.inMDTMZone(raw)
	case inDay(utc) && (local.Equal(utc) || !inDay(local)):
		t, v.mdtm = utc, time.UTC
	case inDay(local) && !inDay(utc):
		t, v.mdtm = local, v.zone()
	default:
		t = utc
	}
	if !inDay(t) {
		// MDTM and the listing disagree on the day: a wrong
		// serverTimeZone, or a server whose answers keep no zone.
		return time.Time{}, fmt.Errorf("MDTM %s says %s, outside the listed day %s (%s): check serverTimeZone",
			p, raw.Format("20060102150405"), e.ModTime.In(v.zone()).Format(time.DateOnly), v.zone())
	}
	asked[p] = exactTime{size: e.Size, coarse: coarse, t: t}
	return t, nil
}

// calibrate learns the zone of MDTM's answers, once, on a server listing
// local time that has files listed with their day to time: from one file
// of the listing shown with its minute, whose MDTM answer must name that
// minute in one of the two zones. One MDTM command per listener.
func (v *versionTimes) calibrate(ctx context.Context, et remote.ExactTimer, added []listed) {
	if v.mdtm != nil || v.zone() == time.UTC {
		return
	}
	var ref *listed
	needed := false
	for i := range added {
		switch added[i].entry.Precision {
		case remote.PrecisionDay:
			needed = true
		case remote.PrecisionMinute:
			if ref == nil {
				ref = &added[i]
			}
		}
	}
	if !needed || ref == nil {
		return
	}
	raw, err := et.ExactModTime(ctx, joinPath(ref.dir, ref.entry.Name))
	if err != nil {
		return // the day check decides, file by file
	}
	switch minute := ref.entry.ModTime; {
	case remote.PrecisionMinute.Truncate(raw, nil).Equal(minute):
		v.mdtm = time.UTC
	case remote.PrecisionMinute.Truncate(v.inZone(raw), nil).Equal(minute):
		v.mdtm = v.zone()
	}
}

// readAsUTC returns the time of ms as a listing read in UTC would have
// given it: its wall clock in the server's zone, taken for UTC (as releases
// before serverTimeZone read every listing).
func (v *versionTimes) readAsUTC(ms int64) int64 {
	if v.zone() == time.UTC {
		return ms
	}
	w := time.UnixMilli(ms).In(v.zone())
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC).UnixMilli()
}

// inZone reads the digits of an MDTM answer (parsed as UTC) in the zone
// the server lists in.
func (v *versionTimes) inZone(raw time.Time) time.Time {
	return time.Date(raw.Year(), raw.Month(), raw.Day(), raw.Hour(), raw.Minute(), raw.Second(), raw.Nanosecond(), v.zone()).UTC()
}

// inMDTMZone reads an MDTM answer in the zone the server answers in.
func (v *versionTimes) inMDTMZone(raw time.Time) time.Time {
	if v.mdtm == time.UTC {
		return raw
	}
	return v.inZone(raw)
}

func (v *versionTimes) zone() *time.Location {
	if v.loc == nil {
		return time.UTC
	}
	return v.loc
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// checkServerTimeZone validates serverTimeZone: an IANA zone name.
func checkServerTimeZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone name: give the zone the server lists its times in, such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"", name)
	}
	return loc, nil
}
