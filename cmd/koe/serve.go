package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/koehq/koe/act"
	"github.com/koehq/koe/api"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/broker/redis"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ingest/platforms"
	"github.com/koehq/koe/outbox"
	"github.com/koehq/koe/ratelimit"
	"github.com/koehq/koe/realtime"
	"github.com/koehq/koe/web"
)

func serve(args []string) error {
	cfg, err := parseServeConfig(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	st, where, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "koe_build_info", Help: "Version and commit of the running binary."}, []string{"version", "commit"})
	buildInfo.WithLabelValues(version, commit).Set(1)
	reg.MustRegister(buildInfo)

	hubOpts := realtime.Options{FlushInterval: cfg.FlushInterval, Metrics: realtime.NewMetrics(reg), Logger: log,
		PresenceOnJoin: realtime.PresenceOnJoinDelay}
	var shared ratelimit.SharedBuckets
	if cfg.RedisURL != "" {
		b, err := redis.New(cfg.RedisURL, redis.WithPrefix(cfg.RedisPrefix))
		if err != nil {
			return err
		}
		defer b.Close()
		hubOpts.Broker, shared = b, b
	}
	hub := realtime.New(hubOpts)
	oidc, err := oidcSignIn(log, cfg)
	if err != nil {
		return err
	}
	// Listening first: join links name the address koe is reached at.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	url := cfg.PublicURL
	if url == "" {
		url = "http://" + displayAddr(ln.Addr())
	}
	ifaces, err := net.InterfaceAddrs()
	if err != nil {
		log.Warn("cannot list the network addresses for join links", "error", err)
	}
	lan := lanURLs(ln.Addr(), ifaces)
	joinAt := joinBase(cfg.PublicURL, lan, url)
	actions, err := act.New(ctx, act.Config{
		Store:         st,
		Hub:           hub,
		Limits:        cfg.RateLimits,
		SharedBuckets: shared,
		Streams:       cfg.Streams,
		Logger:        log,
		OwnerToken:    cfg.OwnerToken,
		Sessions:      cfg.Sessions,

		ParticipantTokenTTL: cfg.ParticipantTokenTTL,
		AuditRetention:      cfg.AuditRetention,
		PublicURL:           cfg.PublicURL,
		JoinBase:            joinAt,
		OIDC:                oidc,
		Scorers:             cfg.Scorers,
		Registry:            reg,
		Platforms:           platforms.All,
		Ingest:              ingest.Options{PollEvery: cfg.IngestPoll, Retry: min(cfg.IngestPoll, 2*time.Second)},
		Deliveries:          cfg.Webhooks,
		Slack:               cfg.Slack,
	})
	if err != nil {
		return err
	}
	// The outbox's consumers deliver what is committed; they stop after
	// the HTTP server, so that nothing committed is left behind.
	relayCtx, stopRelay := context.WithCancel(context.Background())
	defer stopRelay()
	waitRelay, err := outbox.New(st, actions.Consumers(), outbox.Options{Registry: reg, Logger: log}).Start(relayCtx)
	if err != nil {
		return err
	}
	// The social feed's sources, the webhooks' deliverer and the schedule
	// run on the replica holding each one's lease; draining gives the
	// leases up first, so that another replica takes them over at once.
	// Every replica records its talks' audience peaks.
	bgCtx, stopBg := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	for _, run := range []func(context.Context){actions.RunIngest, actions.RunDeliveries, actions.RunSchedule, actions.RunPresence} {
		bg.Add(1)
		go func() {
			defer bg.Done()
			run(bgCtx)
		}()
	}
	defer func() { stopBg(); bg.Wait() }()
	srv := api.New(api.Config{
		Actions:        actions,
		Hub:            hub,
		Registry:       reg,
		Logger:         log,
		SecureCookies:  strings.HasPrefix(cfg.PublicURL, "https://"),
		TrustedProxies: cfg.Trusted,
		Static:         web.Handler(),
	})

	defer startTracing(log)() // tracing.go: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set

	httpSrv := &http.Server{
		Handler:           traced(srv),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		// No WriteTimeout: streams set their own per-write deadlines.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("koe serving", "url", url, "version", version, "commit", commit, "store", where, "redis", cfg.RedisURL != "", "rate_limits", cfg.RateLimits.String())
	setup, expires, err := actions.SetupToken(ctx)
	if err != nil {
		return err
	}
	if setup != "" {
		// On the terminal, never in the JSON logs; the token is in the
		// fragment, which browsers do not send, so it stays out of access
		// logs too.
		fmt.Fprintf(os.Stderr, "\n  koe is running at %s\n\n  Create the first admin account (this link works once, until %s):\n\n    %s/setup#%s\n\n", url, expires.Local().Format("2006-01-02 15:04"), url, setup)
	}
	printJoinURLs(os.Stderr, cfg.PublicURL, lan, joinAt)

	if cfg.DebugAddr != "" {
		go serveDebug(log, cfg.DebugAddr)
	}
	if err := serveMetrics(log, cfg, reg); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	log.Info("draining", "timeout", cfg.DrainTimeout.String())
	stopBg()
	bg.Wait()
	drain, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	// Real-time clients are told to go away first (readyz fails from now
	// on), then ordinary requests are allowed to finish.
	if err := hub.Shutdown(drain); err != nil {
		log.Warn("real-time connections did not all close in time", "error", err)
	}
	if err := httpSrv.Shutdown(drain); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("requests did not all finish in time", "error", err)
	}
	// The reaction totals of the last second, now that no tap comes.
	actions.FlushReactions(drain)
	stopRelay()
	waitRelay()
	log.Info("stopped")
	return nil
}

// oidcSignIn makes the OpenID Connect client from KOE_OIDC_* (nil when
// KOE_OIDC_ISSUER is not set). It does not reach the provider: discovery
// happens at the first sign-in, so koe starts while the provider is down.
func oidcSignIn(log *slog.Logger, cfg *config) (*act.OIDCConfig, error) {
	o := cfg.OIDC
	if o.Issuer == "" {
		return nil, nil
	}
	redirect := ""
	if cfg.PublicURL != "" {
		redirect = strings.TrimRight(cfg.PublicURL, "/") + auth.OIDCCallbackPath
	}
	client, err := auth.NewOIDC(auth.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RedirectURL: redirect, GroupsClaim: o.GroupsClaim})
	if err != nil {
		return nil, err
	}
	if len(o.AllowedDomains) == 0 && len(o.AllowedGroups) == 0 {
		log.Warn("OIDC: anyone with an account at the provider may sign in (to an account with no roles); set KOE_OIDC_ALLOWED_DOMAINS or KOE_OIDC_ALLOWED_GROUPS to narrow it", "issuer", o.Issuer)
	}
	log.Info("OIDC sign-in", "issuer", o.Issuer, "name", o.Name, "redirect_url", client.RedirectURL("<request origin>"))
	return &act.OIDCConfig{Name: o.Name, Client: client,
		Policy: auth.OIDCPolicy{AllowedDomains: o.AllowedDomains, AllowedGroups: o.AllowedGroups, AdminGroups: o.AdminGroups}}, nil
}

// serveMetrics serves Prometheus's /metrics on a listener of its own, never
// the public one. An address that was asked for must be had; the default
// one (loopback, for a laptop) may be taken by something else, and koe
// then runs without it.
func serveMetrics(log *slog.Logger, cfg *config, reg *prometheus.Registry) error {
	if cfg.MetricsAddr == "" || cfg.MetricsAddr == "off" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		if cfg.metricsAddrSet {
			return fmt.Errorf("metrics listener: %w", err)
		}
		log.Warn("metrics not served: the default address is taken; set KOE_METRICS_ADDR", "addr", cfg.MetricsAddr, "error", err)
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("metrics served", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Error("metrics server stopped", "error", err)
		}
	}()
	return nil
}

// serveDebug serves net/http/pprof on its own listener, apart from the
// public handler, for profiling a running server.
func serveDebug(log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	log.Info("debug server", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("debug server stopped", "error", err)
	}
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
