package listener

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// Off by default, tracing costs nothing: every call site's helper returns
// at once, without an allocation, and there is no trace to pass on.
func TestTracingOffAllocatesNothing(t *testing.T) {
	l, err := New(ListenerConfig{})
	require.NoError(t, err)
	require.Nil(t, l.tracing)
	ctx := context.Background()
	w := fileWork{info: FileInfo{Path: "/in/a.csv", IdempotencyKey: "k"}, claim: ledger.Claim{Key: "k"}}
	claims := []ledger.Claim{w.claim}
	start := time.Now()
	allocs := testing.AllocsPerRun(100, func() {
		c, endPoll := l.tracePoll(ctx)
		c, endListing := l.traceStep(c, SpanListing)
		endListing(nil)
		c, endClaim := l.traceClaim(c, 1)
		endClaim(claims, nil)
		fc, endFile := l.traceFile(c, w)
		tc, endTransfer := l.traceTransfer(fc)
		hc, endHandler := l.traceHandler(tc)
		if TraceParent(hc) != "" {
			t.Fatal("a traceparent with tracing off")
		}
		endHandler(nil)
		endTransfer(nil)
		endFile(true, nil)
		l.traceCommits(c, claims, nil, start, nil)
		_, endAfter := l.traceAfter(c, "afterProcess", w.info)
		endAfter(nil)
		endPoll(nil)
	})
	require.Zero(t, allocs, "allocations per file with tracing off")
}

// Without the ledger (the in-memory path), a poll's spans: the poll, its
// listing, and per file its transfer, handler and after-action under the
// file's span, whose attributes name the file and the attempt.
func TestTracingWithoutTheLedger(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.AfterProcess = &PostAction{Delete: true}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	l, err := New(cfg, WithTracerProvider(tp))
	require.NoError(t, err)
	svc := newRecorder()
	require.NoError(t, l.Attach(svc))
	write(t, local, "a.csv", "abc", time.Hour)
	require.NoError(t, l.PollOnce(context.Background()))
	byName := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byName[s.Name] = s
	}
	for _, name := range []string{SpanPoll, SpanListing, SpanFile, SpanTransfer, SpanHandler, SpanAfter} {
		require.Contains(t, byName, name, "spans %v", exp.GetSpans())
	}
	file := byName[SpanFile]
	require.Equal(t, byName[SpanPoll].SpanContext.SpanID(), file.Parent.SpanID(), "the file's span is the poll's child")
	for _, name := range []string{SpanTransfer, SpanHandler, SpanAfter} {
		require.Equal(t, file.SpanContext.SpanID(), byName[name].Parent.SpanID(), "%s is the file's child", name)
	}
	attrs := map[string]any{}
	for _, a := range file.Attributes {
		attrs[string(a.Key)] = a.Value.AsInterface()
	}
	require.Equal(t, cfg.Path+"/a.csv", attrs[AttrPath])
	require.EqualValues(t, 1, attrs[AttrAttempt])
	require.EqualValues(t, 3, attrs[AttrSize])
}
