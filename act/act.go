// Package act is koe's application layer: the one door every action comes
// in by, from HTTP today and from Slack, ingest and timers tomorrow. Each
// method takes the acting principal from the context (koe.NewContext),
// decides permission from one table (permission.go), counts the action
// against its rate limits, validates and cleans the input, and calls the
// store, which records the action's changes in the outbox in the same
// transaction. Nothing is published here: the outbox's consumers
// (relay.go) deliver what was committed (docs/architecture.md, "Actions,
// changes and the outbox").
package act

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ratelimit"
	"github.com/koehq/koe/realtime"
	"github.com/koehq/koe/slack"
)

// Config is what the actions need.
type Config struct {
	Store koe.Store
	// Hub gives snapshots their stream positions.
	Hub *realtime.Hub
	// Limits are the rate limits; nil means ratelimit.Defaults.
	Limits ratelimit.Rates
	// SharedBuckets keep rate limits across replicas; nil limits each
	// process alone.
	SharedBuckets ratelimit.SharedBuckets
	// Streams bounds the real-time connections; zero values take the
	// defaults.
	Streams StreamLimits
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// OwnerToken is the break-glass credential (KOE_OWNER_TOKEN), "" for
	// none: it acts as an admin without an account. At least 32
	// characters.
	OwnerToken string
	// Sessions bound staff sessions; zero values take the defaults.
	Sessions SessionLimits
	// ParticipantTokenTTL is how long a participant token is valid; 0
	// means DefaultParticipantTokenTTL.
	ParticipantTokenTTL time.Duration
	// AuditRetention is how long the audit log keeps an entry; 0 means
	// DefaultAuditRetention.
	AuditRetention time.Duration
	// OIDC turns on sign-in with an OpenID provider; nil for none.
	OIDC *OIDCConfig
	// PublicURL is where people reach koe (KOE_PUBLIC_URL): its host is
	// the passkeys' relying party. "" takes each request's own host.
	PublicURL string
	// JoinBase is the base URL of join links (KOE_PUBLIC_URL, or a LAN
	// address koe found at start); its URL "" lets the page use its own.
	JoinBase JoinBase
	// Scorers are HTTP scorers every event consults (KOE_SCORERS), on top
	// of koe's own and each event's.
	Scorers []koe.ScorerConfig
	// Registry takes the moderation and ingest metrics; nil registers
	// none.
	Registry prometheus.Registerer
	// Platforms build the social feed's clients, by source kind (the
	// webhook needs none); a kind without one cannot be added.
	Platforms map[koe.SourceKind]ingest.Platform
	// Ingest is what the sources' clients get: the HTTP client, how often
	// polling sources ask and how soon a dropped stream reconnects (tests
	// and KOE_INGEST_POLL shorten them); zero values take the defaults.
	Ingest ingest.Options
	// Deliveries tune the deliverer of webhooks and Slack; zero values
	// take the defaults.
	Deliveries DeliveryOptions
	// Slack is the installation's Slack credentials and API (KOE_SLACK_*).
	Slack SlackConfig
}

// SessionLimits bound staff sessions.
type SessionLimits struct {
	// Idle ends a session unused this long (default 24 h).
	Idle time.Duration
	// Max ends a session this long after sign-in, used or not (default
	// 30 days).
	Max time.Duration
}

// Defaults of Config.
const (
	DefaultSessionIdle         = 24 * time.Hour
	DefaultSessionMax          = 30 * 24 * time.Hour
	DefaultParticipantTokenTTL = 90 * 24 * time.Hour
	DefaultAuditRetention      = 365 * 24 * time.Hour
	// MinOwnerTokenLen is the shortest KOE_OWNER_TOKEN accepted.
	MinOwnerTokenLen = 32
)

// Actions carries out koe's actions.
type Actions struct {
	store      koe.Store
	hub        *realtime.Hub
	limiter    *ratelimit.Limiter
	tokens     *auth.ParticipantTokens
	passwords  *auth.Passwords
	backoff    *backoff
	conns      *connLimits
	log        *slog.Logger
	now        func() time.Time
	ownerToken string
	sessions   SessionLimits
	retention  time.Duration
	oidc       *OIDCConfig
	oidcLogins *auth.OIDCLogins
	passkeys   *auth.Passkeys
	joinBase   JoinBase
	mod        *moderator
	reactions  *reactions
	polls      *pollPublisher
	presence   *presence
	lists      *listCache

	platforms     map[koe.SourceKind]ingest.Platform
	ingestOpts    ingest.Options
	ingestMetrics *ingestMetrics
	deliver       *deliverer
	publicURL     string
	slack         SlackConfig
	slackReplays  *slack.Replays
}

// New returns the actions.
func New(ctx context.Context, cfg Config) (*Actions, error) {
	if cfg.OwnerToken != "" && len(cfg.OwnerToken) < MinOwnerTokenLen {
		return nil, koe.Errorf(koe.EINVALID, "KOE_OWNER_TOKEN must be at least %d characters", MinOwnerTokenLen)
	}
	if cfg.Sessions.Idle <= 0 {
		cfg.Sessions.Idle = DefaultSessionIdle
	}
	if cfg.Sessions.Max <= 0 {
		cfg.Sessions.Max = DefaultSessionMax
	}
	if cfg.ParticipantTokenTTL <= 0 {
		cfg.ParticipantTokenTTL = DefaultParticipantTokenTTL
	}
	if cfg.AuditRetention <= 0 {
		cfg.AuditRetention = DefaultAuditRetention
	}
	if cfg.Limits == nil {
		cfg.Limits = ratelimit.Defaults()
	}
	if cfg.OIDC != nil {
		if cfg.OIDC.Client == nil {
			return nil, koe.Errorf(koe.EINVALID, "OIDC needs a client")
		}
		if cfg.OIDC.Name == "" {
			cfg.OIDC.Name = DefaultOIDCName
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	st := cfg.Store
	a := &Actions{
		platforms:     cfg.Platforms,
		ingestOpts:    cfg.Ingest.Defaults(),
		ingestMetrics: newIngestMetrics(cfg.Registry),
		deliver:       newDeliverer(cfg.Deliveries, cfg.Slack.APIURL, cfg.Registry),
		publicURL:     cfg.PublicURL,
		slack:         cfg.Slack,
		slackReplays:  slack.NewReplays(slack.Window, maxSlackReplays),
		store:         st,
		hub:           cfg.Hub,
		limiter:       ratelimit.New(cfg.Limits, cfg.Now, cfg.SharedBuckets, cfg.Logger),
		tokens: auth.NewParticipantTokens(cfg.ParticipantTokenTTL, func(ctx context.Context, period int64) ([]byte, error) {
			return st.Secret(ctx, "participant-key-"+itoa(period), auth.NewKey)
		}),
		passwords:  auth.NewPasswords(passwordSlots),
		backoff:    newBackoff(cfg.Now),
		conns:      newConnLimits(cfg.Streams),
		log:        cfg.Logger,
		now:        cfg.Now,
		ownerToken: cfg.OwnerToken,
		sessions:   cfg.Sessions,
		retention:  cfg.AuditRetention,
		oidc:       cfg.OIDC,
		passkeys:   auth.NewPasskeys(cfg.PublicURL),
		joinBase:   cfg.JoinBase,
		mod:        newModerator(st, cfg.Now, cfg.Scorers, cfg.Registry),
		reactions:  newReactions(),
		polls:      newPollPublisher(),
		presence:   newPresence(cfg.Now),
		lists:      newListCache(),
		oidcLogins: auth.NewOIDCLogins(func(ctx context.Context) ([]byte, error) {
			return st.Secret(ctx, "oidc-login-key", auth.NewKey)
		}),
	}
	if cfg.Hub != nil {
		cfg.Hub.OnPresence(a.presence.heard)
	}
	return a, nil
}

// maxSlackReplays bounds the Slack signatures remembered against replays
// (five minutes of button presses).
const maxSlackReplays = 10000

// passwordSlots is how many password hashes run at once (19 MiB each).
const passwordSlots = 2

// Ready reports whether the store can serve.
func (a *Actions) Ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return koe.Errorf(koe.EUNAVAILABLE, "store unreachable")
	}
	return nil
}

// begin starts an action by the principal in ctx in the event: it checks
// permission and returns the context the store is called with, carrying
// who acts (in the role the permission was granted to) and when.
func (a *Actions) begin(ctx context.Context, do Action, eventID int64) (context.Context, koe.Principal, error) {
	return a.beginIn(ctx, do, eventID, 0)
}

// beginIn is begin for an action on one talk of the event.
func (a *Actions) beginIn(ctx context.Context, do Action, eventID, talkID int64) (context.Context, koe.Principal, error) {
	p := koe.PrincipalFrom(ctx)
	role, err := authorize(p, do, eventID, talkID)
	if err != nil {
		return ctx, p, err
	}
	return koe.WithOrigin(ctx, koe.Origin{Actor: p.ActorAs(role), At: a.now()}), p, nil
}

// may reports whether p may do the action, without an error to answer.
func (a *Actions) may(p koe.Principal, do Action, eventID, talkID int64) bool {
	_, err := authorize(p, do, eventID, talkID)
	return err == nil
}

// limit counts an action of p against its limits per participant and per
// address ("ask.participant", "ask.ip"); a limit that is not set does not
// apply.
func (a *Actions) limit(ctx context.Context, action string, p koe.Principal) error {
	if err := a.limiter.Allow(ctx, action+".participant", itoa(p.ParticipantID)); err != nil {
		return err
	}
	if p.Addr == "" {
		return nil
	}
	return a.limiter.Allow(ctx, action+".ip", p.Addr)
}

// whileLeading runs run in one process at a time, holding the lease
// called name, until ctx ends: run gets a context (as koe itself) that
// ends when the lease is lost or ctx ends, and is called again whenever
// the lease is taken again.
func (a *Actions) whileLeading(ctx context.Context, name string, run func(context.Context)) {
	for ctx.Err() == nil {
		held, release, err := a.store.Lead(ctx, name)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("cannot take a lease", "lease", name, "error", err)
				_ = ingest.Wait(ctx, time.Second)
			}
			continue
		}
		leading, stop := context.WithCancel(held)
		unhook := context.AfterFunc(ctx, stop)
		run(koe.NewContext(leading, koe.System))
		unhook()
		stop()
		release()
	}
}
