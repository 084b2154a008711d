package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseLines(t *testing.T) {
	r, ok := parsePeerLine("f1.dat c1 1796310803347960781 1024")
	require.True(t, ok, "peer line: %+v %v", r, ok)
	require.Equal(t, "f1.dat", r.name, "peer line: %+v %v", r, ok)
	require.Equal(t, "c1", r.instance, "peer line: %+v %v", r, ok)
	require.Equal(t, int64(1796310803347960781), r.at.UnixNano(), "peer line: %+v %v", r, ok)
	_, ok = parsePeerLine("!leader a 1796310803347960781")
	require.False(t, ok, "a takeover signal parsed as a completion")
	r, ok = parseLeaderLine("!leader a 1796310803347960781")
	require.True(t, ok, "leader line: %+v %v", r, ok)
	require.Equal(t, "a", r.instance, "leader line: %+v %v", r, ok)
	_, ok = parseLeaderLine("f1.dat c1 1796310803347960781 1024")
	require.False(t, ok, "a completion parsed as a takeover signal")
	_, ok = parsePeerLine("garbage")
	require.False(t, ok, "garbage parsed")
	line := `{"time":"2026-12-03T15:20:01.5Z","level":"INFO","msg":"file","path":"/peers/x/f2.dat","bytes":1024,"attempt":2,"idempotencyKey":"k2"}`
	r, ok = parseFtpcoordLine(line, "m1")
	require.True(t, ok, "ftpcoord line: %+v %v", r, ok)
	require.Equal(t, "f2.dat", r.name, "ftpcoord line: %+v %v", r, ok)
	require.Equal(t, "m1", r.instance, "ftpcoord line: %+v %v", r, ok)
	require.Equal(t, 2, r.attempt, "ftpcoord line: %+v %v", r, ok)
	require.Equal(t, "k2", r.key, "ftpcoord line: %+v %v", r, ok)
	_, ok = parseFtpcoordLine(`{"msg":"active","term":3}`, "m1")
	require.False(t, ok, "non-file message parsed")
}

func TestCount(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	recs := []record{
		{name: "a", instance: "1", at: at(1), attempt: 1},
		{name: "b", instance: "1", at: at(2), attempt: 1, key: "kb"},
		{name: "b", instance: "2", at: at(5), attempt: 2, key: "kb"}, // twice, and a rerun
		{name: "c", instance: "2", at: at(6), attempt: 1},
		{name: "c", instance: "1", at: at(7), attempt: 1}, // twice
		{name: "z", instance: "1", at: at(8), attempt: 1}, // not expected
	}
	got := count(recs, []string{"a", "b", "c", "d"})
	require.Equal(t, 3, got.distinct, "count: %+v", got)
	require.Equal(t, 1, got.lost, "count: %+v", got)
	require.Equal(t, 2, got.twice, "count: %+v", got)
	require.Equal(t, 1, got.reruns, "count: %+v", got)
	require.Equal(t, 1, got.extra, "count: %+v", got)
	require.True(t, got.first.Equal(at(1)), "first/last: %+v", got)
	require.True(t, got.last.Equal(at(7)), "first/last: %+v", got)
	f := failovers(recs, []kill{{instance: "1", at: at(3)}, {instance: "2", at: at(6)}})
	require.Equal(t, []time.Duration{2 * time.Second, time.Second}, f, "failovers")
	m, w := medianMax([]time.Duration{3, 1, 2})
	require.Equal(t, time.Duration(2), m, "medianMax: %v %v", m, w)
	require.Equal(t, time.Duration(3), w, "medianMax: %v %v", m, w)
}
