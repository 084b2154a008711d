package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/tests/chaos/harness"
	"github.com/stretchr/testify/assert"
)

// The crash signal with real processes and files flowing, at the default
// settings, on every dialect: a SIGKILLed member (the active one, or in
// shared mode any) is replaced and its files run again within 2 s, a
// Ballerina standby beside ours included; a pause shorter than the
// liveness interval and a database restart move the token to nobody new.
// Every run checks, as the matrix does, that no file was lost or completed
// twice and that at most one member was active at a time. Run one at a
// time: -run 'TestChaosCrashSignal/crash-shared-default/mysql'.
func TestChaosCrashSignal(t *testing.T) {
	bin, env := setup(t)
	plan := harness.Plan{Files: 300, Arrivals: 400, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	for _, name := range []string{"crash-default", "crash-shared-default", "crash-default-ballerina", "pause-short-default", "db-restart-default"} {
		s, _ := harness.ScenarioByName(name)
		for _, d := range harness.Dialects {
			if !s.Applies(d) {
				continue
			}
			t.Run(name+"/"+string(d), func(t *testing.T) {
				r := harness.RunScenario(context.Background(), bin, env, d, s, plan)
				for _, v := range r.Violations {
					t.Error(v)
				}
				assert.Equal(t, r.Files, r.Done, "%d files put, %d DONE, %d REJECTED", r.Files, r.Done, r.Rejected)
				if s.ReclaimWithin != nil {
					assert.NotZero(t, r.ReclaimMax, "no handler the killed members had at work ran again")
				}
				t.Logf("%s on %s: %d files, %d kills, %d pauses, failover max %v, killed members' files ran again within %v, in %v",
					name, d, r.Files, r.Kills, r.Pauses, r.FailoverMax.Round(time.Millisecond), r.ReclaimMax.Round(time.Millisecond), r.Elapsed.Round(time.Second))
			})
		}
	}
}
