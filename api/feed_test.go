package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/webhook"
)

type sourceView struct {
	koe.Source
	WebhookURL string `json:"webhook_url"`
	Secret     string `json:"secret"`
}

type postPage struct {
	Posts  []koe.Post `json:"posts"`
	Stream stream     `json:"stream"`
}

// sendWebhook posts body to a webhook source, signed with secret at ts.
func sendWebhook(t *testing.T, h *harness, url, secret string, ts time.Time, body []byte, opts ...callOpt) *response {
	t.Helper()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	return h.client("").do("POST", url, json.RawMessage(body),
		append([]callOpt{header(webhook.TimestampHeader, stamp), header(webhook.SignatureHeader, webhook.Sign(secret, stamp, body))}, opts...)...)
}

// eventsOf waits for n events of type typ on lc.
func eventsOf(t *testing.T, lc *liveConn, typ string, n int) []liveEvent {
	t.Helper()
	var got []liveEvent
	for len(got) < n {
		for _, ev := range lc.next().Events {
			checkEvent(t, ev)
			if ev.Type == typ {
				got = append(got, ev)
			}
		}
	}
	return got
}

func webhookBody(posts ...string) []byte {
	var req ingest.WebhookRequest
	for i, text := range posts {
		p := ingest.WebhookPost{ID: fmt.Sprintf("discord-%d-%s", i, text), Text: text, Lang: "en"}
		p.Author.Handle, p.Author.Name = "@relay", "Relay"
		req.Posts = append(req.Posts, p)
	}
	b, _ := json.Marshal(req)
	return b
}

// TestWebhookSource: a signed webhook delivers posts once, whatever is
// replayed; a bad signature, a stale timestamp, an unknown or disabled
// source store nothing; the posts pass moderation and reach the feed
// stream, and a featured one reaches the screen's.
func TestWebhookSource(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(map[string]any{"title": "Feed"})
	mod, _ := h.signedIn(h.member(e.ID, koe.RoleModerator))
	viewer, _ := h.join(e.JoinCode, "Viewer")

	var src sourceView
	if r := h.staff.post(eventPath(e.ID)+"/sources", map[string]any{"kind": "webhook", "name": "Discord relay"}); r.want(t, 201, "") {
		r.decode(t, &src)
	}
	if src.Secret == "" || src.WebhookURL != fmt.Sprintf("/api/v1/ingest/%d", src.ID) || !src.Config.SecretSet {
		t.Fatalf("created %+v", src)
	}
	// Moderators see sources, without secrets; they cannot add one.
	r := mod.get(eventPath(e.ID) + "/sources")
	r.want(t, 200, "")
	if bytes.Contains(r.Body, []byte(src.Secret)) {
		t.Fatal("the source list shows the secret")
	}
	mod.post(eventPath(e.ID)+"/sources", map[string]any{"kind": "webhook"}).want(t, 403, "forbidden")

	feed := subscribeWS(t, mod, e.ID, "feed", "")
	screen := subscribeWS(t, viewer, e.ID, "event", "")
	now := time.Now()
	body := webhookBody("Great talk on #pyconjp", "Slides please")
	var res struct {
		Stored []koe.Post `json:"stored"`
		Known  int        `json:"known"`
	}
	if r := sendWebhook(t, h, src.WebhookURL, src.Secret, now, body); r.want(t, 200, "") {
		r.decode(t, &res)
	}
	if len(res.Stored) != 2 || res.Known != 0 || res.Stored[0].Status != koe.StatusApproved || res.Stored[0].Platform != koe.SourceWebhook {
		t.Fatalf("first delivery: %+v", res)
	}
	for _, ev := range eventsOf(t, feed, "post.created", 2) {
		var p koe.Post
		_ = json.Unmarshal(ev.Data, &p)
		if p.EventID != e.ID || p.Text == "" || p.Reasons == nil {
			t.Errorf("feed got %s", ev.Data)
		}
	}
	// The same request again (a replay inside the window, or a relay's
	// retry) stores nothing new.
	if r := sendWebhook(t, h, src.WebhookURL, src.Secret, now, body); r.want(t, 200, "") {
		r.decode(t, &res)
	}
	if len(res.Stored) != 0 || res.Known != 2 {
		t.Fatalf("replay stored %+v", res)
	}
	bad := webhookBody("never stored")
	sendWebhook(t, h, src.WebhookURL, "wrong secret", now, bad).want(t, 401, "unauthorized")
	sendWebhook(t, h, src.WebhookURL, src.Secret, now.Add(-10*time.Minute), bad).want(t, 401, "unauthorized")
	sendWebhook(t, h, "/api/v1/ingest/999999", src.Secret, now, bad).want(t, 401, "unauthorized")
	sendWebhook(t, h, src.WebhookURL, src.Secret, now, []byte(`{"posts":[{"id":"1"}]}`), docRejects).want(t, 400, "invalid_argument")
	h.client("").do("POST", src.WebhookURL, json.RawMessage(bad), header(webhook.TimestampHeader, "1"), docRejects).want(t, 401, "unauthorized")

	var page postPage
	if r := mod.get(eventPath(e.ID) + "/posts"); r.want(t, 200, "") {
		r.decode(t, &page)
	}
	if len(page.Posts) != 2 || page.Posts[0].Text != "Slides please" {
		t.Fatalf("posts %+v", page.Posts)
	}
	viewer.get(eventPath(e.ID)+"/posts").want(t, 403, "forbidden")

	// Featuring: the screen's stream and snapshot show it, without the
	// pipeline's reasons; hiding it takes it off.
	p := page.Posts[1]
	var featured koe.Post
	if r := mod.patch(fmt.Sprintf("%s/posts/%d", eventPath(e.ID), p.ID), map[string]any{"featured": true}); r.want(t, 200, "") {
		r.decode(t, &featured)
	}
	if featured.FeaturedAt == nil {
		t.Fatal("not featured")
	}
	ev := eventOf(t, screen, "post.featured")
	var f koe.Featured
	_ = json.Unmarshal(ev.Data, &f)
	if f.Post == nil || f.Post.ID != p.ID || string(f.Post.Reasons) != "null" {
		t.Fatalf("screen got %s", ev.Data)
	}
	if r := viewer.get(eventPath(e.ID) + "/featured"); r.want(t, 200, "") {
		r.decode(t, &f)
	}
	if f.Post == nil || f.Post.ID != p.ID {
		t.Fatalf("featured snapshot %+v", f)
	}
	// Featuring another takes the first off.
	mod.patch(fmt.Sprintf("%s/posts/%d", eventPath(e.ID), page.Posts[0].ID), map[string]any{"featured": true}).want(t, 200, "")
	if r := viewer.get(eventPath(e.ID) + "/featured"); r.want(t, 200, "") {
		r.decode(t, &f)
	}
	if f.Post == nil || f.Post.ID != page.Posts[0].ID {
		t.Fatalf("featured after the second %+v", f)
	}
	mod.patch(fmt.Sprintf("%s/posts/%d", eventPath(e.ID), page.Posts[0].ID), map[string]any{"hidden": true}).want(t, 200, "")
	if r := viewer.get(eventPath(e.ID) + "/featured"); r.want(t, 200, "") {
		r.decode(t, &f)
	}
	if f.Post != nil {
		t.Fatalf("a hidden post stays featured: %+v", f.Post)
	}
	mod.patch(fmt.Sprintf("%s/posts/%d", eventPath(e.ID), page.Posts[0].ID), map[string]any{"featured": true}).want(t, 400, "invalid_argument")
	// A webhook post cannot be favourited anywhere.
	mod.post(fmt.Sprintf("%s/posts/%d/engage", eventPath(e.ID), p.ID), map[string]any{"action": "favourite"}).want(t, 400, "invalid_argument")

	// A new secret: the old one stops working at once.
	var renewed sourceView
	if r := h.staff.post(fmt.Sprintf("%s/sources/%d/secret", eventPath(e.ID), src.ID), nil); r.want(t, 200, "") {
		r.decode(t, &renewed)
	}
	sendWebhook(t, h, src.WebhookURL, src.Secret, now, webhookBody("old secret")).want(t, 401, "unauthorized")
	sendWebhook(t, h, src.WebhookURL, renewed.Secret, now, webhookBody("new secret")).want(t, 200, "")
	// Disabled, it takes nothing.
	h.staff.patch(fmt.Sprintf("%s/sources/%d", eventPath(e.ID), src.ID), map[string]any{"enabled": false}).want(t, 200, "")
	sendWebhook(t, h, src.WebhookURL, renewed.Secret, now, webhookBody("disabled")).want(t, 401, "unauthorized")

	var list struct {
		Sources []sourceView `json:"sources"`
	}
	if r := mod.get(eventPath(e.ID) + "/sources"); r.want(t, 200, "") {
		r.decode(t, &list)
	}
	if len(list.Sources) != 1 || list.Sources[0].Health.State != "listening" || list.Sources[0].Health.LastPostAt == nil {
		t.Fatalf("health %+v", list.Sources)
	}
}

// TestModeratedPosts: posts pass the same pipeline and queue as questions:
// a blocked word rejects one (decided by koe), a pre-moderated source
// holds each for a moderator, whose approval makes it visible.
func TestModeratedPosts(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(map[string]any{"title": "Moderated feed"})
	mod, _ := h.signedIn(h.member(e.ID, koe.RoleModerator))
	var open, held sourceView
	h.staff.post(eventPath(e.ID)+"/sources", map[string]any{"kind": "webhook"}).decode(t, &open)
	h.staff.post(eventPath(e.ID)+"/sources", map[string]any{"kind": "webhook", "moderation": "pre"}).decode(t, &held)
	cfg := koe.DefaultModerationConfig()
	cfg.Words = []koe.ModeratedWord{{Word: "spamword", Action: "block"}}
	h.staff.put(eventPath(e.ID)+"/moderation", cfg).want(t, 200, "")

	var res struct {
		Stored []koe.Post `json:"stored"`
	}
	sendWebhook(t, h, open.WebhookURL, open.Secret, time.Now(), webhookBody("buy spamword now")).decode(t, &res)
	if len(res.Stored) != 1 || res.Stored[0].Status != koe.StatusRejected {
		t.Fatalf("blocked post stored as %+v", res.Stored)
	}
	sendWebhook(t, h, held.WebhookURL, held.Secret, time.Now(), webhookBody("a fine post")).decode(t, &res)
	if len(res.Stored) != 1 || res.Stored[0].Status != koe.StatusPending {
		t.Fatalf("pre-moderated post stored as %+v", res.Stored)
	}
	post := res.Stored[0]
	var queue reviewPage
	mod.get(eventPath(e.ID)+"/reviews").decode(t, &queue)
	var rev *koe.Review
	for i := range queue.Reviews {
		if queue.Reviews[i].Kind == koe.ReviewPost && queue.Reviews[i].SubjectID == post.ID {
			rev = &queue.Reviews[i]
		}
	}
	if rev == nil || rev.TalkID != 0 || rev.Body != "a fine post" {
		t.Fatalf("no open review of the post in %+v", queue.Reviews)
	}
	// A post's author is no participant to ban, and its text is theirs.
	mod.post(eventPath(e.ID)+"/bans", map[string]any{"review_id": rev.ID}).want(t, 400, koe.EINVALID)
	mod.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(e.ID), rev.ID), map[string]any{"decision": "approve", "body": "rewritten"}).want(t, 400, koe.EINVALID)
	feed := subscribeWS(t, mod, e.ID, "feed", "")
	mod.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(e.ID), rev.ID), map[string]any{"decision": "approve"}).want(t, 200, "")
	ev := eventOf(t, feed, "post.updated")
	var p koe.Post
	_ = json.Unmarshal(ev.Data, &p)
	if p.ID != post.ID || p.Status != koe.StatusApproved {
		t.Fatalf("feed got %s", ev.Data)
	}
	var page postPage
	mod.get(eventPath(e.ID)+"/posts?status=rejected").decode(t, &page)
	if len(page.Posts) != 1 || page.Posts[0].Text != "buy spamword now" {
		t.Fatalf("rejected list %+v", page.Posts)
	}
	mod.get(eventPath(e.ID)+"/posts?status=maybe", docRejects).want(t, 400, "invalid_argument")
	mod.get(eventPath(e.ID)+"/posts?limit=1000", docRejects).want(t, 400, "invalid_argument")
}

// TestSourceValidation: a source's configuration is checked when it is
// added and changed, with the field named.
func TestSourceValidation(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(map[string]any{"title": "Sources"})
	for _, body := range []map[string]any{{"name": "x"}, {"kind": "myspace"}, {"kind": "webhook", "colour": "red"}} {
		h.staff.post(eventPath(e.ID)+"/sources", body, docRejects).want(t, 400, "invalid_argument")
	}
	for name, body := range map[string]map[string]any{
		"no instance":    {"kind": "mastodon", "config": map[string]any{"hashtags": []string{"a"}}},
		"bad instance":   {"kind": "mastodon", "config": map[string]any{"instance": "mastodon.social", "hashtags": []string{"a"}}},
		"x no token":     {"kind": "x", "config": map[string]any{"hashtags": []string{"a"}}},
		"webhook secret": {"kind": "webhook", "secret": "mine"},
	} {
		r := h.staff.post(eventPath(e.ID)+"/sources", body)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}
