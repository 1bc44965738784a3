package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestTracingOffWithoutEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	stop := startTracing(discardLogger())
	defer stop()
	if tracingOn {
		t.Fatal("tracing switched on without an endpoint")
	}
	h := http.NewServeMux()
	if got := traced(h); got != http.Handler(h) {
		t.Error("traced changed the handler while tracing is off")
	}
}

// collector is a fake OTLP/HTTP receiver that keeps the spans it is sent.
type collector struct {
	mu    sync.Mutex
	spans map[string]map[string]string // span name → string attributes
	res   map[string]string            // resource attributes
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			c.res[a.Key] = a.GetValue().GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				attrs := map[string]string{"trace_id": hex.EncodeToString(s.TraceId)}
				for _, a := range s.Attributes {
					attrs[a.Key] = a.GetValue().GetStringValue()
				}
				c.spans[s.Name] = attrs
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

// TestTracingExportsSpans runs requests through traced with a fake
// collector as the endpoint: plain requests become spans named by route
// with koe's request id, an incoming traceparent is continued, health
// checks are not traced, and streaming (flush) and the WebSocket upgrade
// (hijack) still work through the wrapper.
func TestTracingExportsSpans(t *testing.T) {
	col := &collector{spans: map[string]map[string]string{}, res: map[string]string{}}
	cs := httptest.NewServer(col)
	defer cs.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", cs.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	t.Cleanup(func() { tracingOn = false })

	stop := startTracing(discardLogger())
	if !tracingOn {
		t.Fatal("tracing did not switch on")
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events/{e}/talks/{t}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-42")
		_, _ = io.WriteString(w, "{}")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /api/v1/events/{e}/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "event: subscribed\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the tracing wrapper: %v", err)
		}
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /api/v1/events/{e}/live", func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack through the tracing wrapper: %v", err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
	})
	// Spans end when the traced handler returns, which for a stream or a
	// hijacked connection can be after the client saw its answer: wait
	// for every handler before flushing.
	var handlers sync.WaitGroup
	h := traced(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/events/12/talks/3", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = http.Get(srv.URL + "/healthz"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// SSE: the first event arrives while the handler still runs.
	client := &http.Client{Timeout: 10 * time.Second}
	sreq, _ := http.NewRequest("GET", srv.URL+"/api/v1/events/12/sse", nil)
	ctx, cancel := context.WithCancel(context.Background())
	sreq = sreq.WithContext(ctx)
	sresp, err := client.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(sresp.Body).ReadString('\n')
	if err != nil || line != "event: subscribed\n" {
		t.Errorf("SSE first line %q, %v", line, err)
	}
	cancel()
	sresp.Body.Close()

	// WebSocket upgrade: the handler hijacks the connection.
	wresp, err := client.Get(srv.URL + "/api/v1/events/12/live")
	if err != nil {
		t.Fatal(err)
	}
	wresp.Body.Close()
	if wresp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("upgrade through the wrapper: status %d", wresp.StatusCode)
	}

	handlers.Wait()
	stop() // flushes the batch
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.res["service.name"] != "koe" || col.res["service.version"] != version {
		t.Errorf("resource attributes %v", col.res)
	}
	span, ok := col.spans["GET /api/v1/events/{id}/talks/{id}"]
	if !ok {
		t.Fatalf("no span for the talk request; spans: %v", keys(col.spans))
	}
	if span["koe.request_id"] != "req-42" {
		t.Errorf("span attributes %v lack koe.request_id=req-42", span)
	}
	if span["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("the span did not continue the incoming traceparent: trace %s", span["trace_id"])
	}
	for name := range col.spans {
		if strings.Contains(name, "healthz") {
			t.Errorf("health checks are traced: %s", name)
		}
	}
	for _, want := range []string{"GET /api/v1/events/{id}/sse", "GET /api/v1/events/{id}/live"} {
		if _, ok := col.spans[want]; !ok {
			t.Errorf("no span %q; spans: %v", want, keys(col.spans))
		}
	}
}

func keys(m map[string]map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSpanRoute(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/events/12/talks/3/questions/7/like": "/api/v1/events/{id}/talks/{id}/questions/{id}/like",
		"/api/v1/join":      "/api/v1/join",
		"/api/openapi.json": "/api/openapi.json",
		"/e/ABC234":         "/*",
		"/":                 "/*",
	} {
		if got := spanRoute(path); got != want {
			t.Errorf("spanRoute(%q) = %q, want %q", path, got, want)
		}
	}
}
