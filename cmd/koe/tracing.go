package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// OpenTelemetry tracing, off unless an OTLP endpoint is configured with the
// standard variables (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; headers, timeout, sampler, service
// name and resource attributes follow the OTEL_* conventions too). Spans go
// over OTLP/HTTP; every HTTP request becomes a server span that continues an
// incoming W3C traceparent. Without the variables nothing is installed and
// traced returns the handler unchanged.

// tracingOn is set by startTracing when spans are exported.
var tracingOn bool

// tracingConfigured reports whether the environment asks for traces.
func tracingConfigured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// startTracing installs the OTLP exporter as the global tracer provider
// when tracing is configured, and returns what flushes and stops it at
// shutdown (after the drain, so the drained requests' spans are sent). A
// configuration koe cannot use is logged and tracing stays off: traces
// are never a reason not to serve.
func startTracing(log *slog.Logger) (stop func()) {
	stop = func() {}
	if !tracingConfigured() {
		return stop
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		if os.Getenv(v) == "grpc" {
			log.Warn("tracing off: koe exports OTLP over HTTP (http/protobuf or http/json), not gRPC", v, "grpc")
			return stop
		}
	}
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		log.Warn("tracing off: OTLP exporter", "error", err)
		return stop
	}
	// Later sources win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES may
	// override koe's defaults.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", "koe"),
			attribute.String("service.version", version),
			attribute.String("vcs.ref.head.revision", commit),
		),
		resource.WithFromEnv(),
	)
	if err != nil {
		log.Warn("tracing: resource attributes", "error", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based,
	// always on).
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing", "error", err) }))
	tracingOn = true
	log.Info("tracing on", "exporter", "otlp/http")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(ctx); err != nil {
			log.Warn("tracing: flushing spans at shutdown", "error", err)
		}
	}
}

// traced wraps koe's handler in an OpenTelemetry server span per request
// when tracing is on. Health checks and metrics scrapes are left out. The
// span carries koe's request id (the X-Request-Id of the response, the one
// in the JSON logs) so a trace leads to its log lines.
func traced(h http.Handler) http.Handler {
	if !tracingOn {
		return h
	}
	withID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if id := w.Header().Get("X-Request-Id"); id != "" {
			trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("koe.request_id", id))
		}
	})
	return otelhttp.NewHandler(withID, "koe",
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + spanRoute(r.URL.Path)
		}),
	)
}

// spanRoute names a request's route without the ids in it, so span names
// stay few: /api/v1/events/12/talks/3/questions becomes
// /api/v1/events/{id}/talks/{id}/questions. Everything outside the API is
// the web UI, one name.
func spanRoute(path string) string {
	if !strings.HasPrefix(path, "/api/") {
		return "/*"
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}
