// Package otelenv makes the TracerProvider that OpenTelemetry's standard
// environment asks for (docs/metrics.md#tracing), for the hosts that are
// configured by their environment: the ftpcoord command and the C ABI (and
// so the Java bindings). Off unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, or OTEL_TRACES_EXPORTER=otlp;
// spans then go over OTLP/HTTP (protobuf), with the exporter's own
// OTEL_EXPORTER_OTLP_* settings (headers, timeout, compression,
// certificate) and the SDK's (OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*).
package otelenv

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Env reads an environment variable (os.Getenv).
type Env func(string) string

// Enabled says whether the environment asks for traces; an error names a
// variable whose value ftpcoord does not support, and the fix.
func (env Env) Enabled() (bool, error) {
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
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: ftpcoord exports traces with otlp (or none: no traces)", v)
	}
	if !on {
		return false, nil
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch v := strings.TrimSpace(env(name)); v {
		case "", "http/protobuf":
		default:
			return false, fmt.Errorf("%s=%s: ftpcoord exports traces over OTLP/HTTP only: set it to http/protobuf (the collector's port 4318) or unset it", name, v)
		}
	}
	return true, nil
}

// TracerProvider is the TracerProvider the environment asks for, nil when
// tracing is off. The resource names the service "ftpcoord" (version and
// instance: the member's id, when given), unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise. Shut it down to send what it
// holds.
func (env Env) TracerProvider(ctx context.Context, version, memberID string) (*sdktrace.TracerProvider, error) {
	on, err := env.Enabled()
	if err != nil || !on {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter (OTEL_EXPORTER_OTLP_*): %w", err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", "ftpcoord")}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	if memberID != "" {
		attrs = append(attrs, attribute.String("service.instance.id", memberID))
	}
	// The environment's attributes come last: they win.
	res, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing: OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
