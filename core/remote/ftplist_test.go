package remote

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lines as real servers answer them (pure-ftpd MLSD, vsftpd and ProFTPD
// LIST, IIS dir style), and what they must become.
func TestParseMLSD(t *testing.T) {
	cases := []struct {
		line string
		want Entry
		skip bool
	}{
		{line: "type=file;size=1234;modify=20261122170102;UNIX.mode=0644;UNIX.uid=65534; a.csv",
			want: Entry{Name: "a.csv", Size: 1234, ModTime: time.Date(2026, 11, 22, 17, 1, 2, 0, time.UTC), Precision: PrecisionSecond}},
		{line: "Type=DIR;Modify=20260101000000.250;Perm=flcdmpe; sub dir",
			want: Entry{Name: "sub dir", IsDir: true, ModTime: time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC), Precision: PrecisionExact}},
		{line: "type=file;size=0;modify=20261122170102; name; with; semicolons and  spaces ",
			want: Entry{Name: "name; with; semicolons and  spaces ", ModTime: time.Date(2026, 11, 22, 17, 1, 2, 0, time.UTC), Precision: PrecisionSecond}},
		{line: "type=file;size=5;modify=20261122170102; 😀 émoji.txt",
			want: Entry{Name: "😀 émoji.txt", Size: 5, ModTime: time.Date(2026, 11, 22, 17, 1, 2, 0, time.UTC), Precision: PrecisionSecond}},
		{line: "type=OS.unix=slink:/etc/x;size=9;modify=20261122170102; link",
			want: Entry{Name: "link", Size: 9, ModTime: time.Date(2026, 11, 22, 17, 1, 2, 0, time.UTC), Precision: PrecisionSecond}},
		{line: "type=file;size=3;modify=20261122170102; /inbox/dir/x.txt",
			want: Entry{Name: "x.txt", Size: 3, ModTime: time.Date(2026, 11, 22, 17, 1, 2, 0, time.UTC), Precision: PrecisionSecond}},
		{line: "type=cdir;modify=20261122170102; .", skip: true},
		{line: "type=pdir;modify=20261122170102; ..", skip: true},
	}
	for _, c := range cases {
		got, err := parseMLSD([]byte(c.line))
		if c.skip {
			assert.ErrorIs(t, err, errSkip, "%q: got %+v; want skipped", c.line, got)
			continue
		}
		if assert.NoError(t, err, "%q", c.line) {
			assert.Equal(t, c.want, got, "%q", c.line)
		}
	}
	for _, bad := range []string{"", "no-facts-no-space", "size=1;modify=20261122170102; no type",
		"type=file;size=-1; neg", "type=file;size=x; nan", "type=file;modify=2026112217; short",
		"type=file;modify=20261322170102; month13", "type=file;modify=20261122170102.; frac"} {
		e, err := parseMLSD([]byte(bad))
		if assert.Error(t, err, "%q: parsed as %+v, want an error", bad, e) {
			assert.NotErrorIs(t, err, errSkip, "%q: want an error, not a skip", bad)
		}
	}
}

func TestParseLIST(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		line string
		want Entry
		skip bool
	}{
		// vsftpd
		{line: "-rw-r--r--    1 1001     1001         1234 Nov 22 17:01 a.csv",
			want: Entry{Name: "a.csv", Size: 1234, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "drwxr-xr-x    2 1001     1001         4096 Jan 05  2024 old dir",
			want: Entry{Name: "old dir", IsDir: true, ModTime: time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC), Precision: PrecisionDay}},
		// a date later than tomorrow without a year is last year's
		{line: "-rw-r--r--    1 ftp      ftp             7 Dec 30 23:59 dec.txt",
			want: Entry{Name: "dec.txt", Size: 7, ModTime: time.Date(2025, 12, 30, 23, 59, 0, 0, time.UTC), Precision: PrecisionMinute}},
		// no group column; names with spaces, leading spaces kept
		{line: "-rw-r--r-- 1 owner 42 Nov 22 17:01  two  spaces ",
			want: Entry{Name: " two  spaces ", Size: 42, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		// a group named like a month does not fool the date search
		{line: "-rw-r--r--    1 jan      mar            9 Nov 22 17:01 x",
			want: Entry{Name: "x", Size: 9, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "lrwxrwxrwx    1 0        0              11 Nov 22 17:01 link -> target file",
			want: Entry{Name: "link", Size: 11, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "-rw-r--r--    1 0        0               5 Nov 22 17:01 😀.txt",
			want: Entry{Name: "😀.txt", Size: 5, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		// IIS
		{line: "11-22-26  05:01PM                 1234 report 1.csv",
			want: Entry{Name: "report 1.csv", Size: 1234, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "01-05-99  12:15AM       <DIR>          archive",
			want: Entry{Name: "archive", IsDir: true, ModTime: time.Date(1999, 1, 5, 0, 15, 0, 0, time.UTC), Precision: PrecisionMinute}},
		// the other `dir` forms jlaffaye/ftp reads: four-digit years with
		// either clock, and ISO dates
		{line: "11-22-2026  17:01                 1234 b.csv",
			want: Entry{Name: "b.csv", Size: 1234, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "11-22-2026  05:01PM                  5 c.csv",
			want: Entry{Name: "c.csv", Size: 5, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "2026-11-22  17:01                    7 d e.csv",
			want: Entry{Name: "d e.csv", Size: 7, ModTime: time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "2024-01-05  00:15       <DIR>          iso dir",
			want: Entry{Name: "iso dir", IsDir: true, ModTime: time.Date(2024, 1, 5, 0, 15, 0, 0, time.UTC), Precision: PrecisionMinute}},
		{line: "total 12", skip: true},
		{line: "", skip: true},
		{line: "drwxr-xr-x    2 0        0            4096 Nov 22 17:01 .", skip: true},
		{line: "drwxr-xr-x    2 0        0            4096 Nov 22 17:01 ..", skip: true},
	}
	for _, c := range cases {
		got, err := parseLIST([]byte(c.line), now, nil)
		if c.skip {
			assert.ErrorIs(t, err, errSkip, "%q: got %+v; want skipped", c.line, got)
			continue
		}
		if assert.NoError(t, err, "%q", c.line) {
			assert.Equal(t, c.want, got, "%q", c.line)
		}
	}
	for _, bad := range []string{"?rw-r--r-- 1 a b 1 Nov 22 17:01 x", "-rw-r--r-- 1 a b x Nov 22 17:01 name",
		"-rw-r--r-- 1 a b 1 Foo 22 17:01 x", "-rw-r--r-- 1 a b 1 Nov 22 25:01 x", "-rw-r--r-- 1 a b 1 Nov 22 17:01",
		"13-22-26  05:01PM 1 x", "11-22-26  05:01PM", "11-22-26  0501PM 1 x", "2026-13-22  17:01 1 x", "22-11-2026  17:01 1 x"} {
		e, err := parseLIST([]byte(bad), now, nil)
		if assert.Error(t, err, "%q: parsed as %+v, want an error", bad, e) {
			assert.NotErrorIs(t, err, errSkip, "%q: want an error, not a skip", bad)
		}
	}
}

// VMS and AS/400 (IBM i) listings are not read, and no line of theirs is
// taken for an entry: each is an error (skipped and logged by the
// listing, docs/listener.md says why and what to do). VMS gives sizes in
// 512-byte blocks, not bytes; IBM i's own format (LISTFMT 0) writes dates
// in the server job's format and no size for some objects. jlaffaye/ftp
// reads neither.
func TestParseLISTRefusesVMSAndAS400(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, line := range []string{
		// VMS (MultiNet, TCPware, HP TCP/IP Services)
		"Directory DISK$USER:[INBOX]",
		"REPORT.CSV;1              2/3          22-NOV-2026 17:01:02  [GROUP,OWNER]    (RWED,RWED,RE,)",
		"data.csv;12               1/3          22-NOV-2026 17:01:02  [GROUP,OWNER]    (RWED,RWED,RE,)",
		"2026SALES.CSV;3           9/12         22-NOV-2026 17:01:02  [GROUP,OWNER]    (RWED,RWED,RE,)",
		"SUBDIR.DIR;1              1/3           5-JAN-2024 00:15:00  [GROUP,OWNER]    (RWE,RWE,RE,E)",
		"Total of 4 files, 13/21 blocks.",
		// IBM i, LISTFMT 0: owner size date time type name
		"QSYS            77824 02/23/00 15:09:55 *DIR       QDOC/",
		"BAILEYSE      5263360 06/11/97 12:27:39 *FILE      BPTFSAVF",
		"dave             1234 11/22/26 17:01:02 *STMF      /home/dave/a.csv",
		"                 1234 11/22/26 17:01:02 *STMF      a.csv", // anonymous: no owner
		"1234 26/11/22 17:01:02 *STMF a.csv",
		"QSYS                                    *MEM       QGPL/QCLSRC.MBR",
	} {
		e, err := parseLIST([]byte(line), now, nil)
		assert.Error(t, err, "%q: parsed as %+v", line, e)
	}
}

// A listing stream: entries in order, junk lines counted and skipped, CRLF
// and a last line without a newline handled, a line longer than the buffer
// skipped without losing the next one, and fn's error stopping it.
func TestListSinkConsume(t *testing.T) {
	var stream bytes.Buffer
	stream.WriteString("type=file;size=1;modify=20261122170102; a\r\n")
	stream.WriteString("garbage line\r\n")
	stream.WriteString("type=file;size=2;modify=20261122170102; " + strings.Repeat("x", maxListLine+10) + "\r\n")
	stream.WriteString("type=cdir;modify=20261122170102; .\r\n")
	stream.WriteString("type=file;size=3;modify=20261122170102; b")
	var got []string
	s := &listSink{parse: parseMLSD, fn: func(e Entry) error { got = append(got, e.Name); return nil }}
	require.NoError(t, s.consume(&stream))
	require.Equal(t, []string{"a", "b"}, got)
	require.EqualValues(t, 2, s.n, "entries")
	require.EqualValues(t, 2, s.bad, "bad lines")
	require.Equal(t, "garbage line", s.firstBad)
	stop := errors.New("stop")
	s = &listSink{parse: parseMLSD, fn: func(Entry) error { return stop }}
	require.NoError(t, s.consume(strings.NewReader("type=file;size=1;modify=20261122170102; a\ntype=file;size=1;modify=20261122170102; b\n")), "fn's error")
	require.Same(t, stop, s.err, "fn's error: sink err")
	require.EqualValues(t, 1, s.n, "fn's error: entries")
}

// FuzzListingLine feeds hostile lines to both parsers: they must never
// panic, and what they accept must be a plausible entry.
func FuzzListingLine(f *testing.F) {
	for _, seed := range []string{
		"type=file;size=1234;modify=20261122170102; a.csv",
		"type=dir;modify=20260101000000.250; sub dir",
		"-rw-r--r--    1 1001     1001         1234 Nov 22 17:01 a.csv",
		"lrwxrwxrwx 1 0 0 11 Nov 22 17:01 link -> target",
		"11-22-26  05:01PM                 1234 report 1.csv",
		"01-05-99  12:15AM       <DIR>          archive",
		"type=file;size=1;modify=20261122170102; ../../etc/passwd",
		"-rw-r--r-- 1 a b 1 Nov 22 17:01 \x00\xff",
		"-rw-r--r--    1 ftp      ftp            12 Jun 07  2026 old.csv",
		"-rw-r--r--    1 ftp      ftp            12 Feb 29 02:30 leap.csv",
		// Hostile sizes: negative, past int64, at its edge.
		"type=file;size=-5;modify=20261122170102; neg.csv",
		"type=file;size=9223372036854775808;modify=20261122170102; huge.csv",
		"type=file;size=9223372036854775807;modify=99991231235959; edge.csv",
		"-rw-r--r-- 1 a b -1 Nov 22 17:01 neg.csv",
		"-rw-r--r-- 1 a b 99999999999999999999 Nov 22 17:01 huge.csv",
		"11-22-26  05:01PM  -1234 neg.csv",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, parse := range []func([]byte) (Entry, error){parseMLSD,
			func(b []byte) (Entry, error) { return parseLIST(b, now, nil) },
			func(b []byte) (Entry, error) { return parseLIST(b, now, berlin) }} {
			e, err := parse([]byte(line))
			if err != nil {
				continue
			}
			if e.Name == "" || e.Name == "." || e.Name == ".." || strings.Contains(e.Name, "/") {
				t.Fatalf("%q: accepted name %q", line, e.Name)
			}
			if e.Size < 0 || (e.IsDir && e.Size != 0) {
				t.Fatalf("%q: size %d dir %v", line, e.Size, e.IsDir)
			}
			if e.Precision > PrecisionDay || e.ModTime.Location() != time.UTC {
				t.Fatalf("%q: time %v of precision %v", line, e.ModTime, e.Precision)
			}
			if unix := line[0] < '0' || line[0] > '9'; unix && e.Precision == PrecisionMinute && e.ModTime.After(now.Add(24*time.Hour)) {
				t.Fatalf("%q: a time without a year placed after tomorrow: %v", line, e.ModTime)
			}
			// What the boundary check lets through is a file that can
			// exist; what it refuses, it refuses with ErrBadEntry.
			if err := CheckEntry(e); err != nil {
				if !errors.Is(err, ErrBadEntry) {
					t.Fatalf("%q: CheckEntry: %v", line, err)
				}
			} else if strings.ContainsRune(e.Name, 0) || e.ModTime.Year() > 9999 {
				t.Fatalf("%q: CheckEntry let through %+v", line, e)
			}
		}
	})
}
