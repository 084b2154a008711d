package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Before the member joined its group, /readyz says it is starting; a
// coordinated member that has no database yet is not healthy; a member
// polling alone is; a stopping member is not ready.
func TestProbesBeforeStartAndWhileStopping(t *testing.T) {
	probe := func(m *metrics, path string) (int, string) {
		rec := httptest.NewRecorder()
		m.handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	coordinated := newMetrics()
	coordinated.coordinated = true
	alone := newMetrics()
	for _, c := range []struct {
		m          *metrics
		phase      int32
		path       string
		code       int
		body       string
		whatItSays string
	}{
		{coordinated, phaseStarting, "/healthz", 503, "starting: not connected to the coordination database yet\n", "coordinated, starting"},
		{coordinated, phaseStarting, "/readyz", 503, "starting: the member has not joined its group yet\n", "coordinated, starting"},
		{alone, phaseStarting, "/healthz", 200, "ok: polling alone, no database\n", "alone, starting"},
		{alone, phaseStarting, "/readyz", 503, "starting: the member has not joined its group yet\n", "alone, starting"},
		{alone, phaseRunning, "/readyz", 200, "ready: polling alone\n", "alone, running"},
		{alone, phaseStopping, "/readyz", 503, "stopping: the member is handing over\n", "alone, stopping"},
	} {
		c.m.phase.Store(c.phase)
		code, body := probe(c.m, c.path)
		assert.Equal(t, c.code, code, "%s: %s: status code", c.whatItSays, c.path)
		assert.Equal(t, c.body, body, "%s: %s: body", c.whatItSays, c.path)
	}
}

// A member the listener finds not ready (its poll stuck) is not ready,
// says why in /readyz and in ftpcoord_not_ready.
func TestReadyzFailsWhileThePollIsStuck(t *testing.T) {
	m := newMetrics()
	m.phase.Store(phaseRunning)
	r := listener.Readiness{Ready: true}
	m.listenerReady = func() listener.Readiness { return r }
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, 200, rec.Code, "a running poll that makes progress: %s", rec.Body)
	r = listener.Readiness{Reason: listener.NotReadyStuck, Detail: "the poll started at 2026-12-06T04:00:00Z has made no progress since 2026-12-06T04:01:00Z (see the log)"}
	rec = httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, 503, rec.Code, "a stuck poll")
	assert.Equal(t, "stuck: the poll started at 2026-12-06T04:00:00Z has made no progress since 2026-12-06T04:01:00Z (see the log)\n", rec.Body.String())
	rec = httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Contains(t, rec.Body.String(), "ftpcoord_not_ready{reason=\"stuck\"} 1\n")
	assert.Contains(t, rec.Body.String(), "ftpcoord_not_ready{reason=\"unable_to_work\"} 0\n")
}

// Two members on a real database: both ready (one active, one a standby),
// both healthy; the standby's database cut off makes its /healthz fail
// while it stays ready and the other stays healthy; reconnected, it is
// healthy again.
func TestHealthzAndReadyzOnARealDatabase(t *testing.T) {
	for _, d := range []schema.Dialect{schema.Postgres, schema.MySQL} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			srv := newFTPDir(t)
			db := testdb.NewWithSchema(t, d)
			relay := newRelay(t, net.JoinHostPort(db.Host, strconv.Itoa(db.Port)))
			viaRelay := db
			viaRelay.Host, viaRelay.Port = "127.0.0.1", relay.port
			work := t.TempDir()
			group := "probes-" + string(d)
			cfgA := writeJSON(t, filepath.Join(work, "a.json"), memberConfig(srv, db, group, "a", nil))
			cfgB := writeJSON(t, filepath.Join(work, "b.json"), memberConfig(srv, viaRelay, group, "b", nil))
			a := startRun(t, "--config", cfgA, "--metrics-addr", "127.0.0.1:0", "--exec", "cat >/dev/null")
			urlA := "http://" + metricsAddr(t, a)
			// a is active (b joins later, as a standby).
			eventually(t, 10*time.Second, "a active", func() bool {
				code, body := probeGet(t, urlA+"/readyz")
				return code == 200 && strings.HasPrefix(body, "ready: active, term ")
			})
			b := startRun(t, "--config", cfgB, "--metrics-addr", "127.0.0.1:0", "--exec", "cat >/dev/null")
			urlB := "http://" + metricsAddr(t, b)
			code, body := probeGet(t, urlB+"/readyz")
			assert.Equal(t, 200, code, "standby b /readyz: %q", body)
			assert.True(t, strings.HasPrefix(body, "ready: standby (holder a, term "), "standby b /readyz: %d %q", code, body)
			for _, u := range []string{urlA, urlB} {
				code, body := probeGet(t, u+"/healthz")
				assert.Equal(t, 200, code, "%s/healthz: %q", u, body)
				assert.Equal(t, "ok: the coordination database answers\n", body, "%s/healthz", u)
			}

			relay.cut(true)
			eventually(t, 10*time.Second, "b unhealthy once its database is cut off", func() bool {
				code, body := probeGet(t, urlB+"/healthz")
				return code == 503 && body == "unhealthy: the coordination database does not answer this member (see ftpcoord_database_errors_total)\n"
			})
			code, body = probeGet(t, urlB+"/readyz")
			assert.Equal(t, 200, code, "b without its database: /readyz %q; a standby stays ready", body)
			assert.True(t, strings.HasPrefix(body, "ready: standby"), "b without its database: /readyz %d %q; a standby stays ready", code, body)
			code, _ = probeGet(t, urlA+"/healthz")
			assert.Equal(t, 200, code, "a /healthz while only b's database was cut off")
			assert.Contains(t, get(t, urlB+"/metrics"), "ftpcoord_database_healthy 0\n", "b's metrics do not say its database is unhealthy")

			relay.cut(false)
			eventually(t, 20*time.Second, "b healthy again", func() bool {
				code, _ := probeGet(t, urlB+"/healthz")
				return code == 200
			})
		})
	}
}

func probeGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// relay is a loopback TCP relay to a database that the test can cut: while
// cut, every connection through it is closed and new ones are closed at once.
type relay struct {
	port   int
	mu     sync.Mutex
	isCut  bool
	conns  map[net.Conn]bool
	target string
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{port: ln.Addr().(*net.TCPAddr).Port, conns: map[net.Conn]bool{}, target: target}
	t.Cleanup(func() { ln.Close(); r.cut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *relay) serve(c net.Conn) {
	up, err := net.Dial("tcp", r.target)
	if err != nil {
		c.Close()
		return
	}
	r.mu.Lock()
	if r.isCut {
		r.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	r.conns[c], r.conns[up] = true, true
	r.mu.Unlock()
	go func() { io.Copy(up, c); up.Close(); c.Close() }()
	io.Copy(c, up)
	c.Close()
	up.Close()
}

func (r *relay) cut(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.isCut = on
	if on {
		for c := range r.conns {
			c.Close()
		}
		clear(r.conns)
	}
}
