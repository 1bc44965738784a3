package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

// runIngest measures the social feed: a Mastodon instance (the test
// server, in the generator) streams #koe to a source of a new event, and
// an operator's console follows the event's feed stream. First --rate
// posts a second for --duration, each timed from its publication on the
// instance to its post.created on the console (ingest_to_screen_p99_ms);
// then --burst posts published as fast as the instance takes them, timed
// until the console has every one (ingest_posts_per_s), and counted: none
// may be missing (ingest_lost) or stored twice (ingest_duplicated).
func runIngest(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench ingest", flag.ContinueOnError)
	c.register(fs)
	rate := fs.Float64("rate", 20, "posts published per second while latency is measured")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure latency")
	burst := fs.Int("burst", 5000, "posts published at once to measure throughput")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *rate <= 0 || *duration <= 0 || *burst < 1 {
		return badFlags("--rate, --duration and --burst must be positive")
	}
	ctx, cancel := c.context(ctx, *duration+2*time.Minute)
	defer cancel()

	m := mastodontest.New()
	defer m.Close()
	m.SetToken("bench-token")
	a := newAPI(c.urls, c.token, 8)
	var ev, src struct{ ID int64 }
	if err := a.do(ctx, "POST", "/api/v1/events", a.owner, map[string]any{"title": "Bench feed"}, &ev); err != nil {
		return err
	}
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)
	if err := a.do(ctx, "POST", path+"/sources", a.owner, map[string]any{"kind": "mastodon",
		"config": map[string]any{"instance": m.URL(), "hashtags": []string{"koe"}}, "secret": "bench-token"}, &src); err != nil {
		return err
	}
	if err := waitStreaming(ctx, a, fmt.Sprintf("%s/sources/%d", path, src.ID)); err != nil {
		return err
	}
	feed, err := openConsole(ctx, c.urls[0], c.token, ev.ID, "feed", postCreated)
	if err != nil {
		return err
	}
	defer feed.close()
	r.comment("ingest: a Mastodon source streaming #koe from a test instance in the generator; %.0f posts/s for %s, then %d at once; %s", *rate, *duration, *burst, generator())

	publish := func(text string) time.Time {
		at := time.Now()
		m.Publish(mastodontest.Status{Content: "<p>" + text + " #koe</p>", Tags: []mastodontest.Tag{{Name: "koe"}}, Language: "en"})
		return at
	}
	// Latency: one post at a time, at --rate.
	n := int(*rate * duration.Seconds())
	sent := make(map[string]time.Time, n)
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	for i := range n {
		select {
		case <-ctx.Done():
			tick.Stop()
			return ctx.Err()
		case <-tick.C:
		}
		text := fmt.Sprintf("latency %d", i)
		sent[text+" #koe"] = publish(text)
	}
	tick.Stop()
	if err := feed.wait(ctx, n, 10*time.Second); err != nil {
		logf("%v", err)
	}
	arrived := feed.seen()
	var lat []float32
	lost := 0
	for text, at := range sent {
		got, ok := arrived[text]
		if !ok {
			lost++
			continue
		}
		lat = append(lat, ms(got.Sub(at)))
	}
	slices.Sort(lat)
	r.float("ingest_to_screen_p50_ms", percentile(lat, 50))
	r.float("ingest_to_screen_p99_ms", percentile(lat, 99))

	// Throughput: a burst, timed until the console has it all.
	start := time.Now()
	for i := range *burst {
		publish(fmt.Sprintf("burst %d", i))
	}
	if err := feed.wait(ctx, n+*burst, time.Minute); err != nil {
		logf("%v", err)
	}
	elapsed := feed.last().Sub(start)
	arrived = feed.seen()
	for i := range *burst {
		if _, ok := arrived[fmt.Sprintf("burst %d #koe", i)]; !ok {
			lost++
		}
	}
	stored, err := countPosts(ctx, a, path)
	if err != nil {
		return err
	}
	r.float("ingest_posts_per_s", float64(*burst)/elapsed.Seconds())
	r.int("ingest_lost", int64(lost))
	r.int("ingest_duplicated", int64(max(0, stored-(n+*burst-lost)))+int64(feed.repeats()))
	return nil
}

// waitStreaming waits until the source's health says it streams.
func waitStreaming(ctx context.Context, a *api, path string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var s struct {
			Health struct {
				State     string `json:"state"`
				LastError string `json:"last_error"`
			} `json:"health"`
		}
		if err := a.do(ctx, "GET", path, a.owner, nil, &s); err != nil {
			return err
		}
		if s.Health.State == "streaming" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the source is %q after 30 s (%s)", s.Health.State, s.Health.LastError)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// countPosts counts the event's posts, page by page.
func countPosts(ctx context.Context, a *api, path string) (int, error) {
	n, before := 0, ""
	for {
		var page struct {
			Posts []struct{ ID int64 } `json:"posts"`
		}
		if err := a.do(ctx, "GET", path+"/posts?limit=100"+before, a.owner, nil, &page); err != nil {
			return 0, err
		}
		n += len(page.Posts)
		if len(page.Posts) < 100 {
			return n, nil
		}
		before = fmt.Sprintf("&before=%d", page.Posts[len(page.Posts)-1].ID)
	}
}

// postCreated keys a feed console's post.created of the benchmark by its
// text.
func postCreated(typ string, data json.RawMessage) (string, bool) {
	var p struct {
		Text string `json:"text"`
	}
	if typ != "post.created" || json.Unmarshal(data, &p) != nil || !strings.HasSuffix(p.Text, "#koe") {
		return "", false
	}
	return p.Text, true
}
