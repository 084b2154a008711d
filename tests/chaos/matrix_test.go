package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
)

// The short version of the fault matrix (make chaos runs all of it): two
// scenarios on PostgreSQL, with the same harness and the same checks.
func TestChaosMatrixShort(t *testing.T) {
	bin, env := setup(t)
	plan := harness.Plan{Files: 800, Arrivals: 400, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	for _, name := range []string{"pause-active", "partition-active"} {
		t.Run(name, func(t *testing.T) {
			s, ok := harness.ScenarioByName(name)
			if !ok {
				t.Fatalf("no scenario %q", name)
			}
			r := harness.RunScenario(context.Background(), bin, env, schema.Postgres, s, plan)
			for _, v := range r.Violations {
				t.Error(v)
			}
			if r.Done+r.Rejected != r.Files || r.Files != plan.Files+plan.Arrivals {
				t.Errorf("%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
			}
			if r.Failovers == 0 {
				t.Errorf("no failover measured: the scenario took no active member away")
			}
			t.Logf("%s: %d files, %d re-run after a fault, failover max %v, in %v",
				name, r.Files, r.ExplainedReruns, r.FailoverMax.Round(time.Millisecond), r.Elapsed.Round(time.Second))
		})
	}
}
