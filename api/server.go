// Package api is koe's HTTP interface: the JSON API under /api/v1, its
// OpenAPI document, the real-time endpoints and health. Every handler
// decodes its request, makes one call to the application layer (package
// act) and encodes the answer; the caller's principal is put in the
// request's context once, by the route wrapper in routes.go.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe/act"
	"github.com/koehq/koe/realtime"
)

// Config is what the API needs from the outside.
type Config struct {
	Actions *act.Actions
	// Hub serves the real-time connections.
	Hub *realtime.Hub
	// Registry receives the HTTP metrics (served elsewhere: see cmd/koe).
	Registry prometheus.Registerer
	Logger   *slog.Logger
	// SecureCookies sets the Secure flag on cookies and sends
	// Strict-Transport-Security: koe is reached over HTTPS.
	SecureCookies bool
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// when finding a client's address for rate limits.
	TrustedProxies []netip.Prefix
	// Static serves everything outside the API (the web UI); nil for none.
	Static http.Handler
	// Now is the clock of request durations; nil means time.Now.
	Now func() time.Time
}

// Server serves the API.
type Server struct {
	cfg     Config
	act     *act.Actions
	hub     *realtime.Hub
	log     *slog.Logger
	metrics *httpMetrics
	now     func() time.Time
	handler http.Handler
}

// New builds the server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:     cfg,
		act:     cfg.Actions,
		hub:     cfg.Hub,
		log:     cfg.Logger,
		metrics: newHTTPMetrics(cfg.Registry),
		now:     cfg.Now,
	}
	s.handler = s.middleware(s.routes())
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
