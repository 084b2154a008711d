package taskcompat_test

import (
	"context"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A member records its livenessCheckInterval and heartbeat period in
// ftpcoord_member when it starts (a restart with other timings updates
// them), so that readers of the group judge by them; a database with only
// Ballerina's tables (no ftpcoord_member) does not stop it.
func TestMemberRecordsItsTimings(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.NewWithSchema(t, d)
		db := testdb.Open(t, cfg, "UTC")
		read := func() (liveness, hbMS int) {
			require.NoError(t, db.QueryRow(sqldb.Rebind(d, `SELECT liveness_check_interval, heartbeat_ms FROM ftpcoord_member WHERE group_id = ? AND task_id = ?`), "g-timings", "a").Scan(&liveness, &hbMS))
			return
		}
		m := startMember(t, cfg, "a", "g-timings")
		l, hb := read()
		assert.Equal(t, liveness, l)
		assert.EqualValues(t, heartbeat.Milliseconds(), hb)
		require.NoError(t, m.Stop(context.Background()))
		startMember(t, cfg, "a", "g-timings", func(c *taskcompat.Config) { c.LivenessCheckInterval = 7 })
		l, _ = read()
		assert.Equal(t, 7, l, "the restarted member's interval")
	})
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.New(t, d)
		db := testdb.Open(t, cfg, "UTC")
		stmts, err := schema.Statements(d)
		require.NoError(t, err)
		for _, s := range stmts[:2] { // token_holder and health_check only, as Ballerina users make them
			_, err := db.Exec(s)
			require.NoError(t, err)
		}
		m := startMember(t, cfg, "a", "g-ballerina-schema")
		assert.Equal(t, taskcompat.Active, m.State().Role, "a member on Ballerina's tables alone")
	})
}
