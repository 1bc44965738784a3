package moderation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
)

// The HTTP scorer contract's limits on an answer.
const (
	maxScorerBody  = 64 << 10
	maxLabels      = 32
	maxLabelLength = 64
)

// ErrUnavailable is what every failure of an HTTP scorer is (errors.Is):
// the pipeline then fails open or closed, as the event says. ErrBusy and
// ErrOpen are the two kinds it may want to tell apart.
var (
	ErrUnavailable = errors.New("scorer unavailable")
	// ErrBusy: all of the scorer's slots were taken; the text did not wait.
	ErrBusy = errors.New("scorer busy")
	// ErrOpen: the circuit breaker is open after repeated failures.
	ErrOpen = errors.New("scorer circuit open")
	// ErrTimeout: the scorer did not answer within its timeout.
	ErrTimeout = errors.New("scorer timed out")
)

// ScorerError is a failed call of an HTTP scorer. It is ErrUnavailable,
// and ErrBusy, ErrOpen or ErrTimeout by its kind; it unwraps to its cause.
type ScorerError struct {
	Scorer string
	// Kind is "busy", "open", "timeout", "canceled" (the caller gave up),
	// "transport", "status" or "body": the errors metric's label.
	Kind string
	Err  error
}

func (e *ScorerError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("scorer %s: %s", e.Scorer, e.Kind)
	}
	return fmt.Sprintf("scorer %s: %s: %v", e.Scorer, e.Kind, e.Err)
}

func (e *ScorerError) Unwrap() error { return e.Err }

// Is makes every ScorerError ErrUnavailable, and the sentinel of its kind.
func (e *ScorerError) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return true
	case ErrBusy:
		return e.Kind == "busy"
	case ErrOpen:
		return e.Kind == "open"
	case ErrTimeout:
		return e.Kind == "timeout"
	}
	return false
}

// HTTPScorerOptions tune an HTTPScorer; zero values take the defaults.
type HTTPScorerOptions struct {
	// Timeout bounds one call, connection included (500ms).
	Timeout time.Duration
	// Concurrency is how many calls may be in flight; one more fails at
	// once with ErrBusy rather than wait, because the participant who
	// asks is waiting (8).
	Concurrency int
	// FailureThreshold is how many failures in a row open the circuit (5).
	FailureThreshold int
	// Cooldown is how long an open circuit fails fast before it lets one
	// trial call through (10s).
	Cooldown time.Duration
	// Client makes the calls; by default one that keeps Concurrency
	// connections alive and does not follow redirects.
	Client *http.Client
	// Metrics, if set, records calls, errors and the circuit's state.
	Metrics *ScorerMetrics
}

// HTTPScorer is a Scorer behind the HTTP contract: POST {"text", "lang"}
// → 200 {"labels": {name: score}}, with a timeout, a concurrency limit
// and a circuit breaker, so that a slow or dead scorer costs the pipeline
// a bounded time, and then none.
type HTTPScorer struct {
	name, url string
	o         HTTPScorerOptions
	slots     chan struct{}
	now       func() time.Time

	mu       sync.Mutex
	failures int // in a row
	open     bool
	openedAt time.Time
	trial    bool // the half-open trial call is in flight
}

// NewHTTPScorer returns the scorer called name at rawURL (http or https).
func NewHTTPScorer(name, rawURL string, o HTTPScorerOptions) (*HTTPScorer, error) {
	if name == "" || len(name) > maxLabelLength {
		return nil, koe.Errorf(koe.EINVALID, "a scorer's name must be 1–%d bytes", maxLabelLength)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, koe.Errorf(koe.EINVALID, "scorer %s: the URL must be http:// or https:// with a host", name)
	}
	if o.Timeout <= 0 {
		o.Timeout = 500 * time.Millisecond
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 5
	}
	if o.Cooldown <= 0 {
		o.Cooldown = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
				MaxIdleConnsPerHost: o.Concurrency,
				IdleConnTimeout:     90 * time.Second,
			},
			// A scorer answers where it is asked; a redirect is a
			// misconfiguration, reported as a bad status.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	s := &HTTPScorer{name: name, url: u.String(), o: o, slots: make(chan struct{}, o.Concurrency), now: time.Now}
	o.Metrics.setOpen(name, false)
	return s, nil
}

// Name is the scorer's name, as configured.
func (s *HTTPScorer) Name() string { return s.name }

// State is the circuit breaker's: "closed" (calls go through), "open"
// (calls fail fast) or "half-open" (the cooldown is over: the next call
// is a trial, and its outcome closes or reopens the circuit).
func (s *HTTPScorer) State() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.open:
		return "closed"
	case s.trial || s.now().Sub(s.openedAt) >= s.o.Cooldown:
		return "half-open"
	}
	return "open"
}

// Score calls the scorer. Every error is a *ScorerError (ErrUnavailable).
func (s *HTTPScorer) Score(ctx context.Context, text, lang string) (Scores, error) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		return nil, s.fail("busy", nil)
	}
	trial, err := s.admit()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	scores, kind, err := s.call(ctx, text, lang)
	s.o.Metrics.observe(s.name, time.Since(start))
	s.settle(trial, kind)
	if err != nil {
		return nil, s.fail(kind, err)
	}
	return scores, nil
}

// admit lets a call through the breaker; trial is true for the one call a
// half-open circuit lets through.
func (s *HTTPScorer) admit() (trial bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return false, nil
	}
	if s.trial || s.now().Sub(s.openedAt) < s.o.Cooldown {
		return false, s.fail("open", nil)
	}
	s.trial = true
	return true, nil
}

// settle records a call's outcome (kind "" for success) in the breaker.
func (s *HTTPScorer) settle(trial bool, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if trial {
		s.trial = false
	}
	switch kind {
	case "":
		s.failures = 0
		if s.open {
			s.open = false
			s.o.Metrics.setOpen(s.name, false)
		}
	case "canceled":
		// The caller gave up: says nothing of the scorer. A trial that was
		// canceled leaves the circuit half-open for the next call.
	default:
		s.failures++
		if trial || (!s.open && s.failures >= s.o.FailureThreshold) {
			s.open, s.openedAt = true, s.now()
			s.o.Metrics.setOpen(s.name, true)
		}
	}
}

func (s *HTTPScorer) fail(kind string, err error) error {
	s.o.Metrics.failed(s.name, kind)
	return &ScorerError{Scorer: s.name, Kind: kind, Err: err}
}

// call makes one request: the scores, or the kind of failure and its error.
func (s *HTTPScorer) call(ctx context.Context, text, lang string) (Scores, string, error) {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
		Lang string `json:"lang,omitempty"`
	}{text, lang})
	if err != nil {
		return nil, "transport", err
	}
	tctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(tctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, "transport", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return nil, s.ctxKind(ctx, tctx, "transport"), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxScorerBody+1))
	if err != nil {
		return nil, s.ctxKind(ctx, tctx, "transport"), err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "status", fmt.Errorf("status %d", resp.StatusCode)
	}
	if len(b) > maxScorerBody {
		return nil, "body", fmt.Errorf("answer longer than %d bytes", maxScorerBody)
	}
	scores, err := decodeScores(b)
	if err != nil {
		return nil, "body", err
	}
	return scores, "", nil
}

// ctxKind tells a timeout and a caller who gave up from other failures.
func (s *HTTPScorer) ctxKind(parent, tctx context.Context, other string) string {
	switch {
	case parent.Err() != nil:
		return "canceled"
	case tctx.Err() != nil:
		return "timeout"
	}
	return other
}

// decodeScores reads a contract answer: {"labels": {name: score}}, at
// most maxLabels labels of 1–maxLabelLength bytes, each score in [0, 1].
func decodeScores(b []byte) (Scores, error) {
	var answer struct {
		Labels map[string]float64 `json:"labels"`
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		return nil, fmt.Errorf("not the contract's JSON: %w", err)
	}
	if answer.Labels == nil {
		return nil, errors.New(`no "labels" object`)
	}
	if len(answer.Labels) > maxLabels {
		return nil, fmt.Errorf("%d labels, more than %d", len(answer.Labels), maxLabels)
	}
	for name, v := range answer.Labels {
		if name == "" || len(name) > maxLabelLength {
			return nil, fmt.Errorf("a label name must be 1–%d bytes", maxLabelLength)
		}
		if math.IsNaN(v) || v < 0 || v > 1 {
			return nil, fmt.Errorf("label %q: score %v not in [0, 1]", name, v)
		}
	}
	return Scores(answer.Labels), nil
}

// ScorerMetrics are the HTTP scorers' Prometheus metrics. A nil
// *ScorerMetrics records nothing.
type ScorerMetrics struct {
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
	open    *prometheus.GaugeVec
}

// NewScorerMetrics registers the scorers' metrics with reg.
func NewScorerMetrics(reg prometheus.Registerer) *ScorerMetrics {
	m := &ScorerMetrics{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "koe_moderation_scorer_seconds",
			Help:    "Duration of calls to HTTP scorers (those that were made: not busy or open).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"scorer"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koe_moderation_scorer_errors_total",
			Help: "Failed calls to HTTP scorers, by kind: busy, open, timeout, canceled, transport, status, body.",
		}, []string{"scorer", "kind"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "koe_moderation_scorer_circuit_open",
			Help: "1 while the scorer's circuit breaker is open (half-open included), else 0.",
		}, []string{"scorer"}),
	}
	reg.MustRegister(m.seconds, m.errors, m.open)
	return m
}

func (m *ScorerMetrics) observe(scorer string, d time.Duration) {
	if m != nil {
		m.seconds.WithLabelValues(scorer).Observe(d.Seconds())
	}
}

func (m *ScorerMetrics) failed(scorer, kind string) {
	if m != nil {
		m.errors.WithLabelValues(scorer, kind).Inc()
	}
}

func (m *ScorerMetrics) setOpen(scorer string, open bool) {
	if m == nil {
		return
	}
	v := 0.0
	if open {
		v = 1
	}
	m.open.WithLabelValues(scorer).Set(v)
}
