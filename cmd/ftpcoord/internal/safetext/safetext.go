// Package safetext makes text from outside (remote file names, error texts,
// member and group names read from the database) safe to print in the
// command's text output: one place, used by every text writer of the command.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character a terminal or a reader would not
// show as itself written as a Go escape: control characters (a newline or
// carriage return in a name could forge a row of a listing, a tab shift its
// columns, an ESC drive the terminal), invisible format characters (such as
// U+202E, which reverses what follows) and bytes that are not UTF-8 (\xNN).
// Printable text, spaces and backslashes are left as they are.
func Escape(s string) string {
	clean := true
	for _, r := range s {
		if !shown(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case shown(r):
			b.WriteString(s[i : i+n])
		default:
			q := fmt.Sprintf("%+q", string(r)) // "\n", "\x1b", "\u202e"
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// shown: a character printed as itself.
func shown(r rune) bool {
	return r != utf8.RuneError && (r == ' ' || unicode.IsPrint(r))
}
