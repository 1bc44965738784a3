package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func newSource(t *testing.T, s koe.Store, eventID int64, secret string) *koe.Source {
	t.Helper()
	src := &koe.Source{EventID: eventID, Kind: koe.SourceMastodon, Name: "Mastodon", Enabled: true,
		Config: koe.SourceConfig{Instance: "https://mastodon.example", Hashtags: []string{"koe"}, Keywords: []string{}, Secret: secret}}
	if err := src.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSource(t.Context(), src); err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	return src
}

// newPost is a post as a platform's client delivers it.
func newPost(id, text string) *koe.Post {
	return &koe.Post{Platform: koe.SourceMastodon, ExternalID: "https://mastodon.example/statuses/" + id, Ref: id,
		AuthorHandle: "@ann@mastodon.example", AuthorName: "Ann", Text: text, Lang: "en",
		PostedAt: time.Date(2030, 5, 17, 10, 0, 0, 123456789, time.UTC), URL: "https://mastodon.example/@ann/" + id}
}

func ingest(t *testing.T, s koe.Store, sourceID int64, cursor string, posts ...*koe.Post) []*koe.Post {
	t.Helper()
	in := make([]koe.IngestedPost, len(posts))
	for i, p := range posts {
		in[i] = koe.IngestedPost{Post: p}
	}
	stored, err := s.IngestPosts(t.Context(), sourceID, in, cursor)
	if err != nil {
		t.Fatalf("IngestPosts: %v", err)
	}
	return stored
}

func postIDs(ps []*koe.Post) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func changeTypes(cs []koe.Change) []koe.ChangeType {
	out := make([]koe.ChangeType, len(cs))
	for i, c := range cs {
		out[i] = c.Type
	}
	return out
}

// testSources: a source's configuration is versioned and recorded without
// its secret; its health is kept apart, unversioned.
func testSources(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "feed")
	other := newEvent(t, s, "other")
	h := head(t, s)
	src := newSource(t, s, e.ID, "s3cret-token")
	if src.ID == 0 || src.Version != 1 || src.EventID != e.ID || !src.Config.SecretSet || src.Cursor != "" {
		t.Errorf("CreateSource = %+v", src)
	}
	checkTime(t, "source CreatedAt", src.CreatedAt)
	checkTime(t, "source UpdatedAt", src.UpdatedAt)
	wantCode(t, "CreateSource(no event)", s.CreateSource(ctx, &koe.Source{EventID: other.ID + 1000, Kind: koe.SourceWebhook, Name: "w"}), koe.ENOTFOUND)
	otherSrc := &koe.Source{EventID: other.ID, Kind: koe.SourceWebhook, Name: "relay", Config: koe.SourceConfig{Hashtags: []string{}, Keywords: []string{}}}
	if err := s.CreateSource(ctx, otherSrc); err != nil {
		t.Fatal(err)
	}

	got, err := s.Source(ctx, e.ID, src.ID)
	if err != nil || got.Config.Secret != "s3cret-token" || got.Cursor != "" {
		t.Fatalf("Source = %+v, %v; want its secret", got, err)
	}
	same(t, "Source", got, src)
	if anyEvent, err := s.Source(ctx, 0, src.ID); err != nil || anyEvent.ID != src.ID {
		t.Errorf("Source(any event) = %+v, %v", anyEvent, err)
	}
	_, err = s.Source(ctx, other.ID, src.ID)
	wantCode(t, "Source(other event)", err, koe.ENOTFOUND)

	renamed, err := s.UpdateSource(ctx, e.ID, src.ID, koe.SourceUpdate{Name: ptr("Fediverse")})
	if err != nil || renamed.Name != "Fediverse" || renamed.Version != 2 || renamed.Config.Secret != "s3cret-token" {
		t.Errorf("UpdateSource(name) = %+v, %v", renamed, err)
	}
	if unchanged, err := s.UpdateSource(ctx, e.ID, src.ID, koe.SourceUpdate{Name: ptr("Fediverse")}); err != nil || unchanged.Version != 2 {
		t.Errorf("UpdateSource(no change) = %+v, %v; want version 2", unchanged, err)
	}
	rotated, err := s.UpdateSource(ctx, e.ID, src.ID, koe.SourceUpdate{Secret: ptr("n3w-token")})
	if err != nil || rotated.Version != 3 || rotated.Config.Secret != "n3w-token" {
		t.Errorf("UpdateSource(secret) = %+v, %v; want version 3 with the new secret", rotated, err)
	}
	_, err = s.UpdateSource(ctx, other.ID, src.ID, koe.SourceUpdate{Name: ptr("x")})
	wantCode(t, "UpdateSource(other event)", err, koe.ENOTFOUND)
	_, err = s.UpdateSource(ctx, 0, src.ID, koe.SourceUpdate{Name: ptr("x")})
	wantCode(t, "UpdateSource(event 0)", err, koe.ENOTFOUND)

	at := time.Date(2030, 5, 17, 10, 0, 0, 0, time.UTC)
	health := koe.SourceHealth{State: "streaming", LastPostAt: &at, LagSeconds: 1.5, Posts: 3, UpdatedAt: at,
		RateLimit: &koe.RateLimit{Limit: 300, Remaining: 299, Reset: at}}
	must(t, "SaveSourceHealth", s.SaveSourceHealth(ctx, src.ID, health))
	wantCode(t, "SaveSourceHealth(unknown)", s.SaveSourceHealth(ctx, src.ID+1000, health), koe.ENOTFOUND)
	got, err = s.Source(ctx, e.ID, src.ID)
	if err != nil || got.Version != 3 || got.UpdatedAt != rotated.UpdatedAt {
		t.Errorf("Source after SaveSourceHealth = %+v, %v; want version 3, unchanged", got, err)
	}
	same(t, "health", got.Health, health)

	list, err := s.Sources(ctx, e.ID)
	if err != nil || len(list) != 1 || list[0].ID != src.ID || list[0].Config.Secret != "n3w-token" {
		t.Errorf("Sources(event) = %+v, %v", list, err)
	}
	if all, err := s.Sources(ctx, 0); err != nil || len(all) != 2 || all[0].ID != src.ID || all[1].ID != otherSrc.ID {
		t.Errorf("Sources(every event) = %+v, %v; want both by id", all, err)
	}

	wantCode(t, "DeleteSource(other event)", s.DeleteSource(ctx, other.ID, src.ID), koe.ENOTFOUND)
	must(t, "DeleteSource", s.DeleteSource(ctx, e.ID, src.ID))
	_, err = s.Source(ctx, e.ID, src.ID)
	wantCode(t, "Source(deleted)", err, koe.ENOTFOUND)
	wantCode(t, "DeleteSource(again)", s.DeleteSource(ctx, e.ID, src.ID), koe.ENOTFOUND)

	changes := readAll(t, s, h)
	want := []koe.ChangeType{koe.SourceCreated, koe.SourceCreated, koe.SourceUpdated, koe.SourceUpdated, koe.SourceDeleted}
	if got := changeTypes(changes); !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	for _, c := range changes {
		if strings.Contains(string(c.Data)+string(c.Before), "token") {
			t.Errorf("%s records the secret: %s / %s", c.Type, c.Data, c.Before)
		}
	}
	if changes[2].Before == nil || !strings.Contains(string(changes[2].Before), `"Mastodon"`) {
		t.Errorf("SourceUpdated before = %s; want the old name", changes[2].Before)
	}
}

// testIngest: posts are stored once per (platform, external id), with
// their reviews, and the cursor with them or not at all.
func testIngest(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "feed")
	src := newSource(t, s, e.ID, "")
	h := head(t, s)

	a, b := newPost("1", "first #koe"), newPost("2", "second #koe")
	b.Media = []koe.PostMedia{{Type: "image", URL: "https://files.example/b.png", Alt: "a cat"}}
	stored := ingest(t, s, src.ID, "c1", a, b, newPost("1", "first again"))
	if len(stored) != 2 || a.ID == 0 || b.ID == 0 || stored[0].ID != a.ID || stored[1].ID != b.ID {
		t.Fatalf("IngestPosts = %+v; want the two posts, ids set", stored)
	}
	for _, p := range stored {
		if p.EventID != e.ID || p.SourceID != src.ID || p.Version != 1 || p.Status != koe.StatusApproved || p.Hidden || p.FeaturedAt != nil {
			t.Errorf("stored post %+v", p)
		}
		checkTime(t, "post CreatedAt", p.CreatedAt)
		checkTime(t, "post PostedAt", p.PostedAt)
	}
	got, err := s.Post(ctx, e.ID, a.ID)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	same(t, "Post", got, a)
	if mustJSON(got.Media) != "[]" || mustJSON(got.Engaged) != "[]" || string(got.Reasons) != "[]" || got.Score != nil || got.Ref != "1" {
		t.Errorf("Post lists = media %s, engaged %s, reasons %s, score %s, ref %q; want [] and no score", mustJSON(got.Media), mustJSON(got.Engaged), got.Reasons, got.Score, got.Ref)
	}
	if got, _ := s.Post(ctx, e.ID, b.ID); len(got.Media) != 1 || got.Media[0] != b.Media[0] {
		t.Errorf("Post media = %+v, want %+v", got.Media, b.Media)
	}
	if cur, _ := s.Source(ctx, e.ID, src.ID); cur.Cursor != "c1" || cur.Version != 1 {
		t.Errorf("source after ingest: cursor %q, version %d; want c1, 1", cur.Cursor, cur.Version)
	}
	if renamed, err := s.UpdateSource(ctx, e.ID, src.ID, koe.SourceUpdate{Hashtags: &[]string{"koe", "conf"}}); err != nil || renamed.Cursor != "c1" {
		t.Errorf("UpdateSource after ingest = %+v, %v; want the cursor kept", renamed, err)
	}

	// A pending post and its review.
	c := newPost("3", "buy now")
	c.Status, c.Reasons = koe.StatusPending, []byte(`[{"kind":"mode","name":"pre","action":"queue"}]`)
	rev := &koe.Review{State: koe.ReviewPending, Reasons: c.Reasons, Score: []byte(`{"bad":0.9,"ngrams":[]}`), Body: c.Text}
	out, err := s.IngestPosts(ctx, src.ID, []koe.IngestedPost{{Post: newPost("1", "dup")}, {Post: c, Review: rev}}, "")
	if err != nil || len(out) != 1 || out[0].ID != c.ID || c.Status != koe.StatusPending {
		t.Fatalf("IngestPosts(pending) = %+v, %v", out, err)
	}
	if rev.ID == 0 || rev.Kind != koe.ReviewPost || rev.SubjectID != c.ID || rev.EventID != e.ID || rev.TalkID != 0 ||
		rev.QuestionID != 0 || rev.ParticipantID != 0 || rev.AuthorName != c.AuthorHandle || rev.Banned || rev.Version != 1 {
		t.Errorf("post review = %+v", rev)
	}
	if gotRev, err := s.Review(ctx, e.ID, rev.ID); err != nil {
		t.Errorf("Review(post) = %v", err)
	} else {
		same(t, "Review(post)", gotRev, rev)
	}
	if open, err := s.Reviews(ctx, koe.ReviewQuery{EventID: e.ID, Open: true, Limit: 10}); err != nil || len(open) != 1 || open[0].ID != rev.ID {
		t.Errorf("Reviews(open) = %+v, %v; want the post's", open, err)
	}
	if counts, err := s.ReviewCounts(ctx, e.ID, 0, time.Now().Add(-time.Minute)); err != nil || counts.Pending != 1 {
		t.Errorf("ReviewCounts = %+v, %v; want 1 pending", counts, err)
	}
	if cur, _ := s.Source(ctx, e.ID, src.ID); cur.Cursor != "c1" {
		t.Errorf("cursor %q after an ingest without one; want c1 kept", cur.Cursor)
	}
	changes := readAll(t, s, h)
	if got, want := changeTypes(changes), []koe.ChangeType{koe.PostCreated, koe.PostCreated, koe.SourceUpdated, koe.PostCreated, koe.ReviewCreated}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	if string(changes[0].Data) != mustJSON(a) || changes[0].EventID != e.ID || changes[0].Visibility != koe.VisibleStaff {
		t.Errorf("PostCreated = %s (%s), want %s", changes[0].Data, changes[0].Visibility, mustJSON(a))
	}

	// Known posts: by platform and external id, in the event.
	known, err := s.KnownPosts(ctx, e.ID, koe.SourceMastodon, []string{a.ExternalID, "https://elsewhere/1", c.ExternalID})
	slices.Sort(known)
	if want := []string{a.ExternalID, c.ExternalID}; err != nil || !slices.Equal(known, want) {
		t.Errorf("KnownPosts = %q, %v; want %q", known, err, want)
	}
	if none, err := s.KnownPosts(ctx, e.ID, koe.SourceBluesky, []string{a.ExternalID}); err != nil || len(none) != 0 {
		t.Errorf("KnownPosts(other platform) = %q, %v; want none", none, err)
	}
	if none, err := s.KnownPosts(ctx, e.ID, koe.SourceMastodon, nil); err != nil || none == nil || len(none) != 0 {
		t.Errorf("KnownPosts(no ids) = %#v, %v; want empty", none, err)
	}

	// A failing call stores neither its posts nor its cursor.
	good, bad := newPost("4", "fine"), newPost("5", "from nowhere")
	bad.Platform = "myspace"
	_, err = s.IngestPosts(ctx, src.ID, []koe.IngestedPost{{Post: good}, {Post: bad}}, "c2")
	if err == nil {
		t.Errorf("IngestPosts(unknown platform) succeeded")
	}
	_, err = s.IngestPosts(ctx, src.ID+1000, []koe.IngestedPost{{Post: newPost("6", "lost")}}, "c3")
	wantCode(t, "IngestPosts(unknown source)", err, koe.ENOTFOUND)
	gone := newSource(t, s, e.ID, "")
	must(t, "DeleteSource", s.DeleteSource(ctx, e.ID, gone.ID))
	_, err = s.IngestPosts(ctx, gone.ID, []koe.IngestedPost{{Post: newPost("7", "late")}}, "c4")
	wantCode(t, "IngestPosts(deleted source)", err, koe.ENOTFOUND)
	if k, _ := s.KnownPosts(ctx, e.ID, koe.SourceMastodon, []string{good.ExternalID, newPost("6", "").ExternalID, newPost("7", "").ExternalID}); len(k) != 0 {
		t.Errorf("failed ingests stored %q", k)
	}
	if cur, _ := s.Source(ctx, e.ID, src.ID); cur.Cursor != "c1" {
		t.Errorf("cursor %q after a failed ingest; want c1", cur.Cursor)
	}
	if got := readAll(t, s, head(t, s)); len(got) != 0 {
		t.Errorf("failed ingests recorded %v", changeTypes(got))
	}

	// Another event may have the same post.
	e2 := newEvent(t, s, "feed2")
	if got := ingest(t, s, newSource(t, s, e2.ID, "").ID, "", newPost("1", "first #koe")); len(got) != 1 {
		t.Errorf("the same post in another event: stored %d, want 1", len(got))
	}
}

// testIngestConcurrent: replicas delivering the same posts at once (a
// lease hand-over, two sources following one hashtag) store each once.
func testIngestConcurrent(t *testing.T, s koe.Store) {
	e := newEvent(t, s, "feed")
	sources := []*koe.Source{newSource(t, s, e.ID, ""), newSource(t, s, e.ID, "")}
	const posts, callers = 12, 8
	var wg sync.WaitGroup
	stored := make([]int, callers)
	for i := range callers {
		wg.Go(func() {
			in := make([]koe.IngestedPost, posts)
			for j := range in {
				k := j
				if i%2 == 1 {
					k = posts - 1 - j // another order
				}
				p := newPost(fmt.Sprint(k), "same")
				p.Status = koe.StatusPending
				in[j] = koe.IngestedPost{Post: p, Review: &koe.Review{State: koe.ReviewPending, Reasons: []byte(`[]`)}}
			}
			out, err := s.IngestPosts(t.Context(), sources[i%2].ID, in, fmt.Sprint("cursor-", i))
			if err != nil {
				t.Errorf("IngestPosts #%d: %v", i, err)
			}
			stored[i] = len(out)
		})
	}
	wg.Wait()
	total := 0
	for _, n := range stored {
		total += n
	}
	list, err := s.Posts(t.Context(), koe.PostQuery{EventID: e.ID, Limit: 100})
	if err != nil || total != posts || len(list) != posts {
		t.Errorf("stored %d posts by the calls, %d listed (%v); want %d", total, len(list), err, posts)
	}
	if open, _ := s.Reviews(t.Context(), koe.ReviewQuery{EventID: e.ID, Open: true, Limit: 100}); len(open) != posts {
		t.Errorf("%d reviews, want %d", len(open), posts)
	}
	for _, src := range sources {
		if cur, _ := s.Source(t.Context(), e.ID, src.ID); !strings.HasPrefix(cur.Cursor, "cursor-") {
			t.Errorf("source %d cursor %q", src.ID, cur.Cursor)
		}
	}
}

// testPostLists: an event's posts, newest first, by status, in pages.
func testPostLists(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e, other := newEvent(t, s, "feed"), newEvent(t, s, "other")
	src := newSource(t, s, e.ID, "")
	var all []*koe.Post
	for i := range 5 {
		p := newPost(fmt.Sprint(i), fmt.Sprint("post ", i))
		if i%2 == 1 {
			p.Status = koe.StatusPending
		}
		all = append(all, p)
	}
	ingest(t, s, src.ID, "", all...)
	ingest(t, s, newSource(t, s, other.ID, "").ID, "", newPost("9", "elsewhere"))
	newest := slices.Clone(all)
	slices.Reverse(newest)

	list := func(q koe.PostQuery) []int64 {
		t.Helper()
		ps, err := s.Posts(ctx, q)
		if err != nil {
			t.Fatalf("Posts(%+v): %v", q, err)
		}
		return postIDs(ps)
	}
	if got, want := list(koe.PostQuery{EventID: e.ID}), postIDs(newest); !slices.Equal(got, want) {
		t.Errorf("Posts = %v, want %v", got, want)
	}
	if got, want := list(koe.PostQuery{EventID: e.ID, Status: koe.StatusPending}), []int64{all[3].ID, all[1].ID}; !slices.Equal(got, want) {
		t.Errorf("Posts(pending) = %v, want %v", got, want)
	}
	if got, want := list(koe.PostQuery{EventID: e.ID, Status: koe.StatusApproved, Before: all[4].ID, Limit: 1}), []int64{all[2].ID}; !slices.Equal(got, want) {
		t.Errorf("Posts(approved, before) = %v, want %v", got, want)
	}
	var paged []int64
	q := koe.PostQuery{EventID: e.ID, Limit: 2}
	for range 4 {
		page := list(q)
		paged = append(paged, page...)
		if len(page) < q.Limit {
			break
		}
		q.Before = page[len(page)-1]
	}
	if want := postIDs(newest); !slices.Equal(paged, want) {
		t.Errorf("Posts in pages of 2 = %v, want %v", paged, want)
	}
	if got := list(koe.PostQuery{EventID: other.ID + 1000}); len(got) != 0 {
		t.Errorf("Posts(no event) = %v", got)
	}
	_, err := s.Post(ctx, other.ID, all[0].ID)
	wantCode(t, "Post(other event)", err, koe.ENOTFOUND)
}

// testFeature: operators hide, engage and feature posts; an event features
// one post at a time, and what it features is recorded for the screen.
func testFeature(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "feed")
	src := newSource(t, s, e.ID, "")
	held := newPost("3", "held")
	held.Status = koe.StatusPending
	ingest(t, s, src.ID, "", newPost("1", "one"), newPost("2", "two"), held)
	ps, _ := s.Posts(ctx, koe.PostQuery{EventID: e.ID})
	a, b := ps[2], ps[1]
	now := time.Date(2030, 5, 17, 10, 0, 0, 123456789, time.UTC)
	update := func(p *koe.Post, u koe.PostUpdate) *koe.Post {
		t.Helper()
		got, err := s.UpdatePost(ctx, e.ID, p.ID, u, now)
		if err != nil {
			t.Fatalf("UpdatePost(%d, %+v): %v", p.ID, u, err)
		}
		return got
	}
	featured := func() int64 {
		t.Helper()
		p, err := s.FeaturedPost(ctx, e.ID)
		if koe.ErrorCode(err) == koe.ENOTFOUND {
			return 0
		}
		if err != nil {
			t.Fatalf("FeaturedPost: %v", err)
		}
		return p.ID
	}
	// lastFeatured reads the changes after h and returns them with the
	// post the last PostFeatured shows (0: none).
	lastFeatured := func(h koe.OutboxPos) ([]koe.ChangeType, int64) {
		t.Helper()
		changes := readAll(t, s, h)
		var id int64 = -1
		for _, c := range changes {
			if c.Type != koe.PostFeatured {
				continue
			}
			if c.Visibility != koe.VisiblePublic {
				t.Errorf("PostFeatured visibility %s", c.Visibility)
			}
			var f koe.Featured
			must(t, "decode PostFeatured", json.Unmarshal(c.Data, &f))
			id = 0
			if f.Post != nil {
				id = f.Post.ID
				if !strings.Contains(string(c.Data), `"reasons":null`) || !strings.Contains(string(c.Data), `"engaged":null`) {
					t.Errorf("PostFeatured shows staff's fields: %s", c.Data)
				}
			}
		}
		return changeTypes(changes), id
	}

	if featured() != 0 {
		t.Fatal("an event features a post before any was featured")
	}
	h := head(t, s)
	fa := update(a, koe.PostUpdate{Featured: ptr(true)})
	if fa.FeaturedAt == nil || !fa.FeaturedAt.Equal(now.Truncate(time.Microsecond)) || fa.Version != 2 || featured() != a.ID {
		t.Errorf("featured %+v; FeaturedPost %d", fa, featured())
	}
	if types, id := lastFeatured(h); !slices.Equal(types, []koe.ChangeType{koe.PostUpdated, koe.PostFeatured}) || id != a.ID {
		t.Errorf("featuring recorded %v showing %d", types, id)
	}
	h = head(t, s)
	if again := update(a, koe.PostUpdate{Featured: ptr(true)}); again.Version != 2 || !again.FeaturedAt.Equal(*fa.FeaturedAt) {
		t.Errorf("featuring again = %+v; want no change", again)
	}
	_, err := s.UpdatePost(ctx, e.ID, held.ID, koe.PostUpdate{Featured: ptr(true)}, now)
	wantCode(t, "UpdatePost(feature pending)", err, koe.EINVALID)
	_, err = s.UpdatePost(ctx, e.ID, held.ID+1000, koe.PostUpdate{Hidden: ptr(true)}, now)
	wantCode(t, "UpdatePost(unknown)", err, koe.ENOTFOUND)
	if types, _ := lastFeatured(h); len(types) != 0 {
		t.Errorf("no-op and refused updates recorded %v", types)
	}

	// Featuring b unfeatures a.
	h = head(t, s)
	update(b, koe.PostUpdate{Featured: ptr(true)})
	if got, _ := s.Post(ctx, e.ID, a.ID); got.FeaturedAt != nil || got.Version != 3 || featured() != b.ID {
		t.Errorf("a after featuring b: %+v; featured %d", got, featured())
	}
	if types, id := lastFeatured(h); !slices.Equal(types, []koe.ChangeType{koe.PostUpdated, koe.PostUpdated, koe.PostFeatured}) || id != b.ID {
		t.Errorf("featuring another recorded %v showing %d", types, id)
	}

	// Hiding the featured post takes it off the screen.
	h = head(t, s)
	if hidden := update(b, koe.PostUpdate{Hidden: ptr(true)}); !hidden.Hidden || hidden.FeaturedAt != nil || featured() != 0 {
		t.Errorf("hidden featured post %+v; featured %d", hidden, featured())
	}
	if types, id := lastFeatured(h); !slices.Equal(types, []koe.ChangeType{koe.PostUpdated, koe.PostFeatured}) || id != 0 {
		t.Errorf("hiding the featured post recorded %v showing %d", types, id)
	}
	_, err = s.UpdatePost(ctx, e.ID, b.ID, koe.PostUpdate{Featured: ptr(true)}, now)
	wantCode(t, "UpdatePost(feature hidden)", err, koe.EINVALID)

	// Engaging is recorded once per action; unfeaturing records none shown.
	if eng := update(a, koe.PostUpdate{Engaged: "favourite"}); !slices.Equal(eng.Engaged, []string{"favourite"}) || eng.Version != 4 {
		t.Errorf("engaged %+v", eng)
	}
	if eng := update(a, koe.PostUpdate{Engaged: "favourite"}); eng.Version != 4 {
		t.Errorf("engaging twice bumped the version to %d", eng.Version)
	}
	update(a, koe.PostUpdate{Featured: ptr(true)})
	h = head(t, s)
	if off := update(a, koe.PostUpdate{Featured: ptr(false)}); off.FeaturedAt != nil || featured() != 0 {
		t.Errorf("unfeatured %+v; featured %d", off, featured())
	}
	if types, id := lastFeatured(h); !slices.Equal(types, []koe.ChangeType{koe.PostUpdated, koe.PostFeatured}) || id != 0 {
		t.Errorf("unfeaturing recorded %v showing %d", types, id)
	}
}

// testFeatureConcurrent: operators featuring different posts at once leave
// one featured, the one the last PostFeatured shows.
func testFeatureConcurrent(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "feed")
	src := newSource(t, s, e.ID, "")
	var in []*koe.Post
	for i := range 8 {
		in = append(in, newPost(fmt.Sprint(i), "post"))
	}
	ps := ingest(t, s, src.ID, "", in...)
	h := head(t, s)
	for round := range 3 {
		var wg sync.WaitGroup
		for _, p := range ps {
			wg.Go(func() {
				u := koe.PostUpdate{Featured: ptr(true)}
				if round == 1 && p.ID%2 == 0 {
					u = koe.PostUpdate{Hidden: ptr(true)}
				}
				if _, err := s.UpdatePost(ctx, e.ID, p.ID, u, time.Now()); err != nil && koe.ErrorCode(err) != koe.EINVALID {
					t.Errorf("UpdatePost: %v", err)
				}
			})
		}
		wg.Wait()
		list, _ := s.Posts(ctx, koe.PostQuery{EventID: e.ID})
		var on []int64
		for _, p := range list {
			if p.Featured() {
				on = append(on, p.ID)
			}
		}
		fp, err := s.FeaturedPost(ctx, e.ID)
		if len(on) != 1 || err != nil || fp.ID != on[0] {
			t.Fatalf("round %d: featured %v, FeaturedPost %+v, %v; want one", round, on, fp, err)
		}
		var last int64 = -1
		for _, c := range readAll(t, s, h) {
			if c.Type == koe.PostFeatured {
				var f koe.Featured
				must(t, "decode", json.Unmarshal(c.Data, &f))
				last = 0
				if f.Post != nil {
					last = f.Post.ID
				}
			}
		}
		if last != fp.ID {
			t.Errorf("round %d: the last PostFeatured shows %d, the event features %d", round, last, fp.ID)
		}
	}
}

// testPostReviews: deciding a post's review sets its status, and undoing
// it sets it back, taking it off the screen.
func testPostReviews(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "feed")
	src := newSource(t, s, e.ID, "")
	held := func(id, text string) (*koe.Post, *koe.Review) {
		p := newPost(id, text)
		p.Status = koe.StatusPending
		rev := &koe.Review{State: koe.ReviewPending, Reasons: []byte(`[]`)}
		if _, err := s.IngestPosts(ctx, src.ID, []koe.IngestedPost{{Post: p, Review: rev}}, ""); err != nil {
			t.Fatal(err)
		}
		return p, rev
	}
	p, rev := held("1", "lovely talk")
	if rev.Body != p.Text {
		t.Errorf("review body %q, want the post's text", rev.Body)
	}
	h := head(t, s)
	decided, err := s.DecideReview(ctx, e.ID, rev.ID, koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: 7, By: "Aiko"}, nil)
	if err != nil || decided.State != koe.ReviewApproved {
		t.Fatalf("DecideReview(post) = %+v, %v", decided, err)
	}
	got, _ := s.Post(ctx, e.ID, p.ID)
	if got.Status != koe.StatusApproved || got.Version != 2 {
		t.Errorf("post after approval: %+v", got)
	}
	if types := changeTypes(readAll(t, s, h)); !slices.Equal(types, []koe.ChangeType{koe.PostUpdated, koe.ReviewUpdated}) {
		t.Errorf("approval recorded %v", types)
	}
	if _, err := s.UpdatePost(ctx, e.ID, p.ID, koe.PostUpdate{Featured: ptr(true)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	h = head(t, s)
	if _, err := s.UndoReview(ctx, e.ID, rev.ID, 7, decided.Decision.At); err != nil {
		t.Fatalf("UndoReview(post): %v", err)
	}
	got, _ = s.Post(ctx, e.ID, p.ID)
	if got.Status != koe.StatusPending || got.FeaturedAt != nil {
		t.Errorf("post after undo: %+v; want pending, not featured", got)
	}
	if types := changeTypes(readAll(t, s, h)); !slices.Equal(types, []koe.ChangeType{koe.PostUpdated, koe.PostFeatured, koe.ReviewUpdated}) {
		t.Errorf("undo recorded %v", types)
	}

	q, qrev := held("2", "spam spam")
	if _, err := s.DecideReview(ctx, e.ID, qrev.ID, koe.ReviewDecision{Decision: koe.ReviewRejected, AccountID: 7, By: "Aiko"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Post(ctx, e.ID, q.ID); got.Status != koe.StatusRejected {
		t.Errorf("post after rejection: status %s", got.Status)
	}
	if _, err := s.DecideReview(ctx, e.ID, rev.ID, koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: 7, By: "Aiko"}, nil); err != nil {
		t.Fatal(err)
	}
	samples, err := s.Samples(ctx, e.ID, 10)
	if want := []koe.Sample{{Body: "lovely talk"}, {Body: "spam spam", Bad: true}}; err != nil || !slices.Equal(samples, want) {
		t.Errorf("Samples = %+v, %v; want %+v", samples, err, want)
	}
	if decidedList, err := s.Reviews(ctx, koe.ReviewQuery{EventID: e.ID, Limit: 10}); err != nil || len(decidedList) != 2 || decidedList[0].Banned {
		t.Errorf("Reviews(decided) = %+v, %v; want the two, not banned", decidedList, err)
	}
}
