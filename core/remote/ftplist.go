package remote

// Parsing of FTP listing lines, one line at a time, so that a listing is
// streamed to its caller as it arrives instead of being collected first.
// Two formats: MLSD (RFC 3659, machine readable, precise times) and LIST,
// whose format the RFC leaves open; servers answer it like `ls -l` (Unix)
// or like `dir` (Windows/IIS).

import (
	"bytes"
	"errors"
	"path"
	"strconv"
	"strings"
	"time"
)

// errSkip marks a listing line that names no entry of the directory: the
// directory itself, its parent, a "total" line, a blank line.
var errSkip = errors.New("remote: not an entry")

// parseMLSD parses one MLSD line: "fact=value;fact=value; name". The name
// follows the first space and may hold spaces and semicolons.
func parseMLSD(line []byte) (Entry, error) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return Entry{}, errors.New("mlsd: no space before the name")
	}
	name := string(line[sp+1:])
	e := Entry{Name: baseName(name), Precision: PrecisionSecond}
	var haveType bool
	for facts := line[:sp]; len(facts) > 0; {
		var fact []byte
		if i := bytes.IndexByte(facts, ';'); i >= 0 {
			fact, facts = facts[:i], facts[i+1:]
		} else {
			fact, facts = facts, nil
		}
		eq := bytes.IndexByte(fact, '=')
		if eq < 0 {
			continue
		}
		key, val := fact[:eq], fact[eq+1:]
		switch {
		case asciiEqualFold(key, "type"):
			haveType = true
			switch {
			case asciiEqualFold(val, "cdir"), asciiEqualFold(val, "pdir"):
				return Entry{}, errSkip
			case asciiEqualFold(val, "dir"):
				e.IsDir = true
			}
		case asciiEqualFold(key, "size"):
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil || n < 0 {
				return Entry{}, errors.New("mlsd: bad size fact")
			}
			e.Size = n
		case asciiEqualFold(key, "modify"):
			t, err := parseMLSDTime(val)
			if err != nil {
				return Entry{}, err
			}
			e.ModTime = t
			if len(val) > 14 { // fractions of a second
				e.Precision = PrecisionExact
			}
		}
	}
	if !haveType {
		return Entry{}, errors.New("mlsd: no type fact")
	}
	if e.Name == "" || e.Name == "." || e.Name == ".." {
		return Entry{}, errSkip
	}
	if e.IsDir {
		e.Size = 0
	}
	return e, nil
}

// parseMLSDTime reads RFC 3659's time-val: YYYYMMDDHHMMSS[.sss], in UTC.
func parseMLSDTime(v []byte) (time.Time, error) {
	if len(v) < 14 {
		return time.Time{}, errors.New("mlsd: bad modify fact")
	}
	var d [6]int
	widths := [6]int{4, 2, 2, 2, 2, 2}
	p := 0
	for i, w := range widths {
		n, ok := atoiDigits(v[p : p+w])
		if !ok {
			return time.Time{}, errors.New("mlsd: bad modify fact")
		}
		d[i], p = n, p+w
	}
	nsec := 0
	if rest := v[14:]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, errors.New("mlsd: bad modify fact")
		}
		frac, ok := atoiDigits(rest[1:])
		if !ok {
			return time.Time{}, errors.New("mlsd: bad modify fact")
		}
		for i := len(rest) - 1; i < 9; i++ {
			frac *= 10
		}
		nsec = frac
	}
	if d[1] < 1 || d[1] > 12 || d[2] < 1 || d[2] > 31 || d[3] > 23 || d[4] > 59 || d[5] > 60 {
		return time.Time{}, errors.New("mlsd: bad modify fact")
	}
	return time.Date(d[0], time.Month(d[1]), d[2], d[3], d[4], d[5], nsec, time.UTC), nil
}

// parseLIST parses one line of a LIST answer, in the Unix `ls -l` form
// ("-rw-r--r-- 1 owner group 1234 Nov 22 17:01 name", or "Nov 22  2025"
// for files older than about six months) or the Windows `dir` form
// ("11-22-26  05:01PM  1234 name"). Times are read in loc, the zone the
// server lists in (nil: UTC, the common server default, vsftpd's among
// them); times without a year are placed in the year that keeps them at
// most a day after now, in that zone. The entry's Precision says what the
// line gave: minutes, or only the day.
func parseLIST(line []byte, now time.Time, loc *time.Location) (Entry, error) {
	if len(line) == 0 || bytes.HasPrefix(line, []byte("total ")) {
		return Entry{}, errSkip
	}
	if loc == nil {
		loc = time.UTC
	}
	if line[0] >= '0' && line[0] <= '9' {
		return parseDOSLine(line, loc)
	}
	return parseUnixLine(line, now, loc)
}

var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func parseUnixLine(line []byte, now time.Time, loc *time.Location) (Entry, error) {
	kind := line[0]
	switch kind {
	case '-', 'd', 'l', 'f':
	default:
		return Entry{}, errors.New("list: unknown entry type")
	}
	// Fields are separated by runs of spaces, except that the name, after
	// the date, keeps its own spaces. The date is the first month name
	// followed by a day and a time or year; the size is the field before it.
	fields := splitFields(line, 12)
	m := -1
	for i := 2; i+3 < len(fields); i++ {
		if monthIndex(fields[i].b) >= 0 {
			if _, ok := atoiDigits(fields[i+1].b); ok && isTimeOrYear(fields[i+2].b) {
				m = i
				break
			}
		}
	}
	if m < 0 {
		return Entry{}, errors.New("list: no date")
	}
	size, ok := atoiDigits64(fields[m-1].b)
	if !ok {
		return Entry{}, errors.New("list: bad size")
	}
	t, prec, err := unixListTime(fields[m].b, fields[m+1].b, fields[m+2].b, now, loc)
	if err != nil {
		return Entry{}, err
	}
	// The name starts one space after the time or year.
	nameStart := fields[m+2].end + 1
	if nameStart > len(line) {
		return Entry{}, errors.New("list: no name")
	}
	name := line[nameStart:]
	if kind == 'l' {
		if i := bytes.Index(name, []byte(" -> ")); i >= 0 {
			name = name[:i]
		}
	}
	e := Entry{Name: baseName(string(name)), ModTime: t, IsDir: kind == 'd', Precision: prec}
	if e.Name == "" || e.Name == "." || e.Name == ".." {
		return Entry{}, errSkip
	}
	if !e.IsDir {
		e.Size = size
	}
	return e, nil
}

func unixListTime(mon, day, tail []byte, now time.Time, loc *time.Location) (time.Time, Precision, error) {
	mi := monthIndex(mon)
	d, ok := atoiDigits(day)
	if mi < 0 || !ok || d < 1 || d > 31 {
		return time.Time{}, 0, errors.New("list: bad date")
	}
	if i := bytes.IndexByte(tail, ':'); i >= 0 {
		h, ok1 := atoiDigits(tail[:i])
		mm, ok2 := atoiDigits(tail[i+1:])
		if !ok1 || !ok2 || h > 23 || mm > 59 {
			return time.Time{}, 0, errors.New("list: bad time")
		}
		// The year is the server's: on New Year's night in its zone, UTC
		// may still be in the old year.
		y := now.In(loc).Year()
		t := time.Date(y, time.Month(mi+1), d, h, mm, 0, 0, loc)
		if t.After(now.Add(24 * time.Hour)) {
			t = time.Date(y-1, time.Month(mi+1), d, h, mm, 0, 0, loc)
		}
		if repeated(t) {
			// The hour a DST change repeats names two instants: only the
			// day is certain (MDTM tells which, where it is needed).
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc).UTC(), PrecisionDay, nil
		}
		return t.UTC(), PrecisionMinute, nil
	}
	y, ok := atoiDigits(tail)
	if !ok {
		return time.Time{}, 0, errors.New("list: bad year")
	}
	return time.Date(y, time.Month(mi+1), d, 0, 0, 0, 0, loc).UTC(), PrecisionDay, nil
}

// repeated reports whether t's wall clock in its zone also names another
// instant, an hour away (the hour a change back from DST repeats).
func repeated(t time.Time) bool {
	if t.Location() == time.UTC {
		return false
	}
	h, m, _ := t.Clock()
	for _, o := range []time.Time{t.Add(-time.Hour), t.Add(time.Hour)} {
		if oh, om, _ := o.Clock(); oh == h && om == m && o.Day() == t.Day() {
			return true
		}
	}
	return false
}

// parseDOSLine reads "MM-DD-YY  HH:MMAM  <DIR>|size  name"; the date may
// also be MM-DD-YYYY or YYYY-MM-DD, the clock 12- or 24-hour (the forms
// jlaffaye/ftp reads too).
func parseDOSLine(line []byte, loc *time.Location) (Entry, error) {
	f := splitFields(line, 4)
	if len(f) < 4 {
		return Entry{}, errors.New("list: short dir line")
	}
	t, err := dosTime(f[0].b, f[1].b, loc)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{ModTime: t, Precision: PrecisionMinute}
	if string(f[2].b) == "<DIR>" {
		e.IsDir = true
	} else {
		n, ok := atoiDigits64(bytes.ReplaceAll(f[2].b, []byte(","), nil))
		if !ok {
			return Entry{}, errors.New("list: bad size")
		}
		e.Size = n
	}
	e.Name = baseName(string(line[f[3].start:]))
	if e.Name == "" || e.Name == "." || e.Name == ".." {
		return Entry{}, errSkip
	}
	return e, nil
}

func dosTime(date, clock []byte, loc *time.Location) (time.Time, error) {
	parts := bytes.Split(date, []byte("-"))
	if len(parts) != 3 {
		return time.Time{}, errors.New("list: bad dir date")
	}
	ym, yd, yy := parts[0], parts[1], parts[2]
	if len(parts[0]) == 4 { // "YYYY-MM-DD", as some Windows servers answer
		ym, yd, yy = parts[1], parts[2], parts[0]
	}
	mo, ok1 := atoiDigits(ym)
	d, ok2 := atoiDigits(yd)
	y, ok3 := atoiDigits(yy)
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, errors.New("list: bad dir date")
	}
	if len(yy) == 2 {
		y += 1900
		if y < 1970 {
			y += 100
		}
	}
	c := strings.ToUpper(string(clock))
	pm, am := strings.HasSuffix(c, "PM"), strings.HasSuffix(c, "AM")
	c = strings.TrimSuffix(strings.TrimSuffix(c, "AM"), "PM")
	hm := strings.SplitN(c, ":", 2)
	if len(hm) != 2 {
		return time.Time{}, errors.New("list: bad dir time")
	}
	h, ok1 := atoiDigits([]byte(hm[0]))
	m, ok2 := atoiDigits([]byte(hm[1]))
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return time.Time{}, errors.New("list: bad dir time")
	}
	if pm && h < 12 {
		h += 12
	} else if am && h == 12 {
		h = 0
	}
	return time.Date(y, time.Month(mo), d, h, m, 0, 0, loc).UTC(), nil
}

// field is one space-separated field of a line and where it ends.
type field struct {
	b          []byte
	start, end int
}

// splitFields returns up to max fields of line separated by runs of
// spaces, each with its position, so that a name with spaces of its own
// can be cut from the line where its first field starts.
func splitFields(line []byte, max int) []field {
	out := make([]field, 0, max)
	i := 0
	for len(out) < max {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i >= len(line) {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' {
			i++
		}
		out = append(out, field{b: line[start:i], start: start, end: i})
	}
	return out
}

func monthIndex(b []byte) int {
	if len(b) != 3 {
		return -1
	}
	for i, m := range months {
		if asciiEqualFold(b, m) {
			return i
		}
	}
	return -1
}

func isTimeOrYear(b []byte) bool {
	if i := bytes.IndexByte(b, ':'); i > 0 {
		_, ok1 := atoiDigits(b[:i])
		_, ok2 := atoiDigits(b[i+1:])
		return ok1 && ok2
	}
	_, ok := atoiDigits(b)
	return ok && len(b) == 4
}

// atoiDigits parses a short run of ASCII digits (no sign, at most 9).
func atoiDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func atoiDigits64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// baseName keeps the last element of a listed name: some servers answer a
// listing of a path with "dir/name".
func baseName(name string) string {
	if strings.IndexByte(name, '/') < 0 {
		return name
	}
	name = strings.TrimRight(name, "/")
	if name == "" {
		return ""
	}
	return path.Base(name)
}
