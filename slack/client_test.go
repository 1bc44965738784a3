package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe/slack"
	"github.com/koehq/koe/slack/slacktest"
)

func setup(t *testing.T) (*slacktest.Server, *slack.Client) {
	t.Helper()
	srv := slacktest.New()
	t.Cleanup(srv.Close)
	return srv, &slack.Client{BaseURL: srv.URL(), HTTP: &http.Client{Timeout: 5 * time.Second}}
}

var card = slack.ReviewCard{EventName: "GoConf", TalkTitle: "Generics", Kind: "question", Author: "Aiko",
	Body: "Why <@U1>?", Reasons: []string{"held by the event's moderation mode"}, Value: "e1.r2"}

func TestPostAndUpdate(t *testing.T) {
	srv, c := setup(t)
	ctx := t.Context()
	ch, ts, err := c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card))
	if err != nil {
		t.Fatal(err)
	}
	if ch != slacktest.DefaultChannel || ts == "" {
		t.Fatalf("PostMessage = %q, %q", ch, ts)
	}
	_, ts2, err := c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card))
	if err != nil || ts2 <= ts {
		t.Fatalf("second post: ts %q after %q, %v", ts2, ts, err)
	}
	msgs := srv.Messages(slacktest.DefaultChannel)
	if len(msgs) != 2 || msgs[0].TS != ts || !strings.Contains(string(msgs[0].Blocks), `"action_id":"koe_approve"`) ||
		!strings.Contains(string(msgs[0].Blocks), `&lt;@U1&gt;`) {
		t.Fatalf("stored %d messages: %s", len(msgs), msgs[0].Blocks)
	}
	// What koe sent: JSON with the channel, no unfurling.
	var body map[string]any
	json.Unmarshal(msgs[0].Body, &body)
	if body["channel"] != slacktest.DefaultChannel || body["unfurl_links"] != false || body["text"] == "" {
		t.Fatalf("request body %s", msgs[0].Body)
	}

	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)
	if err := c.UpdateMessage(ctx, srv.Token, ch, ts, slack.DecisionMessage(card, "approved", "Ren", at)); err != nil {
		t.Fatal(err)
	}
	p, ok := srv.Message(ch, ts)
	if !ok || p.Updates != 1 || len(p.History) != 1 || strings.Contains(string(p.Blocks), "koe_approve") ||
		!strings.Contains(string(p.Blocks), "Approved by *Ren* at") || !strings.Contains(string(p.History[0].Blocks), "koe_approve") {
		t.Fatalf("after update (%d updates): %s", p.Updates, p.Blocks)
	}
	if other, _ := srv.Message(ch, ts2); other.Updates != 0 {
		t.Fatal("the other message changed")
	}
}

func TestAPIErrors(t *testing.T) {
	srv, c := setup(t)
	ctx := t.Context()
	var apiErr *slack.APIError

	_, _, err := c.PostMessage(ctx, srv.Token, "C0NOPE", slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "channel_not_found" || apiErr.StatusCode() != 200 || apiErr.Method != "chat.postMessage" ||
		apiErr.Temporary() || slack.Temporary(err) {
		t.Fatalf("unknown channel: %#v", err)
	}
	srv.AddChannel("C0NOPE")
	if _, _, err := c.PostMessage(ctx, srv.Token, "C0NOPE", slack.ReviewMessage(card)); err != nil {
		t.Fatalf("after AddChannel: %v", err)
	}

	_, _, err = c.PostMessage(ctx, "xoxb-wrong", slacktest.DefaultChannel, slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "invalid_auth" {
		t.Fatalf("wrong token: %v", err)
	}
	_, _, err = c.PostMessage(ctx, "", slacktest.DefaultChannel, slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "not_authed" {
		t.Fatalf("no token: %v", err)
	}

	err = c.UpdateMessage(ctx, srv.Token, slacktest.DefaultChannel, "1700000000.999999", slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "message_not_found" {
		t.Fatalf("unknown ts: %v", err)
	}

	srv.Fail(1, "internal_error")
	_, _, err = c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "internal_error" || !slack.Temporary(err) {
		t.Fatalf("injected internal_error: %v", err)
	}
	if _, _, err := c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card)); err != nil {
		t.Fatalf("after the fault: %v", err)
	}

	// Blocks Slack refuses come back as invalid_blocks.
	bad := slack.ReviewMessage(slack.ReviewCard{EventName: "E", Body: "b", Value: strings.Repeat("v", slack.MaxButtonValue+1)})
	_, _, err = c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, bad)
	if !errors.As(err, &apiErr) || apiErr.Code != "invalid_blocks" {
		t.Fatalf("a button value too long: %v", err)
	}
	// Without a token the client does not call at all.
	if got := srv.Calls(); len(got) != 7 || got[0].Error != "channel_not_found" || got[6].Error != "invalid_blocks" {
		t.Fatalf("calls: %+v", got)
	}
}

func TestRateLimit(t *testing.T) {
	srv, c := setup(t)
	ctx := t.Context()
	srv.RateLimit(2, 30*time.Second)
	for range 2 {
		_, _, err := c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card))
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second || rl.StatusCode() != 429 || !slack.Temporary(err) {
			t.Fatalf("rate limited: %#v", err)
		}
		if d, ok := slack.RetryAfter(err); !ok || d != 30*time.Second {
			t.Fatalf("RetryAfter = %v, %v", d, ok)
		}
	}
	if _, _, err := c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card)); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	if n := len(srv.Messages(slacktest.DefaultChannel)); n != 1 {
		t.Fatalf("%d messages stored, want only the one after the limit", n)
	}
}

func TestWebhook(t *testing.T) {
	srv, c := setup(t)
	ctx := t.Context()
	hook := srv.HookURL()
	if err := c.PostWebhook(ctx, hook, slack.DigestMessage(slack.Digest{EventName: "GoConf", TalkTitle: "Generics", Questions: 3})); err != nil {
		t.Fatal(err)
	}
	got := srv.Hooked()
	if len(got) != 1 || !strings.Contains(got[0].Text, "3 questions") || !strings.Contains(string(got[0].Blocks), "Q&A digest: Generics") {
		t.Fatalf("hooked %d: %s", len(got), got[0].Body)
	}
	var apiErr *slack.APIError
	srv.FailHooks(1, http.StatusGone, "channel_is_archived")
	err := c.PostWebhook(ctx, hook, slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "channel_is_archived" || apiErr.StatusCode() != 410 || slack.Temporary(err) {
		t.Fatalf("archived: %#v", err)
	}
	err = c.PostWebhook(ctx, srv.URL()+"../hooks/unknown", slack.ReviewMessage(card))
	if !errors.As(err, &apiErr) || apiErr.Code != "no_service" || apiErr.StatusCode() != 404 {
		t.Fatalf("unknown hook: %v", err)
	}
	srv.FailHooks(1, http.StatusServiceUnavailable, "<html>upstream down</html>")
	err = c.PostWebhook(ctx, hook, slack.ReviewMessage(card))
	var se *slack.StatusError
	if !errors.As(err, &se) || se.StatusCode() != 503 || !slack.Temporary(err) || !strings.Contains(se.Excerpt, "upstream down") {
		t.Fatalf("503: %#v", err)
	}
	if len(srv.Hooked()) != 1 {
		t.Fatal("a failed post was recorded")
	}
}

func TestRespond(t *testing.T) {
	srv, c := setup(t)
	ctx := t.Context()
	u := srv.ResponseURL()
	if err := c.Respond(ctx, u, "Link your Slack account to koe first.", true, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Respond(ctx, u, "Approved.", false, true); err != nil {
		t.Fatal(err)
	}
	got := srv.Responses()
	if len(got) != 2 || got[0].ResponseType != "ephemeral" || got[0].ReplaceOriginal || got[0].Text != "Link your Slack account to koe first." ||
		got[1].ResponseType != "in_channel" || !got[1].ReplaceOriginal {
		t.Fatalf("responses: %+v", got)
	}
	var apiErr *slack.APIError
	err := c.Respond(ctx, srv.URL()+"../respond/999", "x", true, false)
	if !errors.As(err, &apiErr) || apiErr.Code != "expired_url" || apiErr.StatusCode() != 404 {
		t.Fatalf("unknown response URL: %v", err)
	}
}

func TestNetworkErrorsAreTemporary(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c := &slack.Client{BaseURL: dead.URL + "/api/"}
	_, _, err := c.PostMessage(t.Context(), "xoxb", "C1", slack.ReviewMessage(card))
	var ce *slack.CallError
	if !errors.As(err, &ce) || !slack.Temporary(err) || ce.StatusCode() != 0 {
		t.Fatalf("connection refused: %#v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = c.PostMessage(ctx, "xoxb", "C1", slack.ReviewMessage(card))
	if err == nil || slack.Temporary(err) {
		t.Fatalf("cancelled: %v, temporary %v", err, slack.Temporary(err))
	}
}

func TestAnswersBeyondSlacksAreBounded(t *testing.T) {
	// A "Slack" that answers a huge or broken body: the client reads at
	// most 64 KiB and says what it got.
	for _, c := range []struct {
		name   string
		status int
		body   string
		check  func(error) bool
	}{
		{"huge", 200, `{"ok":true,"pad":"` + strings.Repeat("x", 1<<20) + `"}`, func(err error) bool {
			var se *slack.StatusError
			return errors.As(err, &se) && se.StatusCode() == 200 && len(se.Excerpt) < 300
		}},
		{"html 502", 502, "<html>Bad gateway</html>", func(err error) bool {
			var se *slack.StatusError
			return errors.As(err, &se) && se.StatusCode() == 502 && slack.Temporary(err)
		}},
		{"ok false 500", 500, `{"ok":false,"error":"fatal_error"}`, func(err error) bool {
			var ae *slack.APIError
			return errors.As(err, &ae) && ae.Code == "fatal_error" && ae.StatusCode() == 500 && slack.Temporary(err)
		}},
		{"missing scope", 200, `{"ok":false,"error":"missing_scope","needed":"chat:write","provided":"users:read"}`, func(err error) bool {
			var ae *slack.APIError
			return errors.As(err, &ae) && ae.Needed == "chat:write" && strings.Contains(err.Error(), "needs chat:write") && !slack.Temporary(err)
		}},
		{"ok without error", 200, `{"ok":false}`, func(err error) bool {
			var se *slack.StatusError
			return errors.As(err, &se)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer srv.Close()
			cl := &slack.Client{BaseURL: srv.URL + "/api"} // without the final "/"
			_, _, err := cl.PostMessage(t.Context(), "xoxb", "C1", slack.ReviewMessage(card))
			if !c.check(err) {
				t.Fatalf("%s: %#v", c.name, err)
			}
		})
	}
}
