// Package ingest is what koe's social-feed sources have in common: the
// contract between a platform's client (packages ingest/mastodon,
// ingest/bluesky, ingest/x) and koe, which runs each source on one replica
// and stores what it delivers (act.Ingest), and the signed inbound
// webhook. docs/architecture.md, "Social feed", has the design.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/koehq/koe"
)

// Source reads posts from one platform.
type Source interface {
	// Run follows the platform from cursor (its own form, as it gave it to
	// Deliver; "" for a source that never delivered: it starts with the
	// newest posts), giving every batch to sink, until ctx ends (it then
	// returns ctx.Err()) or it fails. koe reports a failure and runs the
	// source again a little later, from the cursor last delivered; a
	// failure that waiting cannot mend (a token refused, a timeline the
	// instance does not serve) wraps ErrNeedsOrganizer, and is retried
	// rarely.
	Run(ctx context.Context, cursor string, sink Sink) error
}

// Platform builds a platform's client for a source (mastodon.New…); the
// client may implement Engager too. It checks the source's configuration
// without reaching the platform.
type Platform func(src *koe.Source, o Options) (Source, error)

// Sink is where a source delivers.
type Sink interface {
	// Deliver stores posts (koe.Post with the platform's fields: Platform,
	// ExternalID, Ref, Author*, Text as plain text, Lang, PostedAt, URL,
	// Media) and then cursor ("": unchanged), the position after them.
	// Once it returns nil both are durable; a post koe has already is
	// skipped, so delivering the same post twice is harmless. On an error,
	// Run returns it.
	Deliver(ctx context.Context, posts []koe.Post, cursor string) error
	// Report tells how the source is doing; call it when that changes
	// (connected, polling, rate-limited).
	Report(s Status)
}

// Status is a source's own account of how it is doing.
type Status struct {
	// State is "starting", "streaming", "polling" or "waiting" (see
	// koe.SourceHealth).
	State string
	// Err, when not nil, is the last error, which the source got over
	// (a dropped stream it reconnected).
	Err error
	// RateLimit is the platform's budget as it last said, nil when it
	// does not say.
	RateLimit *koe.RateLimit
}

// Engager acts back on the platform for an operator, with the event's
// credential for it.
type Engager interface {
	// Engage does action ("favourite", "boost" on Mastodon; "like",
	// "repost" on Bluesky) on p. EINVALID for an action the platform does
	// not have, EFORBIDDEN when the source holds no credential.
	Engage(ctx context.Context, p *koe.Post, action string) error
}

// ErrNeedsOrganizer marks failures that only the organiser can mend.
var ErrNeedsOrganizer = errors.New("needs the organiser")

// Options are what koe gives every platform's client.
type Options struct {
	// Client makes the HTTP requests (its timeout bounds each one).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PollEvery is how often a polling source asks when nothing tells it
	// to wait longer (default 10 s; tests shorten it).
	PollEvery time.Duration
	// Retry is the least time before reconnecting a dropped stream
	// (default 2 s; tests shorten it).
	Retry time.Duration
}

// Defaults fills o's zero fields.
func (o Options) Defaults() Options {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 10 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 2 * time.Second
	}
	return o
}

// MaxResponse is the most of a platform's response koe reads.
const MaxResponse = 4 << 20

// ReadBody reads a response body of at most MaxResponse bytes.
func ReadBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResponse {
		return nil, fmt.Errorf("response larger than %d bytes", MaxResponse)
	}
	return b, nil
}

// RateLimitFrom reads Mastodon's X-RateLimit-Limit, -Remaining and
// -Reset headers (Reset an ISO 8601 time or Unix seconds), nil when they
// are absent. (X names its own x-rate-limit-*: ingest/x reads those.)
func RateLimitFrom(h http.Header) *koe.RateLimit {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err1 != nil || err2 != nil {
		return nil
	}
	rl := &koe.RateLimit{Limit: limit, Remaining: remaining}
	reset := h.Get("X-RateLimit-Reset")
	if t, err := time.Parse(time.RFC3339Nano, reset); err == nil {
		rl.Reset = t
	} else if n, err := strconv.ParseInt(reset, 10, 64); err == nil {
		rl.Reset = time.Unix(n, 0)
	}
	return rl
}

// Wait waits for d or until ctx ends, returning ctx.Err() then.
func Wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
