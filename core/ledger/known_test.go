package ledger

import (
	"context"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// Known answers per file, across batches, for a version asked twice in one
// call, and only for the group's own rows.
func TestKnown(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		l := f.ledger(t, "m", Shared, func(c *Config) { c.BatchSize = 3 })
		other := f.ledger(t, "m", Shared, func(c *Config) { c.GroupID = "other" })
		fs := files(8)
		mustRecord(t, l, fs[:4], 4)
		mustRecord(t, other, fs[4:6], 2)
		ask := append(append([]File{}, fs...), fs[1])
		changed := fs[2]
		changed.MTime++
		ask = append(ask, changed)
		known, err := l.Known(context.Background(), ask)
		require.NoError(t, err)
		require.Equal(t, []bool{true, true, true, true, false, false, false, false, true, false}, known)
	})
}
