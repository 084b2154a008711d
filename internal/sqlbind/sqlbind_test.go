package sqlbind

import (
	"testing"

	"github.com/ftpcoord/ftpcoord/schema"
)

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	if got := Rebind(schema.Postgres, q); got != "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)" {
		t.Errorf("postgres: %s", got)
	}
	if got := Rebind(schema.MySQL, q); got != q {
		t.Errorf("mysql: %s", got)
	}
}

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		n, k int
		want string
	}{{2, 2, "(?, ?), (?, ?)"}, {3, 0, "?, ?, ?"}, {1, 3, "(?, ?, ?)"}} {
		if got := Placeholders(tc.n, tc.k); got != tc.want {
			t.Errorf("Placeholders(%d, %d) = %q, want %q", tc.n, tc.k, got, tc.want)
		}
	}
}
