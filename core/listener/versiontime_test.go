package listener

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/stretchr/testify/require"
)

// fakeMDTM answers MDTM from a table of raw answers ("YYYYMMDDHHMMSS", as
// the server would send them), counting the commands. Only the time logic
// runs on it: no other Conn method is called.
type fakeMDTM struct {
	remote.Conn
	answers map[string]string
	calls   int
	noMDTM  bool
}

func (f *fakeMDTM) ListPrecision() remote.Precision { return remote.PrecisionDay }
func (f *fakeMDTM) CanTimeExactly() bool            { return !f.noMDTM }
func (f *fakeMDTM) ExactModTime(_ context.Context, p string) (time.Time, error) {
	f.calls++
	return time.ParseInLocation("20060102150405", f.answers[p], time.UTC)
}

func entryAt(name string, size int64, t time.Time, p remote.Precision) listed {
	return listed{dir: "/in", entry: remote.Entry{Name: name, Size: size, ModTime: t, Precision: p}}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// A server listing Berlin time: a file listed with its day gets, from MDTM,
// the minute its young listing showed, whether the server answers MDTM in
// UTC (RFC 3659) or, as vsftpd with use_localtime=YES does, in Berlin time:
// one file listed with its minute tells which.
func TestSettleReadsMDTMInTheServersZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	young := time.Date(2026, 1, 10, 10, 15, 0, 0, time.UTC) // modified 11:15:30 CET; young, listed "Jan 10 11:15"
	day := time.Date(2026, 1, 9, 23, 0, 0, 0, time.UTC)     // "Jan 10  2026", read in Berlin
	ref := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)     // "Jun 01 12:00", read in Berlin
	for _, c := range []struct {
		name       string
		old, fresh string // raw MDTM answers for the old file and the reference
	}{
		{"MDTM in UTC", "20260110101530", "20260601100000"},
		{"MDTM in local time", "20260110111530", "20260601120000"},
	} {
		v := versionTimes{loc: berlin}
		conn := &fakeMDTM{answers: map[string]string{"/in/old": c.old, "/in/new": c.fresh}}
		v.learn(conn, quiet)
		require.Equal(t, remote.PrecisionMinute, v.grain, c.name)
		added := v.settle(context.Background(), conn, []listed{entryAt("old", 5, day, remote.PrecisionDay), entryAt("new", 1, ref, remote.PrecisionMinute)}, quiet)
		require.Len(t, added, 2, c.name)
		require.Equal(t, young, added[0].entry.ModTime, "%s: the old file's time", c.name)
		require.Equal(t, remote.PrecisionMinute, added[0].entry.Precision, c.name)
		require.Equal(t, ref, added[1].entry.ModTime, "%s: a file listed with its minute keeps it", c.name)
		require.Equal(t, 2, conn.calls, "%s: MDTM commands: the old file and, once, the reference", c.name)
		require.True(t, v.same(young.UnixMilli(), remote.Entry{ModTime: day, Precision: remote.PrecisionDay}), "%s: seen minute, listed day", c.name)

		// The next poll finds the same candidate: MDTM's answer is kept.
		added = v.settle(context.Background(), conn, []listed{entryAt("old", 5, day, remote.PrecisionDay)}, quiet)
		require.Equal(t, young, added[0].entry.ModTime, "%s: from the kept answer", c.name)
		require.Equal(t, 2, conn.calls, "%s: no MDTM for a kept answer", c.name)
		// Another size is another version: asked again.
		v.settle(context.Background(), conn, []listed{entryAt("old", 6, day, remote.PrecisionDay)}, quiet)
		require.Equal(t, 3, conn.calls, "%s: a changed file is asked again", c.name)
	}
}

// An MDTM answer outside the listed day is not taken: the file waits (and
// a warning names serverTimeZone).
func TestSettleRefusesAnMDTMOutsideTheDay(t *testing.T) {
	v := versionTimes{loc: time.UTC}
	conn := &fakeMDTM{answers: map[string]string{"/in/old": "20260111101530"}}
	v.learn(conn, quiet)
	added := v.settle(context.Background(), conn, []listed{entryAt("old", 5, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), remote.PrecisionDay)}, quiet)
	require.Empty(t, added)
}

// Without MDTM, every LIST time is kept to its day, in the server's zone,
// and a minute and its day are one time.
func TestSettleWithoutMDTMKeepsTheDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	v := versionTimes{loc: berlin}
	conn := &fakeMDTM{noMDTM: true}
	v.learn(conn, quiet)
	require.Equal(t, remote.PrecisionDay, v.grain)
	minute := time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC) // 01:30 on 2 July in Berlin
	added := v.settle(context.Background(), conn, []listed{entryAt("young", 1, minute, remote.PrecisionMinute)}, quiet)
	want := time.Date(2026, 7, 1, 22, 0, 0, 0, time.UTC) // Berlin's midnight starting 2 July
	require.Equal(t, want, added[0].entry.ModTime)
	require.Equal(t, remote.PrecisionDay, added[0].entry.Precision)
	require.Zero(t, conn.calls, "MDTM commands")
	require.True(t, v.same(want.UnixMilli(), remote.Entry{ModTime: minute, Precision: remote.PrecisionMinute}), "the day and a minute of it")
	require.False(t, v.same(want.UnixMilli(), remote.Entry{ModTime: want.Add(24 * time.Hour), Precision: remote.PrecisionDay}), "the next day")
}

// MLSD and SFTP times compare to the millisecond, as they always did.
func TestExactTimesCompareToTheMillisecond(t *testing.T) {
	var v versionTimes // a session that is no ExactTimer (SFTP): exact
	t0 := time.Date(2026, 1, 10, 10, 15, 30, 0, time.UTC)
	require.True(t, v.same(t0.UnixMilli(), remote.Entry{ModTime: t0, Precision: remote.PrecisionSecond}))
	require.False(t, v.same(t0.UnixMilli(), remote.Entry{ModTime: t0.Add(time.Second), Precision: remote.PrecisionSecond}))
	require.False(t, v.same(t0.UnixMilli(), remote.Entry{ModTime: t0.Add(time.Millisecond), Precision: remote.PrecisionExact}))
}

// serverTimeZone takes IANA names only, and says so.
func TestServerTimeZoneIsChecked(t *testing.T) {
	for _, ok := range []string{"", "UTC", "Europe/Berlin", "America/New_York"} {
		c := ListenerConfig{ServerTimeZone: ok}
		require.NoError(t, c.Validate(), ok)
	}
	for _, bad := range []string{"CET+1", "Mars/Olympus", "Local", "+02:00"} {
		err := ListenerConfig{ServerTimeZone: bad}.Validate()
		require.ErrorContains(t, err, "serverTimeZone: ", bad)
		require.ErrorContains(t, err, "is not an IANA time zone name", bad)
		require.ErrorContains(t, err, `"Europe/Berlin"`, bad)
	}
	l, err := New(ListenerConfig{})
	require.NoError(t, err)
	require.Equal(t, time.UTC, l.times.loc, "the default zone")
}
