package listener

import (
	"testing"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"": WarmBackup, "warm-backup": WarmBackup, "shared": Shared} {
		m, err := parseMode(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, m, s)
	}
	_, err := parseMode("Shared")
	require.EqualError(t, err, `"Shared" is not warm-backup or shared`)
	assert.Equal(t, ledger.Shared, Shared.ledgerMode())
	assert.Equal(t, ledger.WarmBackup, WarmBackup.ledgerMode())
	assert.Equal(t, "warm-backup", ListenerConfig{}.WithDefaults().Mode, "the documented default")
}
