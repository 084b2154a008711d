package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Phases of a member, for /readyz.
const (
	phaseStarting int32 = iota // connecting, joining the group
	phaseRunning               // joined: active or standby
	phaseStopping              // handing over after SIGINT/SIGTERM
)

// metrics counts what a member does and serves it with client_golang
// (docs/metrics.md lists every series), beside /healthz and /readyz.
type metrics struct {
	coord       func() *taskcompat.Coordinator // nil until the member started
	coordinated bool                           // false: the member polls alone, always "active"
	work        func() listener.WorkHealth     // nil until the listener exists
	// listenerReady and backlog are the listener's (signals.go), nil
	// until it exists.
	listenerReady func() listener.Readiness
	backlog       func(context.Context) (ledger.Backlog, error)
	phase         atomic.Int32

	reg          *prometheus.Registry
	pollDuration prometheus.Histogram
	pollErrors   prometheus.Counter
	files        *prometheus.CounterVec
	renewals     prometheus.Counter
	listFailing  prometheus.Gauge

	mu       sync.Mutex
	dbErrors map[string]int64 // ledger statements that failed, by operation
}

var pollBounds = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ftpcoord_poll_duration_seconds",
			Help: "Duration of the member's polls (list, record, claim and process).", Buckets: pollBounds}),
		pollErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ftpcoord_poll_errors_total", Help: "Polls that failed."}),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ftpcoord_files_total",
			Help: "Files by outcome: done (committed), failed (attempt failed, retried), rejected (out of tries), lost (claim taken over before the commit), superseded (the version changed on the server under its transfer; its current version is processed instead)."},
			[]string{"outcome"}),
		renewals: prometheus.NewCounter(prometheus.CounterOpts{Name: "ftpcoord_lease_renewals_total", Help: "File leases extended while their handlers ran."}),
		listFailing: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ftpcoord_listing_failing",
			Help: "1 while the watched directory cannot be listed (deleted, refused, unreachable), from the first failed listing to the next one that works."}),
		dbErrors: map[string]int64{},
	}
	for _, o := range []string{"done", "failed", "rejected", "lost", "superseded"} {
		m.files.WithLabelValues(o)
	}
	m.reg.MustRegister(m.pollDuration, m.pollErrors, m.files, m.renewals, m.listFailing, coordCollector{m}, signalsCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// The listener.Observer methods.

func (m *metrics) PollDone(d time.Duration, err error) {
	m.pollDuration.Observe(d.Seconds())
	if err != nil {
		m.pollErrors.Inc()
	}
}

func (m *metrics) FilesFinished(outcome string, n int) {
	if n > 0 {
		m.files.WithLabelValues(outcome).Add(float64(n))
	}
}

func (m *metrics) LeasesRenewed(n int) { m.renewals.Add(float64(n)) }

// ListingFailing is listener.ListingObserver's.
func (m *metrics) ListingFailing(failing bool) {
	if failing {
		m.listFailing.Set(1)
	} else {
		m.listFailing.Set(0)
	}
}

func (m *metrics) DatabaseError(op string, _ error) {
	m.mu.Lock()
	m.dbErrors[op]++
	m.mu.Unlock()
}

// coordinator is the member's coordinator, or nil before it started (or
// without coordination).
func (m *metrics) coordinator() *taskcompat.Coordinator {
	if m.coord == nil {
		return nil
	}
	return m.coord()
}

// coordCollector reads the coordinator's state and counters at each scrape.
type coordCollector struct{ m *metrics }

var (
	descActive = prometheus.NewDesc("ftpcoord_active",
		"1 while this member is the group's active member (or polls alone, without coordination), else 0.", nil, nil)
	descRole     = prometheus.NewDesc("ftpcoord_role", "The member's role (label role: active, standby or alone), value 1.", []string{"role"}, nil)
	descTerm     = prometheus.NewDesc("ftpcoord_term", "The coordination term last observed (this member's fencing token while active).", nil, nil)
	descHealthy  = prometheus.NewDesc("ftpcoord_database_healthy", "1 while the coordination database answers this member.", nil, nil)
	descTakeover = prometheus.NewDesc("ftpcoord_failovers_total", "Times this member took the token (became active).", nil, nil)
	descFences   = prometheus.NewDesc("ftpcoord_self_fences_total", "Times this member stepped down because it could not heartbeat.", nil, nil)
	descDeferred = prometheus.NewDesc("ftpcoord_takeovers_deferred_total",
		"Checks that found the token to take but left it, this member's own heartbeat being too old.", nil, nil)
	descHeartbeats = prometheus.NewDesc("ftpcoord_heartbeats_total", "Heartbeats written.", nil, nil)
	descUnable     = prometheus.NewDesc("ftpcoord_unable_to_work",
		"1 while this member cannot do the work: its polls failed to connect or log in to the file server for stepAsideAfter (it gave the token up), else 0.", nil, nil)
	descDBErrors = prometheus.NewDesc("ftpcoord_database_errors_total",
		"Failed database statements, by operation (coordination: heartbeat, check; ledger: record, claim, commit, fail, renew).", []string{"op"}, nil)
)

func (c coordCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descActive, descRole, descTerm, descHealthy, descTakeover, descFences, descDeferred, descHeartbeats, descDBErrors, descUnable} {
		ch <- d
	}
}

func (c coordCollector) Collect(ch chan<- prometheus.Metric) {
	var st taskcompat.State
	var stats taskcompat.Stats
	if co := c.m.coordinator(); co != nil {
		st, stats = co.State(), co.Stats()
	}
	active, role := 0.0, st.Role.String()
	if st.Role == taskcompat.Active {
		active = 1
	}
	if !c.m.coordinated {
		active, role = 1, "alone"
	}
	healthy := 0.0
	if st.Healthy {
		healthy = 1
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descActive, active)
	unable := 0.0
	if c.m.work != nil && !c.m.work().Able {
		unable = 1
	}
	gauge(descUnable, unable)
	gauge(descRole, 1, role)
	gauge(descTerm, float64(st.Term))
	gauge(descHealthy, healthy)
	counter(descTakeover, stats.Takeovers)
	counter(descFences, stats.SelfFences)
	counter(descDeferred, stats.TakeoversDeferred)
	counter(descHeartbeats, stats.Heartbeats)
	errs := map[string]int64{"heartbeat": stats.HeartbeatFailures, "check": stats.CheckFailures}
	c.m.mu.Lock()
	for k, v := range c.m.dbErrors {
		errs[k] = v
	}
	c.m.mu.Unlock()
	for k, v := range errs {
		counter(descDBErrors, v, k)
	}
}

// health answers /healthz: the process lives and, with coordination,
// reaches its database (its last statement succeeded).
func (m *metrics) health() (ok bool, msg string) {
	if !m.coordinated {
		return true, "ok: polling alone, no database"
	}
	co := m.coordinator()
	if co == nil {
		return false, "starting: not connected to the coordination database yet"
	}
	if st := co.State(); !st.Healthy {
		return false, "unhealthy: the coordination database does not answer this member (see ftpcoord_database_errors_total)"
	}
	return true, "ok: the coordination database answers"
}

// readiness is the member's: starting and stopping are the command's
// phases, the rest the listener's (listener.Readiness).
func (m *metrics) readiness() listener.Readiness {
	switch m.phase.Load() {
	case phaseStarting:
		return listener.Readiness{Reason: listener.NotReadyStarting, Detail: "the member has not joined its group yet"}
	case phaseStopping:
		return listener.Readiness{Reason: listener.NotReadyStopping, Detail: "the member is handing over"}
	}
	if m.listenerReady != nil {
		if r := m.listenerReady(); !r.Ready {
			return r
		}
	}
	return listener.Readiness{Ready: true}
}

// ready answers /readyz: the member joined its group (active or standby: a
// standby is ready to take over), is not stopping, can do the work (it
// reaches and logs in to the file server: listener.WorkHealth), and its
// poll, if one runs, makes progress.
func (m *metrics) ready() (ok bool, msg string) {
	if r := m.readiness(); !r.Ready {
		word := r.Reason
		if r.Reason == listener.NotReadyUnableToWork {
			word = "not ready"
		}
		return false, word + ": " + r.Detail
	}
	co := m.coordinator()
	if !m.coordinated || co == nil {
		return true, "ready: polling alone"
	}
	st := co.State()
	if st.Role == taskcompat.Active {
		return true, fmt.Sprintf("ready: active, term %d", st.Term)
	}
	return true, fmt.Sprintf("ready: standby (holder %s, term %d)", groupstatus.OrNone(st.Holder), st.Term)
}

// handler serves /metrics, /healthz and /readyz.
func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	probe := func(check func() (bool, string)) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			ok, msg := check()
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			if !ok {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			fmt.Fprintln(w, msg)
		}
	}
	mux.Handle("/healthz", probe(m.health))
	mux.Handle("/readyz", probe(m.ready))
	return mux
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
		return "", exitcode.Usagef("--metrics-addr %s: want host:port, e.g. 127.0.0.1:9464", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// serveMetrics serves /metrics, /healthz and /readyz on addr until ctx
// ends. The endpoint has no authentication: it binds loopback unless told
// otherwise.
func serveMetrics(ctx context.Context, addr string, m *metrics, log *slog.Logger) (net.Addr, error) {
	addr, err := metricsListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, exitcode.Usagef("--metrics-addr %s: %v", addr, err)
	}
	srv := &http.Server{Handler: m.handler(), ReadHeaderTimeout: httpReadHeaderTimeout, ReadTimeout: httpReadTimeout,
		WriteTimeout: httpWriteTimeout, IdleTimeout: httpIdleTimeout}
	go func() {
		if err := srv.Serve(newLimitListener(ln, maxHTTPConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
