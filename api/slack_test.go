package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/slack"
	"github.com/koehq/koe/slack/slacktest"
)

// slackScene is an event in pre-moderation connected to a server that
// speaks Slack's wire format, with a moderator and a participant.
type slackScene struct {
	h    *harness
	st   *slacktest.Server
	e    koe.Event
	tk   koe.Talk
	p    *client
	mod  *client
	acct *koe.Account
}

func newSlackScene(t *testing.T) *slackScene {
	st := slacktest.New()
	t.Cleanup(st.Close)
	h := newHarness(t, withSlack(act.SlackConfig{APIURL: st.URL()}),
		withDeliveries(act.DeliveryOptions{AllowPrivate: true, Poll: 20 * time.Millisecond, FirstRetry: 100 * time.Millisecond, LastRetry: 200 * time.Millisecond}))
	runDeliveries(h)
	e, tk := h.setup()
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"moderation": "pre"}}).want(t, 200, "")
	acct := h.member(e.ID, koe.RoleModerator)
	mod, _ := h.signedIn(acct)
	p, _ := h.join(e.JoinCode, "Ada")
	return &slackScene{h: h, st: st, e: e, tk: tk, p: p, mod: mod, acct: acct}
}

func (sc *slackScene) connect(t *testing.T, body map[string]any) koe.SlackConnection {
	t.Helper()
	var c koe.SlackConnection
	if r := sc.h.staff.put(eventPath(sc.e.ID)+"/slack", body); r.want(t, 200, "") {
		r.decode(t, &c)
	}
	return c
}

// posted waits for the n-th message of the channel and returns it.
func (sc *slackScene) posted(t *testing.T, n int) slacktest.Posted {
	t.Helper()
	eventually(t, fmt.Sprintf("message %d posted", n), func() bool { return len(sc.st.Messages(slacktest.DefaultChannel)) >= n })
	return sc.st.Messages(slacktest.DefaultChannel)[n-1]
}

// message returns the message's latest version.
func (sc *slackScene) message(ts string) slacktest.Posted {
	m, _ := sc.st.Message(slacktest.DefaultChannel, ts)
	return m
}

// held asks a question the event holds, and returns its review.
func (sc *slackScene) held(t *testing.T, body string) koe.Review {
	t.Helper()
	sc.p.post(questionsPath(sc.e.ID, sc.tk.ID), map[string]any{"body": body}).want(t, 201, "")
	var list struct {
		Reviews []koe.Review `json:"reviews"`
	}
	sc.h.staff.get(eventPath(sc.e.ID)+"/reviews").decode(t, &list)
	for _, r := range list.Reviews {
		if r.Body == body {
			return r
		}
	}
	t.Fatalf("no review of %q", body)
	return koe.Review{}
}

func (sc *slackScene) press(t *testing.T, in slacktest.InteractionInput) int {
	t.Helper()
	resp, err := sc.st.Interact(context.Background(), sc.h.srv.URL+"/api/v1/slack/interactions", in)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestSlackModeration: a held question is posted to Slack with its
// buttons; a moderator whose Slack user is not linked gets a link, links
// it, and approves from Slack as their koe account (the audit log says
// so); the message shows who decided, also for a decision made in koe's
// console; Ban bans the author.
func TestSlackModeration(t *testing.T) {
	sc := newSlackScene(t)
	c := sc.connect(t, map[string]any{"channel": slacktest.DefaultChannel, "bot_token": sc.st.Token, "signing_secret": sc.st.SigningSecret})
	if !c.Enabled || !c.Reviews || !c.BotTokenSet || !c.SigningSecretSet || c.WebhookURLSet || c.Version != 1 {
		t.Errorf("connected %+v", c)
	}
	if r := sc.h.staff.get(eventPath(sc.e.ID) + "/slack"); !r.want(t, 200, "") || strings.Contains(r.String(), sc.st.Token) || !strings.Contains(r.String(), "/api/v1/slack/interactions") {
		t.Errorf("status %s", r)
	}

	rev := sc.held(t, "Can I approve this <!channel> from Slack?")
	msg := sc.posted(t, 1)
	for _, want := range []string{slack.ActionApprove, slack.ActionReject, slack.ActionBan, fmt.Sprintf(`"%d:%d"`, sc.e.ID, rev.ID), "&lt;!channel&gt;"} {
		if !strings.Contains(string(msg.Blocks), want) {
			t.Errorf("the review's message lacks %s: %s", want, msg.Blocks)
		}
	}
	press := slacktest.InteractionInput{UserID: "U0AIKO", ActionID: slack.ActionApprove, Value: fmt.Sprintf("%d:%d", sc.e.ID, rev.ID), MessageTS: msg.TS}

	// Not linked: answered with a link, nothing decided.
	if code := sc.press(t, press); code != 200 {
		t.Fatalf("press answered %d", code)
	}
	var link string
	// On koe's address as Slack reached it (the harness has no public URL).
	linkAt := regexp.MustCompile(`https://` + regexp.QuoteMeta(strings.TrimPrefix(sc.h.srv.URL, "http://")) + `/slack/link#(\S+)`)
	eventually(t, "the presser told to link their account", func() bool {
		for _, r := range sc.st.Responses() {
			if m := linkAt.FindStringSubmatch(r.Text); m != nil && r.ResponseType == "ephemeral" {
				link = m[1]
			}
		}
		return link != ""
	})
	sc.mod.post("/api/v1/slack/link", map[string]any{"token": link + "x"}).want(t, 400, "invalid_argument")
	sc.h.client("").post("/api/v1/slack/link", map[string]any{"token": link}, docRejects).want(t, 401, "unauthorized")
	var linked koe.SlackLink
	sc.mod.post("/api/v1/slack/link", map[string]any{"token": link}).decode(t, &linked)
	if linked.AccountID != sc.acct.ID || linked.UserID != "U0AIKO" || linked.TeamID != slacktest.TeamID {
		t.Errorf("linked %+v", linked)
	}

	// Linked: the press approves, as the moderator.
	if code := sc.press(t, press); code != 200 {
		t.Fatalf("press answered %d", code)
	}
	eventually(t, "the message shows the approval", func() bool {
		m := sc.message(msg.TS)
		return m.Updates > 0 && strings.Contains(string(m.Blocks), "Approved") && !strings.Contains(string(m.Blocks), slack.ActionApprove)
	})
	q, _ := sc.h.store.Question(context.Background(), sc.e.ID, sc.tk.ID, rev.SubjectID, 0)
	if q.Status != koe.StatusApproved {
		t.Errorf("question %+v", q)
	}
	var audit struct {
		Entries []struct {
			Type  string `json:"type"`
			Actor struct {
				AccountID int64  `json:"account_id"`
				Via       string `json:"via"`
			} `json:"actor"`
		} `json:"entries"`
	}
	eventually(t, "the audit log has the decision", func() bool { // copied from the outbox
		sc.h.staff.get(eventPath(sc.e.ID)+"/audit?type=review.updated").decode(t, &audit)
		return len(audit.Entries) == 1
	})
	if audit.Entries[0].Actor.AccountID != sc.acct.ID || audit.Entries[0].Actor.Via != koe.ViaSlack {
		t.Errorf("audit %+v", audit.Entries)
	}
	// Pressed again (another moderator's message, say): decided already.
	n := len(sc.st.Responses())
	sc.press(t, press)
	eventually(t, "told it was decided", func() bool {
		rs := sc.st.Responses()
		return len(rs) > n && strings.Contains(rs[len(rs)-1].Text, "decided this item first")
	})

	// Decided in koe's console: the Slack message follows.
	rev2 := sc.held(t, "Rejected in the console?")
	msg2 := sc.posted(t, 2)
	sc.mod.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(sc.e.ID), rev2.ID), map[string]any{"decision": "reject"}).want(t, 200, "")
	eventually(t, "the message shows the rejection", func() bool {
		return strings.Contains(string(sc.message(msg2.TS).Blocks), "Rejected")
	})

	// Ban from Slack: the author is banned, the item rejected.
	rev3 := sc.held(t, "Spam spam spam")
	msg3 := sc.posted(t, 3)
	sc.press(t, slacktest.InteractionInput{UserID: "U0AIKO", ActionID: slack.ActionBan, Value: fmt.Sprintf("%d:%d", sc.e.ID, rev3.ID), MessageTS: msg3.TS})
	eventually(t, "the message shows the ban", func() bool {
		return strings.Contains(string(sc.message(msg3.TS).Blocks), "the author banned by *Staff")
	})
	var bans struct {
		Bans []koe.Ban `json:"bans"`
	}
	sc.h.staff.get(eventPath(sc.e.ID)+"/bans").decode(t, &bans)
	if len(bans.Bans) != 1 {
		t.Errorf("bans %+v", bans)
	}
	sc.p.post(questionsPath(sc.e.ID, sc.tk.ID), map[string]any{"body": "Still here?"}).want(t, 403, "banned")
}

// TestSlackInteractionsRefused: a wrong signature, a stale or future
// timestamp, a replay and a payload that is not koe's are refused, and
// act on nothing.
func TestSlackInteractionsRefused(t *testing.T) {
	sc := newSlackScene(t)
	sc.connect(t, map[string]any{"channel": slacktest.DefaultChannel, "bot_token": sc.st.Token, "signing_secret": sc.st.SigningSecret})
	rev := sc.held(t, "Refuse the forgeries?")
	ts := sc.posted(t, 1).TS
	value := fmt.Sprintf("%d:%d", sc.e.ID, rev.ID)
	for name, in := range map[string]slacktest.InteractionInput{
		"wrong secret": {Secret: "not-the-secret", ActionID: slack.ActionApprove, Value: value, MessageTS: ts},
		"stale":        {Time: time.Now().Add(-6 * time.Minute), ActionID: slack.ActionApprove, Value: value, MessageTS: ts},
		"future":       {Time: time.Now().Add(6 * time.Minute), ActionID: slack.ActionApprove, Value: value, MessageTS: ts},
	} {
		if code := sc.press(t, in); code != 401 {
			t.Errorf("%s: answered %d, want 401", name, code)
		}
	}
	for name, in := range map[string]slacktest.InteractionInput{
		"not koe's button": {ActionID: slack.ActionApprove, Value: "hello", MessageTS: ts},
		"not a payload":    {Payload: []byte(`{"type":"view_submission"}`)},
	} {
		if code := sc.press(t, in); code != 400 {
			t.Errorf("%s: answered %d, want 400", name, code)
		}
	}
	body, h, err := sc.st.BuildInteraction(slacktest.InteractionInput{ActionID: slack.ActionReject, Value: value, MessageTS: ts})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{200, 401} { // the first is answered (unlinked), its replay refused
		resp, err := slacktest.Post(context.Background(), sc.h.srv.URL+"/api/v1/slack/interactions", body, h)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("send %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	if r, _ := sc.h.store.Review(context.Background(), sc.e.ID, rev.ID); r.Decision != nil {
		t.Errorf("decided %+v", r.Decision)
	}
	big := strings.Repeat("a", slack.MaxInteractionBody+1)
	resp, err := http.Post(sc.h.srv.URL+"/api/v1/slack/interactions", "application/x-www-form-urlencoded", strings.NewReader("payload="+big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("a huge body: %d", resp.StatusCode)
	}
}

// TestSlackDelivery: Slack's rate limit and errors are retried, and the
// connection's health says so; a talk's closing posts its digest; the
// test message; an incoming webhook without a bot; validation.
func TestSlackDelivery(t *testing.T) {
	sc := newSlackScene(t)
	sc.connect(t, map[string]any{"channel": slacktest.DefaultChannel, "bot_token": sc.st.Token, "digest": true})
	sc.st.RateLimit(1, time.Second)
	sc.held(t, "Through the rate limit?")
	sc.posted(t, 1)
	var st struct {
		Connection koe.SlackConnection `json:"connection"`
	}
	eventually(t, "the health has the rate limit, then the success", func() bool {
		sc.h.staff.get(eventPath(sc.e.ID)+"/slack").decode(t, &st)
		h := st.Connection.Health
		return strings.Contains(h.LastError, "rate") && h.LastSuccessAt != nil
	})

	// The digest when the talk's Q&A closes.
	sc.h.staff.patch(eventPath(sc.e.ID), map[string]any{"settings": map[string]any{"moderation": ""}}).want(t, 200, "")
	sc.p.ask(sc.e.ID, sc.tk.ID, "What goes in the digest?")
	sc.p.post(talkPath(sc.e.ID, sc.tk.ID)+"/reactions", map[string]any{"emoji": "👏", "count": 3}).want(t, 204, "")
	sc.p.post(talkPath(sc.e.ID, sc.tk.ID)+"/reactions", map[string]any{"emoji": "🎉"}).want(t, 204, "")
	sc.h.staff.patch(talkPath(sc.e.ID, sc.tk.ID), map[string]any{"qa_open": false}).want(t, 200, "")
	digest := sc.posted(t, 2)
	if !strings.Contains(string(digest.Blocks), "What goes in the digest?") || !strings.Contains(string(digest.Blocks), "Reactions: 👏 3 · 🎉 1") {
		t.Errorf("digest %s", digest.Blocks)
	}
	sc.st.Fail(1, "internal_error") // Slack's ok:false: tried again
	sc.h.staff.post(eventPath(sc.e.ID)+"/slack/test", nil).want(t, 202, "")
	if m := sc.posted(t, 3); !strings.Contains(m.Text, "koe is connected") {
		t.Errorf("test message %+v", m)
	}
	eventually(t, "the health names Slack's error", func() bool {
		sc.h.staff.get(eventPath(sc.e.ID)+"/slack").decode(t, &st)
		return strings.Contains(st.Connection.Health.LastError, "internal_error")
	})

	// Notifications only: the incoming webhook.
	sc.connect(t, map[string]any{"bot_token": "", "webhook_url": sc.st.HookURL()})
	sc.h.staff.patch(talkPath(sc.e.ID, sc.tk.ID), map[string]any{"qa_open": true}).want(t, 200, "")
	sc.h.staff.patch(eventPath(sc.e.ID), map[string]any{"settings": map[string]any{"moderation": "pre"}}).want(t, 200, "")
	sc.held(t, "Through the incoming webhook?")
	eventually(t, "sent to the incoming webhook", func() bool {
		for _, hk := range sc.st.Hooked() {
			if strings.Contains(string(hk.Blocks), "Through the incoming webhook?") {
				return true
			}
		}
		return false
	})

	sc.h.staff.put(eventPath(sc.e.ID)+"/slack", map[string]any{"channel": "two words"}).want(t, 400, "invalid_argument")
	sc.h.staff.put(eventPath(sc.e.ID)+"/slack", map[string]any{"webhook_url": "ftp://hooks.example/x"}).want(t, 400, "invalid_argument")
	sc.mod.get(eventPath(sc.e.ID)+"/slack").want(t, 403, "forbidden")
	sc.h.staff.del(eventPath(sc.e.ID)+"/slack").want(t, 204, "")
	var after struct {
		Connection *koe.SlackConnection `json:"connection"`
	}
	sc.h.staff.get(eventPath(sc.e.ID)+"/slack").decode(t, &after)
	if after.Connection != nil {
		t.Errorf("deleted, still %+v", after.Connection)
	}
}
