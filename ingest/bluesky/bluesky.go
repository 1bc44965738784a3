// Package bluesky is koe's Bluesky source: posts with the event's
// hashtags or keywords, live from a Jetstream (Bluesky's JSON firehose
// over WebSocket), with app.bsky.feed.searchPosts filling what the stream
// missed when the source has an app password, and likes and reposts done
// back on Bluesky with that password.
//
// It speaks Jetstream's original /subscribe wire (JSON events with a
// time_us, cursors in microseconds), which Bluesky's jetstream1 and
// jetstream2 hosts serve. Jetstream replays from a cursor on a best-effort
// basis, only as far back as it retains events (hours to a day or two, as
// its operator sets it): a source stopped for longer gets the gap from
// search, which needs the app password; without one, posts older than the
// retention are lost.
package bluesky

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
)

// Defaults of a source's configuration.
const (
	DefaultJetstream = "wss://jetstream2.us-east.bsky.network/subscribe"
	// DefaultInstance serves an account's session, search and actions.
	DefaultInstance = "https://bsky.social"
	// PublicInstance serves profiles without an account.
	PublicInstance = "https://public.api.bsky.app"
)

const (
	batchWait = 50 * time.Millisecond // what arrives within it goes in one delivery
	// idleCheckpoint is how often the cursor is saved when the stream
	// moves on without a post that matches.
	idleCheckpoint = 15 * time.Second
	recentPosts    = 10000 // posts remembered per Run, so repeats are not delivered again
)

// Source follows one koe source on Bluesky.
type Source struct {
	opts      ingest.Options
	instance  string
	jetstream string
	handle    string
	secret    string
	match     matcher
	queries   []string // searchPosts' q: "#tag" and keywords

	sess      session
	profiles  *profileCache
	rateLimit atomic.Pointer[koe.RateLimit] // as the last XRPC response said
}

var (
	_ ingest.Source  = (*Source)(nil)
	_ ingest.Engager = (*Source)(nil)
)

// New makes the client of src (a Bluesky source, validated).
func New(src *koe.Source, opts ingest.Options) (*Source, error) {
	if src.Kind != koe.SourceBluesky {
		return nil, fmt.Errorf("bluesky: source %d is of kind %q", src.ID, src.Kind)
	}
	c := src.Config
	s := &Source{
		opts:      opts.Defaults(),
		instance:  strings.TrimRight(c.Instance, "/"),
		jetstream: c.Jetstream,
		handle:    c.Handle,
		secret:    c.Secret,
		match:     newMatcher(c.Hashtags, c.Keywords),
		profiles:  newProfileCache(10000, time.Hour),
	}
	if len(s.match.hashtags)+len(s.match.keywords) == 0 {
		return nil, errors.New("bluesky: the source follows no hashtag and no keyword")
	}
	if (s.handle == "") != (s.secret == "") {
		return nil, errors.New("bluesky: an app password needs its account's handle")
	}
	if s.jetstream == "" {
		s.jetstream = DefaultJetstream
	}
	if u, err := url.Parse(s.jetstream); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("bluesky: jetstream %q is not a ws(s) URL", s.jetstream)
	}
	if s.instance == "" {
		s.instance = PublicInstance
		if s.secret != "" {
			s.instance = DefaultInstance
		}
	}
	if u, err := url.Parse(s.instance); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bluesky: instance %q is not an http(s) URL", s.instance)
	}
	for _, t := range s.match.hashtags {
		s.queries = append(s.queries, "#"+t)
	}
	for _, k := range s.match.keywords {
		if strings.ContainsAny(k, " \t") {
			k = `"` + strings.ReplaceAll(k, `"`, "") + `"` // a phrase, not any of its words
		}
		s.queries = append(s.queries, k)
	}
	return s, nil
}

// streamItem is what the Jetstream reader passes on: a post it keeps
// (nil when it only tells progress) and how far the stream has come.
type streamItem struct {
	post   *koe.Post
	timeUS int64
}

// searchBatch is one search round's posts and the newest indexedAt seen.
type searchBatch struct {
	posts []koe.Post
	since string
}

// note is a change of a part's health: state "" keeps the state.
type note struct {
	state string
	err   error
}

// Run implements ingest.Source: the Jetstream, search with an app
// password, and one loop that owns the cursor and delivers.
func (s *Source) Run(ctx context.Context, cursor string, sink ingest.Sink) error {
	pos, perr := parsePosition(cursor)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	items := make(chan streamItem, 256)
	found := make(chan searchBatch, 1)
	notes := make(chan note, 16)
	fatal := make(chan error, 2)
	wg.Go(func() { s.stream(ctx, pos.TimeUS, items, notes, fatal) })
	if s.secret != "" {
		wg.Go(func() {
			if err := s.search(ctx, pos, found, notes); err != nil && ctx.Err() == nil {
				fatal <- err
			}
		})
	}

	l := &loop{s: s, sink: sink, delivered: pos, pending: pos, seen: newRecent(recentPosts),
		status: ingest.Status{State: "starting", Err: perr}}
	sink.Report(l.status)
	l.reported = l.status
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	armed := false
	arm := func() {
		if !armed {
			flush.Reset(batchWait)
			armed = true
		}
	}
	checkpoint := time.NewTicker(idleCheckpoint)
	defer checkpoint.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err = <-fatal:
			if ferr := l.flush(ctx); ferr != nil {
				return ferr
			}
			return err
		case it := <-items:
			l.pending.TimeUS = max(l.pending.TimeUS, it.timeUS)
			if it.post != nil {
				l.add(*it.post)
				arm()
			}
			if len(l.posts) >= koe.MaxIngestBatch {
				err = l.flush(ctx)
			}
		case b := <-found:
			for _, p := range b.posts {
				l.add(p)
			}
			l.pending = l.pending.advance(position{Since: b.since})
			err = l.flush(ctx)
		case n := <-notes:
			if n.state != "" {
				l.status.State = n.state
			}
			if n.err != nil {
				l.status.Err = n.err
			}
			arm()
		case <-flush.C:
			armed = false
			err = l.flush(ctx)
		case <-checkpoint.C:
			if time.Since(l.lastDelivery) >= idleCheckpoint {
				err = l.flush(ctx)
			}
		}
		if err != nil {
			return err
		}
	}
}

// loop is Run's delivering side; only Run's goroutine touches it.
type loop struct {
	s            *Source
	sink         ingest.Sink
	posts        []koe.Post
	pending      position // after posts
	delivered    position
	lastDelivery time.Time
	seen         *recent
	status       ingest.Status
	reported     ingest.Status
}

func (l *loop) add(p koe.Post) {
	if l.seen.add(p.ExternalID) {
		l.posts = append(l.posts, p)
	}
}

// flush delivers the pending posts, at most MaxIngestBatch at a time,
// the last batch with the cursor after them all, then reports.
func (l *loop) flush(ctx context.Context) error {
	l.report() // before a lookup's error takes the place of what came first
	for len(l.posts) > 0 || l.pending != l.delivered {
		n := min(len(l.posts), koe.MaxIngestBatch)
		batch := l.posts[:n]
		at := l.delivered
		if n == len(l.posts) {
			at = l.pending
		}
		if err := l.s.fillAuthors(ctx, batch); err != nil {
			l.status.Err = err
		}
		if err := l.sink.Deliver(ctx, batch, at.String()); err != nil {
			return err
		}
		l.delivered, l.posts, l.lastDelivery = at, l.posts[n:], time.Now()
	}
	l.posts = nil
	l.report()
	return nil
}

// report tells the sink the status when it changed.
func (l *loop) report() {
	l.status.RateLimit = l.s.rateLimit.Load()
	r, st := l.reported, l.status
	if r.State == st.State && errText(r.Err) == errText(st.Err) && sameRateLimit(r.RateLimit, st.RateLimit) {
		return
	}
	l.sink.Report(st)
	l.reported = st
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func sameRateLimit(a, b *koe.RateLimit) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}

// recent remembers the last n keys.
type recent struct {
	keys map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{keys: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add reports whether key is new, remembering it.
func (r *recent) add(key string) bool {
	if _, ok := r.keys[key]; ok {
		return false
	}
	delete(r.keys, r.ring[r.next])
	r.ring[r.next] = key
	r.keys[key] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
	return true
}
