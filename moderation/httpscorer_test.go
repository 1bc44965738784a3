package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// contractServer is a real HTTP scorer speaking the contract; answer
// decides each response and may block. It counts the requests it saw.
type contractServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newContractServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, text, lang string)) *contractServer {
	t.Helper()
	cs := &contractServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.requests.Add(1)
		var in struct{ Text, Lang string }
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer(w, r, in.Text, in.Lang)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func okAnswer(w http.ResponseWriter, _ *http.Request, text, _ string) {
	v := 0.1
	if strings.Contains(text, "idiot") {
		v = 0.9
	}
	fmt.Fprintf(w, `{"labels": {"toxicity": %v, "spam": 0}}`, v)
}

// fakeClock is the breaker's clock in tests: it moves only when told.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(1e9, c.offset.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func newScorer(t *testing.T, url string, o HTTPScorerOptions) (*HTTPScorer, *fakeClock) {
	t.Helper()
	s, err := NewHTTPScorer("test", url, o)
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{}
	s.now = c.now
	return s, c
}

// metricValue is the value of the metric name of scorer "test" with the
// label pairs given, as gathered from reg (as Prometheus would scrape it).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{"scorer", "test"}, labels...)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i < len(want); i += 2 {
				if got[want[i]] != want[i+1] {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

func TestHTTPScorerAnswers(t *testing.T) {
	var sawLang atomic.Value
	srv := newContractServer(t, func(w http.ResponseWriter, r *http.Request, text, lang string) {
		sawLang.Store(lang)
		okAnswer(w, r, text, lang)
	})
	s, _ := newScorer(t, srv.URL, HTTPScorerOptions{})
	var scorer Scorer = s
	got, err := scorer.Score(context.Background(), "you idiot", "ja")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["toxicity"] != 0.9 || got["spam"] != 0 {
		t.Fatalf("scores %v", got)
	}
	if sawLang.Load() != "ja" {
		t.Fatalf("the scorer was sent lang %v", sawLang.Load())
	}
	if s.State() != "closed" {
		t.Fatalf("state %s", s.State())
	}
}

func TestHTTPScorerTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newContractServer(t, func(w http.ResponseWriter, r *http.Request, text, lang string) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	s, _ := newScorer(t, srv.URL, HTTPScorerOptions{Timeout: 50 * time.Millisecond})
	_, err := s.Score(context.Background(), "hello", "en")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a scorer that does not answer: %v, want a timeout", err)
	}
}

func TestHTTPScorerBadAnswers(t *testing.T) {
	many := map[string]float64{}
	for i := range maxLabels + 1 {
		many[fmt.Sprint("l", i)] = 0.5
	}
	manyJSON, _ := json.Marshal(map[string]any{"labels": many})
	for name, c := range map[string]struct {
		status int
		body   string
		kind   string
	}{
		"500":          {500, `{"labels":{"toxicity":0.1}}`, "status"},
		"404":          {404, `not found`, "status"},
		"not JSON":     {200, `<html>oops</html>`, "body"},
		"no labels":    {200, `{"scores":{"toxicity":0.1}}`, "body"},
		"above 1":      {200, `{"labels":{"toxicity":1.5}}`, "body"},
		"negative":     {200, `{"labels":{"toxicity":-0.1}}`, "body"},
		"not a number": {200, `{"labels":{"toxicity":"high"}}`, "body"},
		"long name":    {200, `{"labels":{"` + strings.Repeat("x", maxLabelLength+1) + `":0.1}}`, "body"},
		"33 labels":    {200, string(manyJSON), "body"},
		"too long":     {200, `{"labels":{"a":0.1},"pad":"` + strings.Repeat("x", maxScorerBody) + `"}`, "body"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newContractServer(t, func(w http.ResponseWriter, _ *http.Request, _, _ string) {
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			})
			reg := prometheus.NewRegistry()
			s, _ := newScorer(t, srv.URL, HTTPScorerOptions{Metrics: NewScorerMetrics(reg)})
			_, err := s.Score(context.Background(), "hello", "en")
			var se *ScorerError
			if !errors.As(err, &se) || se.Kind != c.kind || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v, want a %s ScorerError", err, c.kind)
			}
			if n := metricValue(t, reg, "koe_moderation_scorer_errors_total", "kind", c.kind); n != 1 {
				t.Fatalf("errors_total{kind=%q} = %v", c.kind, n)
			}
		})
	}
}

func TestHTTPScorerBreaker(t *testing.T) {
	var healthy atomic.Bool
	srv := newContractServer(t, func(w http.ResponseWriter, r *http.Request, text, lang string) {
		if !healthy.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		okAnswer(w, r, text, lang)
	})
	reg := prometheus.NewRegistry()
	metrics := NewScorerMetrics(reg)
	s, clock := newScorer(t, srv.URL, HTTPScorerOptions{FailureThreshold: 3, Cooldown: 10 * time.Second, Metrics: metrics})
	ctx := context.Background()
	for i := range 3 {
		if s.State() != "closed" {
			t.Fatalf("open after %d failures", i)
		}
		if _, err := s.Score(ctx, "hello", "en"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrOpen) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if s.State() != "open" || metricValue(t, reg, "koe_moderation_scorer_circuit_open") != 1 {
		t.Fatalf("after 3 failures: state %s, gauge %v", s.State(), metricValue(t, reg, "koe_moderation_scorer_circuit_open"))
	}
	healthy.Store(true) // the scorer is back, but the breaker does not know yet
	for range 5 {
		if _, err := s.Score(ctx, "hello", "en"); !errors.Is(err, ErrOpen) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("while open: %v, want ErrOpen", err)
		}
	}
	if n := srv.requests.Load(); n != 3 {
		t.Fatalf("the scorer saw %d requests, want 3: an open circuit must not call it", n)
	}

	// Half-open: one trial, which fails and reopens the circuit.
	healthy.Store(false)
	clock.advance(10 * time.Second)
	if s.State() != "half-open" {
		t.Fatalf("after the cooldown: %s", s.State())
	}
	if _, err := s.Score(ctx, "hello", "en"); err == nil || errors.Is(err, ErrOpen) {
		t.Fatalf("the trial: %v, want the scorer's own failure", err)
	}
	if _, err := s.Score(ctx, "hello", "en"); !errors.Is(err, ErrOpen) {
		t.Fatalf("after a failed trial: %v, want ErrOpen", err)
	}
	if n := srv.requests.Load(); n != 4 {
		t.Fatalf("the scorer saw %d requests, want 4 (one trial)", n)
	}

	// Half-open again: the trial succeeds and closes the circuit.
	healthy.Store(true)
	clock.advance(10 * time.Second)
	if got, err := s.Score(ctx, "hello", "en"); err != nil || got["toxicity"] != 0.1 {
		t.Fatalf("the second trial: %v %v", got, err)
	}
	if s.State() != "closed" || metricValue(t, reg, "koe_moderation_scorer_circuit_open") != 0 {
		t.Fatalf("after a good trial: %s", s.State())
	}
	if _, err := s.Score(ctx, "hello", "en"); err != nil {
		t.Fatal(err)
	}
	if n := metricValue(t, reg, "koe_moderation_scorer_errors_total", "kind", "open"); n != 6 {
		t.Fatalf("errors_total{kind=open} = %v, want 6", n)
	}
}

func TestHTTPScorerBusy(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := newContractServer(t, func(w http.ResponseWriter, r *http.Request, text, lang string) {
		arrived <- struct{}{}
		<-release
		okAnswer(w, r, text, lang)
	})
	s, _ := newScorer(t, srv.URL, HTTPScorerOptions{Concurrency: 1, Timeout: 10 * time.Second})
	first := make(chan error, 1)
	go func() {
		_, err := s.Score(context.Background(), "first", "en")
		first <- err
	}()
	<-arrived
	if _, err := s.Score(context.Background(), "second", "en"); !errors.Is(err, ErrBusy) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("with the only slot taken: %v, want ErrBusy", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the first call: %v", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("the scorer saw %d requests, want 1", n)
	}
	if _, err := s.Score(context.Background(), "third", "en"); err != nil {
		t.Fatalf("with the slot free again: %v", err)
	}
}

// TestHTTPScorerCallerCancels: a caller that gives up is not the scorer's
// failure: it does not count toward opening the circuit.
func TestHTTPScorerCallerCancels(t *testing.T) {
	srv := newContractServer(t, func(w http.ResponseWriter, r *http.Request, _, _ string) { <-r.Context().Done() })
	s, _ := newScorer(t, srv.URL, HTTPScorerOptions{FailureThreshold: 1, Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var se *ScorerError
	if _, err := s.Score(ctx, "hello", "en"); !errors.As(err, &se) || se.Kind != "canceled" {
		t.Fatalf("canceled call: %v", err)
	}
	if s.State() != "closed" {
		t.Fatalf("state %s after a canceled call", s.State())
	}
}

func TestNewHTTPScorerValidates(t *testing.T) {
	for _, c := range []struct{ name, url string }{
		{"x", "ftp://scorer/"}, {"x", "scorer:8090"}, {"x", "http://"}, {"x", "::"},
		{"", "http://scorer/"}, {strings.Repeat("n", 65), "http://scorer/"},
	} {
		if _, err := NewHTTPScorer(c.name, c.url, HTTPScorerOptions{}); err == nil {
			t.Errorf("NewHTTPScorer(%q, %q) accepted", c.name, c.url)
		}
	}
	if _, err := NewHTTPScorer("ok", "https://scorer.internal:8443/score", HTTPScorerOptions{}); err != nil {
		t.Error(err)
	}
}

func FuzzScorerResponse(f *testing.F) {
	for _, s := range []string{
		`{"labels":{"toxicity":0.12}}`, `{"labels":{}}`, `{"labels":null}`, `{"labels":{"a":1,"b":0}}`,
		`{"labels":{"a":1e400}}`, `{"labels":{"":0.5}}`, `[]`, `{"labels":{"a":-0}}`, `{"labels":{"a":0.5},"labels":{"b":2}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		scores, err := decodeScores(b)
		if err != nil {
			return
		}
		if len(scores) > maxLabels {
			t.Fatalf("%d labels accepted", len(scores))
		}
		for name, v := range scores {
			if name == "" || len(name) > maxLabelLength || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
				t.Fatalf("accepted %q: %v", name, v)
			}
		}
	})
}
