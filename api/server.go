// Package api is koe's HTTP interface: the JSON API under /api/v1, its
// OpenAPI document, the real-time endpoints, health and metrics.
package api

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// Config is what the API needs from the outside.
type Config struct {
	Store koe.Store
	Hub   *realtime.Hub
	// Limits are the rate limits; nil means DefaultRateLimits.
	Limits RateLimits
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// SecureCookies sets the Secure flag on cookies (koe behind HTTPS).
	SecureCookies bool
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// when finding a client's IP for rate limits.
	TrustedProxies []netip.Prefix
	// SharedBuckets keep rate limits across replicas; nil limits each
	// process alone.
	SharedBuckets SharedBuckets
	// Static serves everything outside /api (the web UI); nil for none.
	Static http.Handler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the API.
type Server struct {
	cfg     Config
	store   koe.Store
	hub     *realtime.Hub
	log     *slog.Logger
	limiter *limiter
	signer  signer
	metrics *httpMetrics
	now     func() time.Time
	handler http.Handler
}

// signingKeyName is the store secret that signs participant tokens; every
// process on the same database shares it.
const signingKeyName = "participant-token-key"

// New builds the server. It reads (or creates) the signing key from the
// store.
func New(ctx context.Context, cfg Config) (*Server, error) {
	key, err := cfg.Store.Secret(ctx, signingKeyName, func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultRateLimits()
	}
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
		store:   cfg.Store,
		hub:     cfg.Hub,
		log:     cfg.Logger,
		limiter: newLimiter(cfg.Limits, cfg.Now, cfg.SharedBuckets, cfg.Logger),
		signer:  signer{key: key},
		metrics: newHTTPMetrics(cfg.Registry),
		now:     cfg.Now,
	}
	s.handler = s.middleware(s.routes())
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
