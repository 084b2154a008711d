package remote

// What a server lists is input, not truth: a hostile or broken server can
// list a negative size (an SFTP size is unsigned on the wire, and one past
// 2^63 reads as negative), a name that is a path, or a time no calendar
// holds. Every entry is checked here, at the boundary, before the listener
// sizes a buffer or a download from it.

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// ErrBadEntry marks an entry with a field no file can have; a listing skips
// it (logged), a Stat returns it.
var ErrBadEntry = errors.New("remote: the server described an impossible entry")

// CheckEntry returns nil when e can describe a real file or directory: a
// base name (not empty, ".", "..", nor holding a slash or NUL), a size that
// is not negative, and a time between the years 1 and 9999.
func CheckEntry(e Entry) error {
	switch {
	case e.Name == "" || e.Name == "." || e.Name == "..":
		return fmt.Errorf("%w: name %q", ErrBadEntry, e.Name)
	case strings.ContainsAny(e.Name, "/\x00"):
		return fmt.Errorf("%w: name %q holds a slash or a NUL byte", ErrBadEntry, e.Name)
	case e.Size < 0:
		return fmt.Errorf("%w: %q has a negative size (%d)", ErrBadEntry, e.Name, e.Size)
	case !e.ModTime.IsZero() && (e.ModTime.Year() < 1 || e.ModTime.Year() > 9999):
		return fmt.Errorf("%w: %q has a modification time out of range (%v)", ErrBadEntry, e.Name, e.ModTime)
	}
	return nil
}

// refusals counts the entries a listing skipped, to log them once.
type refusals struct {
	n     int
	first string
}

// ok reports whether e may be handed on, and counts it otherwise.
func (r *refusals) ok(e Entry) bool {
	err := CheckEntry(e)
	if err == nil {
		return true
	}
	if r.n == 0 {
		r.first = strings.ToValidUTF8(err.Error(), "?")
	}
	r.n++
	return false
}

// log says, once per listing, what was skipped and why.
func (r *refusals) log(log *slog.Logger, dir string) {
	if r.n > 0 {
		log.Warn("remote: listed entries with impossible fields were skipped", "dir", dir, "entries", r.n, "first", r.first)
	}
}
