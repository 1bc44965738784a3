package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koe_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "koe_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method (real-time streams excluded).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type ctxKey int

const requestIDKey ctxKey = iota

// methodLabel bounds the method label of the HTTP metrics to the methods
// koe serves: a label per method a client invents would let anyone grow
// the server's memory and every scrape.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

// clip bounds a request's value in the log line.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// hsts tells browsers to reach koe over HTTPS only, for a year, once they
// have reached it so (set when KOE_PUBLIC_URL is https://).
const hsts = "max-age=31536000"

// statusRecorder remembers the status for logs and metrics. It keeps
// Unwrap so that http.ResponseController (flush, hijack, deadlines) works.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentSecurityPolicy lets pages load only koe's own scripts, styles and
// connections: user text can never become markup that runs.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// middleware wraps every request: request id, security headers, CSRF
// protection for cookie-authenticated writes, panic recovery, metrics and
// one JSON log line.
func (s *Server) middleware(next http.Handler) http.Handler {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, koe.Errorf(koe.EFORBIDDEN, "cross-origin request refused"))
	}))
	protected := csrf.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", hsts)
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", slog.Any("panic", p), slog.String("request_id", id))
				if rec.status == 0 {
					s.writeError(rec, r, koe.Errorf(koe.EINTERNAL, "internal error"))
				}
			}
			s.observe(r, rec, start)
		}()
		protected.ServeHTTP(rec, r)
	})
}

func (s *Server) observe(r *http.Request, rec *statusRecorder, start time.Time) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := rec.status
	if status == 0 {
		status = http.StatusSwitchingProtocols // hijacked by the WebSocket upgrade
	}
	elapsed := s.now().Sub(start)
	method := methodLabel(r.Method)
	s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	if !isStream(route) {
		s.metrics.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case route == tapRoute && status < 300:
		// A room taps thousands of reactions a second: a tap that counted
		// is not worth a log line each (koe_http_requests_total counts
		// them).
		level = slog.LevelDebug
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("request_id", r.Context().Value(requestIDKey).(string)),
		slog.String("method", clip(r.Method, 16)),
		slog.String("route", route),
		slog.String("path", clip(r.URL.Path, 512)),
		slog.Int("status", status),
		slog.Int("bytes", rec.bytes),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("ip", s.clientIP(r)),
	)
}

// tapRoute is the route of reaction taps.
const tapRoute = "POST /api/v1/events/{eventID}/talks/{talkID}/reactions"

func isStream(route string) bool {
	return strings.HasSuffix(route, "/live") || strings.HasSuffix(route, "/sse")
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clientIP is the address rate limits count against: the peer, or, when
// the peer is a trusted proxy, the right-most untrusted X-Forwarded-For hop.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
