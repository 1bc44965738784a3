// Package ratelimit keeps koe's rate limits: token buckets per action and
// subject (a participant, an address), in memory or, in the scaled mode,
// shared by every replica through Redis.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/koehq/koe"
)

// Rate is a token bucket: up to N actions at once, refilled at N per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// String renders r as KOE_RATE_LIMITS writes it: "5/m", "600/30m".
func (r Rate) String() string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if r.Per%u.d == 0 {
			if n := r.Per / u.d; n != 1 {
				return strconv.Itoa(r.N) + "/" + strconv.FormatInt(int64(n), 10) + u.name
			}
			return strconv.Itoa(r.N) + "/" + u.name
		}
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// Rates maps "ACTION.SUBJECT" (e.g. "ask.participant") to its rate. A
// missing key is not limited.
type Rates map[string]Rate

// The limited actions and who they are counted against. A venue's Wi-Fi
// puts hundreds of people behind one address, so the per-address limits
// let a whole room in at once, then only a trickle: they bound what one
// address can do over time (minting identities, piling likes on one
// question), while the per-participant limits do the everyday work.
var keys = []string{
	"auth.ip", "signin.ip", "signin.account", "join.ip", "passcode.ip", "ask.participant", "ask.ip", "like.participant", "like.ip", "like.question_ip", "react.participant", "react.ip", "vote.participant", "vote.ip", "reply.participant", "webhook.source",
}

// Defaults are the limits koe runs with unless KOE_RATE_LIMITS says
// otherwise (documented in README.md).
func Defaults() Rates {
	return Rates{
		// Credentials koe never issued (tokens, session cookies,
		// invitation and setup links): guessing is pointless but noisy.
		"auth.ip": {30, time.Minute},
		// Sign-ins (and setup, and accepting invitations) from one
		// address, and attempts at one login (failures also back off,
		// see act.SignIn).
		"signin.ip":      {60, 10 * time.Minute},
		"signin.account": {10, 10 * time.Minute},
		// A room of 600 joins at once; after that 20 new identities a
		// minute.
		"join.ip": {600, 30 * time.Minute},
		// Wrong event passcodes from one address: a room's typos, not a
		// guessing loop.
		"passcode.ip":      {100, 10 * time.Minute},
		"ask.participant":  {5, time.Minute},
		"ask.ip":           {300, time.Minute},
		"like.participant": {120, time.Minute},
		"like.ip":          {6000, time.Minute},
		// However many identities one address holds, it puts at most 200
		// likes on one question at once, then 20 a minute.
		"like.question_ip": {200, 10 * time.Minute},
		// Reaction requests, of up to 10 taps each: a phone sends the taps
		// of a quarter second together.
		"react.participant": {40, 10 * time.Second},
		"react.ip":          {20000, time.Minute},
		// Votes and changes of a vote in polls.
		"vote.participant":  {30, time.Minute},
		"vote.ip":           {6000, time.Minute},
		"reply.participant": {10, time.Minute},
		// Requests to one inbound webhook source (of up to 100 posts
		// each), signed or not.
		"webhook.source": {600, time.Minute},
	}
}

// Parse reads KOE_RATE_LIMITS: "off" disables every limit; otherwise a
// comma-separated list of KEY=N/PER or KEY=off, applied over the defaults,
// where PER is s, m or h, or a duration such as 10m or 30m. Empty means
// the defaults.
func Parse(spec string) (Rates, error) {
	spec = strings.TrimSpace(spec)
	if spec == "off" {
		return Rates{}, nil
	}
	limits := Defaults()
	if spec == "" {
		return limits, nil
	}
	if len(spec) > 1024 {
		return nil, fmt.Errorf("rate limits: spec too long")
	}
	for _, item := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("rate limits: %q is not KEY=N/UNIT", item)
		}
		if !slices.Contains(keys, key) {
			return nil, fmt.Errorf("rate limits: unknown key %q (known: %s)", key, strings.Join(keys, ", "))
		}
		if val == "off" {
			delete(limits, key)
			continue
		}
		n, unit, ok := strings.Cut(val, "/")
		count, err := strconv.Atoi(n)
		per, known := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
		if d, derr := time.ParseDuration(unit); !known && derr == nil && d >= time.Second && d <= 24*time.Hour {
			per, known = d, true
		}
		if !ok || err != nil || count < 1 || count > 1_000_000 || !known {
			return nil, fmt.Errorf("rate limits: %q must be N/PER with 1 <= N <= 1000000 and PER s, m, h or a duration from 1s to 24h (such as 10m)", val)
		}
		limits[key] = Rate{N: count, Per: per}
	}
	return limits, nil
}

// String lists the limits in the KOE_RATE_LIMITS syntax. Known keys
// without a limit are listed as KEY=off, since Parse applies a spec over
// the defaults.
func (l Rates) String() string {
	if len(l) == 0 {
		return "off"
	}
	parts := make([]string, 0, len(l))
	for k, r := range l {
		parts = append(parts, k+"="+r.String())
	}
	for _, k := range keys {
		if _, ok := l[k]; !ok {
			parts = append(parts, k+"=off")
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// SharedBuckets keeps token buckets where every replica sees them (Redis
// in the scaled mode). Take takes one token from the bucket named key,
// which holds n tokens refilled at n per per, and returns 0 or how long
// to wait for one.
type SharedBuckets interface {
	Take(ctx context.Context, key string, n int, per time.Duration) (time.Duration, error)
}

// Limiter keeps one token bucket per (key, subject): in shared buckets
// when there are some, and in memory otherwise or while they fail.
type Limiter struct {
	limits Rates
	now    func() time.Time
	shared SharedBuckets
	log    *slog.Logger

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
	failing   bool // the shared buckets failed last time (logged once)
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// New returns a limiter of limits (none for nil), with shared buckets
// when shared is not nil.
func New(limits Rates, now func() time.Time, shared SharedBuckets, log *slog.Logger) *Limiter {
	return &Limiter{limits: limits, now: now, shared: shared, log: log, buckets: make(map[string]*bucket), lastSweep: now()}
}

// Allow takes one token for key ("ask.participant") and subject (a
// participant id or an IP), or returns ERATELIMIT with the wait.
func (l *Limiter) Allow(ctx context.Context, key, subject string) error {
	r, ok := l.limits[key]
	if !ok {
		return nil
	}
	id := key + "|" + subject
	wait, err := l.take(ctx, id, r)
	if err != nil {
		wait = l.takeLocal(id, r)
	}
	if wait <= 0 {
		return nil
	}
	action, _, _ := strings.Cut(key, ".")
	return &koe.Error{
		Code:       koe.ERATELIMIT,
		Message:    fmt.Sprintf("too many %s requests: the limit is %s; try again in %s", action, r, wait.Round(time.Second)+time.Second),
		RetryAfter: wait,
	}
}

// take uses the shared buckets; an error means "use the local ones".
func (l *Limiter) take(ctx context.Context, id string, r Rate) (time.Duration, error) {
	if l.shared == nil {
		return 0, errNoShared
	}
	wait, err := l.shared.Take(ctx, id, r.N, r.Per)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil && !l.failing {
		l.log.Warn("shared rate limits unavailable: limiting per replica", "error", err)
	} else if err == nil && l.failing {
		l.log.Info("shared rate limits available again")
	}
	l.failing = err != nil
	return wait, err
}

var errNoShared = errors.New("no shared buckets")

func (l *Limiter) takeLocal(id string, r Rate) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[id]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(float64(r.N)/r.Per.Seconds()), r.N)}
		l.buckets[id] = b
	}
	b.used = now
	res := b.lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	if wait > 0 {
		res.CancelAt(now)
	}
	return wait
}

// sweep forgets buckets unused long enough to be full again, at most once
// a minute, so memory follows the active population.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for id, b := range l.buckets {
		if now.Sub(b.used) > time.Hour {
			delete(l.buckets, id)
		}
	}
}
