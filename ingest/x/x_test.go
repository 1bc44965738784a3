package x

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ingest/x/xtest"
)

const bearer = "AAAAAAAAAAAAAAAAAAAAAtest"

// recorder is koe's side of a run: it keeps what the source delivers and
// reports.
type recorder struct {
	mu       sync.Mutex
	posts    []koe.Post
	cursor   string
	cursors  []string
	statuses []ingest.Status
	// onDeliver, when set, runs before each delivery is kept.
	onDeliver func()
}

func (r *recorder) Deliver(_ context.Context, posts []koe.Post, cursor string) error {
	if r.onDeliver != nil {
		r.onDeliver()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts = append(r.posts, posts...)
	if cursor != "" {
		r.cursor = cursor
		r.cursors = append(r.cursors, cursor)
	}
	return nil
}

func (r *recorder) Report(s ingest.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, s)
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.posts) }

func (r *recorder) saw(state string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.statuses {
		if s.State == state {
			return true
		}
	}
	return false
}

func (r *recorder) snapshot() ([]koe.Post, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]koe.Post(nil), r.posts...), r.cursor
}

func fastOptions() ingest.Options {
	return ingest.Options{Client: &http.Client{Timeout: 2 * time.Second}, PollEvery: 5 * time.Millisecond, Retry: 10 * time.Millisecond}
}

func newSource(t *testing.T, srv *xtest.Server, opts ingest.Options, hashtags, keywords []string) *Source {
	t.Helper()
	s, err := New(&koe.Source{Kind: koe.SourceX, Config: koe.SourceConfig{Instance: srv.URL(), Hashtags: hashtags,
		Keywords: keywords, Secret: bearer}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// running is a Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(s *Source, cursor string, sink ingest.Sink) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx, cursor, sink) }()
	return r
}

// stop ends the run and checks it ended as Run promises.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := r.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want context.Canceled", err)
	}
}

func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
		return nil
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

func publishN(srv *xtest.Server, n int, text string) []xtest.Tweet {
	var out []xtest.Tweet
	for i := 0; i < n; i++ {
		out = append(out, srv.Publish("user"+strconv.Itoa(i%7), "User", text+" "+strconv.Itoa(i), "en"))
	}
	return out
}

// checkOrder fails unless posts are strictly oldest first, none twice.
func checkOrder(t *testing.T, posts []koe.Post) {
	t.Helper()
	for i := 1; i < len(posts); i++ {
		if !newerID(posts[i].ExternalID, posts[i-1].ExternalID) {
			t.Fatalf("post %d (%s) is not newer than post %d (%s)", i, posts[i].ExternalID, i-1, posts[i-1].ExternalID)
		}
	}
}

func ids(tweets []xtest.Tweet) []string {
	var out []string
	for _, tw := range tweets {
		out = append(out, tw.ID)
	}
	return out
}

func postIDs(posts []koe.Post) []string {
	var out []string
	for _, p := range posts {
		out = append(out, p.ExternalID)
	}
	return out
}

func TestFirstPollTakesNewestPageThenPagesForward(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	old := publishN(srv, 130, "#PyConJP before")
	srv.Publish("bob", "Bob", "nothing to see", "en")
	src := newSource(t, srv, fastOptions(), []string{"pyconjp"}, nil)
	// More than two pages arrive between the first poll and the next.
	var newer []xtest.Tweet
	var rt xtest.Tweet
	rec := &recorder{}
	rec.onDeliver = func() {
		if newer == nil {
			newer = publishN(srv, 250, "more #pyconjp")
			rt = srv.Retweet("carol", "Carol", newer[0])
		}
	}
	run := start(src, "", rec)
	eventually(t, "the posts", func() bool { return rec.count() >= 350 })
	run.stop(t)
	posts, cursor := rec.snapshot()
	checkOrder(t, posts)
	if got, want := strings.Join(postIDs(posts[:100]), ","), strings.Join(ids(old[30:]), ","); got != want {
		t.Fatalf("first poll delivered %v, want the newest 100 oldest first", got)
	}
	if got, want := strings.Join(postIDs(posts[100:]), ","), strings.Join(ids(newer), ","); got != want {
		t.Fatalf("later polls delivered %d posts, want the 250 new ones, oldest first", len(posts)-100)
	}
	if cursor != newer[249].ID {
		t.Fatalf("cursor %s, want %s (retweet %s must not count)", cursor, newer[249].ID, rt.ID)
	}
	// One poll paged through all 250, delivered in batches of 100.
	if got, want := strings.Join(rec.cursors, ","), strings.Join([]string{old[129].ID, newer[99].ID, newer[199].ID, newer[249].ID}, ","); got != want {
		t.Fatalf("cursors %v, want %v", got, want)
	}
}

func TestResumeFromSavedCursor(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	publishN(srv, 5, "#koe")
	src := newSource(t, srv, fastOptions(), []string{"koe"}, nil)
	first := &recorder{}
	run := start(src, "", first)
	eventually(t, "the first posts", func() bool { return first.count() == 5 })
	run.stop(t)
	_, cursor := first.snapshot()

	later := publishN(srv, 7, "#KOE again")
	second := &recorder{}
	run = start(src, cursor, second)
	eventually(t, "the posts since the cursor", func() bool { return second.count() >= 7 })
	time.Sleep(30 * time.Millisecond) // a few more polls: nothing more may come
	run.stop(t)
	posts, cursor2 := second.snapshot()
	if got, want := strings.Join(postIDs(posts), ","), strings.Join(ids(later), ","); got != want {
		t.Fatalf("resumed run delivered %v, want %v", got, want)
	}
	if cursor2 != later[6].ID {
		t.Fatalf("cursor %s, want %s", cursor2, later[6].ID)
	}
}

func TestKeywordsAndHashtagsOred(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	want := []xtest.Tweet{
		srv.Publish("a", "A", "see you at #gophercon", "en"),
		srv.Publish("b", "B", "the Lightning Talks were great", "en"),
		srv.Publish("c", "C", "koe rocks", "en"),
		srv.Publish("d", "D", "from:bob is just text here", "en"),
	}
	srv.Publish("e", "E", "lightning and talks, apart", "en")
	srv.Publish("f", "F", "bob said hi", "en")
	src := newSource(t, srv, fastOptions(), []string{"GopherCon"}, []string{"lightning talks", "koe", "from:bob"})
	rec := &recorder{}
	run := start(src, "", rec)
	eventually(t, "the matching posts", func() bool { return rec.count() >= 4 })
	run.stop(t)
	posts, _ := rec.snapshot()
	if got, w := strings.Join(postIDs(posts), ","), strings.Join(ids(want), ","); got != w {
		t.Fatalf("got %v, want %v", got, w)
	}
}

func TestMappingEntitiesMediaAndLongPosts(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	photo := srv.Publish("alice", "Alice & Co", "Q&A <now> at #PyConJP: https://example.com/a?b=1&c=2 😀", "ja",
		xtest.Media{Type: "photo", URL: "https://pbs.twimg.com/media/a.jpg", AltText: "the stage"},
		xtest.Media{Type: "video", PreviewImageURL: "https://pbs.twimg.com/media/v.jpg"})
	long := srv.Publish("bob", "Bob", "#pyconjp "+strings.Repeat("長い", 200), "")
	src := newSource(t, srv, fastOptions(), []string{"pyconjp"}, nil)
	rec := &recorder{}
	run := start(src, "", rec)
	eventually(t, "the posts", func() bool { return rec.count() >= 2 })
	run.stop(t)
	posts, _ := rec.snapshot()
	p := posts[0]
	want := koe.Post{Platform: koe.SourceX, ExternalID: photo.ID, Ref: photo.ID, AuthorHandle: "@alice", AuthorName: "Alice & Co",
		AuthorAvatar: "https://pbs.twimg.com/profile_images/1000/alice_normal.jpg",
		Text:         "Q&A <now> at #PyConJP: https://example.com/a?b=1&c=2 😀", Lang: "ja", PostedAt: photo.CreatedAt,
		URL: "https://x.com/alice/status/" + photo.ID}
	if p.Platform != want.Platform || p.ExternalID != want.ExternalID || p.Ref != want.Ref || p.AuthorHandle != want.AuthorHandle ||
		p.AuthorName != want.AuthorName || p.AuthorAvatar != want.AuthorAvatar || p.Text != want.Text || p.Lang != want.Lang ||
		!p.PostedAt.Equal(want.PostedAt) || p.URL != want.URL {
		t.Fatalf("mapped\n%+v\nwant\n%+v", p, want)
	}
	if len(p.Media) != 2 || p.Media[0] != (koe.PostMedia{Type: "image", URL: "https://pbs.twimg.com/media/a.jpg", Alt: "the stage"}) ||
		p.Media[1] != (koe.PostMedia{Type: "video", URL: "https://pbs.twimg.com/media/v.jpg"}) {
		t.Fatalf("media %+v", p.Media)
	}
	if q := posts[1]; q.ExternalID != long.ID || q.Text != long.Text || q.Lang != "" {
		t.Fatalf("long post: text of %d characters, lang %q; want the whole %d and no language", len([]rune(q.Text)), q.Lang, len([]rune(long.Text)))
	}
}

func TestPaymentRequiredNeedsOrganizer(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	srv.Fail(1, http.StatusPaymentRequired)
	err := start(newSource(t, srv, fastOptions(), []string{"koe"}, nil), "", &recorder{}).wait(t)
	if !errors.Is(err, ingest.ErrNeedsOrganizer) || !strings.Contains(err.Error(), "Payment Required") {
		t.Fatalf("Run after 402: %v, want ErrNeedsOrganizer", err)
	}
}

func TestRevokedTokenNeedsOrganizer(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	publishN(srv, 3, "#koe")
	src := newSource(t, srv, fastOptions(), []string{"koe"}, nil)
	rec := &recorder{}
	run := start(src, "", rec)
	eventually(t, "the posts", func() bool { return rec.count() == 3 })
	srv.Revoke()
	err := run.wait(t)
	if !errors.Is(err, ingest.ErrNeedsOrganizer) || !strings.Contains(err.Error(), "X refused the bearer token") {
		t.Fatalf("Run after revoke: %v, want ErrNeedsOrganizer", err)
	}
}

// TestFaultsThenResume: a broken response, a server error or a timeout
// ends Run with an error that is not the organiser's to mend, and a new
// Run from the cursor delivered loses nothing.
func TestFaultsThenResume(t *testing.T) {
	faults := map[string]func(*xtest.Server){
		"malformed": func(s *xtest.Server) { s.Malformed(1) },
		"503":       func(s *xtest.Server) { s.Fail(1, http.StatusServiceUnavailable) },
		"500":       func(s *xtest.Server) { s.Fail(1, http.StatusInternalServerError) },
		"slow":      func(s *xtest.Server) { s.Delay(300 * time.Millisecond) },
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			srv := xtest.New(bearer)
			defer srv.Close()
			first := publishN(srv, 3, "#koe")
			opts := fastOptions()
			opts.Client.Timeout = 100 * time.Millisecond
			src := newSource(t, srv, opts, []string{"koe"}, nil)
			rec := &recorder{}
			run := start(src, "", rec)
			eventually(t, "the first posts", func() bool { return rec.count() == 3 })
			fault(srv)
			later := publishN(srv, 4, "#koe")
			err := run.wait(t)
			if err == nil || errors.Is(err, ingest.ErrNeedsOrganizer) || errors.Is(err, context.Canceled) {
				t.Fatalf("Run after %s: %v, want a retryable error", name, err)
			}
			srv.Delay(0)
			_, cursor := rec.snapshot()
			run = start(src, cursor, rec)
			eventually(t, "the later posts", func() bool { return rec.count() >= 7 })
			run.stop(t)
			posts, _ := rec.snapshot()
			if got, want := strings.Join(postIDs(posts), ","), strings.Join(ids(append(first, later...)), ","); got != want {
				t.Fatalf("delivered %v, want %v", got, want)
			}
		})
	}
}

func TestTooManyRequestsWaitsForReset(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	srv.SetRateLimit(2, time.Second)
	// Another client of the same app spends the budget.
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/2/tweets/search/recent?query=%23other", nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	publishN(srv, 3, "#koe")
	src := newSource(t, srv, fastOptions(), []string{"koe"}, nil)
	rec := &recorder{}
	run := start(src, "", rec)
	eventually(t, "the posts after the reset", func() bool { return rec.count() == 3 })
	run.stop(t)
	if srv.Throttled() != 1 {
		t.Fatalf("server answered 429 %d times, want once", srv.Throttled())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var waiting *ingest.Status
	for i, s := range rec.statuses {
		if s.State == "waiting" {
			waiting = &rec.statuses[i]
			break
		}
	}
	if waiting == nil || waiting.RateLimit == nil || waiting.RateLimit.Limit != 2 || waiting.RateLimit.Remaining != 0 || waiting.Err == nil {
		t.Fatalf("no waiting status with X's spent budget: %+v", rec.statuses)
	}
	if last := rec.statuses[len(rec.statuses)-1]; last.State != "polling" {
		t.Fatalf("last state %q, want polling", last.State)
	}
}

// TestPollingKeepsWithinRateLimit: with a poll interval far below what
// the budget allows, the source spreads its searches over the window and
// never gets a 429, also when X's clock is an hour off koe's.
func TestPollingKeepsWithinRateLimit(t *testing.T) {
	skews := []time.Duration{0, time.Hour, -time.Hour}
	servers := make([]*xtest.Server, len(skews))
	var wg sync.WaitGroup
	for i, skew := range skews {
		srv := xtest.New(bearer)
		defer srv.Close()
		srv.Skew(skew)
		srv.SetRateLimit(3, time.Second)
		servers[i] = srv
		opts := fastOptions()
		opts.PollEvery = time.Millisecond
		run := start(newSource(t, srv, opts, []string{"koe"}, nil), "", &recorder{})
		wg.Add(1)
		go func() { // the three run side by side: the test takes 2.5 s, not 7.5
			defer wg.Done()
			time.Sleep(2500 * time.Millisecond)
			run.cancel()
			if err := <-run.done; !errors.Is(err, context.Canceled) {
				t.Errorf("skew %v: Run after cancel: %v", skew, err)
			}
		}()
	}
	wg.Wait()
	for i, srv := range servers {
		// 2.5 s span at most three windows (the reset is told in whole
		// seconds, so the source may wait a little longer than needed).
		if n := srv.Requests(); n < 3 || n > 9 {
			t.Errorf("skew %v: %d searches in 2.5 s with 3 a second allowed", skews[i], n)
		}
		if n := srv.Throttled(); n != 0 {
			t.Errorf("skew %v: %d searches got 429", skews[i], n)
		}
	}
}

// TestPagingWaitsForBudget: pages of one poll that X's budget does not
// cover wait for its reset instead of getting 429.
func TestPagingWaitsForBudget(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	srv.SetRateLimit(3, time.Second)
	publishN(srv, 5, "#koe")
	src := newSource(t, srv, fastOptions(), []string{"koe"}, nil)
	rec := &recorder{}
	published := false
	rec.onDeliver = func() {
		if !published {
			published = true
			publishN(srv, 350, "#koe") // four pages: more than a window allows
		}
	}
	run := start(src, "", rec)
	eventually(t, "every post", func() bool { return rec.count() == 355 })
	run.stop(t)
	posts, _ := rec.snapshot()
	checkOrder(t, posts)
	if srv.Throttled() != 0 || !rec.saw("waiting") {
		t.Fatalf("%d searches got 429; waiting reported: %v", srv.Throttled(), rec.saw("waiting"))
	}
}

func TestIntervalDefaults(t *testing.T) {
	r := &run{Source: &Source{opts: ingest.Options{}.Defaults()}}
	if d := r.interval(); d != 15*time.Second {
		t.Fatalf("interval without X's headers %v, want 15s", d)
	}
	now := time.Now()
	r.opts.Now = func() time.Time { return now }
	h := http.Header{}
	h.Set("x-rate-limit-limit", "60")
	h.Set("x-rate-limit-remaining", "59")
	h.Set("x-rate-limit-reset", strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10))
	r.noteRateLimit(h)
	if d := r.interval(); d < 15*time.Second || d > 16*time.Second {
		t.Fatalf("interval with 60 per 15 minutes %v, want about 15s", d)
	}
}

func TestStaleCursorStartsFromNewest(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	tweets := publishN(srv, 3, "#koe")
	src := newSource(t, srv, fastOptions(), []string{"koe"}, nil)
	rec := &recorder{}
	run := start(src, xtest.IDAt(time.Now().Add(-8*24*time.Hour)), rec)
	eventually(t, "the newest posts", func() bool { return rec.count() == 3 })
	run.stop(t)
	if _, cursor := rec.snapshot(); cursor != tweets[2].ID {
		t.Fatalf("cursor %s, want %s", cursor, tweets[2].ID)
	}
}

func TestNewValidates(t *testing.T) {
	_, err := New(&koe.Source{Kind: koe.SourceX, Config: koe.SourceConfig{Hashtags: []string{"koe"}}}, ingest.Options{})
	if koe.ErrorCode(err) != koe.EINVALID {
		t.Fatalf("no bearer token: %v, want EINVALID", err)
	}
	var long []string
	for i := 0; i < 10; i++ {
		long = append(long, strings.Repeat("word", 12)+strconv.Itoa(i))
	}
	_, err = New(&koe.Source{Kind: koe.SourceX, Config: koe.SourceConfig{Keywords: long, Secret: "t"}}, ingest.Options{})
	var e *koe.Error
	if !errors.As(err, &e) || e.Code != koe.EINVALID || e.Limit != MaxQuery {
		t.Fatalf("too long a query: %v, want EINVALID with limit %d", err, MaxQuery)
	}
	s, err := New(&koe.Source{Kind: koe.SourceX, Config: koe.SourceConfig{Hashtags: []string{"koe"}, Secret: "t"}}, ingest.Options{})
	if err != nil || s.base != DefaultInstance {
		t.Fatalf("New: %v, base %q", err, s.base)
	}
}

func TestBuildQuery(t *testing.T) {
	cases := []struct {
		hashtags, keywords []string
		want               string
	}{
		{[]string{"pyconjp"}, nil, "(#pyconjp) -is:retweet"},
		{[]string{"#a", "b"}, []string{"go", "lightning talk", "from:bob", "OR", `say "hi"`, "A"}, `(#a OR #b OR go OR "lightning talk" OR "from:bob" OR "OR" OR "say hi" OR A) -is:retweet`},
		{[]string{"日本語"}, []string{"ｋｏｅ"}, "(#日本語 OR ｋｏｅ) -is:retweet"},
	}
	for _, c := range cases {
		got, err := buildQuery(c.hashtags, c.keywords)
		if err != nil || got != c.want {
			t.Errorf("buildQuery(%q, %q) = %q, %v; want %q", c.hashtags, c.keywords, got, err, c.want)
		}
	}
	for _, bad := range [][]string{{"a b"}, {"x)"}, {""}} {
		if _, err := buildQuery(bad, nil); koe.ErrorCode(err) != koe.EINVALID {
			t.Errorf("buildQuery(%q): %v, want EINVALID", bad, err)
		}
	}
}

// TestDeliverSortsAndDropsRepeats: pages that overlap (X's paging shifted
// by a new post) deliver each post once, oldest first, in batches whose
// cursor is their newest post.
func TestDeliverSortsAndDropsRepeats(t *testing.T) {
	rec := &recorder{}
	r := &run{sink: rec, cursor: "5"}
	var posts []koe.Post
	for _, id := range []string{"300", "120", "99", "120", "7", "250", "99"} {
		posts = append(posts, koe.Post{ExternalID: id})
	}
	for i := 1000; i < 1150; i++ {
		posts = append(posts, koe.Post{ExternalID: strconv.Itoa(i)})
	}
	if err := r.deliver(context.Background(), posts, "1149"); err != nil {
		t.Fatal(err)
	}
	checkOrder(t, rec.posts)
	if len(rec.posts) != 155 || strings.Join(rec.cursors, ",") != "1094,1149" || r.cursor != "1149" {
		t.Fatalf("delivered %d posts, cursors %v, run cursor %s", len(rec.posts), rec.cursors, r.cursor)
	}
}

// TestFuturePostsPassThrough: a post X dates after koe's now (X's clock
// ahead) is delivered as X dates it; koe's Post.Clean decides.
func TestFuturePostsPassThrough(t *testing.T) {
	srv := xtest.New(bearer)
	defer srv.Close()
	srv.Skew(time.Hour)
	tw := srv.Publish("alice", "Alice", "#koe from the future", "en")
	rec := &recorder{}
	run := start(newSource(t, srv, fastOptions(), []string{"koe"}, nil), "", rec)
	eventually(t, "the post", func() bool { return rec.count() == 1 })
	run.stop(t)
	posts, _ := rec.snapshot()
	if !posts[0].PostedAt.Equal(tw.CreatedAt) || !posts[0].PostedAt.After(time.Now().Add(50*time.Minute)) {
		t.Fatalf("posted at %v, want %v", posts[0].PostedAt, tw.CreatedAt)
	}
	if p := posts[0]; !p.Clean(time.Now()) || p.PostedAt.After(time.Now()) {
		t.Fatalf("Clean kept a future time: %v", p.PostedAt)
	}
}
