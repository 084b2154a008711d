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

// The crash signal with real processes and files flowing, at the default
// settings: a SIGKILLed member (in shared mode any, on every dialect; the
// active one beside a Ballerina standby) is replaced and its files run
// again within 2 s; a pause shorter than the liveness interval and a
// database restart move the token to nobody new. Every run checks, as the
// matrix does, that no file was lost or completed twice and that at most
// one member was active at a time. make chaos runs each of these scenarios
// on every dialect; one at a time here:
// -run 'TestChaosCrashSignal/crash-shared-default/mysql'.
func TestChaosCrashSignal(t *testing.T) {
	bin, env := setup(t)
	plan := harness.Plan{Files: 300, Arrivals: 400, ArrivalEvery: 10 * time.Millisecond, Settle: 2 * time.Minute}
	runs := []struct {
		name string
		d    schema.Dialect
	}{
		{"crash-shared-default", schema.Postgres}, {"crash-shared-default", schema.MySQL}, {"crash-shared-default", schema.SQLite},
		{"crash-default", schema.MySQL}, {"crash-default-ballerina", schema.Postgres},
		{"pause-short-default", schema.SQLite}, {"db-restart-default", schema.MySQL},
	}
	for _, run := range runs {
		name, d := run.name, run.d
		s, ok := harness.ScenarioByName(name)
		require.True(t, ok, "no scenario %q", name)
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
