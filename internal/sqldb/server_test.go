package sqldb

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPostgresZoneSpellsOffsetsPOSIX(t *testing.T) {
	for in, want := range map[string]string{"+05:30": "<+0530>-05:30", "-08:00": "<-0800>+08:00", "UTC": "UTC", "Asia/Kolkata": "Asia/Kolkata"} {
		assert.Equal(t, want, postgresZone(in), "postgresZone(%q)", in)
	}
}
