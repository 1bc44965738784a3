package slack_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe/slack"
	"github.com/koehq/koe/slack/slacktest"
)

// endpoint is an interactivity endpoint as koe's will be: verify, refuse
// replays, decode, answer the presser through the response URL, and
// update the message.
type endpoint struct {
	secret  string
	token   string
	client  *slack.Client
	replays *slack.Replays

	mu      sync.Mutex
	pressed []*slack.Interaction
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, slack.MaxInteractionBody))
	if err != nil {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now()
	if err := slack.Verify(e.secret, r.Header, body, now); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if e.replays.Seen(r.Header.Get(slack.SignatureHeader), now) {
		http.Error(w, "replayed request", http.StatusUnauthorized)
		return
	}
	in, err := slack.DecodeInteraction(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	e.pressed = append(e.pressed, in)
	e.mu.Unlock()
	w.WriteHeader(http.StatusOK) // Slack's 3 seconds: answer first, act after
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if in.UserID != "U0LINKED" {
			e.client.Respond(ctx, in.ResponseURL, "Link your Slack account to koe first.", true, false)
			return
		}
		card := slack.ReviewCard{EventName: "GoConf", Body: "Why?", Value: in.Value}
		e.client.UpdateMessage(ctx, e.token, in.ChannelID, in.MessageTS, slack.DecisionMessage(card, "approved", in.UserName, time.Now()))
	}()
}

func TestInteractivityEndToEnd(t *testing.T) {
	srv, c := setup(t)
	ep := &endpoint{secret: srv.SigningSecret, token: srv.Token, client: c, replays: slack.NewReplays(slack.Window, 1000)}
	koe := httptest.NewServer(ep)
	defer koe.Close()
	ctx := t.Context()

	_, ts, err := c.PostMessage(ctx, srv.Token, slacktest.DefaultChannel, slack.ReviewMessage(card))
	if err != nil {
		t.Fatal(err)
	}
	status := func(resp *http.Response, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// A linked moderator approves: the message is updated.
	press := slacktest.InteractionInput{UserID: "U0LINKED", UserName: "ren", ActionID: slack.ActionApprove, Value: card.Value, MessageTS: ts}
	body, h, err := srv.BuildInteraction(press)
	if err != nil {
		t.Fatal(err)
	}
	if got := status(slacktest.Post(ctx, koe.URL, body, h)); got != 200 {
		t.Fatalf("a signed press: %d", got)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Wait(wctx, func() bool { p, _ := srv.Message(slacktest.DefaultChannel, ts); return p.Updates == 1 }); err != nil {
		t.Fatalf("the message was not updated: %v", err)
	}
	if p, _ := srv.Message(slacktest.DefaultChannel, ts); !strings.Contains(string(p.Blocks), "Approved by *ren*") {
		t.Fatalf("updated to %s", p.Blocks)
	}
	ep.mu.Lock()
	got := *ep.pressed[0]
	ep.mu.Unlock()
	if got.ActionID != slack.ActionApprove || got.Value != card.Value || got.ChannelID != slacktest.DefaultChannel || got.MessageTS != ts ||
		got.TeamID != slacktest.TeamID || !strings.HasPrefix(got.ResponseURL, strings.TrimSuffix(srv.URL(), "api/")+"respond/") {
		t.Fatalf("decoded %+v", got)
	}

	// The same request again is a replay.
	if got := status(slacktest.Post(ctx, koe.URL, body, h)); got != 401 {
		t.Fatalf("a replay: %d", got)
	}
	// Stale, future, wrongly signed.
	for name, in := range map[string]slacktest.InteractionInput{
		"stale":        {ActionID: slack.ActionReject, Value: "v", MessageTS: ts, Time: time.Now().Add(-6 * time.Minute)},
		"future":       {ActionID: slack.ActionReject, Value: "v", MessageTS: ts, Time: time.Now().Add(6 * time.Minute)},
		"wrong secret": {ActionID: slack.ActionReject, Value: "v", MessageTS: ts, Secret: "not-the-secret"},
	} {
		if got := status(srv.Interact(ctx, koe.URL, in)); got != 401 {
			t.Fatalf("%s: %d", name, got)
		}
	}
	// A signed body that is not a button press.
	if got := status(srv.Interact(ctx, koe.URL, slacktest.InteractionInput{Payload: []byte(`{"type":"shortcut"}`)})); got != 400 {
		t.Fatalf("a shortcut: %d", got)
	}

	// An unlinked user gets an ephemeral answer.
	u := srv.ResponseURL()
	if got := status(srv.Interact(ctx, koe.URL, slacktest.InteractionInput{UserID: "U0STRANGER", ActionID: slack.ActionBan, Value: "v",
		MessageTS: ts, ResponseURL: u})); got != 200 {
		t.Fatalf("unlinked: %d", got)
	}
	if err := srv.Wait(wctx, func() bool { return len(srv.Responses()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if r := srv.Responses()[0]; r.URL != u || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Link your Slack account") {
		t.Fatalf("response %+v", r)
	}
	if p, _ := srv.Message(slacktest.DefaultChannel, ts); p.Updates != 1 {
		t.Fatal("the unlinked press changed the message")
	}
}

func TestVerifyOfSlacktestSignatures(t *testing.T) {
	// slacktest signs on its own; Verify must agree with it.
	srv := slacktest.New()
	defer srv.Close()
	body, h, err := srv.BuildInteraction(slacktest.InteractionInput{ActionID: slack.ActionApprove, Value: "v", MessageTS: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := slack.Verify(srv.SigningSecret, h, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := slack.Verify("another", h, body, time.Now()); !errors.Is(err, slack.ErrBadSignature) {
		t.Fatalf("another secret: %v", err)
	}
}
