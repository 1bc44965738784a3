package koe

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Integrations carry what happens at an event to other systems: outbound
// webhooks and Slack, both delivered from the outbox by one mechanism
// (docs/architecture.md, "Integrations").

// WebhookEvent names what a webhook subscription receives. Most are a
// change type as it is; question.approved and question.answered are
// question.updated changes that did that.
type WebhookEvent string

const (
	HookQuestionCreated  WebhookEvent = "question.created"  // a question shown at once (no moderation hold)
	HookQuestionApproved WebhookEvent = "question.approved" // a held question approved: shown from now on
	HookQuestionAnswered WebhookEvent = "question.answered" // marked answered
	HookQuestionUpdated  WebhookEvent = "question.updated"  // any change of a shown question (its text, hidden, answered)
	HookReplyCreated     WebhookEvent = "reply.created"     // a reply shown under a shown question
	HookTalkCreated      WebhookEvent = "talk.created"
	HookTalkUpdated      WebhookEvent = "talk.updated"
	HookEventUpdated     WebhookEvent = "event.updated"
	HookPostFeatured     WebhookEvent = "post.featured" // what the event features changed
	HookPollOpened       WebhookEvent = "poll.opened"   // a poll was opened (or opened again)
	HookPollClosed       WebhookEvent = "poll.closed"   // a poll was closed: its final results
	// The moderation queue's: these carry items nobody else sees yet.
	HookReviewCreated WebhookEvent = "review.created" // an item waits for a moderator, or was flagged
	HookReviewDecided WebhookEvent = "review.decided" // a moderator approved or rejected an item
)

// WebhookEvents lists every WebhookEvent, in the order the UI offers them.
var WebhookEvents = []WebhookEvent{HookQuestionCreated, HookQuestionApproved, HookQuestionAnswered, HookQuestionUpdated,
	HookReplyCreated, HookTalkCreated, HookTalkUpdated, HookEventUpdated, HookPostFeatured, HookPollOpened, HookPollClosed,
	HookReviewCreated, HookReviewDecided}

// Limits of integrations.
const (
	MaxWebhooks        = 20   // per event
	MaxWebhookURL      = 2000 // bytes
	MaxWebhookNote     = 200  // characters of a webhook's description
	MaxSlackChannel    = 80
	MaxSlackSecret     = 500 // bytes of a bot token, signing secret or incoming webhook URL
	MaxResponseExcerpt = 512 // bytes of a destination's answer kept in the delivery log
)

// Webhook is an event's subscription: koe POSTs the events it names to
// URL, signed with Secret (docs/webhooks.md).
type Webhook struct {
	ID          int64          `json:"id"`
	EventID     int64          `json:"event_id"`
	URL         string         `json:"url"`
	Description string         `json:"description"`
	Events      []WebhookEvent `json:"events"`
	Enabled     bool           `json:"enabled"`
	// Secret signs the deliveries ("whsec_" and base64); sent back only
	// when it is made (on creation and renewal).
	Secret string `json:"-"`
	// DisabledReason says why koe disabled the webhook itself (its
	// deliveries failed for a day); "" when it did not. Enabling it again
	// clears it.
	DisabledReason string            `json:"disabled_reason"`
	Health         IntegrationHealth `json:"health"`
	Version        int64             `json:"version"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// IntegrationHealth is how deliveries to a destination go.
type IntegrationHealth struct {
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastError     string     `json:"last_error"`
	LastErrorAt   *time.Time `json:"last_error_at"`
	// Backlog counts the deliveries waiting (to be tried, or tried again).
	Backlog int `json:"backlog"`
}

// Wants reports whether the webhook takes events of type ev.
func (w *Webhook) Wants(ev WebhookEvent) bool { return w.Enabled && slices.Contains(w.Events, ev) }

// Clean validates a webhook's configuration, as a client set it.
func (w *Webhook) Clean() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || len(w.URL) > MaxWebhookURL {
		return Invalid("url", ReasonFormat, MaxWebhookURL, "url must be an absolute http(s) URL of at most %d bytes, without fragment", MaxWebhookURL)
	}
	if w.Description, err = CleanLine("description", w.Description, 0, MaxWebhookNote); err != nil {
		return err
	}
	if len(w.Events) == 0 {
		return Invalid("events", ReasonEmpty, 0, "events must name at least one of %s", joinEvents())
	}
	events := make([]WebhookEvent, 0, len(w.Events))
	for _, ev := range w.Events {
		if !slices.Contains(WebhookEvents, ev) {
			return Invalid("events", ReasonFormat, 0, "events may name only %s", joinEvents())
		}
		if !slices.Contains(events, ev) {
			events = append(events, ev)
		}
	}
	w.Events = events
	return nil
}

func joinEvents() string {
	s := make([]string, len(WebhookEvents))
	for i, ev := range WebhookEvents {
		s[i] = string(ev)
	}
	return strings.Join(s, ", ")
}

// WebhookUpdate changes a webhook; nil fields stay.
type WebhookUpdate struct {
	URL         *string
	Description *string
	Events      *[]WebhookEvent
	Enabled     *bool
	// Secret replaces the signing secret (a renewal).
	Secret *string
	// DisabledReason is set by koe when it disables the webhook.
	DisabledReason *string
}

// Apply sets the fields of w that u changes and reports whether anything
// changed; the caller validates w afterwards. Enabling a webhook clears
// the reason koe disabled it.
func (u WebhookUpdate) Apply(w *Webhook) bool {
	before, _ := json.Marshal(w)
	beforeSecret := w.Secret
	if u.URL != nil {
		w.URL = *u.URL
	}
	if u.Description != nil {
		w.Description = *u.Description
	}
	if u.Events != nil {
		w.Events = *u.Events
	}
	if u.Enabled != nil {
		w.Enabled = *u.Enabled
		if w.Enabled {
			w.DisabledReason = ""
		}
	}
	if u.Secret != nil {
		w.Secret = *u.Secret
	}
	if u.DisabledReason != nil {
		w.DisabledReason = *u.DisabledReason
	}
	after, _ := json.Marshal(w)
	return string(before) != string(after) || beforeSecret != w.Secret
}

// SlackConnection is how an event reaches its Slack workspace: a bot
// (token and signing secret: messages with buttons, updated when an item
// is decided) or an incoming webhook (notifications only). A bot token or
// signing secret left empty takes the installation's (KOE_SLACK_*).
type SlackConnection struct {
	EventID int64 `json:"event_id"`
	Enabled bool  `json:"enabled"`
	// Channel is where the bot posts (an id such as C0123ABCD, or #name).
	Channel       string `json:"channel"`
	BotToken      string `json:"-"`
	SigningSecret string `json:"-"`
	WebhookURL    string `json:"-"`
	// The Set fields say which credentials the event holds (never sent
	// back).
	BotTokenSet      bool `json:"bot_token_set"`
	SigningSecretSet bool `json:"signing_secret_set"`
	WebhookURLSet    bool `json:"webhook_url_set"`
	// Reviews posts the items that wait for a moderator, and flagged
	// ones, with Approve / Reject / Ban buttons; Digest a summary when a
	// talk's Q&A closes.
	Reviews   bool              `json:"reviews"`
	Digest    bool              `json:"digest"`
	Health    IntegrationHealth `json:"health"`
	Version   int64             `json:"version"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Clean validates a connection as a client set it.
func (c *SlackConnection) Clean() error {
	var err error
	if c.Channel, err = CleanLine("channel", c.Channel, 0, MaxSlackChannel); err != nil {
		return err
	}
	if strings.ContainsAny(c.Channel, " \t") {
		return Invalid("channel", ReasonFormat, 0, "channel is a Slack channel id (C0123ABCD) or #name")
	}
	for _, f := range []struct {
		field, v string
	}{{"bot_token", c.BotToken}, {"signing_secret", c.SigningSecret}, {"webhook_url", c.WebhookURL}} {
		if len(f.v) > MaxSlackSecret || !utf8.ValidString(f.v) || strings.ContainsAny(f.v, " \t\r\n") {
			return Invalid(f.field, ReasonFormat, MaxSlackSecret, "%s must be one word of at most %d bytes", f.field, MaxSlackSecret)
		}
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return Invalid("webhook_url", ReasonFormat, 0, "webhook_url must be a Slack incoming webhook URL (https://hooks.slack.com/services/…)")
		}
	}
	c.MarkSet()
	return nil
}

// MarkSet sets the Set fields from the credentials held (stores call it
// on what they read).
func (c *SlackConnection) MarkSet() {
	c.BotTokenSet, c.SigningSecretSet, c.WebhookURLSet = c.BotToken != "", c.SigningSecret != "", c.WebhookURL != ""
}

// SlackUpdate changes a connection; nil fields stay.
type SlackUpdate struct {
	Enabled       *bool
	Channel       *string
	BotToken      *string
	SigningSecret *string
	WebhookURL    *string
	Reviews       *bool
	Digest        *bool
}

// Apply sets the fields of c that u changes and reports whether anything
// changed; the caller validates c afterwards.
func (u SlackUpdate) Apply(c *SlackConnection) bool {
	before := *c
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&c.Channel, u.Channel}, {&c.BotToken, u.BotToken}, {&c.SigningSecret, u.SigningSecret}, {&c.WebhookURL, u.WebhookURL}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	for _, f := range []struct {
		dst *bool
		v   *bool
	}{{&c.Enabled, u.Enabled}, {&c.Reviews, u.Reviews}, {&c.Digest, u.Digest}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	c.MarkSet()
	return before.Enabled != c.Enabled || before.Channel != c.Channel || before.BotToken != c.BotToken ||
		before.SigningSecret != c.SigningSecret || before.WebhookURL != c.WebhookURL || before.Reviews != c.Reviews || before.Digest != c.Digest
}

// SlackLink says which koe staff account a Slack user is: their button
// presses act as that account.
type SlackLink struct {
	TeamID    string    `json:"team_id"`
	UserID    string    `json:"user_id"`
	AccountID int64     `json:"account_id"`
	CreatedAt time.Time `json:"created_at"`
}

// DeliveryTarget is the kind of destination a delivery goes to.
type DeliveryTarget string

const (
	TargetWebhook DeliveryTarget = "webhook" // TargetID is the webhook's id
	TargetSlack   DeliveryTarget = "slack"   // TargetID is the event's id (its one connection)
)

// The Slack deliveries' types.
const (
	SlackReview   = "slack.review"   // post a review with its buttons
	SlackDecision = "slack.decision" // update that message: who decided
	SlackDigest   = "slack.digest"   // a talk's summary
	SlackTest     = "slack.test"     // a message saying koe is connected
)

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // to be tried, or tried again at NextAt
	DeliveryDelivered DeliveryState = "delivered" // the destination took it
	DeliveryFailed    DeliveryState = "failed"    // koe gave up (retried for a day, or it cannot be sent)
)

// Delivery is one item for one destination, made from one change of the
// outbox and tried until the destination takes it.
type Delivery struct {
	ID       int64          `json:"id"`
	EventID  int64          `json:"event_id"`
	Target   DeliveryTarget `json:"target"`
	TargetID int64          `json:"target_id"`
	// Key is the idempotency key: unique per destination, made from the
	// change's outbox position, sent with every attempt (webhook-id), so
	// that a destination recognises an item it was given already.
	Key string `json:"key"`
	// Type is the webhook event, or one of the Slack types.
	Type string `json:"type"`
	// SubjectID is the review a Slack message is about (0 else).
	SubjectID int64 `json:"subject_id"`
	// Payload is what is sent: the webhook's body, or the Slack message's
	// content.
	Payload json.RawMessage `json:"payload"`
	State   DeliveryState   `json:"state"`
	// Attempts counts the attempts made; Last is the latest.
	Attempts int              `json:"attempts"`
	Last     *DeliveryAttempt `json:"last"`
	NextAt   time.Time        `json:"next_at"`
	// Result is what the destination gave back that koe needs later: a
	// Slack message's "channel ts", to update it.
	Result    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// RetryFrom is when koe began trying: CreatedAt, or when it was made
	// again (Redeliver); koe gives up a day after.
	RetryFrom   time.Time  `json:"-"`
	DeliveredAt *time.Time `json:"delivered_at"`
}

// DeliveryAttempt is the outcome of one attempt.
type DeliveryAttempt struct {
	At time.Time `json:"at"`
	// Status is the HTTP status the destination answered (0 for none: a
	// refused connection, a timeout).
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	// Error is "" when the destination took the item.
	Error string `json:"error"`
	// Response is the start of the destination's answer.
	Response string `json:"response"`
}

// DeliveryOutcome is what an attempt leaves: the attempt, the state it
// leaves the delivery in, when to try again (pending), what the
// destination gave back (delivered), and, when koe gives up on a webhook
// for good, why it disables it (that webhook's update is recorded as a
// change by koe).
type DeliveryOutcome struct {
	Attempt DeliveryAttempt
	State   DeliveryState
	NextAt  time.Time
	Result  string
	Disable string
	// Retry is an attempt that was put off without being made (a Slack
	// update waiting for its message to be posted): no attempt is counted
	// and the health stays.
	Retry bool
}

// DeliveryQuery selects deliveries for the log, newest first.
type DeliveryQuery struct {
	EventID  int64
	Target   DeliveryTarget
	TargetID int64
	// State selects one state ("" any).
	State DeliveryState
	// Before is the id of the last delivery of the page before (0: from
	// the newest).
	Before int64
	Limit  int // 0 means 50
}

// IntegrationStore keeps webhooks, Slack connections and links, and the
// deliveries to them.
type IntegrationStore interface {
	// CreateWebhook stores w, setting ID, Version (1), CreatedAt and
	// UpdatedAt; records WebhookCreated. ENOTFOUND without the event.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// UpdateWebhook applies u (the caller has validated the result), bumps
	// the version and records WebhookUpdated (neither when u changes
	// nothing).
	UpdateWebhook(ctx context.Context, eventID, id int64, u WebhookUpdate) (*Webhook, error)
	// DeleteWebhook deletes a webhook with its deliveries; records
	// WebhookDeleted.
	DeleteWebhook(ctx context.Context, eventID, id int64) error
	// Webhook returns one webhook of an event, with its secret and health.
	Webhook(ctx context.Context, eventID, id int64) (*Webhook, error)
	// Webhooks lists an event's webhooks by id, with secrets and health.
	Webhooks(ctx context.Context, eventID int64) ([]*Webhook, error)

	// EnqueueDeliveries stores deliveries (setting IDs, CreatedAt and
	// RetryFrom),
	// skipping those whose (Target, TargetID, Key) is stored already: a
	// change handled twice makes its deliveries once.
	EnqueueDeliveries(ctx context.Context, ds []*Delivery) error
	// DueDeliveries returns up to limit pending deliveries whose NextAt
	// is not after now, to destinations that are enabled (a webhook, an
	// event's Slack connection), oldest first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	// FinishAttempt saves an attempt's outcome (the delivery's state,
	// attempts, last attempt, next time, result) and the destination's
	// health (a webhook's, a Slack connection's), in one transaction;
	// with o.Disable, it disables the webhook and records its
	// WebhookUpdated (actor koe).
	FinishAttempt(ctx context.Context, id int64, o DeliveryOutcome) error
	// Delivery returns one delivery of an event.
	Delivery(ctx context.Context, eventID, id int64) (*Delivery, error)
	// Deliveries lists deliveries as q selects, newest first.
	Deliveries(ctx context.Context, q DeliveryQuery) ([]*Delivery, error)
	// Redeliver makes a delivery pending again, due at now, and retried
	// from now (its attempts stay counted).
	Redeliver(ctx context.Context, eventID, id int64, now time.Time) (*Delivery, error)
	// DeliveryBacklog counts the pending deliveries of every event, by
	// target.
	DeliveryBacklog(ctx context.Context) (map[DeliveryTarget]int, error)
	// PruneDeliveries deletes the deliveries that are no longer pending
	// and were made before before, and returns how many.
	PruneDeliveries(ctx context.Context, before time.Time) (int64, error)

	// SlackConnection returns an event's connection, with its credentials
	// and health; ENOTFOUND when it has none.
	SlackConnection(ctx context.Context, eventID int64) (*SlackConnection, error)
	// SetSlackConnection applies u to the event's connection (the caller
	// has validated the result), making it when there is none; bumps the
	// version and records SlackUpdated (neither when u changes nothing).
	// ENOTFOUND without the event.
	SetSlackConnection(ctx context.Context, eventID int64, u SlackUpdate) (*SlackConnection, error)
	// DeleteSlackConnection deletes the event's connection and its
	// deliveries; records SlackDeleted. ENOTFOUND when there is none.
	DeleteSlackConnection(ctx context.Context, eventID int64) error
	// LinkSlackUser stores l (setting CreatedAt), replacing the Slack
	// user's earlier link; records SlackLinked. ENOTFOUND without the
	// account.
	LinkSlackUser(ctx context.Context, l *SlackLink) error
	// SlackLink returns the link of a Slack user; ENOTFOUND for none.
	SlackLink(ctx context.Context, teamID, userID string) (*SlackLink, error)
	// SlackMessage returns the Result of the latest SlackReview delivery
	// of a review (the message to update), "" when there is none or it
	// was not posted, with pending true while it waits.
	SlackMessage(ctx context.Context, eventID, reviewID int64) (result string, pending bool, err error)
}

// Change records w as typ (without its secret); before, if not nil, is how
// it was.
func (w *Webhook) Change(typ ChangeType, before *Webhook) Change {
	c := newChange(typ, w.EventID, 0, VisibleStaff, w)
	if before != nil {
		c = c.WithBefore(before)
	}
	return c
}

// Change records c as typ (without its credentials); before, if not nil,
// is how it was.
func (c *SlackConnection) Change(typ ChangeType, before *SlackConnection) Change {
	ch := newChange(typ, c.EventID, 0, VisibleStaff, c)
	if before != nil {
		ch = ch.WithBefore(before)
	}
	return ch
}

// Change records l as SlackLinked.
func (l *SlackLink) Change() Change { return newChange(SlackLinked, 0, 0, VisibleStaff, l) }

// Record notes an attempt of a delivery to the destination (not its
// backlog, which the store counts).
func (h *IntegrationHealth) Record(a DeliveryAttempt) {
	at := a.At
	if a.Error == "" {
		h.LastSuccessAt = &at
		return
	}
	h.LastError, h.LastErrorAt = a.Error, &at
}
