package sqldb

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	assert.Equal(t, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)", Rebind(Postgres, q), "postgres")
	assert.Equal(t, q, Rebind(MySQL, q), "mysql")
}

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		n, k int
		want string
	}{{2, 2, "(?, ?), (?, ?)"}, {3, 0, "?, ?, ?"}, {1, 3, "(?, ?, ?)"}} {
		assert.Equal(t, tc.want, Placeholders(tc.n, tc.k), "Placeholders(%d, %d)", tc.n, tc.k)
	}
}
