package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpread(t *testing.T) {
	require.Equal(t, "1 / 2 / 3", spread([]float64{3, 1, 2}, "%.0f"))
	require.Equal(t, "1.0 / 2.5 / 4.0", spread([]float64{4, 1, 2, 3}, "%.1f"))
	require.Equal(t, "-", spread(nil, "%.0f"))
}

func TestGatherAndMedians(t *testing.T) {
	recs := []runRecord{
		{Column: "camel-1", System: "Camel", Concurrency: 1, Scenario: "tput", Done: true, Seconds: 2, FilesPerSec: 100},
		{Column: "camel-1", System: "Camel", Concurrency: 1, Scenario: "tput", Done: false, Lost: 3},
		{Column: "camel-1", System: "Camel", Concurrency: 1, Scenario: "crash", Lost: 1, Twice: 2,
			Kills: []killRecord{{Instance: "a", Takeover: 3, FirstFile: 4}, {Instance: "b", Takeover: 2}}},
		{Column: "ftpcoord-1", System: "ftpcoord", Concurrency: 1, Scenario: "tput", Done: true, Seconds: 1, FilesPerSec: 300},
		{Column: "ftpcoord-1", System: "ftpcoord", Concurrency: 1, Scenario: "crash", Twice: 2, Reruns: 2,
			Kills: []killRecord{{Instance: "a", Takeover: 0.01, FirstFile: 0.02}}},
	}
	st := gather(recs, "camel-1")
	require.Equal(t, 2, st.tputRuns)
	require.Equal(t, 1, st.tputUndone, "a throughput run that did not finish is counted, not dropped")
	require.Equal(t, []float64{100}, st.fps)
	require.Equal(t, []float64{1}, st.lost)
	require.Equal(t, 2, st.kills)
	require.Equal(t, 1, st.killsNoFile)
	require.Equal(t, []float64{3, 2}, st.takeover)

	all := map[string]*stats{"camel-1": st, "ftpcoord-1": gather(recs, "ftpcoord-1")}
	out := winners([]string{"camel-1", "ftpcoord-1"}, all)
	require.Contains(t, out, "| throughput, files/s | 100 | **300** |")
	// Both processed 2 files twice per run: a tie, both in bold.
	require.Contains(t, out, "| processed twice per crash run | **2** | **2** |")
	require.False(t, strings.Contains(out, "Concurrency 8"), "no column at 8: no table for it")
}
