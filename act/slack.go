package act

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/moderation"
	"github.com/koehq/koe/slack"
	"github.com/koehq/koe/webhook"
)

// Slack (docs/architecture.md, "Integrations: webhooks and Slack"): an
// event's connection posts the items that wait for a moderator with
// Approve / Reject / Ban buttons and updates the message once decided,
// by whichever door; a button press comes back to the interactivity
// endpoint and acts, through this layer, as the koe account linked to
// the Slack user who pressed it.

// SlackConfig is the installation's Slack (KOE_SLACK_*): an event's
// empty credential takes these.
type SlackConfig struct {
	BotToken, SigningSecret string
	// APIURL is the Web API's root ("" for Slack's; tests point it at
	// slacktest).
	APIURL string
}

// SlackInput is an event's connection as an owner sets it: every field
// optional (nil stays); a credential sent as "" is cleared.
type SlackInput struct {
	Enabled       *bool   `json:"enabled"`
	Channel       *string `json:"channel"`
	BotToken      *string `json:"bot_token"`
	SigningSecret *string `json:"signing_secret"`
	WebhookURL    *string `json:"webhook_url"`
	Reviews       *bool   `json:"reviews"`
	Digest        *bool   `json:"digest"`
}

func (in SlackInput) update() koe.SlackUpdate {
	return koe.SlackUpdate{Enabled: in.Enabled, Channel: in.Channel, BotToken: in.BotToken, SigningSecret: in.SigningSecret,
		WebhookURL: in.WebhookURL, Reviews: in.Reviews, Digest: in.Digest}
}

// SlackStatus is an event's Slack as its owners see it: the connection
// (nil for none, never its credentials), where the Slack app sends button
// presses, and which credentials the installation holds.
type SlackStatus struct {
	Connection       *koe.SlackConnection `json:"connection"`
	InteractivityURL string               `json:"interactivity_url"`
	Installation     struct {
		BotTokenSet      bool `json:"bot_token_set"`
		SigningSecretSet bool `json:"signing_secret_set"`
	} `json:"installation"`
}

// The paths of Slack's routes, as the UI and Slack's app settings name
// them.
const (
	SlackInteractionsPath = "/api/v1/slack/interactions"
	slackLinkPage         = "/slack/link#"
)

// base is where people reach koe ("" when unknown: paths then stay
// relative, and the page makes them absolute).
func (a *Actions) base() string {
	return strings.TrimSuffix(cmp.Or(a.publicURL, a.joinBase.URL), "/")
}

// Slack returns an event's Slack connection and how to set up its app.
func (a *Actions) Slack(ctx context.Context, eventID int64) (*SlackStatus, error) {
	if _, _, err := a.begin(ctx, Manage, eventID); err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	st := &SlackStatus{InteractivityURL: a.base() + SlackInteractionsPath}
	st.Installation.BotTokenSet, st.Installation.SigningSecretSet = a.slack.BotToken != "", a.slack.SigningSecret != ""
	c, err := a.store.SlackConnection(ctx, eventID)
	switch {
	case err == nil:
		st.Connection = c
	case koe.ErrorCode(err) != koe.ENOTFOUND:
		return nil, err
	}
	return st, nil
}

// SetSlack connects an event to Slack, or changes its connection.
func (a *Actions) SetSlack(ctx context.Context, eventID int64, in SlackInput) (*koe.SlackConnection, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	c, err := a.store.SlackConnection(ctx, eventID)
	switch {
	case koe.ErrorCode(err) == koe.ENOTFOUND:
		c = &koe.SlackConnection{EventID: eventID}
	case err != nil:
		return nil, err
	}
	u := in.update()
	if c.Version == 0 { // a new connection starts on, posting reviews (the store makes it from u)
		on := true
		u.Enabled, u.Reviews = cmp.Or(u.Enabled, &on), cmp.Or(u.Reviews, &on)
	}
	u.Apply(c)
	if err := c.Clean(); err != nil {
		return nil, err
	}
	if c.WebhookURL != "" {
		if err := webhook.CheckURL(c.WebhookURL, a.deliver.opts.AllowPrivate); err != nil {
			return nil, koe.Invalid("webhook_url", koe.ReasonFormat, 0, "%s", koe.ErrorMessage(err))
		}
	}
	u.Channel = &c.Channel // as cleaned
	return a.store.SetSlackConnection(ctx, eventID, u)
}

// DeleteSlack disconnects an event from Slack.
func (a *Actions) DeleteSlack(ctx context.Context, eventID int64) error {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return err
	}
	return a.store.DeleteSlackConnection(ctx, eventID)
}

// TestSlack posts a message saying koe is connected, through the
// deliverer like any other.
func (a *Actions) TestSlack(ctx context.Context, eventID int64) (*koe.Delivery, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	e, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.SlackConnection(ctx, eventID); err != nil {
		return nil, err
	}
	m := slack.Message{Text: "koe is connected: " + e.Title + "'s moderation queue is posted here."}
	d := slackDelivery(eventID, "test-"+auth.NewSecret("")[:16], koe.SlackTest, 0, m, a.now())
	if err := a.store.EnqueueDeliveries(ctx, []*koe.Delivery{d}); err != nil {
		return nil, err
	}
	a.deliver.poke()
	return d, nil
}

// slackDelivery is a delivery of m to the event's connection.
func slackDelivery(eventID int64, key, typ string, subject int64, m slack.Message, now time.Time) *koe.Delivery {
	body, _ := json.Marshal(m) // cannot fail: blocks are plain values
	return &koe.Delivery{EventID: eventID, Target: koe.TargetSlack, TargetID: eventID, Key: key, Type: typ, SubjectID: subject,
		Payload: body, NextAt: now}
}

// slackItems returns the Slack deliveries a change makes for its event's
// connection (read by connection, only for a change that can make one;
// nil for none): a review that waits, posted with its buttons; its
// decision (or undoing it), the message updated; a talk's Q&A closed, the
// digest.
func (a *Actions) slackItems(ctx context.Context, c koe.Change, connection func() (*koe.SlackConnection, error)) ([]*koe.Delivery, error) {
	var closed koe.Talk
	switch c.Type {
	case koe.ReviewCreated, koe.ReviewUpdated:
	case koe.TalkUpdated:
		var before koe.Talk
		if c.Before == nil || json.Unmarshal(c.Before, &before) != nil || json.Unmarshal(c.Data, &closed) != nil || !before.QAOpen || closed.QAOpen {
			return nil, nil
		}
	default:
		return nil, nil
	}
	conn, err := connection()
	if err != nil || conn == nil || !conn.Enabled {
		return nil, err
	}
	key := c.Pos.String() + "-"
	if c.Type == koe.TalkUpdated {
		if !conn.Digest {
			return nil, nil
		}
		dg, err := a.digest(ctx, &closed)
		if err != nil {
			return nil, err
		}
		return []*koe.Delivery{slackDelivery(c.EventID, key+koe.SlackDigest, koe.SlackDigest, 0, slack.DigestMessage(dg), a.now())}, nil
	}
	var r koe.Review
	if !conn.Reviews || json.Unmarshal(c.Data, &r) != nil {
		return nil, nil
	}
	card, err := a.reviewCard(ctx, &r)
	if err != nil {
		return nil, err
	}
	if c.Type == koe.ReviewCreated {
		return []*koe.Delivery{slackDelivery(c.EventID, key+koe.SlackReview, koe.SlackReview, r.ID, slack.ReviewMessage(card), a.now())}, nil
	}
	m := slack.ReviewMessage(card) // undone: the buttons again
	if d := r.Decision; d != nil {
		decision := string(d.Decision)
		if r.Banned && d.Decision == koe.ReviewRejected {
			decision = "banned"
		}
		m = slack.DecisionMessage(card, decision, d.By, d.At)
	}
	return []*koe.Delivery{slackDelivery(c.EventID, key+koe.SlackDecision, koe.SlackDecision, r.ID, m, a.now())}, nil
}

// reviewCard is a review as its Slack message shows it.
func (a *Actions) reviewCard(ctx context.Context, r *koe.Review) (slack.ReviewCard, error) {
	e, err := a.store.Event(ctx, r.EventID)
	if err != nil {
		return slack.ReviewCard{}, err
	}
	card := slack.ReviewCard{EventName: e.Title, Kind: string(r.Kind), Author: r.AuthorName, Body: r.Body,
		Value: fmt.Sprintf("%d:%d", r.EventID, r.ID)}
	if base := a.base(); base != "" {
		card.ConsoleURL = base + "/admin/e/" + itoa(r.EventID) + "/moderation"
	}
	if r.TalkID != 0 {
		t, err := a.store.Talk(ctx, r.EventID, r.TalkID)
		if err != nil {
			return card, err
		}
		card.TalkTitle = t.Title
	}
	var reasons []moderation.Reason
	_ = json.Unmarshal(r.Reasons, &reasons) // none shown if unreadable
	for _, why := range reasons {
		card.Reasons = append(card.Reasons, reasonText(why))
	}
	return card, nil
}

// reasonText says why an item waits, in a moderator's words.
func reasonText(r moderation.Reason) string {
	switch r.Kind {
	case "mode":
		return "the event holds every item for moderation"
	case "word":
		return "matched the " + r.Name + " word list (" + r.Detail + ")"
	case "scorer":
		return "scored " + strconv.FormatFloat(r.Score, 'f', 2, 64) + " by " + r.Name + " (" + r.Detail + ")"
	}
	return strings.TrimSpace(r.Name + " " + r.Detail)
}

// digest is a talk's summary once its Q&A closed: the questions shown,
// answered or not, the most liked first, and the reactions tapped.
func (a *Actions) digest(ctx context.Context, t *koe.Talk) (slack.Digest, error) {
	e, err := a.store.Event(ctx, t.EventID)
	if err != nil {
		return slack.Digest{}, err
	}
	d := slack.Digest{EventName: e.Title, TalkTitle: t.Title}
	if base := a.base(); base != "" {
		d.URL = base + "/admin/e/" + itoa(t.EventID)
	}
	for _, sort := range []koe.QuestionSort{koe.SortTop, koe.SortAnswered} {
		page, err := a.store.Questions(ctx, koe.QuestionQuery{EventID: t.EventID, TalkID: t.ID, Sort: sort, Limit: koe.MaxPageSize})
		if err != nil {
			return d, err
		}
		for _, q := range page.Questions {
			dq := slack.DigestQuestion{Body: q.Body, Likes: q.Likes}
			d.Questions++
			d.Top = append(d.Top, dq)
			if sort == koe.SortAnswered {
				d.Answered++
			} else {
				d.Unanswered = append(d.Unanswered, dq)
			}
		}
	}
	slices.SortStableFunc(d.Top, func(x, y slack.DigestQuestion) int { return y.Likes - x.Likes })
	// The reactions as written: this process's last second first.
	a.reactions.flush(ctx, a)
	totals, err := a.store.Reactions(ctx, t.EventID, t.ID)
	if err != nil {
		return d, err
	}
	d.Reactions = make(map[string]int, len(totals))
	for emoji, n := range totals {
		d.Reactions[emoji] = int(n)
	}
	return d, nil
}

// sendSlack makes one attempt of a Slack delivery: the message posted
// (with the bot: its channel and ts kept, to update it), or sent to the
// incoming webhook; a decision updates the posted message, waiting while
// it is not posted yet (retry: no attempt made).
func (a *Actions) sendSlack(ctx context.Context, d *koe.Delivery, now time.Time) (at koe.DeliveryAttempt, wait time.Duration, result string, retry bool) {
	at = koe.DeliveryAttempt{At: now}
	conn, err := a.store.SlackConnection(ctx, d.EventID)
	if err != nil {
		at.Error = "no Slack connection: " + err.Error()
		return at, 0, "", false
	}
	var m slack.Message
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		at.Error = "undecodable message: " + err.Error()
		return at, 0, "", false
	}
	token := cmp.Or(conn.BotToken, a.slack.BotToken)
	start := time.Now()
	var callErr error
	switch {
	case d.Type == koe.SlackDecision:
		msg, pending, err := a.store.SlackMessage(ctx, d.EventID, d.SubjectID)
		switch {
		case err != nil:
			callErr = err
		case pending:
			return at, 0, "", true
		case msg == "" || token == "":
			at.Response = "no message to update (posted through the incoming webhook, or never)"
		default:
			channel, ts, _ := strings.Cut(msg, " ")
			callErr = a.deliver.slackAPI.UpdateMessage(ctx, token, channel, ts, m)
		}
	case token != "" && conn.Channel != "":
		var channel, ts string
		channel, ts, callErr = a.deliver.slackAPI.PostMessage(ctx, token, conn.Channel, m)
		if callErr == nil {
			result = channel + " " + ts
		}
	case conn.WebhookURL != "":
		callErr = a.deliver.slackHooks.PostWebhook(ctx, conn.WebhookURL, m)
	default:
		at.Error = "the connection has neither a bot token and a channel, nor an incoming webhook"
		return at, 0, "", false
	}
	at = slackAttempt(at, callErr, start)
	wait, _ = slack.RetryAfter(callErr)
	return at, wait, result, false
}

// slackAttempt completes an attempt with the outcome of one call.
func slackAttempt(at koe.DeliveryAttempt, err error, start time.Time) koe.DeliveryAttempt {
	at.LatencyMS = ms(time.Since(start))
	if err == nil {
		at.Status = http.StatusOK
		return at
	}
	at.Error = err.Error()
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		at.Status = sc.StatusCode()
	}
	return at
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
