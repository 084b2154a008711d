package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/listener"
)

// signalsCollector serves the group's backlog (one ledger statement per
// scrape: ledger.Backlog) and the reason the member is not ready.
type signalsCollector struct{ m *metrics }

// backlogScrapeTimeout bounds the backlog's statement in a scrape, well
// inside Prometheus's default scrape timeout (10 s): a slow database costs
// the backlog series of one scrape, not the whole scrape.
const backlogScrapeTimeout = 5 * time.Second

var (
	descLedgerFiles = prometheus.NewDesc("ftpcoord_ledger_files",
		"The group's unfinished file versions in the ledger, by state: pending, in_progress, failed (waiting for retryTimeout), rejected (out of tries, waiting for a person).",
		[]string{"state"}, nil)
	descLedgerOldest = prometheus.NewDesc("ftpcoord_ledger_oldest_seconds",
		"Age (since its first listing, database clock) of the group's oldest file version in each state; 0 when there is none.",
		[]string{"state"}, nil)
	descLedgerRetries = prometheus.NewDesc("ftpcoord_ledger_retries",
		"Failed attempts of the group's file versions not finished yet (pending, failed, in progress; the running attempt not counted).", nil, nil)
	descListedToCommit = prometheus.NewDesc("ftpcoord_file_listed_to_commit_seconds",
		"Time from a file version's first listing to its commit, for the versions this member committed.", nil, nil)
	descNotReady = prometheus.NewDesc("ftpcoord_not_ready",
		"1 for the reason this member is not ready (starting, stopping, unable_to_work, stuck), else 0; all 0 while it is ready.",
		[]string{"reason"}, nil)
)

func (c signalsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLedgerFiles, descLedgerOldest, descLedgerRetries, descListedToCommit, descNotReady} {
		ch <- d
	}
}

func (c signalsCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.m.readiness()
	for _, reason := range listener.NotReadyReasons {
		v := 0.0
		if !r.Ready && r.Reason == reason {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descNotReady, prometheus.GaugeValue, v, reason)
	}
	if c.m.backlog == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), backlogScrapeTimeout)
	defer cancel()
	b, err := c.m.backlog(ctx)
	if errors.Is(err, listener.ErrNoLedger) {
		return // polling alone, or not joined yet: no ledger, no backlog
	}
	if err != nil {
		c.m.DatabaseError("backlog", err)
		return
	}
	for _, s := range []struct {
		state string
		b     ledger.StateBacklog
	}{{"pending", b.Pending}, {"in_progress", b.InProgress}, {"failed", b.Failed}, {"rejected", b.Rejected}} {
		ch <- prometheus.MustNewConstMetric(descLedgerFiles, prometheus.GaugeValue, float64(s.b.Files), s.state)
		ch <- prometheus.MustNewConstMetric(descLedgerOldest, prometheus.GaugeValue, s.b.OldestSeconds, s.state)
	}
	ch <- prometheus.MustNewConstMetric(descLedgerRetries, prometheus.GaugeValue, float64(b.Retries))
	h := b.ListedToCommit
	buckets := make(map[float64]uint64, len(h.Bounds))
	for i, bound := range h.Bounds {
		buckets[bound] = h.Counts[i]
	}
	ch <- prometheus.MustNewConstHistogram(descListedToCommit, h.Count, h.SumSeconds, buckets)
}
