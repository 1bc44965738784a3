package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/koehq/koe"
)

func TestHealth(t *testing.T) {
	h := newHarness(t)
	anon := h.client("")
	r := anon.get("/healthz")
	r.want(t, 200, "")
	if strings.TrimSpace(string(r.Body)) != `{"status":"ok"}` {
		t.Errorf("healthz body %s", r.Body)
	}
	r = anon.get("/readyz")
	r.want(t, 200, "")
	if strings.TrimSpace(string(r.Body)) != `{"status":"ready"}` {
		t.Errorf("readyz body %s", r.Body)
	}
	// Every response carries the security headers and a request id.
	for _, hdr := range []string{"X-Request-Id", "Content-Security-Policy", "X-Content-Type-Options"} {
		if r.Header.Get(hdr) == "" {
			t.Errorf("no %s header", hdr)
		}
	}
	// A client's request id is kept when it is sane, replaced otherwise.
	if r := anon.get("/healthz", header("X-Request-Id", "abc-123_X")); r.Header.Get("X-Request-Id") != "abc-123_X" {
		t.Errorf("request id not kept: %q", r.Header.Get("X-Request-Id"))
	}
	if r := anon.get("/healthz", header("X-Request-Id", "bad id <script>")); strings.Contains(r.Header.Get("X-Request-Id"), "bad") {
		t.Errorf("bad request id echoed: %q", r.Header.Get("X-Request-Id"))
	}

	// Once the hub shuts down, the server is not ready but still alive,
	// and real-time connections are refused.
	e, tk := h.setup()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	anon.get("/readyz").want(t, 503, koe.EUNAVAILABLE)
	anon.get("/healthz").want(t, 200, "")
	h.staff.get(eventPath(e.ID)+fmt.Sprintf("/sse?topic=talk:%d", tk.ID)).want(t, 503, koe.EUNAVAILABLE)
	if _, _, st := dialWS(t, h.staff, e.ID, nil); st != 503 {
		t.Errorf("WebSocket while draining: %d, want 503", st)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	p.ask(e.ID, tk.ID, "metrics?")
	h.client("").get(eventPath(e.ID), docRejects).want(t, 401, koe.EUNAUTHORIZED)
	h.staff.get("/api/v1/nope", notInDoc).want(t, 404, koe.ENOTFOUND)
	// One real-time connection of each kind.
	sse, _ := subscribeSSE(t, p, e.ID, fmt.Sprintf("talk:%d", tk.ID), "", false)
	if sse == nil {
		t.Fatal("SSE refused")
	}
	sse.next() // subscribed: the connection is counted
	ws := subscribeWS(t, p, e.ID, "event", "")
	ws.next()

	// The API listener does not serve metrics (cmd/koe serves them on a
	// listener of their own).
	h.client("").get("/metrics", notInDoc).want(t, 404, koe.ENOTFOUND)
	// The question reaches the streams through the outbox's relay, a
	// moment after its POST was answered.
	body := scrape(t, h)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(body, `koe_realtime_events_published_total{type="question.created"}`) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		body = scrape(t, h)
	}
	for _, want := range []string{
		`koe_http_requests_total{code="201",method="POST",route="POST /api/v1/events"} 1`,
		`koe_http_requests_total{code="201",method="POST",route="POST /api/v1/join"} 1`,
		`koe_http_requests_total{code="201",method="POST",route="POST /api/v1/events/{eventID}/talks/{talkID}/questions"} 1`,
		`koe_http_requests_total{code="401",method="GET",route="GET /api/v1/events/{eventID}"} 1`,
		`koe_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
		`koe_http_requests_total{code="101",method="GET",route="GET /api/v1/events/{eventID}/live"} 1`,
		`koe_http_request_duration_seconds_count{method="POST",route="POST /api/v1/join"} 1`,
		`koe_realtime_connections{transport="sse"} 1`,
		`koe_realtime_connections{transport="websocket"} 1`,
		`koe_realtime_events_published_total{type="question.created"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Streams are not in the latency histogram: they last as long as the client.
	if strings.Contains(body, `koe_http_request_duration_seconds_count{method="GET",route="GET /api/v1/events/{eventID}/sse"}`) {
		t.Error("the SSE stream is in the latency histogram")
	}
	// Paths with ids never become labels.
	if strings.Contains(body, fmt.Sprintf("/api/v1/events/%d", e.ID)) {
		t.Error("a concrete path leaked into the metric labels")
	}
	ws.close()
	sse.close()
}

// scrape renders the harness's metrics as Prometheus reads them.
func scrape(t *testing.T, h *harness) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(h.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestMetricLabelsAreBounded: requests with invented methods do not each
// make a new series (which grew the server by 115 MB for 10,000 of them).
func TestMetricLabelsAreBounded(t *testing.T) {
	h := newHarness(t)
	before := len(scrape(t, h))
	for i := range 300 {
		method := fmt.Sprintf("X%s%d", strings.Repeat("M", 200), i)
		req, _ := http.NewRequest(method, h.srv.URL+"/healthz", nil)
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Fatalf("%s /healthz: %d, want 405", method[:8], resp.StatusCode)
		}
	}
	body := scrape(t, h)
	if strings.Contains(body, "XMMM") {
		t.Error("an invented method became a label")
	}
	if !strings.Contains(body, `koe_http_requests_total{code="405",method="other",route="unmatched"} 300`) {
		t.Errorf("the requests are not counted as method \"other\":\n%s", grepLines(body, "koe_http_requests_total"))
	}
	if grown := len(body) - before; grown > 4096 {
		t.Errorf("300 requests with invented methods grew the metrics by %d bytes", grown)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
