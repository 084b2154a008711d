package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two key spaces of one group (two services watching overlapping paths):
// the same version is two rows, each claimed and committed in its own
// space; the warm-backup fence is the group's token, not the space's.
func TestSpacesKeepServicesApartUnderTheGroupsFence(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		f.holdToken(t, "a", 3)
		own := f.ledger(t, "a", WarmBackup)
		b := f.ledger(t, "a", WarmBackup, func(c *Config) { c.Space = "b" })
		v := files(1)
		mustRecord(t, own, v, 1)
		mustRecord(t, b, v, 1) // the same version, new in this space
		mustRecord(t, b, v, 0)

		cb, err := b.Claim(ctx, 10, time.Minute, 3)
		require.NoError(t, err)
		require.Len(t, cb, 1, "the space's own row, claimed under the group's term")
		assert.Equal(t, VersionKey("g#b", PathSizeMTime, v[0]), cb[0].Key, "the idempotency key differs per space")
		require.NoError(t, b.Commit(ctx, cb[0]))
		c, err := own.Counts(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[Status]int{Pending: 1}, c, "the group's own row untouched")

		f.holdToken(t, "other", 4) // the group's term is lost: the space claims nothing
		mustRecord(t, b, files(2)[1:], 1)
		lost, _ := b.Claim(ctx, 10, time.Minute, 3)
		assert.Empty(t, lost, "a space claimed under the group's lost term")
	})
}

func TestCheckSpace(t *testing.T) {
	require.NoError(t, CheckSpace("g", "invoices-2.a_b"))
	assert.ErrorContains(t, CheckSpace("g", "a b"), "letters, digits")
	assert.ErrorContains(t, CheckSpace("g", ""), "letters, digits")
	long := make([]byte, 250)
	for i := range long {
		long[i] = 'g'
	}
	assert.ErrorContains(t, CheckSpace(string(long), "abcdef"), "at most 255 fit")
	assert.Equal(t, "g", SpaceID("g", ""))
	assert.Equal(t, "g#b", SpaceID("g", "b"))
}
