package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

func (r Rate) String() string {
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	return strconv.Itoa(r.N) + "/" + unit
}

// RateLimits maps "ACTION.SUBJECT" (e.g. "ask.participant") to its rate.
// A missing key is not limited.
type RateLimits map[string]Rate

// The limited actions and who they are counted against. Per-IP limits are
// generous because a venue's Wi-Fi puts hundreds of people behind one
// address; per-participant limits do the real work.
var rateLimitKeys = []string{
	"auth.ip", "join.ip", "ask.participant", "ask.ip", "like.participant", "like.ip", "reply.participant",
}

// DefaultRateLimits are the limits koe runs with unless KOE_RATE_LIMITS
// says otherwise (documented in README.md).
func DefaultRateLimits() RateLimits {
	return RateLimits{
		"auth.ip":           {30, time.Minute}, // invalid staff tokens: guessing is pointless but noisy
		"join.ip":           {300, time.Minute},
		"ask.participant":   {5, time.Minute},
		"ask.ip":            {300, time.Minute},
		"like.participant":  {120, time.Minute},
		"like.ip":           {6000, time.Minute},
		"reply.participant": {10, time.Minute},
	}
}

// ParseRateLimits reads KOE_RATE_LIMITS: "off" disables every limit;
// otherwise a comma-separated list of KEY=N/UNIT (unit s, m or h) or
// KEY=off, applied over the defaults. Empty means the defaults.
func ParseRateLimits(spec string) (RateLimits, error) {
	spec = strings.TrimSpace(spec)
	if spec == "off" {
		return RateLimits{}, nil
	}
	limits := DefaultRateLimits()
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
		if !knownRateKey(key) {
			return nil, fmt.Errorf("rate limits: unknown key %q (known: %s)", key, strings.Join(rateLimitKeys, ", "))
		}
		if val == "off" {
			delete(limits, key)
			continue
		}
		n, unit, ok := strings.Cut(val, "/")
		count, err := strconv.Atoi(n)
		per, known := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
		if !ok || err != nil || count < 1 || count > 1_000_000 || !known {
			return nil, fmt.Errorf("rate limits: %q must be N/s, N/m or N/h with 1 <= N <= 1000000", val)
		}
		limits[key] = Rate{N: count, Per: per}
	}
	return limits, nil
}

func knownRateKey(k string) bool {
	for _, known := range rateLimitKeys {
		if k == known {
			return true
		}
	}
	return false
}

// String lists the limits in the KOE_RATE_LIMITS syntax. Known keys
// without a limit are listed as KEY=off, since ParseRateLimits applies a
// spec over the defaults.
func (l RateLimits) String() string {
	if len(l) == 0 {
		return "off"
	}
	parts := make([]string, 0, len(l))
	for k, r := range l {
		parts = append(parts, k+"="+r.String())
	}
	for _, k := range rateLimitKeys {
		if _, ok := l[k]; !ok {
			parts = append(parts, k+"=off")
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// limitParticipant counts a participant's action against both its limits,
// per participant and per client IP ("ask.participant", "ask.ip"); an
// action without one of them is not limited there.
func (s *Server) limitParticipant(r *http.Request, action string, id identity) error {
	if err := s.limiter.allow(r.Context(), action+".participant", strconv.FormatInt(id.participant, 10)); err != nil {
		return err
	}
	return s.limiter.allow(r.Context(), action+".ip", s.clientIP(r))
}

// SharedBuckets keeps token buckets where every replica sees them (Redis
// in the scaled mode). Take takes one token from the bucket named key,
// which holds n tokens refilled at n per per, and returns 0 or how long
// to wait for one.
type SharedBuckets interface {
	Take(ctx context.Context, key string, n int, per time.Duration) (time.Duration, error)
}

// limiter keeps one token bucket per (key, subject): in shared buckets
// when there are some, and in memory otherwise or while they fail.
type limiter struct {
	limits RateLimits
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

func newLimiter(limits RateLimits, now func() time.Time, shared SharedBuckets, log *slog.Logger) *limiter {
	return &limiter{limits: limits, now: now, shared: shared, log: log, buckets: make(map[string]*bucket), lastSweep: now()}
}

// allow takes one token for key ("ask.participant") and subject (a
// participant id or an IP), or returns ERATELIMIT with the wait.
func (l *limiter) allow(ctx context.Context, key, subject string) error {
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
func (l *limiter) take(ctx context.Context, id string, r Rate) (time.Duration, error) {
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

func (l *limiter) takeLocal(id string, r Rate) time.Duration {
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
func (l *limiter) sweep(now time.Time) {
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
