package main

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
	"github.com/stretchr/testify/require"
)

// A Ballerina node is just a row of health_check to status: it is listed
// beside the ftpcoord member, as a standby, and as the active member once
// the ftpcoord member hands over to it with SIGTERM.
func TestStatusShowsBallerinaMembers(t *testing.T) {
	for _, d := range schema.ServerDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			srv := newFTPDir(t)
			db := testdb.NewWithSchema(t, d)
			cfg := writeJSON(t, filepath.Join(t.TempDir(), "m.json"), memberConfig(srv, db, "cmd-bal", "go-node", nil))
			member := startRun(t, "--config", cfg, "--exec", "cat >/dev/null")
			eventually(t, 10*time.Second, "the ftpcoord member active", func() bool {
				st, r := statusOf(t, cfg)
				return r.code == 0 && st.Holder == "go-node"
			})
			peer, err := ballerinapeer.Start(context.Background(), ballerinapeer.Config{Database: db, TaskID: "bal-node", GroupID: "cmd-bal",
				LivenessCheckInterval: 3, HeartbeatFrequency: time.Second, PollingInterval: 500 * time.Millisecond, JVMZone: "UTC"})
			require.NoError(t, err)
			t.Cleanup(peer.Halt)
			var st groupstatus.Status
			eventually(t, 10*time.Second, "the Ballerina node listed as a standby", func() bool {
				st, _ = statusOf(t, cfg)
				return len(st.Members) == 2
			})
			roles := map[string]string{}
			for _, m := range st.Members {
				roles[m.ID] = m.Role
			}
			require.Equal(t, "active", roles["go-node"], "roles %v", roles)
			require.Equal(t, "standby", roles["bal-node"], "roles %v", roles)
			member.signal(syscall.SIGTERM)
			require.Zero(t, member.wait(), "exit code")
			eventually(t, 10*time.Second, "the Ballerina node active in status", func() bool {
				var r result
				st, r = statusOf(t, cfg)
				return r.code == 0 && st.Holder == "bal-node" && st.Active
			})
			require.True(t, peer.IsActive(), "status says the Ballerina node is active, the node does not think so")
		})
	}
}
