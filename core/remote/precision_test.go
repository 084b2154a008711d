package remote

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func listed(t *testing.T, line string, now time.Time, loc *time.Location) Entry {
	t.Helper()
	e, err := parseLIST([]byte(line), now, loc)
	require.NoError(t, err, "%q", line)
	return e
}

// One unchanged file, listed by vsftpd before and after it turns six
// months old: minutes first, then only the day. Both are one time; the
// neighbouring minute and day are not.
func TestListingFormsOfOneFile(t *testing.T) {
	mtime := time.Date(2026, 6, 7, 1, 34, 27, 0, time.UTC)
	young := listed(t, "-rw-r--r--    1 ftp      ftp            12 Jun 07 01:34 a.csv", mtime.Add(10*24*time.Hour), nil)
	old := listed(t, "-rw-r--r--    1 ftp      ftp            12 Jun 07  2026 a.csv", mtime.Add(200*24*time.Hour), nil)
	require.Equal(t, PrecisionMinute, young.Precision, "young form")
	require.Equal(t, time.Date(2026, 6, 7, 1, 34, 0, 0, time.UTC), young.ModTime, "young form")
	require.Equal(t, PrecisionDay, old.Precision, "old form")
	require.Equal(t, time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC), old.ModTime, "old form")

	require.True(t, SameTime(young.ModTime, young.Precision, old.ModTime, old.Precision, nil), "the two forms of one time")
	require.True(t, SameTime(old.ModTime, old.Precision, young.ModTime, young.Precision, nil), "the two forms, swapped")
	require.True(t, SameTime(mtime, PrecisionSecond, old.ModTime, old.Precision, nil), "MDTM's time and the day")
	require.True(t, SameTime(mtime, PrecisionSecond, young.ModTime, young.Precision, nil), "MDTM's time and the minute")
	require.Equal(t, young.ModTime, PrecisionMinute.Truncate(mtime, nil), "MDTM's time cut to the minute is the young form")
	require.Equal(t, old.ModTime, PrecisionDay.Truncate(mtime, nil), "MDTM's time cut to the day is the old form")

	next := listed(t, "-rw-r--r--    1 ftp      ftp            12 Jun 07 01:35 a.csv", mtime.Add(10*24*time.Hour), nil)
	require.False(t, SameTime(young.ModTime, young.Precision, next.ModTime, next.Precision, nil), "the next minute")
	nextDay := listed(t, "-rw-r--r--    1 ftp      ftp            12 Jun 08  2026 a.csv", mtime.Add(200*24*time.Hour), nil)
	require.False(t, SameTime(young.ModTime, young.Precision, nextDay.ModTime, nextDay.Precision, nil), "the next day")
	require.False(t, SameTime(mtime, PrecisionSecond, mtime.Add(time.Second), PrecisionSecond, nil), "the next second")
	require.True(t, SameTime(mtime, PrecisionExact, mtime, PrecisionExact, nil), "one exact time")
	require.False(t, SameTime(mtime, PrecisionExact, mtime.Add(time.Millisecond), PrecisionExact, nil), "the next millisecond")
}

// Times without a year belong to the year that keeps them at most a day
// ahead, counted in the server's zone: on New Year's night in Berlin, UTC
// is still in the old year.
func TestListingYearBoundary(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 30, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC),
		listed(t, "-rw-r--r-- 1 ftp ftp 1 Dec 31 23:59 x", now, nil).ModTime, "last year's last minute")
	require.Equal(t, time.Date(2027, 1, 1, 0, 10, 0, 0, time.UTC),
		listed(t, "-rw-r--r-- 1 ftp ftp 1 Jan 01 00:10 x", now, nil).ModTime, "this year's first minutes")

	berlin := mustZone(t, "Europe/Berlin")
	now = time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC) // 00:30 on 1 January 2027 in Berlin
	require.Equal(t, time.Date(2026, 12, 31, 23, 20, 0, 0, time.UTC),
		listed(t, "-rw-r--r-- 1 ftp ftp 1 Jan 01 00:20 x", now, berlin).ModTime, "Berlin's new year, UTC's old one")
	require.Equal(t, time.Date(2026, 12, 31, 22, 50, 0, 0, time.UTC),
		listed(t, "-rw-r--r-- 1 ftp ftp 1 Dec 31 23:50 x", now, berlin).ModTime, "Berlin's old year")
}

// A server that lists local time (vsftpd with use_localtime=YES, BSD ftpd)
// with serverTimeZone: every line means the instant it names, on both
// sides of a DST change, whenever it is listed; the day form spans the
// server's day; a DOS line is read in the zone too.
func TestListingInServerTimeZoneAcrossDST(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	spring := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	// 29 March 2026: 02:00 CET became 03:00 CEST (01:00 UTC).
	before := listed(t, "-rw-r--r-- 1 ftp ftp 1 Mar 29 01:30 before", spring, berlin)
	after := listed(t, "-rw-r--r-- 1 ftp ftp 1 Mar 29 03:30 after", spring, berlin)
	require.Equal(t, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), before.ModTime, "CET")
	require.Equal(t, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), after.ModTime, "CEST")
	require.Equal(t, time.Hour, after.ModTime.Sub(before.ModTime), "an hour apart, as they are")

	// A summer file listed in summer and again in winter: the same instant.
	summer := listed(t, "-rw-r--r-- 1 ftp ftp 1 Jul 01 12:00 x", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), berlin)
	winter := listed(t, "-rw-r--r-- 1 ftp ftp 1 Jul 01 12:00 x", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), berlin)
	require.Equal(t, time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), summer.ModTime, "summer")
	require.Equal(t, summer.ModTime, winter.ModTime, "listed in summer and in winter")

	// 23:30 UTC on 1 July is 01:30 on 2 July in Berlin: its two forms, and
	// MDTM's UTC time cut to the minute, agree only when read in Berlin.
	mtime := time.Date(2026, 7, 1, 23, 30, 12, 0, time.UTC)
	young := listed(t, "-rw-r--r-- 1 ftp ftp 1 Jul 02 01:30 x", mtime.Add(time.Hour), berlin)
	old := listed(t, "-rw-r--r-- 1 ftp ftp 1 Jul 02  2026 x", mtime.Add(200*24*time.Hour), berlin)
	require.Equal(t, PrecisionMinute.Truncate(mtime, berlin), young.ModTime, "young form, in Berlin")
	require.True(t, SameTime(young.ModTime, young.Precision, old.ModTime, old.Precision, berlin), "both forms, in Berlin")
	require.True(t, SameTime(mtime, PrecisionSecond, old.ModTime, old.Precision, berlin), "MDTM and the day, in Berlin")
	misread := listed(t, "-rw-r--r-- 1 ftp ftp 1 Jul 02 01:30 x", mtime.Add(time.Hour), nil)
	require.NotEqual(t, PrecisionMinute.Truncate(mtime, nil), misread.ModTime, "read as UTC, the local line is two hours off")

	// Days are 23 and 25 hours long on the change days.
	day := listed(t, "-rw-r--r-- 1 ftp ftp 1 Mar 29  2026 x", spring, berlin)
	require.Equal(t, 23*time.Hour, PrecisionDay.End(day.ModTime, berlin).Sub(day.ModTime), "spring's short day")
	day = listed(t, "-rw-r--r-- 1 ftp ftp 1 Oct 25  2026 x", spring, berlin)
	require.Equal(t, 25*time.Hour, PrecisionDay.End(day.ModTime, berlin).Sub(day.ModTime), "autumn's long day")

	// 25 October 2026: 03:00 CEST became 02:00 CET (01:00 UTC), and 02:30
	// happened twice. The listing tells only the day for certain.
	twice := listed(t, "-rw-r--r-- 1 ftp ftp 1 Oct 25 02:30 x", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), berlin)
	require.Equal(t, PrecisionDay, twice.Precision, "a repeated hour")
	require.Equal(t, time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), twice.ModTime, "a repeated hour: its day")
	for _, utc := range []time.Time{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)} {
		require.True(t, SameTime(utc, PrecisionSecond, twice.ModTime, twice.Precision, berlin), "a repeated hour: %v", utc)
	}
	once := listed(t, "-rw-r--r-- 1 ftp ftp 1 Oct 25 03:30 x", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), berlin)
	require.Equal(t, PrecisionMinute, once.Precision, "the hour after")
	require.Equal(t, time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC), once.ModTime, "the hour after")

	dos := listed(t, "07-01-26  12:00PM                 1234 report.csv", spring, berlin)
	require.Equal(t, time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), dos.ModTime, "dir line in Berlin")
	require.Equal(t, PrecisionMinute, dos.Precision, "dir line")
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err, name)
	return loc
}
