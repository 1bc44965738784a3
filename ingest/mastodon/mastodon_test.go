package mastodon_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ingest/mastodon"
	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

// sink records what a source delivers and reports, as koe's runner would
// store it.
type sink struct {
	mu       sync.Mutex
	batches  [][]koe.Post
	cursor   string
	statuses []ingest.Status
	fail     error
}

func (s *sink) Deliver(ctx context.Context, posts []koe.Post, cursor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.batches = append(s.batches, posts)
	if cursor != "" {
		s.cursor = cursor
	}
	return nil
}

func (s *sink) Report(st ingest.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

func (s *sink) posts() []koe.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []koe.Post
	for _, b := range s.batches {
		all = append(all, b...)
	}
	return all
}

func (s *sink) refs() []string {
	var refs []string
	for _, p := range s.posts() {
		refs = append(refs, p.Ref)
	}
	return refs
}

func (s *sink) savedCursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

func (s *sink) reported(state string, withErr bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.statuses {
		if st.State == state && (st.Err != nil) == withErr {
			return true
		}
	}
	return false
}

func (s *sink) lastState() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.statuses) == 0 {
		return ""
	}
	return s.statuses[len(s.statuses)-1].State
}

// fast are options for tests: quick polls and retries.
func fast() ingest.Options {
	return ingest.Options{Client: &http.Client{Timeout: 5 * time.Second}, PollEvery: 10 * time.Millisecond, Retry: 10 * time.Millisecond}
}

func newSource(t *testing.T, srv *mastodontest.Server, token string, opts ingest.Options, tags ...string) *mastodon.Source {
	t.Helper()
	src, err := mastodon.New(&koe.Source{Kind: koe.SourceMastodon, Config: koe.SourceConfig{Instance: srv.URL(), Hashtags: tags, Secret: token}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// running is a Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// start runs src in the background until the test ends.
func start(t *testing.T, src *mastodon.Source, cursor string, sk *sink) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = src.Run(ctx, cursor, sk)
		close(r.done)
	}()
	t.Cleanup(func() { r.stop() })
	return r
}

// wait waits for Run to return by itself and returns its error.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// stop ends Run and returns its error.
func (r *running) stop() error {
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(5 * time.Second):
		return errors.New("Run did not return after its context ended")
	}
}

// ended reports whether Run has returned.
func (r *running) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func publish(srv *mastodontest.Server, n int, tags ...string) []string {
	var ids []string
	for i := 0; i < n; i++ {
		p := mastodontest.Post{Text: fmt.Sprintf("post %d", i), Tags: tags, Acct: "alice", DisplayName: "Alice", Language: "en"}
		ids = append(ids, srv.Publish(p.Status(srv.URL())).ID)
	}
	return ids
}

func TestBackfillThenForwardPaging(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	publish(srv, 45, "pyconjp")
	old := srv.Statuses()
	publish(srv, 3, "other")

	sk := &sink{}
	src := newSource(t, srv, "", fast(), "PyConJP")
	r := start(t, src, "", sk)
	// A first run starts with the newest page: the 40 newest, oldest first.
	var want []string
	for _, st := range old[5:] {
		want = append(want, st.ID)
	}
	eventually(t, "the newest page", func() bool { return len(sk.refs()) >= 40 })
	if got := sk.refs(); !slices.Equal(got, want) {
		t.Fatalf("backfill delivered %v, want %v", got, want)
	}
	if sk.savedCursor() != want[39] {
		t.Fatalf("cursor %q, want the newest id %q", sk.savedCursor(), want[39])
	}
	// More than a page published at once: paged forward with min_id.
	want = append(want, publish(srv, 95, "pyconjp")...)
	eventually(t, "every new status", func() bool { return len(sk.refs()) >= len(want) })
	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if got := sk.refs(); !slices.Equal(got, want) {
		t.Fatalf("delivered %d statuses %v, want each once in order %v", len(got), got, want)
	}
	if sk.savedCursor() != want[len(want)-1] {
		t.Fatalf("cursor %q, want %q", sk.savedCursor(), want[len(want)-1])
	}
	sk.mu.Lock()
	for _, b := range sk.batches {
		if len(b) > 40 {
			t.Errorf("a batch of %d posts", len(b))
		}
	}
	sk.mu.Unlock()
	var minID bool
	for _, r := range srv.Requests() {
		if strings.Contains(r, "min_id=") && strings.Contains(r, "limit=40") {
			minID = true
		}
	}
	if !minID {
		t.Errorf("no request paged with min_id and limit=40: %v", srv.Requests())
	}
	if !sk.reported("polling", false) {
		t.Errorf("no \"polling\" report without a token: %+v", sk.statuses)
	}
}

func TestResumeFromCursor(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	ids := publish(srv, 10, "koe")
	sk := &sink{}
	r := start(t, newSource(t, srv, "", fast(), "koe"), ids[3], sk)
	eventually(t, "the statuses after the cursor", func() bool { return len(sk.refs()) >= 6 })
	more := publish(srv, 2, "koe")
	eventually(t, "the new statuses", func() bool { return len(sk.refs()) >= 8 })
	r.stop()
	if got, want := sk.refs(), append(slices.Clone(ids[4:]), more...); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}

	// A cursor newer than anything delivers nothing old, only what comes.
	sk2 := &sink{}
	r2 := start(t, newSource(t, srv, "", fast(), "koe"), more[1], sk2)
	time.Sleep(50 * time.Millisecond)
	if got := sk2.refs(); len(got) != 0 {
		t.Fatalf("delivered %v from the newest cursor", got)
	}
	last := publish(srv, 1, "koe")
	eventually(t, "the status after the newest cursor", func() bool { return len(sk2.refs()) == 1 })
	r2.stop()
	if sk2.refs()[0] != last[0] || sk2.savedCursor() != last[0] {
		t.Fatalf("delivered %v cursor %q, want %v", sk2.refs(), sk2.savedCursor(), last)
	}
}

func TestSeveralHashtags(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	a := publish(srv, 1, "pyconjp")
	publish(srv, 1, "elsewhere")
	b := publish(srv, 1, "pyconjp2026")
	ab := publish(srv, 1, "pyconjp", "pyconjp2026")
	sk := &sink{}
	r := start(t, newSource(t, srv, "", fast(), "pyconjp", "#PyConJP2026"), "", sk)
	eventually(t, "the tagged statuses", func() bool { return len(sk.refs()) >= 3 })
	c := publish(srv, 1, "pyconjp2026")
	eventually(t, "the new status", func() bool { return len(sk.refs()) >= 4 })
	r.stop()
	if got, want := sk.refs(), []string{a[0], b[0], ab[0], c[0]}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	for _, r := range srv.Requests() {
		u, _ := url.Parse(strings.TrimPrefix(r, "GET "))
		if !strings.HasPrefix(u.Path, "/api/v1/timelines/tag/pyconjp") || u.Query().Get("any[]") != "pyconjp2026" {
			t.Fatalf("request %q does not join the tags with any[]", r)
		}
	}
}

func TestStreaming(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	srv.SetToken("tok")
	srv.Heartbeat(5 * time.Millisecond)
	before := publish(srv, 2, "koe")
	opts := fast()
	opts.PollEvery = time.Hour // only the catch-up polls may ask the timeline
	sk := &sink{}
	r := start(t, newSource(t, srv, "tok", opts, "koe", "koejp"), "", sk)
	eventually(t, "both streams", func() bool { return srv.Streams() == 2 && sk.lastState() == "streaming" })
	if got := sk.refs(); !slices.Equal(got, before) {
		t.Fatalf("before streaming delivered %v, want %v", got, before)
	}
	polls := len(srv.Requests())
	live := publish(srv, 1, "koe", "koejp") // on both streams: delivered once
	other := publish(srv, 1, "koejp")
	eventually(t, "the streamed statuses", func() bool { return len(sk.refs()) >= 4 })
	srv.SendEvent("delete", live[0])
	srv.SendEvent("status.update", `{"id":"1","uri":"x"}`)
	time.Sleep(30 * time.Millisecond)
	if n := len(srv.Requests()); n != polls {
		t.Fatalf("%d requests while streaming, want none: %v", n-polls, srv.Requests()[polls:])
	}

	// The streams go down; what is published meanwhile comes by the poll
	// before reconnecting.
	srv.StreamsDown(true)
	eventually(t, "the drop reported", func() bool { return sk.reported("polling", true) })
	missed := publish(srv, 1, "koe")
	srv.StreamsDown(false)
	eventually(t, "the missed status", func() bool { return len(sk.refs()) >= 5 })
	eventually(t, "streaming again", func() bool { return srv.Streams() == 2 && sk.lastState() == "streaming" })
	after := publish(srv, 1, "koe")
	eventually(t, "a status after reconnecting", func() bool { return len(sk.refs()) >= 6 })
	r.stop()
	want := slices.Concat(before, live, other, missed, after)
	if got := sk.refs(); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	if sk.savedCursor() != after[0] {
		t.Fatalf("cursor %q, want %q", sk.savedCursor(), after[0])
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("budget spent", func(t *testing.T) {
		srv := mastodontest.New()
		defer srv.Close()
		srv.SetRateLimit(3, 200*time.Millisecond)
		sk := &sink{}
		r := start(t, newSource(t, srv, "", fast(), "koe"), "", sk)
		eventually(t, "waiting for the reset", func() bool { return sk.reported("waiting", false) })
		ids := publish(srv, 2, "koe")
		eventually(t, "statuses after the reset", func() bool { return len(sk.refs()) == 2 })
		r.stop()
		if !slices.Equal(sk.refs(), ids) {
			t.Fatalf("delivered %v, want %v", sk.refs(), ids)
		}
		sk.mu.Lock()
		defer sk.mu.Unlock()
		var limited bool
		for _, st := range sk.statuses {
			if st.State == "waiting" && st.RateLimit != nil && st.RateLimit.Limit == 3 && st.RateLimit.Remaining == 0 {
				limited = true
			}
		}
		if !limited {
			t.Fatalf("no \"waiting\" report with the spent budget: %+v", sk.statuses)
		}
	})
	t.Run("429", func(t *testing.T) {
		srv := mastodontest.New()
		defer srv.Close()
		srv.SetRateLimit(1, 300*time.Millisecond)
		opts := fast()
		// A clock ahead of the instance's sees the reset passed, so it
		// asks while the budget is spent and gets 429.
		opts.Now = func() time.Time { return time.Now().Add(time.Hour) }
		sk := &sink{}
		r := start(t, newSource(t, srv, "", opts, "koe"), "", sk)
		eventually(t, "the first poll", func() bool { return len(srv.Requests()) >= 1 })
		ids := publish(srv, 1, "koe")
		eventually(t, "the status after the 429", func() bool { return len(sk.refs()) == 1 })
		r.stop()
		if sk.refs()[0] != ids[0] || !sk.reported("waiting", false) {
			t.Fatalf("delivered %v, statuses %+v", sk.refs(), sk.statuses)
		}
	})
}

func TestTokenRevokedMidRun(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	srv.SetToken("tok")
	sk := &sink{}
	r := start(t, newSource(t, srv, "tok", fast(), "koe"), "", sk)
	eventually(t, "streaming", func() bool { return sk.lastState() == "streaming" })
	srv.SetToken("another")
	err := r.wait(t)
	if !errors.Is(err, ingest.ErrNeedsOrganizer) || !strings.Contains(err.Error(), "refused the access token") {
		t.Fatalf("Run returned %v, want the refused token, needing the organiser", err)
	}
}

func TestPublicTimelineDisabled(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	srv.RequireAuth(true)
	sk := &sink{}
	r := start(t, newSource(t, srv, "", fast(), "koe"), "", sk)
	err := r.wait(t)
	if !errors.Is(err, ingest.ErrNeedsOrganizer) || !strings.Contains(err.Error(), "does not serve its hashtag timeline publicly") ||
		!strings.Contains(err.Error(), "access token") {
		t.Fatalf("Run returned %v", err)
	}

	// With a token the same instance serves it.
	srv.SetToken("tok")
	ids := publish(srv, 1, "koe")
	sk2 := &sink{}
	r2 := start(t, newSource(t, srv, "tok", fast(), "koe"), "", sk2)
	eventually(t, "the status with a token", func() bool { return len(sk2.refs()) == 1 })
	r2.stop()
	if sk2.refs()[0] != ids[0] {
		t.Fatalf("delivered %v", sk2.refs())
	}
}

func TestFailuresThenResume(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fault switches the fault on (n > 0) and off (0); it stays on
		// until switched off, so that a request of the stopped Run still
		// reaching the server cannot use it up.
		fault func(s *mastodontest.Server, n int)
	}{
		{"malformed JSON", func(s *mastodontest.Server, n int) { s.Malformed(n) }},
		{"5xx", func(s *mastodontest.Server, n int) { s.Fail(n, http.StatusServiceUnavailable) }},
		{"slow", func(s *mastodontest.Server, n int) { s.Delay(time.Duration(n) * 5 * time.Millisecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mastodontest.New()
			defer srv.Close()
			first := publish(srv, 2, "koe")
			opts := fast()
			opts.Client = &http.Client{Timeout: time.Second}
			sk := &sink{}
			r := start(t, newSource(t, srv, "", opts, "koe"), "", sk)
			eventually(t, "the first statuses", func() bool { return len(sk.refs()) == 2 })
			r.stop()
			tc.fault(srv, 1000)
			second := publish(srv, 2, "koe")
			r = start(t, newSource(t, srv, "", opts, "koe"), sk.savedCursor(), sk)
			err := r.wait(t)
			if err == nil || errors.Is(err, ingest.ErrNeedsOrganizer) || errors.Is(err, context.Canceled) {
				t.Fatalf("Run returned %v, want an error koe retries", err)
			}
			if !sk.reported("polling", true) {
				t.Fatalf("the error was not reported: %+v", sk.statuses)
			}
			tc.fault(srv, 0)
			r = start(t, newSource(t, srv, "", opts, "koe"), sk.savedCursor(), sk)
			eventually(t, "the statuses after the failure", func() bool { return len(sk.refs()) == 4 })
			r.stop()
			if got, want := sk.refs(), append(first, second...); !slices.Equal(got, want) {
				t.Fatalf("delivered %v, want %v", got, want)
			}
		})
	}
}

func TestUnknownTagIsNoPosts(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	srv.Fail(2, http.StatusNotFound)
	sk := &sink{}
	r := start(t, newSource(t, srv, "", fast(), "koe"), "", sk)
	eventually(t, "polls past the 404s", func() bool { return len(srv.Requests()) >= 3 })
	ids := publish(srv, 1, "koe")
	eventually(t, "the status", func() bool { return len(sk.refs()) == 1 })
	if r.ended() {
		t.Fatalf("Run ended on a 404: %v", r.err)
	}
	r.stop()
	if sk.refs()[0] != ids[0] {
		t.Fatalf("delivered %v", sk.refs())
	}
}

func TestDeliverErrorEndsRun(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	publish(srv, 1, "koe")
	boom := errors.New("store down")
	sk := &sink{fail: boom}
	r := start(t, newSource(t, srv, "", fast(), "koe"), "", sk)
	if err := r.wait(t); !errors.Is(err, boom) {
		t.Fatalf("Run returned %v, want the Deliver error", err)
	}
}

func TestMapping(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL(), "http://")
	future := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Millisecond)
	orig := srv.Publish(mastodontest.Status{
		Content:     `<p>Slides: <a href="https://example.com/s"><span class="invisible">https://</span><span class="">example.com/s</span></a></p><p>&lt;3 &amp; more<br />line two</p>`,
		SpoilerText: "talk spoilers",
		Language:    "ja",
		CreatedAt:   future,
		Account:     mastodontest.Account{Acct: "bob@example.org", Username: "bob", DisplayName: ""},
		MediaAttachments: []mastodontest.MediaAttachment{
			{Type: "image", URL: "https://example.org/a.png", Description: "a slide"},
			{Type: "video", PreviewURL: "https://example.org/v.jpg"},
		},
		Tags: []mastodontest.Tag{{Name: "koe"}},
	})
	srv.Publish(mastodontest.Status{Reblog: &orig, Account: mastodontest.Account{Acct: "carol"}, Tags: []mastodontest.Tag{{Name: "koe"}}})
	local := srv.Publish(mastodontest.Post{Text: "こんにちは #koe\n二行目", Tags: []string{"koe"}, Acct: "alice", DisplayName: "アリス", Language: "ja"}.Status(srv.URL()))

	sk := &sink{}
	r := start(t, newSource(t, srv, "", fast(), "koe"), "", sk)
	eventually(t, "the statuses", func() bool { return len(sk.refs()) == 3 })
	r.stop()
	posts := sk.posts()
	want := koe.Post{
		Platform: koe.SourceMastodon, ExternalID: orig.URI, Ref: orig.ID,
		AuthorHandle: "@bob@example.org", AuthorName: "bob", AuthorAvatar: orig.Account.AvatarStatic,
		Text: "talk spoilers\nSlides: https://example.com/s\n\n<3 & more\nline two", Lang: "ja",
		PostedAt: future, URL: orig.URL,
		Media: []koe.PostMedia{{Type: "image", URL: "https://example.org/a.png", Alt: "a slide"}, {Type: "video", URL: "https://example.org/v.jpg"}},
	}
	for i, p := range posts[:2] {
		if fmt.Sprint(p) != fmt.Sprint(want) || !p.PostedAt.Equal(future) {
			t.Errorf("post %d (%s) is\n%+v\nwant the original\n%+v", i, []string{"original", "boost"}[i], p, want)
		}
	}
	// koe's Clean takes a future time (a skewed clock) as now.
	now := time.Now()
	if p := posts[0]; !p.Clean(now) || !p.PostedAt.Equal(now) {
		t.Errorf("the future post did not clean to now: %+v", p)
	}
	p := posts[2]
	if p.Text != "こんにちは #koe\n二行目" || p.AuthorHandle != "@alice@"+host || p.AuthorName != "アリス" || p.Ref != local.ID || p.ExternalID != local.URI {
		t.Errorf("the local post is %+v", p)
	}
}

func TestEngage(t *testing.T) {
	srv := mastodontest.New()
	defer srv.Close()
	srv.SetToken("tok")
	ids := publish(srv, 2, "koe")
	src := newSource(t, srv, "tok", fast(), "koe")
	ctx := context.Background()
	if err := src.Engage(ctx, &koe.Post{Ref: ids[0]}, "favourite"); err != nil {
		t.Fatal(err)
	}
	if err := src.Engage(ctx, &koe.Post{Ref: ids[1]}, "boost"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(srv.Favourited(), ids[:1]) || !slices.Equal(srv.Reblogged(), ids[1:]) {
		t.Fatalf("favourited %v, reblogged %v", srv.Favourited(), srv.Reblogged())
	}
	for _, tc := range []struct {
		name   string
		src    *mastodon.Source
		ref    string
		action string
		code   string
	}{
		{"no token", newSource(t, srv, "", fast(), "koe"), ids[0], "favourite", koe.EFORBIDDEN},
		{"unknown action", src, ids[0], "like", koe.EINVALID},
		{"unknown status", src, "999", "boost", koe.EUNAVAILABLE},
		{"refused token", newSource(t, srv, "old", fast(), "koe"), ids[0], "boost", koe.EFORBIDDEN},
	} {
		err := tc.src.Engage(ctx, &koe.Post{Ref: tc.ref}, tc.action)
		if koe.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if len(srv.Favourited()) != 1 || len(srv.Reblogged()) != 1 {
		t.Fatalf("a refused engagement reached the server: %v %v", srv.Favourited(), srv.Reblogged())
	}
}

func TestNew(t *testing.T) {
	for _, c := range []koe.SourceConfig{
		{Instance: "ftp://x", Hashtags: []string{"a"}},
		{Instance: "https://mastodon.social"},
		{Instance: "https://mastodon.social", Hashtags: []string{"#"}},
	} {
		if _, err := mastodon.New(&koe.Source{Config: c}, ingest.Options{}); err == nil {
			t.Errorf("New accepted %+v", c)
		}
	}
}
