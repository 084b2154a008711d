package main

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/internal/otelenv"
)

// newTracerProvider is the member's TracerProvider as OpenTelemetry's
// environment asks (nil: tracing off; internal/otelenv,
// docs/metrics.md#tracing); a setting ftpcoord cannot follow is a usage
// error.
func newTracerProvider(ctx context.Context, getenv func(string) string, memberID string) (*sdktrace.TracerProvider, error) {
	tp, err := otelenv.Env(getenv).TracerProvider(ctx, version, memberID)
	if err != nil {
		return nil, exitcode.Usagef("%v", err)
	}
	return tp, nil
}
