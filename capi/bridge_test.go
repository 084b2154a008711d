package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// A file event carries the handler span's trace context when tracing is on
// (the host traces on: Java's FileInfo.traceparent), and no such field
// when it is off.
func TestFileEventCarriesTheTraceParent(t *testing.T) {
	event := func(ctx context.Context) map[string]any {
		b := newBridge(nil)
		go file{tagged{b, ""}}.OnFile(ctx, listener.FileInfo{Path: "/in/a.csv", Name: "a.csv"}, strings.NewReader("x"), nil)
		ev := <-b.queue
		b.close()
		raw, err := json.Marshal(ev)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		return m["file"].(map[string]any)
	}
	off := event(context.Background())
	require.Equal(t, "/in/a.csv", off["path"], "the FileInfo's fields stay where they were: %v", off)
	require.NotContains(t, off, "traceparent", "tracing off")

	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("test").Start(context.Background(), "handler")
	defer span.End()
	on := event(ctx)
	sc := span.SpanContext()
	require.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", on["traceparent"], "%v", on)
	require.Equal(t, "a.csv", on["name"], "%v", on)
}
