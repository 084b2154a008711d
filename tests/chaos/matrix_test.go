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

// The short version of the fault matrix (make chaos runs all of it): three
// scenarios on PostgreSQL, and pause-shared on every dialect (a paused
// shared member's claims must not wait for their lease: on MariaDB they
// did, and on SQLite the paused process may hold the database's write
// lock), with the same harness and the same checks.
func TestChaosMatrixShort(t *testing.T) {
	bin, env := setup(t)
	plan := harness.Plan{Files: 800, Arrivals: 400, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	type scenarioOn struct {
		name string
		d    schema.Dialect
	}
	runs := []scenarioOn{{"pause-active", schema.Postgres}, {"partition-active", schema.Postgres}}
	for _, d := range harness.Dialects {
		runs = append(runs, scenarioOn{"pause-shared", d})
	}
	for _, run := range runs {
		name := run.name
		t.Run(name+"/"+string(run.d), func(t *testing.T) {
			s, ok := harness.ScenarioByName(name)
			require.True(t, ok, "no scenario %q", name)
			r := harness.RunScenario(context.Background(), bin, env, run.d, s, plan)
			for _, v := range r.Violations {
				t.Error(v)
			}
			assert.Equal(t, r.Files, r.Done+r.Rejected, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
			assert.Equal(t, plan.Files+plan.Arrivals, r.Files, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
			assert.NotZero(t, r.Failovers, "no failover measured: the scenario took no active member away")
			t.Logf("%s on %s: %d files, %d re-run after a fault, failover max %v, paused members' %d claims settled within %v, in %v",
				name, run.d, r.Files, r.ExplainedReruns, r.FailoverMax.Round(time.Millisecond), r.HeldClaims, r.HeldMax.Round(time.Millisecond), r.Elapsed.Round(time.Second))
		})
	}
}

// Issue 14's two defects, with real processes and uploads while the members
// run, on every dialect: a kill with processingTimeout at its default (the
// killed member's files must run again moments after the takeover, not
// after the 300 s lease), and files written in place while they are listed
// (a version that changed under its transfer is superseded: never taken
// for a whole file, never retried or rejected); and a pause of the active
// member with the default lease (its files reclaimed at the takeover; once
// woken, it starts and commits none of them).
func TestChaosDefaultLeaseAndGrowingFiles(t *testing.T) {
	bin, env := setup(t)
	plan := harness.Plan{Files: 300, Arrivals: 400, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	for _, d := range harness.Dialects {
		for _, name := range []string{"kill-default-lease", "pause-default-lease", "grow-in-place"} {
			t.Run(name+"/"+string(d), func(t *testing.T) {
				s, _ := harness.ScenarioByName(name)
				r := harness.RunScenario(context.Background(), bin, env, d, s, plan)
				for _, v := range r.Violations {
					t.Error(v)
				}
				assert.Equal(t, r.Files, r.Done, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
				assert.Equal(t, plan.Files+plan.Arrivals, r.Files, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
				assert.NotZero(t, r.Kills+r.Pauses, "no member was killed or paused")
				if name == "kill-default-lease" {
					assert.NotZero(t, r.ReclaimMax, "no handler the killed members had at work ran again")
				}
				t.Logf("%s on %s: %d files, failover max %v, killed member's files ran again within %v, in %v",
					name, d, r.Files, r.FailoverMax.Round(time.Millisecond), r.ReclaimMax.Round(time.Millisecond), r.Elapsed.Round(time.Second))
			})
		}
	}
}
