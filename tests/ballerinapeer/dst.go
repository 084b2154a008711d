package ballerinapeer

import (
	"encoding/binary"
	"fmt"
	"time"
)

// DSTZone returns a time zone std east of UTC (negative: west) that moves
// its clocks one hour forward at springAt and back at fallAt (both on one
// day of the year, in that order), so that a test sees both DST changes
// within seconds: its POSIX TZ form, which PostgreSQL takes as a session
// TimeZone, and the same rules as a Go location, for reading wall clocks as
// a JVM in that zone would.
func DSTZone(std time.Duration, springAt, fallAt time.Time) (posix string, loc *time.Location, err error) {
	stdName, dstName := offsetName(std), offsetName(std+time.Hour)
	localStd := springAt.In(time.FixedZone(stdName, int(std/time.Second)))
	localDST := fallAt.In(time.FixedZone(dstName, int((std+time.Hour)/time.Second)))
	if localStd.YearDay() != localDST.YearDay() || isLeap(localStd.Year()) && localStd.YearDay() > 59 {
		return "", nil, fmt.Errorf("ballerinapeer: DST test zone needs both changes on one day of a non-leap stretch")
	}
	// POSIX offsets count hours west of UTC; Jn is the day of the year
	// without February 29.
	posix = fmt.Sprintf("<%s>%s<%s>,J%d/%s,J%d/%s", stdName, posixOffset(-std), dstName,
		localStd.YearDay(), localStd.Format("15:04:05"), localDST.YearDay(), localDST.Format("15:04:05"))
	loc, err = time.LoadLocationFromTZData(posix, tzif(std, stdName, posix))
	return posix, loc, err
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func offsetName(d time.Duration) string {
	sign := '+'
	if d < 0 {
		sign, d = '-', -d
	}
	return fmt.Sprintf("%c%02d%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}

func posixOffset(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%d:%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}

// tzif is a TZif version 2 file (RFC 8536) with no transitions, one zone
// type, and rule as its footer: the rules for all times.
func tzif(std time.Duration, name, rule string) []byte {
	var b []byte
	block := func(timeSize int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []uint32{0, 0, 0, 0, 1, uint32(len(name) + 1)} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, n)
		}
		_ = timeSize // no transitions: no times of either size
		b = binary.BigEndian.AppendUint32(b, uint32(int32(std/time.Second)))
		b = append(b, 0, 0) // not DST, designation at 0
		b = append(b, name...)
		b = append(b, 0)
	}
	block(4)
	block(8)
	b = append(b, '\n')
	b = append(b, rule...)
	return append(b, '\n')
}
