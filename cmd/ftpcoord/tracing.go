package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
)

// Tracing is configured by OpenTelemetry's standard environment
// (docs/metrics.md#tracing): off unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, or OTEL_TRACES_EXPORTER=otlp;
// spans then go over OTLP/HTTP (protobuf) to that endpoint, with the
// exporter's own OTEL_EXPORTER_OTLP_* settings (headers, timeout,
// compression, certificate) and the SDK's (OTEL_TRACES_SAMPLER,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*).

// tracingEnv are the variables that turn tracing on or off or that
// ftpcoord checks; the exporter and the SDK read the others themselves.
type tracingEnv func(string) string

// enabled says whether the environment asks for traces, and checks what
// ftpcoord supports.
func (env tracingEnv) enabled() (bool, error) {
	if strings.EqualFold(strings.TrimSpace(env("OTEL_SDK_DISABLED")), "true") {
		return false, nil
	}
	on := false
	switch v := strings.TrimSpace(env("OTEL_TRACES_EXPORTER")); v {
	case "":
		on = env("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	case "otlp":
		on = true
	case "none":
		return false, nil
	default:
		return false, exitcode.Usagef("OTEL_TRACES_EXPORTER=%s: ftpcoord exports traces with otlp (or none: no traces)", v)
	}
	if !on {
		return false, nil
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch v := strings.TrimSpace(env(name)); v {
		case "", "http/protobuf":
		default:
			return false, exitcode.Usagef("%s=%s: ftpcoord exports traces over OTLP/HTTP only: set it to http/protobuf (the collector's port 4318) or unset it", name, v)
		}
	}
	return true, nil
}

// newTracerProvider is the member's TracerProvider as the environment
// asks (nil: tracing off), and how to flush and stop it.
func newTracerProvider(ctx context.Context, env tracingEnv, memberID string) (*sdktrace.TracerProvider, error) {
	on, err := env.enabled()
	if err != nil || !on {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("tracing: the OTLP exporter (OTEL_EXPORTER_OTLP_*): %w", err))
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", "ftpcoord")}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	if memberID != "" {
		attrs = append(attrs, attribute.String("service.instance.id", memberID))
	}
	// The environment's OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// come last: they win.
	res, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("tracing: OTEL_RESOURCE_ATTRIBUTES: %w", err))
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
