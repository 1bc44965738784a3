package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/moderation"
	"github.com/koehq/koe/ratelimit"
)

// config is every setting of koe, read from flags with KOE_* environment
// variables as defaults. README.md has the table.
type config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	RedisURL    string
	RedisPrefix string
	OwnerToken  string
	RateLimits  ratelimit.Rates
	Streams     act.StreamLimits
	MetricsAddr string
	// metricsAddrSet is true when MetricsAddr was chosen, not defaulted: a
	// chosen address that cannot be had is an error.
	metricsAddrSet bool
	FlushInterval  time.Duration
	DrainTimeout   time.Duration
	PublicURL      string
	Trusted        []netip.Prefix
	LogLevel       slog.Level
	DebugAddr      string
	Sessions       act.SessionLimits
	// ParticipantTokenTTL is how long a participant token is valid.
	ParticipantTokenTTL time.Duration
	AuditRetention      time.Duration
	// OIDC is staff sign-in with an OpenID provider; Issuer "" for none.
	OIDC oidcConfig
	// Scorers are the HTTP scorers every event consults (KOE_SCORERS).
	Scorers []koe.ScorerConfig
	// IngestPoll is how often the social feed's polling sources ask
	// their platform (KOE_INGEST_POLL).
	IngestPoll time.Duration
	// Webhooks is how koe delivers to webhooks (KOE_WEBHOOK_*).
	Webhooks act.DeliveryOptions
	// Slack is the installation's Slack app (KOE_SLACK_*).
	Slack act.SlackConfig
}

// oidcConfig is KOE_OIDC_*.
type oidcConfig struct {
	Issuer, ClientID, ClientSecret, Name string
	AllowedDomains, AllowedGroups        []string
	AdminGroups                          []string
	GroupsClaim                          string
}

// parseScorers reads KOE_SCORERS: name=URL pairs, comma-separated; a
// name ending in ":flag" (koe-scorer:flag=http://…) makes the scorer
// flag only.
func parseScorers(s string) ([]koe.ScorerConfig, error) {
	var out []koe.ScorerConfig
	for _, pair := range commaList(s) {
		name, u, ok := strings.Cut(pair, "=")
		name, flagOnly := strings.CutSuffix(strings.TrimSpace(name), ":flag")
		if !ok || name == "" || strings.Contains(name, ":") {
			return nil, fmt.Errorf("KOE_SCORERS: %q is not name=URL or name:flag=URL", pair)
		}
		sc := koe.ScorerConfig{Name: name, URL: strings.TrimSpace(u), FlagOnly: flagOnly}
		if _, err := moderation.NewHTTPScorer(sc.Name, sc.URL, moderation.HTTPScorerOptions{}); err != nil {
			return nil, fmt.Errorf("KOE_SCORERS: %s: %w", sc.Name, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// dbPath is the SQLite file inside the data directory.
func (c *config) dbPath() string { return filepath.Join(c.DataDir, "koe.db") }

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// storeFlags are the flags every subcommand that opens the store shares.
// The database URL holds a password: environment only, never a flag.
func storeFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DataDir, "data-dir", env("KOE_DATA_DIR", "data"), "directory of the SQLite database (KOE_DATA_DIR)")
	c.DatabaseURL = os.Getenv("KOE_DATABASE_URL")
}

func parseServeConfig(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	storeFlags(fs, c)
	fs.StringVar(&c.Addr, "addr", env("KOE_ADDR", ":8080"), "listen address (KOE_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("KOE_PUBLIC_URL", ""), "URL people reach koe at, for join links; https makes cookies Secure (KOE_PUBLIC_URL)")
	limits := fs.String("rate-limits", env("KOE_RATE_LIMITS", ""), "rate limits, e.g. \"ask.participant=5/m,like.ip=off\" or \"off\" (KOE_RATE_LIMITS)")
	fs.DurationVar(&c.FlushInterval, "flush-interval", envDuration("KOE_FLUSH_INTERVAL", 100*time.Millisecond), "shortest time between two real-time writes to one client (KOE_FLUSH_INTERVAL)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", envDuration("KOE_DRAIN_TIMEOUT", 20*time.Second), "how long shutdown waits for requests to finish (KOE_DRAIN_TIMEOUT)")
	trusted := fs.String("trusted-proxies", env("KOE_TRUSTED_PROXIES", ""), "comma-separated CIDRs whose X-Forwarded-For is believed (KOE_TRUSTED_PROXIES)")
	fs.StringVar(&c.DebugAddr, "debug-addr", env("KOE_DEBUG_ADDR", ""), "if set, serve Go's pprof profiles on this address; keep it on loopback (KOE_DEBUG_ADDR)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("KOE_METRICS_ADDR", defaultMetricsAddr), "address of the Prometheus metrics listener, apart from the public one; \"off\" for none (KOE_METRICS_ADDR)")
	fs.IntVar(&c.Streams.PerAddress, "max-streams-per-address", envInt("KOE_MAX_STREAMS_PER_ADDRESS", act.DefaultStreamLimits.PerAddress), "real-time connections one address may hold (KOE_MAX_STREAMS_PER_ADDRESS)")
	fs.IntVar(&c.Streams.PerParticipant, "max-streams-per-participant", envInt("KOE_MAX_STREAMS_PER_PARTICIPANT", act.DefaultStreamLimits.PerParticipant), "real-time connections one participant may hold (KOE_MAX_STREAMS_PER_PARTICIPANT)")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", env("KOE_REDIS_PREFIX", "koe:"), "prefix of koe's Redis keys, to share one Redis between installations (KOE_REDIS_PREFIX)")
	level := fs.String("log-level", env("KOE_LOG_LEVEL", "info"), "debug, info, warn or error (KOE_LOG_LEVEL)")
	fs.DurationVar(&c.Sessions.Idle, "session-idle", envDuration("KOE_SESSION_IDLE", act.DefaultSessionIdle), "a staff session unused this long ends (KOE_SESSION_IDLE)")
	fs.DurationVar(&c.Sessions.Max, "session-max", envDuration("KOE_SESSION_MAX", act.DefaultSessionMax), "a staff session ends this long after sign-in (KOE_SESSION_MAX)")
	fs.DurationVar(&c.ParticipantTokenTTL, "participant-token-ttl", envDuration("KOE_PARTICIPANT_TOKEN_TTL", act.DefaultParticipantTokenTTL), "how long a participant's identity lasts (KOE_PARTICIPANT_TOKEN_TTL)")
	fs.DurationVar(&c.AuditRetention, "audit-retention", envDuration("KOE_AUDIT_RETENTION", act.DefaultAuditRetention), "how long the audit log keeps an entry (KOE_AUDIT_RETENTION)")
	fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", env("KOE_OIDC_ISSUER", ""), "issuer URL of the OpenID provider staff sign in with; empty for none (KOE_OIDC_ISSUER)")
	fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", env("KOE_OIDC_CLIENT_ID", ""), "koe's client id at the OpenID provider (KOE_OIDC_CLIENT_ID)")
	fs.StringVar(&c.OIDC.Name, "oidc-name", env("KOE_OIDC_NAME", act.DefaultOIDCName), "the provider's name on the sign-in button (KOE_OIDC_NAME)")
	domains := fs.String("oidc-allowed-domains", env("KOE_OIDC_ALLOWED_DOMAINS", ""), "comma-separated e-mail domains that may sign in with OIDC (verified e-mail needed) (KOE_OIDC_ALLOWED_DOMAINS)")
	fs.DurationVar(&c.IngestPoll, "ingest-poll", envDuration("KOE_INGEST_POLL", 10*time.Second), "how often the social feed's polling sources ask their platform, rate limits permitting (KOE_INGEST_POLL)")
	fs.BoolVar(&c.Webhooks.AllowPrivate, "webhook-allow-private", envBool("KOE_WEBHOOK_ALLOW_PRIVATE", false), "let webhooks reach loopback, private and link-local addresses (KOE_WEBHOOK_ALLOW_PRIVATE)")
	fs.DurationVar(&c.Webhooks.Timeout, "webhook-timeout", envDuration("KOE_WEBHOOK_TIMEOUT", act.DefaultDeliveryTimeout), "how long a webhook's destination has to answer one delivery (KOE_WEBHOOK_TIMEOUT)")
	fs.StringVar(&c.Slack.BotToken, "slack-bot-token", env("KOE_SLACK_BOT_TOKEN", ""), "the Slack app's bot token (xoxb-…), for events whose Slack connection sets none (KOE_SLACK_BOT_TOKEN)")
	fs.StringVar(&c.Slack.SigningSecret, "slack-signing-secret", env("KOE_SLACK_SIGNING_SECRET", ""), "the Slack app's signing secret, for events whose Slack connection sets none (KOE_SLACK_SIGNING_SECRET)")
	fs.StringVar(&c.Slack.APIURL, "slack-api-url", env("KOE_SLACK_API_URL", ""), "Slack's Web API root; empty for https://slack.com/api/ (KOE_SLACK_API_URL)")
	scorers := fs.String("scorers", env("KOE_SCORERS", ""), "HTTP moderation scorers every event consults, as name=URL,name=URL (name:flag=URL: one that only flags) (KOE_SCORERS)")
	groups := fs.String("oidc-allowed-groups", env("KOE_OIDC_ALLOWED_GROUPS", ""), "comma-separated groups, one of which is needed to sign in with OIDC (KOE_OIDC_ALLOWED_GROUPS)")
	admins := fs.String("oidc-admin-groups", env("KOE_OIDC_ADMIN_GROUPS", ""), "comma-separated groups whose members are instance admins, checked at every sign-in (KOE_OIDC_ADMIN_GROUPS)")
	fs.StringVar(&c.OIDC.GroupsClaim, "oidc-groups-claim", env("KOE_OIDC_GROUPS_CLAIM", "groups"), "ID token claim with the groups (KOE_OIDC_GROUPS_CLAIM)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.OwnerToken = os.Getenv("KOE_OWNER_TOKEN") // secrets: environment only, never a flag
	c.RedisURL = os.Getenv("KOE_REDIS_URL")
	c.OIDC.AllowedDomains, c.OIDC.AllowedGroups, c.OIDC.AdminGroups = commaList(*domains), commaList(*groups), commaList(*admins)
	var err error
	if err := c.OIDC.readSecret(); err != nil {
		return nil, err
	}
	if c.RateLimits, err = ratelimit.Parse(*limits); err != nil {
		return nil, err
	}
	if c.Scorers, err = parseScorers(*scorers); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { c.metricsAddrSet = c.metricsAddrSet || f.Name == "metrics-addr" })
	if _, ok := os.LookupEnv("KOE_METRICS_ADDR"); ok {
		c.metricsAddrSet = true
	}
	if c.Streams.PerAddress < 1 || c.Streams.PerParticipant < 1 {
		return nil, fmt.Errorf("stream limits must be at least 1")
	}
	for _, s := range strings.Split(*trusted, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %w", err)
		}
		c.Trusted = append(c.Trusted, p)
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	if c.RedisURL != "" && os.Getenv("KOE_DATABASE_URL") == "" {
		// Replicas on separate SQLite files would each hold part of the data.
		return nil, fmt.Errorf("KOE_REDIS_URL needs KOE_DATABASE_URL: replicas must share one PostgreSQL database")
	}
	if c.FlushInterval < time.Millisecond || c.FlushInterval > 5*time.Second {
		return nil, fmt.Errorf("flush interval must be between 1ms and 5s")
	}
	if c.OwnerToken != "" && len(c.OwnerToken) < act.MinOwnerTokenLen {
		return nil, fmt.Errorf("KOE_OWNER_TOKEN must be at least %d characters (make one with: openssl rand -base64 32)", act.MinOwnerTokenLen)
	}
	if c.Sessions.Idle < time.Minute || c.Sessions.Max < c.Sessions.Idle {
		return nil, fmt.Errorf("session limits: idle must be at least 1m and max at least idle")
	}
	if c.Webhooks.Timeout < 100*time.Millisecond || c.Webhooks.Timeout > time.Minute {
		return nil, fmt.Errorf("webhook-timeout must be between 100ms and 1m")
	}
	if c.IngestPoll < 100*time.Millisecond || c.IngestPoll > time.Hour {
		return nil, fmt.Errorf("ingest poll interval must be between 100ms and 1h")
	}
	if c.ParticipantTokenTTL < time.Hour {
		return nil, fmt.Errorf("participant token TTL must be at least 1h")
	}
	if c.AuditRetention < 24*time.Hour {
		return nil, fmt.Errorf("audit retention must be at least 24h")
	}
	if err := c.OIDC.check(c.PublicURL); err != nil {
		return nil, err
	}
	return c, nil
}

// readSecret reads the client secret: a secret, so from the environment
// only (KOE_OIDC_CLIENT_SECRET), or from a file (KOE_OIDC_CLIENT_SECRET_FILE,
// e.g. a mounted Kubernetes Secret).
func (o *oidcConfig) readSecret() error {
	o.ClientSecret = os.Getenv("KOE_OIDC_CLIENT_SECRET")
	file := os.Getenv("KOE_OIDC_CLIENT_SECRET_FILE")
	if file == "" {
		return nil
	}
	if o.ClientSecret != "" {
		return fmt.Errorf("set KOE_OIDC_CLIENT_SECRET or KOE_OIDC_CLIENT_SECRET_FILE, not both")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("KOE_OIDC_CLIENT_SECRET_FILE: %w", err)
	}
	o.ClientSecret = strings.TrimSpace(string(b))
	return nil
}

// check refuses a half-made OIDC configuration: nothing set is OIDC off.
func (o *oidcConfig) check(publicURL string) error {
	if o.Issuer == "" {
		if o.ClientID != "" || o.ClientSecret != "" || len(o.AllowedDomains)+len(o.AllowedGroups)+len(o.AdminGroups) > 0 {
			return fmt.Errorf("KOE_OIDC_* is set but KOE_OIDC_ISSUER is not: set it too, or unset the others")
		}
		return nil
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		return fmt.Errorf("KOE_OIDC_ISSUER needs KOE_OIDC_CLIENT_ID and KOE_OIDC_CLIENT_SECRET (or KOE_OIDC_CLIENT_SECRET_FILE)")
	}
	if strings.TrimSpace(o.Name) == "" || len(o.Name) > 40 {
		return fmt.Errorf("KOE_OIDC_NAME must be 1–40 characters")
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = "groups"
	}
	if publicURL != "" && !strings.HasPrefix(publicURL, "http://") && !strings.HasPrefix(publicURL, "https://") {
		return fmt.Errorf("KOE_PUBLIC_URL must start with http:// or https:// (the OIDC redirect URL is made from it)")
	}
	return nil
}

// commaList splits a comma-separated list, dropping empty items.
func commaList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// defaultMetricsAddr keeps metrics on loopback on a laptop; in Kubernetes
// the kit sets KOE_METRICS_ADDR=:9090 for Prometheus.
const defaultMetricsAddr = "127.0.0.1:9090"

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		fmt.Fprintf(os.Stderr, "koe: ignoring %s=%q: not a whole number\n", name, v)
	}
	return def
}

func envBool(name string, def bool) bool {
	if v := os.Getenv(name); v != "" {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
		fmt.Fprintf(os.Stderr, "koe: ignoring %s=%q: not true or false\n", name, v)
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(os.Stderr, "koe: ignoring %s=%q: not a duration like 100ms\n", name, v)
	}
	return def
}
