package act

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/webhook"
)

// IngestResult says what became of a delivery's posts.
type IngestResult struct {
	// Stored are the posts koe stored; Known counts those it had already;
	// Unfit those it could not keep (no id, nothing to show).
	Stored []*koe.Post `json:"stored"`
	Known  int         `json:"known"`
	Unfit  int         `json:"unfit"`
}

// Ingest stores a delivery of a source's posts, and the source's cursor
// after them (docs/architecture.md, "No loss, no repeats"): the posts the
// event has already are dropped, each other passes the moderation
// pipeline, and posts, reviews and cursor are written in one transaction.
// Only koe itself ingests (the runner, and the webhook once its signature
// holds).
func (a *Actions) Ingest(ctx context.Context, src *koe.Source, posts []koe.Post, cursor string) (*IngestResult, error) {
	ctx, _, err := a.begin(ctx, Ingest, src.EventID)
	if err != nil {
		return nil, err
	}
	e, err := a.store.Event(ctx, src.EventID)
	if err != nil {
		return nil, err
	}
	res := &IngestResult{Stored: []*koe.Post{}}
	now := a.now()
	fresh := make([]koe.Post, 0, len(posts))
	seen := make(map[string]bool, len(posts))
	ids := make([]string, 0, len(posts))
	for _, p := range posts {
		p.EventID, p.SourceID, p.Platform = src.EventID, src.ID, src.Kind
		if p.Platform == "" || !p.Clean(now) {
			res.Unfit++
			continue
		}
		if seen[p.ExternalID] {
			res.Known++
			continue
		}
		seen[p.ExternalID] = true
		fresh = append(fresh, p)
		ids = append(ids, p.ExternalID)
	}
	if len(ids) > 0 {
		known, err := a.store.KnownPosts(ctx, src.EventID, src.Kind, ids)
		if err != nil {
			return nil, err
		}
		if len(known) > 0 {
			drop := make(map[string]bool, len(known))
			for _, id := range known {
				drop[id] = true
			}
			kept := fresh[:0]
			for _, p := range fresh {
				if !drop[p.ExternalID] {
					kept = append(kept, p)
				}
			}
			res.Known += len(fresh) - len(kept)
			fresh = kept
		}
	}
	mode := src.Moderation
	if mode == "" {
		mode = e.Settings.Moderation
	}
	items := make([]koe.IngestedPost, len(fresh))
	for i := range fresh {
		p := &fresh[i]
		sc, err := a.screen(ctx, submission{event: e, kind: koe.ReviewPost, mode: mode, author: p.AuthorHandle, text: p.Text})
		if err != nil {
			return nil, err
		}
		p.Status, p.Text = sc.status, sc.text
		p.Reasons, p.Score = sc.reasons, sc.score
		items[i] = koe.IngestedPost{Post: p, Review: sc.review}
	}
	if len(items) > 0 || cursor != "" {
		stored, err := a.store.IngestPosts(ctx, src.ID, items, cursor)
		if err != nil {
			return nil, err
		}
		res.Stored = stored
		res.Known += len(items) - len(stored)
	}
	for _, p := range res.Stored {
		a.ingestMetrics.count(src, string(p.Status), 1)
	}
	a.ingestMetrics.count(src, "known", res.Known)
	a.ingestMetrics.count(src, "unfit", res.Unfit)
	return res, nil
}

// IngestWebhook stores a signed webhook request of a source: its
// signature and timestamp are checked (webhook.Verify), then its posts
// are ingested by koe itself. An unknown or disabled source answers as a
// bad signature does, so that a sender cannot probe source ids.
func (a *Actions) IngestWebhook(ctx context.Context, sourceID int64, timestamp, signature string, body []byte) (*IngestResult, error) {
	if err := a.limiter.Allow(ctx, "webhook.source", itoa(sourceID)); err != nil {
		return nil, err
	}
	src, err := a.store.Source(ctx, 0, sourceID)
	switch {
	case koe.ErrorCode(err) == koe.ENOTFOUND || (err == nil && (src.Kind != koe.SourceWebhook || !src.Enabled)):
		return nil, koe.Errorf(koe.EUNAUTHORIZED, "no enabled webhook source has this id")
	case err != nil:
		return nil, err
	}
	if err := webhook.Verify(src.Config.Secret, timestamp, signature, body, a.now()); err != nil {
		return nil, err
	}
	posts, err := ingest.DecodeWebhook(body)
	if err != nil {
		return nil, err
	}
	res, err := a.Ingest(koe.NewContext(ctx, koe.System), src, posts, "")
	if err != nil {
		return nil, err
	}
	h := src.Health
	h.State, h.UpdatedAt = "listening", a.now()
	if len(res.Stored) > 0 {
		h.Posts += int64(len(res.Stored))
		last := res.Stored[len(res.Stored)-1]
		h.LastPostAt, h.LagSeconds = &last.CreatedAt, last.CreatedAt.Sub(last.PostedAt).Seconds()
	}
	if err := a.store.SaveSourceHealth(ctx, src.ID, h); err != nil {
		a.log.Warn("cannot save a webhook's health", "source", src.ID, "error", err)
	}
	return res, nil
}

// The runner's pace.
const (
	// sourcesEvery is how often the lease holder reads the sources: a new,
	// changed or disabled source takes effect within it.
	sourcesEvery = 2 * time.Second
	// healthEvery is how often a running source's health is saved when it
	// changed.
	healthEvery = time.Second
	// organizerWait is how long a source that failed in a way only the
	// organiser can mend waits before trying again (a changed source
	// restarts at once).
	organizerWait = 5 * time.Minute
	maxRetry      = time.Minute
)

// RunIngest runs the event sources of every event in one process at a
// time, holding the lease "ingest", until ctx ends
// (docs/architecture.md, "Sources and their runner").
func (a *Actions) RunIngest(ctx context.Context) {
	a.whileLeading(ctx, "ingest", func(ctx context.Context) {
		a.log.Info("running the social feed's sources")
		a.lead(ctx)
	})
}

// running is a source the lease holder runs.
type running struct {
	version int64
	stop    context.CancelFunc
	done    chan struct{}
}

// lead runs the sources while ctx (the lease) holds.
func (a *Actions) lead(ctx context.Context) {
	runs := map[int64]*running{}
	stop := func(id int64) {
		r := runs[id]
		r.stop()
		<-r.done
		delete(runs, id)
	}
	defer func() {
		for id := range runs {
			stop(id)
		}
	}()
	t := time.NewTicker(sourcesEvery)
	defer t.Stop()
	for {
		sources, err := a.store.Sources(ctx, 0)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("cannot read the sources", "error", err)
		}
		if err == nil {
			want := map[int64]bool{}
			for _, s := range sources {
				if !s.Enabled || a.platforms[s.Kind] == nil { // a webhook has no runner
					a.markStopped(ctx, s)
					continue
				}
				want[s.ID] = true
				if r := runs[s.ID]; r != nil && r.version == s.Version {
					continue
				} else if r != nil {
					stop(s.ID)
				}
				rctx, cancel := context.WithCancel(ctx)
				r := &running{version: s.Version, stop: cancel, done: make(chan struct{})}
				runs[s.ID] = r
				go func() {
					defer close(r.done)
					a.runSource(rctx, s)
				}()
			}
			for id := range runs {
				if !want[id] {
					stop(id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// markStopped says that a disabled source stopped, when its health says
// otherwise (the replica that ran it died before saying so itself).
func (a *Actions) markStopped(ctx context.Context, s *koe.Source) {
	if s.Enabled || s.Kind == koe.SourceWebhook || s.Health.State == "stopped" {
		return
	}
	h := s.Health
	h.State, h.UpdatedAt = "stopped", a.now()
	_ = a.store.SaveSourceHealth(ctx, s.ID, h)
}

// runSource runs one source until ctx ends, again after each failure.
func (a *Actions) runSource(ctx context.Context, s *koe.Source) {
	sink := &sink{a: a, src: s, health: s.Health}
	sink.health.Posts, sink.health.RateLimit = 0, nil
	sink.report("starting", nil)
	stopHealth := sink.keepHealth(ctx)
	defer stopHealth()
	up := a.ingestMetrics.up.WithLabelValues(sourceLabel(s))
	defer up.Set(0)
	wait := a.ingestOpts.Retry
	for ctx.Err() == nil {
		started := a.now()
		src, err := a.platforms[s.Kind](s, a.ingestOpts)
		if err == nil {
			var cur *koe.Source
			if cur, err = a.store.Source(ctx, 0, s.ID); err == nil {
				sink.up = up
				err = src.Run(ctx, cur.Cursor, sink)
			}
		}
		up.Set(0)
		if ctx.Err() != nil {
			return
		}
		if a.now().Sub(started) > maxRetry {
			wait = a.ingestOpts.Retry
		}
		pause := wait
		state := "waiting"
		if errors.Is(err, ingest.ErrNeedsOrganizer) {
			pause, state = organizerWait, "failed"
		} else if wait *= 2; wait > maxRetry {
			wait = maxRetry
		}
		a.log.Warn("a social feed source failed", "source", s.ID, "kind", s.Kind, "retry_in", pause, "error", err)
		sink.report(state, err)
		if ingest.Wait(ctx, pause) != nil {
			return
		}
	}
}

// sink is where a running source delivers; it keeps its health.
type sink struct {
	a   *Actions
	src *koe.Source
	up  prometheus.Gauge

	mu     sync.Mutex
	health koe.SourceHealth
	dirty  bool
}

// Deliver implements ingest.Sink.
func (s *sink) Deliver(ctx context.Context, posts []koe.Post, cursor string) error {
	res, err := s.a.Ingest(ctx, s.src, posts, cursor)
	if err != nil {
		return err
	}
	if len(res.Stored) == 0 {
		return nil
	}
	last := res.Stored[len(res.Stored)-1]
	s.mu.Lock()
	s.health.Posts += int64(len(res.Stored))
	s.health.LastPostAt = &last.CreatedAt
	s.health.LagSeconds = max(0, last.CreatedAt.Sub(last.PostedAt).Seconds())
	s.dirty = true
	s.mu.Unlock()
	return nil
}

// Report implements ingest.Sink.
func (s *sink) Report(st ingest.Status) {
	s.mu.Lock()
	if st.RateLimit != nil {
		s.health.RateLimit = st.RateLimit
	}
	s.mu.Unlock()
	if s.up != nil {
		if st.State == "streaming" || st.State == "polling" {
			s.up.Set(1)
		} else {
			s.up.Set(0)
		}
	}
	s.report(st.State, st.Err)
}

func (s *sink) report(state string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state != "" {
		s.health.State = state
	}
	if err != nil {
		now := s.a.now()
		s.health.LastError, s.health.LastErrorAt = err.Error(), &now
	}
	s.dirty = true
}

// keepHealth saves the health when it changed, every healthEvery, and
// once more when the source stops.
func (s *sink) keepHealth(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	save := func(ctx context.Context) {
		s.mu.Lock()
		if !s.dirty {
			s.mu.Unlock()
			return
		}
		s.dirty = false
		h := s.health
		s.mu.Unlock()
		h.UpdatedAt = s.a.now()
		if err := s.a.store.SaveSourceHealth(ctx, s.src.ID, h); err != nil && ctx.Err() == nil {
			s.a.log.Warn("cannot save a source's health", "source", s.src.ID, "error", err)
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(healthEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				s.report("stopped", nil)
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				save(sctx)
				cancel()
				return
			case <-t.C:
				save(ctx)
			}
		}
	}()
	return func() { <-done }
}

// sourceLabel names a source in metrics: its kind and id.
func sourceLabel(s *koe.Source) string { return string(s.Kind) + ":" + itoa(s.ID) }

// ingestMetrics are the social feed's.
type ingestMetrics struct {
	posts *prometheus.CounterVec
	up    *prometheus.GaugeVec
}

func newIngestMetrics(reg prometheus.Registerer) *ingestMetrics {
	m := &ingestMetrics{
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "koe_ingest_posts_total",
			Help: "Posts the social feed's sources delivered, by source and outcome (approved, pending, rejected: stored; known: had already; unfit: nothing koe can keep)."},
			[]string{"source", "outcome"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "koe_ingest_source_up",
			Help: "1 while a source streams or polls on this replica, 0 otherwise."}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.posts, m.up)
	}
	return m
}

func (m *ingestMetrics) count(s *koe.Source, outcome string, n int) {
	if n > 0 {
		m.posts.WithLabelValues(sourceLabel(s), outcome).Add(float64(n))
	}
}
