package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The matrix's JVM-peer scenario (a Ballerina node on the JVM in
// Asia/Kolkata, members on UTC) on both server dialects, with fewer files
// than make chaos: no file lost or done twice, one active member at a time,
// no takeover from the heartbeating JVM node, and none by the second JVM
// node from a heartbeating member.
func TestChaosJVMPeer(t *testing.T) {
	bin, env := setup(t)
	s, ok := harness.ScenarioByName("jvm-peer-ist")
	require.True(t, ok, "no scenario jvm-peer-ist")
	plan := harness.Plan{Files: 300, Arrivals: 200, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	for _, d := range schema.ServerDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			require.True(t, s.Applies(d), "jvm-peer-ist does not apply to %s", d)
			r := harness.RunScenario(context.Background(), bin, env, d, s, plan)
			for _, v := range r.Violations {
				t.Error(v)
			}
			assert.Equal(t, r.Files, r.Done+r.Rejected, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
			assert.Equal(t, plan.Files+plan.Arrivals, r.Files, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
			assert.NotZero(t, r.Failovers, "no failover measured: the JVM node's death took nothing over")
			t.Logf("%s: %d files, failover max %v, in %v", d, r.Files, r.FailoverMax.Round(time.Millisecond), r.Elapsed.Round(time.Second))
		})
	}
	assert.False(t, s.Applies(schema.SQLite), "jvm-peer-ist applies to SQLite, which Ballerina has no driver for")
}
