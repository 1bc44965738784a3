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
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ratelimit"
	"github.com/koehq/koe/realtime"
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
}

// Actions carries out koe's actions.
type Actions struct {
	store   koe.Store
	hub     *realtime.Hub
	limiter *ratelimit.Limiter
	tokens  participantTokens
	conns   *connLimits
	log     *slog.Logger
	now     func() time.Time
}

// signingKeyName is the store secret that signs participant tokens; every
// process on the same database shares it.
const signingKeyName = "participant-token-key"

// New returns the actions. It reads (or creates) the signing key of
// participant tokens from the store.
func New(ctx context.Context, cfg Config) (*Actions, error) {
	key, err := cfg.Store.Secret(ctx, signingKeyName, func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	if cfg.Limits == nil {
		cfg.Limits = ratelimit.Defaults()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Actions{
		store:   cfg.Store,
		hub:     cfg.Hub,
		limiter: ratelimit.New(cfg.Limits, cfg.Now, cfg.SharedBuckets, cfg.Logger),
		tokens:  participantTokens{key: key},
		conns:   newConnLimits(cfg.Streams),
		log:     cfg.Logger,
		now:     cfg.Now,
	}, nil
}

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
	p := koe.PrincipalFrom(ctx)
	role, err := authorize(p, do, eventID)
	if err != nil {
		return ctx, p, err
	}
	return koe.WithOrigin(ctx, koe.Origin{Actor: p.ActorAs(role), At: a.now()}), p, nil
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
