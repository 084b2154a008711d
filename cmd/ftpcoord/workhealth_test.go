package main

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// Two members as real processes; the active one reaches the file server
// through a proxy that the test cuts: its /readyz turns not ready with the
// reason, and the other member becomes active long before the holder's
// heartbeat could go stale (it never does: the database stays reachable).
func TestReadyzNotReadyWhenCutOffFromTheFileServer(t *testing.T) {
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	proxy, err := tcpproxy.Start(net.JoinHostPort(srv.host, strconv.Itoa(srv.port)))
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	viaProxy := srv
	viaProxy.host, viaProxy.port = "127.0.0.1", proxy.Addr().Port
	work := t.TempDir()
	extra := map[string]any{"stepAsideAfter": 2, "retryConfig": map[string]any{"count": 1, "interval": 0.05}}
	cfgA := memberConfig(viaProxy, db, "cut", "a", extra)
	cfgB := memberConfig(srv, db, "cut", "b", extra)
	for _, c := range []map[string]any{cfgA, cfgB} {
		c["coordination"].(map[string]any)["livenessCheckInterval"] = 60
	}
	a := startRun(t, "--config", writeJSON(t, filepath.Join(work, "a.json"), cfgA), "--metrics-addr", "127.0.0.1:0", "--exec", "cat >/dev/null")
	urlA := "http://" + metricsAddr(t, a)
	eventually(t, 20*time.Second, "a active", func() bool {
		code, body := probeGet(t, urlA+"/readyz")
		return code == 200 && strings.HasPrefix(body, "ready: active, term ")
	})
	b := startRun(t, "--config", writeJSON(t, filepath.Join(work, "b.json"), cfgB), "--metrics-addr", "127.0.0.1:0", "--exec", "cat >/dev/null")
	urlB := "http://" + metricsAddr(t, b)
	eventually(t, 20*time.Second, "b a standby", func() bool {
		code, body := probeGet(t, urlB+"/readyz")
		return code == 200 && strings.HasPrefix(body, "ready: standby")
	})

	proxy.SetMode(tcpproxy.Refuse)
	eventually(t, 30*time.Second, "b active", func() bool {
		_, body := probeGet(t, urlB+"/readyz")
		return strings.HasPrefix(body, "ready: active")
	})
	code, body := probeGet(t, urlA+"/readyz")
	require.Equal(t, 503, code, "a /readyz: %q", body)
	require.True(t, strings.HasPrefix(body, "not ready: this member cannot do the work: cannot reach or log in to the file server"), "a /readyz: %q", body)
	require.Contains(t, body, "gave the token up")
	require.NotContains(t, body, srv.pass)
	code, _ = probeGet(t, urlA+"/healthz")
	require.Equal(t, 200, code, "a /healthz: its database answers")
	require.Contains(t, get(t, urlA+"/metrics"), "ftpcoord_unable_to_work 1\n")
	require.Contains(t, get(t, urlB+"/metrics"), "ftpcoord_unable_to_work 0\n")
}
