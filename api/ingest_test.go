package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

// runIngest runs the sources' runner until the returned function stops
// it (and waits for it).
func runIngest(h *harness) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.act.RunIngest(ctx)
	}()
	stop = func() { cancel(); <-done }
	h.t.Cleanup(stop)
	return stop
}

// allPosts lists every post of the event, oldest first.
func allPosts(t *testing.T, c *client, eventID int64) []koe.Post {
	t.Helper()
	var all []koe.Post
	before := ""
	for {
		var page postPage
		r := c.get(eventPath(eventID) + "/posts?limit=100" + before)
		if !r.want(t, 200, "") {
			return nil
		}
		r.decode(t, &page)
		all = append(page.Posts, all...)
		if len(page.Posts) < 100 {
			break
		}
		before = fmt.Sprintf("&before=%d", page.Posts[len(page.Posts)-1].ID)
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 { // pages come newest first
		all[i], all[j] = all[j], all[i]
	}
	return all
}

// waitPosts waits until the event has n posts and returns them, failing
// after a while; it fails at once on more.
func waitPosts(t *testing.T, c *client, eventID int64, n int) []koe.Post {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		posts := allPosts(t, c, eventID)
		if len(posts) > n {
			t.Fatalf("%d posts, want %d", len(posts), n)
		}
		if len(posts) == n {
			return posts
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d posts after 20s, want %d", len(posts), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHealth waits until the source's health is in state.
func waitHealth(t *testing.T, c *client, eventID, sourceID int64, state string) koe.SourceHealth {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var s sourceView
		c.get(fmt.Sprintf("%s/sources/%d", eventPath(eventID), sourceID)).decode(t, &s)
		if s.Health.State == state {
			return s.Health
		}
		if time.Now().After(deadline) {
			t.Fatalf("source health %+v, want state %s", s.Health, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func publish(m *mastodontest.Server, from, n int) {
	for i := from; i < from+n; i++ {
		m.Publish(mastodontest.Status{Content: fmt.Sprintf("<p>post %d <a href=\"https://m.example/tags/koe\">#koe</a></p>", i),
			Tags: []mastodontest.Tag{{Name: "koe"}}, Language: "en"})
	}
}

// checkOnce checks that posts are statuses 0..n-1 of publish, each once,
// in order.
func checkOnce(t *testing.T, posts []koe.Post, n int) {
	t.Helper()
	if len(posts) != n {
		t.Fatalf("%d posts, want %d", len(posts), n)
	}
	for i, p := range posts {
		if want := fmt.Sprintf("post %d #koe", i); p.Text != want {
			t.Fatalf("post %d is %q, want %q", i, p.Text, want)
		}
	}
}

// TestMastodonSource: a Mastodon source with a user token runs on the
// server that holds the ingest lease: it takes the hashtag's recent
// posts, then every new one once, in order, streaming; stopped and
// started again it resumes from its cursor, losing and repeating none;
// operators favourite and boost back; a revoked token fails it clearly.
func TestMastodonSource(t *testing.T) {
	h := newHarness(t)
	m := mastodontest.New()
	defer m.Close()
	m.SetToken("user-token")
	e := h.createEvent(map[string]any{"title": "Mastodon"})
	mod, _ := h.signedIn(h.member(e.ID, koe.RoleModerator))
	publish(m, 0, 3)

	var src sourceView
	if r := h.staff.post(eventPath(e.ID)+"/sources", map[string]any{"kind": "mastodon", "name": "Fosstodon",
		"config": map[string]any{"instance": m.URL(), "hashtags": []string{"#Koe"}}, "secret": "user-token"}); r.want(t, 201, "") {
		r.decode(t, &src)
	}
	stop := runIngest(h)
	checkOnce(t, waitPosts(t, mod, e.ID, 3), 3)
	waitHealth(t, mod, e.ID, src.ID, "streaming")
	publish(m, 3, 50)
	checkOnce(t, waitPosts(t, mod, e.ID, 53), 53)

	// Stopped (the lease lost, koe restarted), then started again: what
	// was published meanwhile comes from the saved cursor.
	stop()
	waitHealth(t, mod, e.ID, src.ID, "stopped")
	publish(m, 53, 45)
	stop = runIngest(h)
	posts := waitPosts(t, mod, e.ID, 98)
	checkOnce(t, posts, 98)
	if p := posts[0]; p.Platform != koe.SourceMastodon || p.SourceID != src.ID || !strings.HasPrefix(p.ExternalID, "http") || p.Status != koe.StatusApproved {
		t.Fatalf("post %+v", p)
	}
	health := waitHealth(t, mod, e.ID, src.ID, "streaming")
	if health.LastPostAt == nil || health.Posts != 45 {
		t.Errorf("health %+v", health)
	}

	// Operators favourite and boost back.
	for _, action := range []string{"favourite", "boost"} {
		if r := mod.post(fmt.Sprintf("%s/posts/%d/engage", eventPath(e.ID), posts[1].ID), map[string]any{"action": action}); r.want(t, 200, "") {
			var p koe.Post
			r.decode(t, &p)
			if len(p.Engaged) == 0 || p.Engaged[len(p.Engaged)-1] != action {
				t.Errorf("engaged %v", p.Engaged)
			}
		}
	}
	mod.post(fmt.Sprintf("%s/posts/%d/engage", eventPath(e.ID), posts[1].ID), map[string]any{"action": "repost"}).want(t, 400, koe.EINVALID)
	if f, b := m.Favourited(), m.Reblogged(); len(f) != 1 || len(b) != 1 {
		t.Errorf("the instance saw favourites %v and boosts %v", f, b)
	}

	// The token revoked: the source fails, saying why; metrics say it is
	// down.
	m.SetToken("another-token")
	publish(m, 98, 1)
	health = waitHealth(t, mod, e.ID, src.ID, "failed")
	if !strings.Contains(health.LastError, "token") {
		t.Errorf("last error %q does not name the token", health.LastError)
	}
	metrics := scrape(t, h)
	if !strings.Contains(metrics, fmt.Sprintf(`koe_ingest_source_up{source="mastodon:%d"} 0`, src.ID)) ||
		!strings.Contains(metrics, fmt.Sprintf(`koe_ingest_posts_total{outcome="approved",source="mastodon:%d"} 98`, src.ID)) {
		t.Errorf("metrics lack the source's figures:\n%s", grepLines(metrics, "koe_ingest"))
	}
	// A new token takes effect at once: the source restarts.
	h.staff.patch(fmt.Sprintf("%s/sources/%d", eventPath(e.ID), src.ID), map[string]any{"secret": "another-token"}).want(t, 200, "")
	checkOnce(t, waitPosts(t, mod, e.ID, 99), 99)
	stop()
}

// TestMastodonSourcePolling: without a token a source polls; an instance
// that keeps its hashtag timelines to signed-in users fails it with a
// message saying what to do.
func TestMastodonSourcePolling(t *testing.T) {
	h := newHarness(t)
	m := mastodontest.New()
	defer m.Close()
	e := h.createEvent(map[string]any{"title": "Polling"})
	var src sourceView
	h.staff.post(eventPath(e.ID)+"/sources", map[string]any{"kind": "mastodon",
		"config": map[string]any{"instance": m.URL(), "hashtags": []string{"koe"}}}).decode(t, &src)
	runIngest(h)
	waitHealth(t, h.staff, e.ID, src.ID, "polling")
	publish(m, 0, 85) // more than two pages of 40
	checkOnce(t, waitPosts(t, h.staff, e.ID, 85), 85)
	m.RequireAuth(true)
	health := waitHealth(t, h.staff, e.ID, src.ID, "failed")
	if !strings.Contains(health.LastError, "token") {
		t.Errorf("last error %q does not say a token is needed", health.LastError)
	}
	// Disabled, it stops.
	h.staff.patch(fmt.Sprintf("%s/sources/%d", eventPath(e.ID), src.ID), map[string]any{"enabled": false}).want(t, 200, "")
	waitHealth(t, h.staff, e.ID, src.ID, "stopped")
}
