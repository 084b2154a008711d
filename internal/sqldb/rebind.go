package sqldb

// One SQL text for every dialect: statements use MySQL's ? placeholders
// and Rebind numbers them for PostgreSQL.

import (
	"strconv"
	"strings"
)

// Rebind turns ? placeholders into $1, $2, ... for PostgreSQL. Statements
// must not contain a literal question mark.
func Rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Placeholders returns n comma-separated groups of k placeholders, such as
// "(?, ?), (?, ?)" for n=2, k=2, or "?, ?, ?" for k=0 and n=3.
func Placeholders(n, k int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if k == 0 {
			b.WriteByte('?')
			continue
		}
		b.WriteByte('(')
		for j := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}
