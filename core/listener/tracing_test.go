package listener

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
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

// With the ledger, a file's commit (made in a batch by the commit loop)
// and its after-action are children of the file's span, and the claim is
// the poll's; the file's span names the term it was claimed under.
func TestTracingWithTheLedger(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	cfg.AfterProcess = &PostAction{Delete: true}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	l, err := New(cfg, WithTracerProvider(tp))
	require.NoError(t, err)
	svc := newRecorder()
	require.NoError(t, l.Attach(svc))
	require.NoError(t, l.Start(context.Background()))
	t.Cleanup(func() { l.Stop(context.Background()) })
	write(t, local, "a.csv", "abc", time.Hour)
	byName := map[string]tracetest.SpanStub{}
	pollUntil(t, l, "the after-action's span", func() bool {
		for _, s := range exp.GetSpans() {
			byName[s.Name] = s
		}
		_, ok := byName[SpanAfter]
		return ok
	})
	file := byName[SpanFile]
	for _, name := range []string{SpanTransfer, SpanHandler, SpanCommit, SpanAfter} {
		require.Contains(t, byName, name)
		require.Equal(t, file.SpanContext.TraceID(), byName[name].SpanContext.TraceID(), "%s: the file's trace", name)
		require.Equal(t, file.SpanContext.SpanID(), byName[name].Parent.SpanID(), "%s is the file's child", name)
	}
	claim := byName[SpanClaim]
	require.True(t, claim.Parent.IsValid(), "the claim's span has the poll's as parent")
	attrs := map[string]any{}
	for _, a := range file.Attributes {
		attrs[string(a.Key)] = a.Value.AsInterface()
	}
	require.Equal(t, "m", attrs[AttrMember])
	require.EqualValues(t, 1, attrs[AttrTerm], "the term the file was claimed under")
	require.Len(t, attrs[AttrVersion], 64, "the version key")
	l.tracing.mu.Lock()
	defer l.tracing.mu.Unlock()
	require.Empty(t, l.tracing.files, "versions kept for spans to come after their after-action")
}
