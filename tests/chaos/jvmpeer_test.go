package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
)

// The matrix's JVM-peer scenario (a Ballerina node on the JVM in
// Asia/Kolkata, members on UTC) on both server dialects, with fewer files
// than make chaos: no file lost or done twice, one active member at a time,
// no takeover from the heartbeating JVM node, and none by the second JVM
// node from a heartbeating member.
func TestChaosJVMPeer(t *testing.T) {
	bin, env := setup(t)
	s, ok := harness.ScenarioByName("jvm-peer-ist")
	if !ok {
		t.Fatal("no scenario jvm-peer-ist")
	}
	plan := harness.Plan{Files: 300, Arrivals: 200, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	for _, d := range schema.ServerDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			if !s.Applies(d) {
				t.Fatalf("jvm-peer-ist does not apply to %s", d)
			}
			r := harness.RunScenario(context.Background(), bin, env, d, s, plan)
			for _, v := range r.Violations {
				t.Error(v)
			}
			if r.Done+r.Rejected != r.Files || r.Files != plan.Files+plan.Arrivals {
				t.Errorf("%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
			}
			if r.Failovers == 0 {
				t.Errorf("no failover measured: the JVM node's death took nothing over")
			}
			t.Logf("%s: %d files, failover max %v, in %v", d, r.Files, r.FailoverMax.Round(time.Millisecond), r.Elapsed.Round(time.Second))
		})
	}
	if s.Applies(schema.SQLite) {
		t.Error("jvm-peer-ist applies to SQLite, which Ballerina has no driver for")
	}
}
