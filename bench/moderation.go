package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// runModeration measures moderated asking: an event in pre-moderation
// whose HTTP scorer (served by the generator) answers after --scorer-delay,
// participants asking at --rate, and --moderators consoles following the
// moderation stream. Figures: moderated_ask_p99_ms (POST question, accepted
// → answered), queue_p99_ms (POST question sent → review.created received,
// over every console × question), queue_lost (pending items a console
// never saw).
func runModeration(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench moderation", flag.ContinueOnError)
	c.register(fs)
	rate := fs.Float64("rate", 20, "questions asked per second")
	duration := fs.Duration("duration", 20*time.Second, "how long to ask")
	moderators := fs.Int("moderators", 5, "moderation consoles following the queue")
	delay := fs.Duration("scorer-delay", 30*time.Millisecond, "how long the HTTP scorer takes to answer")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *rate <= 0 || *duration <= 0 || *moderators < 1 {
		return badFlags("--rate, --duration and --moderators must be positive")
	}
	ctx, cancel := c.context(ctx, *duration+retryWindow)
	defer cancel()

	scorer, err := serveScorer(*delay)
	if err != nil {
		return err
	}
	defer scorer.Close()
	a := newAPI(c.urls, c.token, 64)
	t, err := a.newTalk(ctx)
	if err != nil {
		return err
	}
	ev := fmt.Sprintf("/api/v1/events/%d", t.event)
	if err := a.do(ctx, "PATCH", ev, a.owner, map[string]any{"settings": map[string]any{"moderation": "pre"}}, nil); err != nil {
		return err
	}
	var cfg map[string]any
	if err := a.do(ctx, "GET", ev+"/moderation", a.owner, nil, &cfg); err != nil {
		return err
	}
	cfg["scorers"] = []map[string]string{{"name": "bench", "url": "http://" + scorer.Addr().String() + "/"}}
	if err := a.do(ctx, "PUT", ev+"/moderation", a.owner, cfg, nil); err != nil {
		return err
	}
	asks := int(*rate * duration.Seconds())
	tokens, err := a.joinMany(ctx, t.joinCode, max(1, asks/10), 32)
	if err != nil {
		return err
	}
	consoles := make([]*console[int64], *moderators)
	for i := range consoles {
		if consoles[i], err = openConsole(ctx, c.urls[i%len(c.urls)], c.token, t.event, "moderation", reviewCreated); err != nil {
			return err
		}
		defer consoles[i].close()
	}

	r.comment("moderation: %d asks at %.0f/s, pre-moderation, HTTP scorer answering in %s, %d consoles; %s", asks, *rate, *delay, *moderators, generator())
	sent := make(map[int64]time.Time, asks)
	var (
		mu     sync.Mutex
		askLat []float32
		errs   int
		wg     sync.WaitGroup
	)
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	for i := range asks {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		wg.Go(func() {
			start := time.Now()
			body := fmt.Sprintf("Moderated question %d: %s?", i+1, words[i%len(words)]+" "+words[(i*7+3)%len(words)])
			q, err := a.at(i).ask(ctx, t, tokens[i%len(tokens)], body)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				if errs == 1 {
					logf("ask: %v", err)
				}
				return
			}
			askLat = append(askLat, ms(time.Since(start)))
			sent[q.ID] = start
		})
	}
	wg.Wait()
	_ = sleep(ctx, 2*time.Second) // the last items reach the consoles

	var queueLat []float32
	lost := 0
	for _, con := range consoles {
		seen := con.seen()
		for id, at := range sent {
			got, ok := seen[id]
			if !ok {
				lost++
				continue
			}
			queueLat = append(queueLat, ms(got.Sub(at)))
		}
	}
	slices.Sort(askLat)
	slices.Sort(queueLat)
	r.int("moderated_asks", int64(len(askLat)))
	r.int("moderated_ask_errors", int64(errs))
	r.float("moderated_ask_p50_ms", percentile(askLat, 50))
	r.float("moderated_ask_p99_ms", percentile(askLat, 99))
	r.float("queue_p50_ms", percentile(queueLat, 50))
	r.float("queue_p99_ms", percentile(queueLat, 99))
	r.int("queue_lost", int64(lost))
	return nil
}

// words vary the questions, so that no rule takes them for repeats.
var words = []string{"indexes", "goroutines", "latency", "Kubernetes", "caching", "SQLite", "migrations", "tracing",
	"generics", "WebAssembly", "テスト", "設計", "障害対応", "監視", "型推論", "rollouts", "quotas", "replicas"}

// serveScorer serves the HTTP scorer contract on loopback, answering every
// text with a low score after delay.
func serveScorer(delay time.Duration) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Text string `json:"text"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"labels":{"toxicity":0.02}}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	return ln, nil
}

// reviewCreated keys a moderation console's review.created by its
// question.
func reviewCreated(typ string, data json.RawMessage) (int64, bool) {
	var r struct {
		SubjectID int64 `json:"subject_id"`
	}
	if typ != "review.created" || json.Unmarshal(data, &r) != nil {
		return 0, false
	}
	return r.SubjectID, true
}
