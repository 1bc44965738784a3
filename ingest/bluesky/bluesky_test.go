package bluesky_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ingest/bluesky"
	"github.com/koehq/koe/ingest/bluesky/blueskytest"
)

// sink records deliveries and checks the contract: never called
// concurrently, batches of at most MaxIngestBatch, cursors that never go
// back.
type sink struct {
	t        *testing.T
	busy     atomic.Bool
	mu       sync.Mutex
	posts    []koe.Post
	cursor   string
	statuses []ingest.Status
}

func (s *sink) enter() {
	if !s.busy.CompareAndSwap(false, true) {
		s.t.Error("Deliver or Report called concurrently")
	}
}

func (s *sink) Deliver(_ context.Context, posts []koe.Post, cursor string) error {
	s.enter()
	defer s.busy.Store(false)
	if len(posts) > koe.MaxIngestBatch {
		s.t.Errorf("a batch of %d posts", len(posts))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cursor != "" {
		if back(s.cursor, cursor) {
			s.t.Errorf("cursor went back from %s to %s", s.cursor, cursor)
		}
		s.cursor = cursor
	}
	s.posts = append(s.posts, posts...)
	return nil
}

func (s *sink) Report(st ingest.Status) {
	s.enter()
	defer s.busy.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

func (s *sink) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.posts {
		out = append(out, p.Text)
	}
	return out
}

// count is how many times a post with text was delivered.
func (s *sink) count(text string) int {
	n := 0
	for _, t := range s.texts() {
		if t == text {
			n++
		}
	}
	return n
}

func (s *sink) post(text string) (koe.Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts {
		if p.Text == text {
			return p, true
		}
	}
	return koe.Post{}, false
}

func (s *sink) lastCursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// reported finds a status that ok accepts.
func (s *sink) reported(ok func(ingest.Status) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.statuses {
		if ok(st) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type running struct {
	src    *bluesky.Source
	sink   *sink
	cancel context.CancelFunc
	done   chan error
}

// stop ends the run and returns what Run returned.
func (r *running) stop() error {
	r.cancel()
	return <-r.done
}

func config(srv *blueskytest.Server) koe.SourceConfig {
	return koe.SourceConfig{Instance: srv.URL(), Jetstream: srv.JetstreamURL(), Hashtags: []string{"koe"}}
}

func opts() ingest.Options {
	return ingest.Options{Client: &http.Client{Timeout: 2 * time.Second}, PollEvery: 30 * time.Millisecond, Retry: 20 * time.Millisecond}
}

func start(t *testing.T, c koe.SourceConfig, o ingest.Options, cursor string) *running {
	t.Helper()
	src, err := bluesky.New(&koe.Source{Kind: koe.SourceBluesky, Config: c}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{src: src, sink: &sink{t: t}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- src.Run(ctx, cursor, r.sink) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func startLive(t *testing.T, srv *blueskytest.Server, c koe.SourceConfig) *running {
	t.Helper()
	r := start(t, c, opts(), "")
	waitFor(t, "the Jetstream connection", func() bool { return srv.Connections() == 1 })
	return r
}

func TestMatching(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	c := config(srv)
	c.Keywords = []string{"voice of"}
	r := startLive(t, srv, c)
	did := "did:plc:alice"
	srv.Publish(did, "alice.test", "tagged by a facet", []string{"KOE"}, []string{"en"})
	srv.Publish(did, "alice.test", "tagged in text only #Koe!", nil, nil)
	srv.Publish(did, "alice.test", "full-width ＃koe。", nil, nil)
	srv.Publish(did, "alice.test", "the Voice Of the room", nil, nil)
	srv.Publish(did, "alice.test", "another tag #koetsu", nil, nil)
	srv.Publish(did, "alice.test", "an invoice offer", nil, nil)
	srv.Publish(did, "alice.test", "mid-word a#koe", nil, nil)
	srv.PublishCommit(did, "create", "app.bsky.feed.like", map[string]any{"$type": "app.bsky.feed.like", "text": "#koe"})
	srv.PublishCommit(did, "update", "app.bsky.feed.post", map[string]any{"$type": "app.bsky.feed.post", "text": "edited #koe"})
	srv.PublishCommit(did, "delete", "app.bsky.feed.post", nil)
	srv.PublishIdentity(did, "alice2.test")
	srv.Publish(did, "alice.test", "last #koe", nil, nil)
	waitFor(t, "the last post", func() bool { return r.sink.count("last #koe") == 1 })
	want := []string{"tagged by a facet #KOE", "tagged in text only #Koe!", "full-width ＃koe。", "the Voice Of the room", "last #koe"}
	if got := r.sink.texts(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	p, _ := r.sink.post("tagged by a facet #KOE")
	if p.Platform != koe.SourceBluesky || !strings.HasPrefix(p.ExternalID, "at://did:plc:alice/app.bsky.feed.post/") ||
		!strings.HasPrefix(p.Ref, "bafyrei") || p.Lang != "en" || p.PostedAt.IsZero() {
		t.Fatalf("mapped %+v", p)
	}
	if !r.sink.reported(func(s ingest.Status) bool { return s.State == "streaming" }) {
		t.Fatal("never reported streaming")
	}
}

func TestResumeRewindsFiveSeconds(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	var clock atomic.Int64
	t0 := time.Now().Add(-time.Hour)
	clock.Store(t0.UnixNano())
	srv.SetNow(func() time.Time { return time.Unix(0, clock.Load()) })
	at := func(d time.Duration) { clock.Store(t0.Add(d).UnixNano()) }
	did := "did:plc:bob"
	srv.Publish(did, "bob.test", "A too old #koe", nil, nil)
	at(7 * time.Second)
	srv.Publish(did, "bob.test", "A2 within the rewind #koe", nil, nil)
	at(10 * time.Second)
	b := srv.Publish(did, "bob.test", "B at the cursor #koe", nil, nil)
	at(20 * time.Second)
	srv.Publish(did, "bob.test", "C after #koe", nil, nil)
	r := start(t, config(srv), opts(), `{"time_us":`+itoa(b.TimeUS)+`}`)
	waitFor(t, "the replay", func() bool { return r.sink.count("C after #koe") == 1 })
	at(30 * time.Second)
	d := srv.Publish(did, "bob.test", "D live #koe", nil, nil)
	waitFor(t, "the live post", func() bool { return r.sink.count("D live #koe") == 1 })
	want := "A2 within the rewind #koe|B at the cursor #koe|C after #koe|D live #koe"
	if got := strings.Join(r.sink.texts(), "|"); got != want {
		t.Fatalf("delivered %s, want %s", got, want)
	}
	if want := `{"time_us":` + itoa(d.TimeUS) + `}`; r.sink.lastCursor() != want {
		t.Fatalf("cursor %s, want %s", r.sink.lastCursor(), want)
	}
}

func TestReconnectLosesNothing(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, config(srv))
	srv.Publish("did:plc:c", "c.test", "before #koe", nil, nil)
	waitFor(t, "the first post", func() bool { return r.sink.count("before #koe") == 1 })
	srv.Fail(2, http.StatusServiceUnavailable) // the next two handshakes
	srv.DropConnections()
	srv.Publish("did:plc:c", "c.test", "while down 1 #koe", nil, nil)
	srv.Publish("did:plc:c", "c.test", "while down 2 #koe", nil, nil)
	waitFor(t, "the replayed posts", func() bool {
		return r.sink.count("while down 1 #koe") == 1 && r.sink.count("while down 2 #koe") == 1
	})
	srv.Publish("did:plc:c", "c.test", "after #koe", nil, nil)
	waitFor(t, "the live post", func() bool { return r.sink.count("after #koe") == 1 })
	if r.sink.count("before #koe") != 1 {
		t.Fatal("a repeat of the rewind was delivered again in the same run")
	}
	if !r.sink.reported(func(s ingest.Status) bool { return s.State == "waiting" && s.Err != nil }) {
		t.Fatal("the drop was not reported")
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v", err)
	default:
	}
}

func TestJetstreamRefusedNeedsOrganizer(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	c := config(srv)
	c.Jetstream = strings.TrimSuffix(srv.JetstreamURL(), "/subscribe") + "/wrong"
	r := start(t, c, opts(), "")
	select {
	case err := <-r.done:
		r.done <- err
		if !errors.Is(err, ingest.ErrNeedsOrganizer) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run goes on against a 404")
	}
}

func TestSourceDownRetries(t *testing.T) {
	srv := blueskytest.New()
	srv.Close()
	c := config(srv)
	r := start(t, c, opts(), "")
	waitFor(t, "a waiting report", func() bool {
		return r.sink.reported(func(s ingest.Status) bool { return s.State == "waiting" && s.Err != nil })
	})
	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	r.done <- nil
}

func withAccount(srv *blueskytest.Server) koe.SourceConfig {
	srv.SetAccount("koe.test", "app-pass-word")
	c := config(srv)
	c.Handle, c.Secret = "koe.test", "app-pass-word"
	return c
}

func TestSearchFillsTheGap(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	srv.SetNow(func() time.Time { return time.Unix(0, clock.Load()) })
	c := withAccount(srv)
	r := startLive(t, srv, c)
	srv.Publish("did:plc:d", "d.test", "seen live #koe", nil, nil)
	waitFor(t, "the live post and search's position", func() bool {
		p, err := bluesky.ParseCursorForTest(r.sink.lastCursor())
		return r.sink.count("seen live #koe") == 1 && err == nil && p.Since != ""
	})
	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	r.done <- nil
	cursor := r.sink.lastCursor()

	// Posted while koe was away, longer ago than the Jetstream keeps.
	clock.Add(int64(time.Minute))
	srv.PublishPost(blueskytest.Post{DID: "did:plc:d", Handle: "d.test", Text: "missed 1", Tags: []string{"koe"},
		Images: []blueskytest.Image{{Alt: "a cat", CID: "bafkreicat"}}})
	srv.Publish("did:plc:e", "e.test", "missed 2 #koe", nil, nil)
	clock.Add(int64(48 * time.Hour)) // the server's clock is two days ahead of the client's
	srv.SetRetention(24 * time.Hour)

	r2 := start(t, c, opts(), cursor)
	waitFor(t, "the gap filled", func() bool {
		return r2.sink.count("missed 1 #koe") == 1 && r2.sink.count("missed 2 #koe") == 1
	})
	p, _ := r2.sink.post("missed 1 #koe")
	if p.AuthorHandle != "@d.test" || len(p.Media) != 1 || p.Media[0].Alt != "a cat" ||
		p.Media[0].URL != "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:d/bafkreicat@jpeg" ||
		!strings.HasPrefix(p.URL, "https://bsky.app/profile/d.test/post/") {
		t.Fatalf("mapped %+v", p)
	}
	waitFor(t, "the cursor past the gap", func() bool {
		before, _ := bluesky.ParseCursorForTest(cursor)
		after, _ := bluesky.ParseCursorForTest(r2.sink.lastCursor())
		return after.Since > before.Since
	})
}

func TestExpiredTokenIsRefreshed(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, withAccount(srv))
	waitFor(t, "a search", func() bool { return srv.Requests("app.bsky.feed.searchPosts") >= 1 })
	srv.ExpireTokens()
	waitFor(t, "a refresh", func() bool { return srv.Requests("com.atproto.server.refreshSession") == 1 })
	n := srv.Requests("app.bsky.feed.searchPosts")
	waitFor(t, "searches after the refresh", func() bool { return srv.Requests("app.bsky.feed.searchPosts") >= n+2 })
	if got := srv.Requests("com.atproto.server.createSession"); got != 1 {
		t.Fatalf("%d sign-ins, want 1", got)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v", err)
	default:
	}
}

func TestBadPasswordNeedsOrganizer(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	c := withAccount(srv)
	c.Secret = "wrong"
	r := start(t, c, opts(), "")
	err := <-r.done
	r.done <- err
	if !errors.Is(err, ingest.ErrNeedsOrganizer) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestRevokedMidRunNeedsOrganizer(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, withAccount(srv))
	waitFor(t, "a search", func() bool { return srv.Requests("app.bsky.feed.searchPosts") >= 1 })
	srv.SetAccount("koe.test", "a-new-password") // the app password was revoked
	select {
	case err := <-r.done:
		r.done <- err
		if !errors.Is(err, ingest.ErrNeedsOrganizer) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run goes on with a revoked password")
	}
}

func TestRateLimited(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, withAccount(srv))
	waitFor(t, "a search", func() bool { return srv.Requests("app.bsky.feed.searchPosts") >= 1 })
	srv.Fail(1, http.StatusTooManyRequests)
	waitFor(t, "the rate limit reported", func() bool {
		return r.sink.reported(func(s ingest.Status) bool { return s.RateLimit != nil && s.RateLimit.Remaining == 0 })
	})
	n := srv.Requests("app.bsky.feed.searchPosts")
	waitFor(t, "searches after the reset", func() bool { return srv.Requests("app.bsky.feed.searchPosts") > n })
}

func TestSlowInstance(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	o := opts()
	o.Client.Timeout = 200 * time.Millisecond
	c := withAccount(srv)
	r := start(t, c, o, "")
	waitFor(t, "a search and the stream", func() bool {
		return srv.Requests("app.bsky.feed.searchPosts") >= 1 && srv.Connections() == 1
	})
	srv.SetDelay(time.Second)
	srv.Publish("did:plc:f", "f.test", "while slow #koe", nil, nil)
	waitFor(t, "the post, not held back by profiles", func() bool { return r.sink.count("while slow #koe") == 1 })
	if p, _ := r.sink.post("while slow #koe"); p.AuthorHandle != "did:plc:f" {
		t.Fatalf("author %q, want the DID", p.AuthorHandle)
	}
	waitFor(t, "the timeout reported", func() bool {
		return r.sink.reported(func(s ingest.Status) bool { return s.Err != nil && strings.Contains(s.Err.Error(), "searchPosts") })
	})
	srv.SetDelay(0)
	n := srv.Requests("app.bsky.feed.searchPosts")
	waitFor(t, "searches again", func() bool { return srv.Requests("app.bsky.feed.searchPosts") > n+1 })
}

func TestDuplicatesDeliveredOnce(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, withAccount(srv))
	waitFor(t, "a search", func() bool { return srv.Requests("app.bsky.feed.searchPosts") >= 1 })
	ev := srv.Publish("did:plc:g", "g.test", "once #koe", nil, nil)
	srv.Resend(ev)
	waitFor(t, "the post", func() bool { return r.sink.count("once #koe") >= 1 })
	n := srv.Requests("app.bsky.feed.searchPosts")
	waitFor(t, "searches that find it too", func() bool { return srv.Requests("app.bsky.feed.searchPosts") >= n+3 })
	srv.Publish("did:plc:g", "g.test", "later #koe", nil, nil)
	waitFor(t, "a later post", func() bool { return r.sink.count("later #koe") == 1 })
	if got := r.sink.count("once #koe"); got != 1 {
		t.Fatalf("delivered %d times", got)
	}
}

func TestProfiles(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	srv.SetProfile("did:plc:h", "h.test", "Hana", "https://cdn.bsky.app/img/avatar/plain/did:plc:h/x@jpeg")
	r := startLive(t, srv, config(srv))
	srv.Publish("did:plc:h", "h.test", "with profile #koe", nil, nil)
	waitFor(t, "the post", func() bool { return r.sink.count("with profile #koe") == 1 })
	p, _ := r.sink.post("with profile #koe")
	if p.AuthorHandle != "@h.test" || p.AuthorName != "Hana" || !strings.HasSuffix(p.AuthorAvatar, "x@jpeg") ||
		!strings.HasPrefix(p.URL, "https://bsky.app/profile/h.test/post/") {
		t.Fatalf("author %+v", p)
	}
	calls := srv.Requests("app.bsky.actor.getProfiles")
	srv.Publish("did:plc:h", "h.test", "cached #koe", nil, nil)
	waitFor(t, "the second post", func() bool { return r.sink.count("cached #koe") == 1 })
	if srv.Requests("app.bsky.actor.getProfiles") != calls {
		t.Fatal("a cached profile was looked up again")
	}
}

func TestProfilesDownFallBackToDID(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, config(srv))
	srv.Fail(1, http.StatusInternalServerError)
	ev := srv.Publish("did:plc:i", "i.test", "no profile #koe", nil, nil)
	waitFor(t, "the post", func() bool { return r.sink.count("no profile #koe") == 1 })
	p, _ := r.sink.post("no profile #koe")
	if p.AuthorHandle != "did:plc:i" || p.URL != "https://bsky.app/profile/did:plc:i/post/"+ev.RKey {
		t.Fatalf("author %+v", p)
	}
	waitFor(t, "the error reported", func() bool {
		return r.sink.reported(func(s ingest.Status) bool { return s.Err != nil && strings.Contains(s.Err.Error(), "profiles") })
	})
}

func TestMalformedSkipped(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, config(srv))
	srv.Malformed(3)
	srv.Publish("did:plc:j", "j.test", "after garbage #koe", nil, nil)
	waitFor(t, "the post", func() bool { return r.sink.count("after garbage #koe") == 1 })
	waitFor(t, "the count reported", func() bool {
		return r.sink.reported(func(s ingest.Status) bool {
			return s.Err != nil && strings.Contains(s.Err.Error(), "skipped 3 malformed")
		})
	})
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v", err)
	default:
	}
}

func TestEngage(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	c := withAccount(srv)
	src, err := bluesky.New(&koe.Source{Kind: koe.SourceBluesky, Config: c}, opts())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := &koe.Post{Platform: koe.SourceBluesky, ExternalID: "at://did:plc:k/app.bsky.feed.post/3kabc", Ref: "bafyreipost"}
	if err := src.Engage(ctx, p, "like"); err != nil {
		t.Fatal(err)
	}
	if err := src.Engage(ctx, p, "repost"); err != nil {
		t.Fatal(err)
	}
	want := blueskytest.Subject{Repo: "did:plc:koe-test", URI: p.ExternalID, CID: p.Ref}
	if l, rp := srv.Likes(), srv.Reposts(); len(l) != 1 || l[0] != want || len(rp) != 1 || rp[0] != want {
		t.Fatalf("likes %v, reposts %v", l, rp)
	}
	if err := src.Engage(ctx, p, "favourite"); koe.ErrorCode(err) != koe.EINVALID {
		t.Fatalf("favourite: %v", err)
	}
	srv.ExpireTokens()
	if err := src.Engage(ctx, p, "like"); err != nil {
		t.Fatalf("like with an expired token: %v", err)
	}
	srv.Fail(1, http.StatusServiceUnavailable)
	if err := src.Engage(ctx, p, "like"); koe.ErrorCode(err) != koe.EUNAVAILABLE {
		t.Fatalf("like while down: %v", err)
	}
	srv.SetAccount("koe.test", "changed")
	if err := src.Engage(ctx, p, "like"); koe.ErrorCode(err) != koe.EFORBIDDEN {
		t.Fatalf("like with a revoked password: %v", err)
	}

	anon, err := bluesky.New(&koe.Source{Kind: koe.SourceBluesky, Config: config(srv)}, opts())
	if err != nil {
		t.Fatal(err)
	}
	if err := anon.Engage(ctx, p, "like"); koe.ErrorCode(err) != koe.EFORBIDDEN {
		t.Fatalf("like without an app password: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// back reports whether cursor b is behind a in either part.
func back(a, b string) bool {
	pa, err1 := bluesky.ParseCursorForTest(a)
	pb, err2 := bluesky.ParseCursorForTest(b)
	if err1 != nil || err2 != nil {
		return true
	}
	if pb.TimeUS < pa.TimeUS {
		return true
	}
	if pa.Since == "" {
		return false
	}
	ta, _ := time.Parse(time.RFC3339Nano, pa.Since)
	tb, err := time.Parse(time.RFC3339Nano, pb.Since)
	return err != nil || tb.Before(ta)
}

func TestBurstInBatches(t *testing.T) {
	srv := blueskytest.New()
	defer srv.Close()
	r := startLive(t, srv, config(srv))
	const n = 250
	for i := range n {
		srv.Publish("did:plc:l", "l.test", "burst "+strconv.Itoa(i)+" #koe", nil, nil)
	}
	waitFor(t, "the burst", func() bool { return len(r.sink.texts()) == n })
	for i := range n {
		if r.sink.count("burst "+strconv.Itoa(i)+" #koe") != 1 {
			t.Fatalf("post %d delivered %d times", i, r.sink.count("burst "+strconv.Itoa(i)+" #koe"))
		}
	}
}
