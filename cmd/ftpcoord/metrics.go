package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// metrics counts what a member does and serves it in the Prometheus text
// exposition format (version 0.0.4), hand-written: a dozen series need no
// client library.
type metrics struct {
	coord       func() *taskcompat.Coordinator // nil until the member started
	coordinated bool                           // false: the member polls alone, always "active"

	mu          sync.Mutex
	polls       int64
	pollErrors  int64
	pollSeconds float64 // sum of poll durations
	pollBuckets []int64 // cumulative counts per pollBounds
	outcomes    map[string]int64
	renewals    int64
	dbErrors    map[string]int64
}

var pollBounds = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func newMetrics() *metrics {
	return &metrics{pollBuckets: make([]int64, len(pollBounds)),
		outcomes: map[string]int64{"done": 0, "failed": 0, "rejected": 0, "lost": 0}, dbErrors: map[string]int64{}}
}

// The listener.Observer methods.

func (m *metrics) PollDone(d time.Duration, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.polls++
	if err != nil {
		m.pollErrors++
	}
	s := d.Seconds()
	m.pollSeconds += s
	for i, b := range pollBounds {
		if s <= b {
			m.pollBuckets[i]++
		}
	}
}

func (m *metrics) FilesFinished(outcome string, n int) {
	if n == 0 {
		return
	}
	m.mu.Lock()
	m.outcomes[outcome] += int64(n)
	m.mu.Unlock()
}

func (m *metrics) LeasesRenewed(n int) {
	m.mu.Lock()
	m.renewals += int64(n)
	m.mu.Unlock()
}

func (m *metrics) DatabaseError(op string, _ error) {
	m.mu.Lock()
	m.dbErrors[op]++
	m.mu.Unlock()
}

// write renders every series.
func (m *metrics) write(w io.Writer) {
	var st taskcompat.State
	var stats taskcompat.Stats
	if m.coord != nil {
		if c := m.coord(); c != nil {
			st, stats = c.State(), c.Stats()
		}
	}
	active, role := 0, st.Role.String()
	if st.Role == taskcompat.Active {
		active = 1
	}
	if !m.coordinated {
		active, role = 1, "alone"
	}
	healthy := 0
	if st.Healthy {
		healthy = 1
	}
	gauge := func(name, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	counter := func(name, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %v\n", name, help, name, name, v)
	}
	gauge("ftpcoord_active", "1 while this member is the group's active member (or polls alone, without coordination), else 0.", active)
	fmt.Fprintf(w, "# HELP ftpcoord_role The member's role (label role), value 1.\n# TYPE ftpcoord_role gauge\nftpcoord_role{role=%q} 1\n", role)
	gauge("ftpcoord_term", "The coordination term last observed (this member's fencing token while active).", st.Term)
	gauge("ftpcoord_database_healthy", "1 while the coordination database answers this member.", healthy)
	counter("ftpcoord_failovers_total", "Times this member took the token (became active).", stats.Takeovers)
	counter("ftpcoord_self_fences_total", "Times this member stepped down because it could not heartbeat.", stats.SelfFences)
	counter("ftpcoord_takeovers_deferred_total", "Checks that found the token to take but left it, this member's own heartbeat being too old.", stats.TakeoversDeferred)
	counter("ftpcoord_heartbeats_total", "Heartbeats written.", stats.Heartbeats)

	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP ftpcoord_poll_duration_seconds Duration of the member's polls (list, record, claim and process).\n# TYPE ftpcoord_poll_duration_seconds histogram\n")
	for i, b := range pollBounds {
		fmt.Fprintf(w, "ftpcoord_poll_duration_seconds_bucket{le=\"%g\"} %d\n", b, m.pollBuckets[i])
	}
	fmt.Fprintf(w, "ftpcoord_poll_duration_seconds_bucket{le=\"+Inf\"} %d\nftpcoord_poll_duration_seconds_sum %g\nftpcoord_poll_duration_seconds_count %d\n",
		m.polls, m.pollSeconds, m.polls)
	counter("ftpcoord_poll_errors_total", "Polls that failed.", m.pollErrors)
	fmt.Fprintf(w, "# HELP ftpcoord_files_total Files by outcome: done (committed), failed (attempt failed, retried), rejected (out of tries), lost (claim taken over before the commit), superseded (the version changed on the server under its transfer).\n# TYPE ftpcoord_files_total counter\n")
	for _, k := range sortedKeys(m.outcomes) {
		fmt.Fprintf(w, "ftpcoord_files_total{outcome=%q} %d\n", k, m.outcomes[k])
	}
	counter("ftpcoord_lease_renewals_total", "File leases extended while their handlers ran.", m.renewals)
	fmt.Fprintf(w, "# HELP ftpcoord_database_errors_total Failed database statements, by operation (coordination: heartbeat, check; ledger: record, claim, commit, fail, renew).\n# TYPE ftpcoord_database_errors_total counter\n")
	errs := map[string]int64{"heartbeat": stats.HeartbeatFailures, "check": stats.CheckFailures}
	for k, v := range m.dbErrors {
		errs[k] = v
	}
	for _, k := range sortedKeys(errs) {
		fmt.Fprintf(w, "ftpcoord_database_errors_total{op=%q} %d\n", k, errs[k])
	}
}

func sortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// metricsListenAddr completes --metrics-addr: a port alone (":9464" or
// "9464") binds loopback, since the endpoint has no authentication; every
// interface takes saying so ("0.0.0.0:9464").
func metricsListenAddr(addr string) (string, error) {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usageError("--metrics-addr %s: want host:port, e.g. 127.0.0.1:9464", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// serveMetrics serves /metrics on addr until ctx ends. The endpoint has no
// authentication: it binds loopback unless told otherwise.
func serveMetrics(ctx context.Context, addr string, m *metrics, log *slog.Logger) (net.Addr, error) {
	addr, err := metricsListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError("--metrics-addr %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.write(w)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics endpoint stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	return ln.Addr(), nil
}
