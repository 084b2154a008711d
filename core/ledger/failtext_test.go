package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// A failed attempt whose error text the database refuses (here a trigger
// refuses it; a server's own rule could) is still recorded, without its
// text, so its claim does not stay in flight until its lease ends.
func TestFailRefusedTextIsStoredWithoutIt(t *testing.T) {
	f := setup(t, schema.Postgres)
	_, err := f.db.Exec(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.last_error LIKE '%poison%' THEN RAISE EXCEPTION 'this text is refused'; END IF; RETURN NEW; END $$`)
	require.NoError(t, err)
	_, err = f.db.Exec(`CREATE TRIGGER refuse_poison BEFORE UPDATE ON ftpcoord_file FOR EACH ROW EXECUTE FUNCTION refuse_poison()`)
	require.NoError(t, err)
	ctx := context.Background()
	l := f.ledger(t, "m", Shared)
	_, err = l.Record(ctx, files(1))
	require.NoError(t, err)
	claims, err := l.Claim(ctx, 1, time.Minute, 0)
	require.NoError(t, err)
	require.Len(t, claims, 1)
	status, err := l.Fail(ctx, claims[0], "a poison error text", time.Millisecond, 3)
	require.NoError(t, err, "the failed attempt was not recorded")
	require.Equal(t, Failed, status)
	rows, err := l.Get(ctx, claims[0].File.Path)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, Failed, rows[0].Status, "the claim is still in flight")
	require.Equal(t, unstorableCause, rows[0].LastError)
}
