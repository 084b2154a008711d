package main

import (
	"testing"
	"time"
)

func TestParseLines(t *testing.T) {
	r, ok := parsePeerLine("f1.dat c1 1796310803347960781 1024")
	if !ok || r.name != "f1.dat" || r.instance != "c1" || r.at.UnixNano() != 1796310803347960781 {
		t.Fatalf("peer line: %+v %v", r, ok)
	}
	if _, ok := parsePeerLine("garbage"); ok {
		t.Fatal("garbage parsed")
	}
	line := `{"time":"2026-12-03T15:20:01.5Z","level":"INFO","msg":"file","path":"/peers/x/f2.dat","bytes":1024,"attempt":2,"idempotencyKey":"k2"}`
	r, ok = parseFtpcoordLine(line, "m1")
	if !ok || r.name != "f2.dat" || r.instance != "m1" || r.attempt != 2 || r.key != "k2" {
		t.Fatalf("ftpcoord line: %+v %v", r, ok)
	}
	if _, ok := parseFtpcoordLine(`{"msg":"active","term":3}`, "m1"); ok {
		t.Fatal("non-file message parsed")
	}
}

func TestCount(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	recs := []record{
		{name: "a", instance: "1", at: at(1), attempt: 1},
		{name: "b", instance: "1", at: at(2), attempt: 1, key: "kb"},
		{name: "b", instance: "2", at: at(5), attempt: 2, key: "kb"}, // rerun
		{name: "c", instance: "2", at: at(6), attempt: 1},
		{name: "c", instance: "1", at: at(7), attempt: 1}, // twice
		{name: "z", instance: "1", at: at(8), attempt: 1}, // not expected
	}
	got := count(recs, []string{"a", "b", "c", "d"})
	if got.distinct != 3 || got.lost != 1 || got.twice != 1 || got.reruns != 1 || got.extra != 1 {
		t.Fatalf("count: %+v", got)
	}
	if !got.first.Equal(at(1)) || !got.last.Equal(at(7)) {
		t.Fatalf("first/last: %+v", got)
	}
	f := failovers(recs, []kill{{instance: "1", at: at(3)}, {instance: "2", at: at(6)}})
	if len(f) != 2 || f[0] != 2*time.Second || f[1] != time.Second {
		t.Fatalf("failovers: %v", f)
	}
	m, w := medianMax([]time.Duration{3, 1, 2})
	if m != 2 || w != 3 {
		t.Fatalf("medianMax: %v %v", m, w)
	}
}
