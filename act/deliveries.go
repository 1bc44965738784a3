package act

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/outbox"
	"github.com/koehq/koe/slack"
	"github.com/koehq/koe/webhook"
)

// Deliveries carry the outbox's changes to the events' webhooks
// (docs/architecture.md, "Integrations: webhooks and Slack"): the shared
// consumer "deliveries" turns each change into a delivery per webhook
// that takes it, stored under a key made from the change's position, so
// that a change handled twice (after a crash, before the consumer saved
// its cursor) makes its deliveries once; the deliverer, on the lease
// "deliverer", tries the due ones until each is taken, for a day, then
// gives up and disables the webhook. Every item is delivered at least
// once, by one process at a time.

// DeliveryOptions tune the deliverer; zero values take the defaults.
type DeliveryOptions struct {
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// FirstRetry is the wait after the first failed attempt, doubled
	// after each up to LastRetry (defaults 10 s and 1 h), with jitter.
	FirstRetry, LastRetry time.Duration
	// RetryFor is how long koe tries a delivery before it gives up and
	// disables the webhook (default 24 h).
	RetryFor time.Duration
	// Poll is how often the deliverer looks for due deliveries when no
	// new one woke it (default 1 s: deliveries made on another replica,
	// retries).
	Poll time.Duration
	// Workers is how many attempts run at once (default 8).
	Workers int
	// Keep is how long the log keeps deliveries that are done (default 7
	// days).
	Keep time.Duration
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses (KOE_WEBHOOK_ALLOW_PRIVATE): for a koe on a private
	// network, and tests.
	AllowPrivate bool
}

// Defaults of DeliveryOptions.
const (
	DefaultDeliveryTimeout = 10 * time.Second
	DefaultFirstRetry      = 10 * time.Second
	DefaultLastRetry       = time.Hour
	DefaultRetryFor        = 24 * time.Hour
	DefaultDeliveryPoll    = time.Second
	DefaultDeliveryWorkers = 8
	DefaultDeliveryKeep    = 7 * 24 * time.Hour
)

func (o DeliveryOptions) withDefaults() DeliveryOptions {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.Timeout, DefaultDeliveryTimeout)
	set(&o.FirstRetry, DefaultFirstRetry)
	set(&o.LastRetry, DefaultLastRetry)
	set(&o.RetryFor, DefaultRetryFor)
	set(&o.Poll, DefaultDeliveryPoll)
	set(&o.Keep, DefaultDeliveryKeep)
	if o.Workers <= 0 {
		o.Workers = DefaultDeliveryWorkers
	}
	return o
}

// deliverer is what the deliveries share: the options, the HTTP client,
// the wake-up of the deliverer in this process, and the metrics.
type deliverer struct {
	opts   DeliveryOptions
	client *http.Client
	// slackAPI calls Slack's Web API; slackHooks sends to the URLs owners
	// and Slack give (incoming webhooks, response URLs) through client.
	slackAPI, slackHooks *slack.Client
	wake                 chan struct{}
	attempts             *prometheus.CounterVec
	latency              prometheus.Histogram
	// backlog, lastSuccess and lastError are the destinations' health,
	// by target.
	backlog, lastSuccess, lastError *prometheus.GaugeVec
}

func newDeliverer(o DeliveryOptions, slackAPI string, reg prometheus.Registerer) *deliverer {
	o = o.withDefaults()
	client := webhook.Client(o.AllowPrivate, o.Timeout)
	d := &deliverer{
		opts:       o,
		client:     client,
		slackAPI:   &slack.Client{BaseURL: slackAPI, HTTP: &http.Client{Timeout: o.Timeout}},
		slackHooks: &slack.Client{HTTP: client},
		wake:       make(chan struct{}, 1),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "koe_delivery_attempts_total",
			Help: "Attempts to deliver to webhooks and Slack, by target and outcome (delivered; retry: failed, tried again later; failed: given up)."},
			[]string{"target", "outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "koe_delivery_seconds",
			Help: "How long a destination took to answer an attempt.", Buckets: prometheus.DefBuckets}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "koe_delivery_backlog",
			Help: "Deliveries waiting to be tried, or tried again, by target (on the replica that delivers)."}, []string{"target"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "koe_delivery_last_success_timestamp_seconds",
			Help: "When a destination last took a delivery, by target (Unix time)."}, []string{"target"}),
		lastError: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "koe_delivery_last_error_timestamp_seconds",
			Help: "When an attempt last failed, by target (Unix time)."}, []string{"target"}),
	}
	if reg != nil {
		reg.MustRegister(d.attempts, d.latency, d.backlog, d.lastSuccess, d.lastError)
	}
	return d
}

// poke wakes this process's deliverer, if it runs here.
func (d *deliverer) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Envelope is the body of a webhook delivery (docs/webhooks.md).
type Envelope struct {
	// ID is the delivery's key: the same on every attempt.
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	EventID   int64           `json:"event_id"`
	Data      json.RawMessage `json:"data"`
}

// PingEvent is the type of the test delivery an owner sends.
const PingEvent = "ping"

// hookEvents returns the webhook events a change is: none for most.
// Questions and replies count only while shown (approved and not
// hidden): webhooks do not see what moderators hold back, except through
// the moderation queue's own events.
func hookEvents(c koe.Change) []koe.WebhookEvent {
	switch c.Type {
	case koe.QuestionCreated, koe.ReplyCreated:
		if c.Visibility == koe.VisiblePublic {
			return []koe.WebhookEvent{koe.WebhookEvent(c.Type)}
		}
	case koe.QuestionUpdated:
		var after, before koe.Question
		if json.Unmarshal(c.Data, &after) != nil {
			return nil
		}
		before = after // a reply counted: nothing else changed
		if c.Before != nil && json.Unmarshal(c.Before, &before) != nil {
			return nil
		}
		var evs []koe.WebhookEvent
		if after.Public() && before.Status != koe.StatusApproved {
			evs = append(evs, koe.HookQuestionApproved)
		}
		if after.Public() && after.Answered && !before.Answered {
			evs = append(evs, koe.HookQuestionAnswered)
		}
		if after.Public() || before.Public() {
			evs = append(evs, koe.HookQuestionUpdated)
		}
		return evs
	case koe.TalkCreated, koe.TalkUpdated, koe.EventUpdated, koe.PostFeatured, koe.ReviewCreated:
		return []koe.WebhookEvent{koe.WebhookEvent(c.Type)}
	case koe.PollUpdated:
		var after, before koe.Poll
		if json.Unmarshal(c.Data, &after) != nil || c.Before == nil || json.Unmarshal(c.Before, &before) != nil {
			return nil
		}
		switch {
		case after.State == koe.PollOpen && before.State != koe.PollOpen:
			return []koe.WebhookEvent{koe.HookPollOpened}
		case after.State == koe.PollClosed && before.State != koe.PollClosed:
			return []koe.WebhookEvent{koe.HookPollClosed}
		}
	case koe.ReviewUpdated:
		var r koe.Review
		if json.Unmarshal(c.Data, &r) == nil && r.Decision != nil {
			return []koe.WebhookEvent{koe.HookReviewDecided}
		}
	}
	return nil
}

// deliveriesConsumer stores the deliveries the changes make.
func (a *Actions) deliveriesConsumer() outbox.Consumer {
	return outbox.Consumer{
		Name:   "deliveries",
		Shared: true,
		Handle: func(ctx context.Context, changes []koe.Change) error {
			hooks := map[int64][]*koe.Webhook{} // by event, read once per batch
			slacks := map[int64]*koe.SlackConnection{}
			var ds []*koe.Delivery
			for _, c := range changes {
				items, err := a.slackItems(ctx, c, func() (*koe.SlackConnection, error) {
					conn, ok := slacks[c.EventID]
					if !ok {
						var err error
						if conn, err = a.store.SlackConnection(ctx, c.EventID); err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
							return nil, err
						}
						slacks[c.EventID] = conn
					}
					return conn, nil
				})
				if err != nil {
					return err
				}
				ds = append(ds, items...)
				evs := hookEvents(c)
				if len(evs) == 0 {
					continue
				}
				list, ok := hooks[c.EventID]
				if !ok {
					var err error
					if list, err = a.store.Webhooks(ctx, c.EventID); err != nil {
						return err
					}
					hooks[c.EventID] = list
				}
				for _, ev := range evs {
					wants := func(w *koe.Webhook) bool { return w.Wants(ev) }
					data := c.Data
					if ev == koe.HookPollClosed && slices.ContainsFunc(list, wants) {
						if data, err = a.closedPoll(ctx, c); err != nil { // once, for every webhook that wants it
							return err
						}
					}
					for _, w := range list {
						if wants(w) {
							ds = append(ds, hookDelivery(w, c.Pos.String()+"-"+string(ev), string(ev), c.At, data, a.now()))
						}
					}
				}
			}
			if err := a.store.EnqueueDeliveries(ctx, ds); err != nil {
				return err
			}
			if len(ds) > 0 {
				a.deliver.poke()
			}
			return nil
		},
	}
}

// ClosedPoll is the data of a poll.closed webhook: the poll and its
// results.
type ClosedPoll struct {
	Poll    *koe.Poll        `json:"poll"`
	Results *koe.PollResults `json:"results"`
}

// closedPoll is the data of the poll.closed webhook of change c: its
// results as counted now (no vote comes in after the close; an answer a
// moderator approves later is counted by the results, not the webhook).
func (a *Actions) closedPoll(ctx context.Context, c koe.Change) (json.RawMessage, error) {
	var p koe.Poll
	if err := json.Unmarshal(c.Data, &p); err != nil {
		return nil, err
	}
	res, err := a.results(ctx, &p)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		res = &koe.PollResults{PollID: p.ID, Counts: p.Arrange(nil)} // deleted since
	} else if err != nil {
		return nil, err
	}
	return json.Marshal(ClosedPoll{Poll: &p, Results: res})
}

// hookDelivery is a delivery of data to w, as type typ, due at now.
func hookDelivery(w *koe.Webhook, key, typ string, at time.Time, data json.RawMessage, now time.Time) *koe.Delivery {
	body, _ := json.Marshal(Envelope{ID: key, Type: typ, CreatedAt: at.UTC(), EventID: w.EventID, Data: data}) // cannot fail: data is JSON
	return &koe.Delivery{EventID: w.EventID, Target: koe.TargetWebhook, TargetID: w.ID, Key: key, Type: typ,
		Payload: body, NextAt: now}
}

// RunDeliveries runs the deliverer in one process at a time, holding the
// lease "deliverer", until ctx ends.
func (a *Actions) RunDeliveries(ctx context.Context) {
	a.whileLeading(ctx, "deliverer", a.runDeliverer)
}

// runDeliverer tries the due deliveries while ctx (the lease) holds, at
// most Workers at once, each one once at a time; once an hour it prunes
// the log. A delivery stays in flight until a read of the due ones that
// began after its attempt was saved: a read that began before may still
// see it pending.
func (a *Actions) runDeliverer(ctx context.Context) {
	o := a.deliver.opts
	var (
		mu       sync.Mutex
		inFlight = map[int64]bool{}
		finished []int64 // saved since the last read began
		wg       sync.WaitGroup
		pruned   time.Time
	)
	done := make(chan struct{}, 1)
	slots := make(chan struct{}, o.Workers)
	defer wg.Wait()
	for ctx.Err() == nil {
		if now := a.now(); now.Sub(pruned) >= time.Hour {
			if n, err := a.store.PruneDeliveries(ctx, now.Add(-o.Keep)); err != nil {
				a.log.Warn("cannot prune deliveries", "error", err)
			} else {
				pruned = now
				if n > 0 {
					a.log.Info("delivery log pruned", "deliveries", n)
				}
			}
		}
		mu.Lock()
		settled := finished
		finished = nil
		mu.Unlock()
		due, err := a.store.DueDeliveries(ctx, a.now(), 4*o.Workers)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("cannot read due deliveries", "error", err)
		}
		mu.Lock()
		for _, id := range settled {
			delete(inFlight, id)
		}
		mu.Unlock()
		started := 0
		for _, d := range due {
			mu.Lock()
			busy := inFlight[d.ID]
			inFlight[d.ID] = true
			mu.Unlock()
			if busy {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			started++
			wg.Go(func() {
				a.attempt(ctx, d)
				mu.Lock()
				finished = append(finished, d.ID)
				mu.Unlock()
				<-slots
				select {
				case done <- struct{}{}:
				default:
				}
			})
		}
		if started > 0 && started == len(due) {
			continue // there may be more due
		}
		if backlog, err := a.store.DeliveryBacklog(ctx); err == nil {
			for _, target := range []koe.DeliveryTarget{koe.TargetWebhook, koe.TargetSlack} {
				a.deliver.backlog.WithLabelValues(string(target)).Set(float64(backlog[target]))
			}
		}
		t := time.NewTimer(o.Poll)
		select {
		case <-ctx.Done():
		case <-a.deliver.wake:
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
}

// attempt tries d once and saves the outcome.
func (a *Actions) attempt(ctx context.Context, d *koe.Delivery) {
	o := a.deliver.opts
	now := a.now()
	var (
		at     koe.DeliveryAttempt
		wait   time.Duration
		result string
		hook   *koe.Webhook
	)
	if d.Target == koe.TargetSlack {
		var retry bool
		if at, wait, result, retry = a.sendSlack(ctx, d, now); retry {
			if err := a.store.FinishAttempt(ctx, d.ID, koe.DeliveryOutcome{Retry: true, NextAt: now.Add(o.FirstRetry / 10)}); err != nil && ctx.Err() == nil {
				a.log.Warn("cannot put a delivery off", "delivery", d.ID, "error", err)
			}
			return
		}
	} else {
		var ok bool
		if hook, at, wait, ok = a.sendWebhook(ctx, d, now); !ok {
			return
		}
	}
	if ctx.Err() != nil {
		return // the lease was lost mid-attempt: the next holder tries again
	}
	at.At = at.At.UTC().Truncate(time.Microsecond)
	out := koe.DeliveryOutcome{Attempt: at, State: koe.DeliveryDelivered, NextAt: now, Result: result}
	outcome := "delivered"
	if at.Error != "" {
		out.State, outcome = koe.DeliveryPending, "retry"
		out.NextAt = now.Add(max(wait, webhook.Backoff(d.Attempts+1, o.FirstRetry, o.LastRetry, rand.Float64())))
		// Given up on after a day; and if the webhook took nothing in that
		// day either, it is broken, not this item: disabled.
		if now.Sub(d.RetryFrom) >= o.RetryFor {
			out.State, outcome, out.NextAt = koe.DeliveryFailed, "failed", now
		}
		if hook != nil && out.State == koe.DeliveryFailed && (hook.Health.LastSuccessAt == nil || now.Sub(*hook.Health.LastSuccessAt) >= o.RetryFor) {
			out.Disable = "deliveries failed for " + span(o.RetryFor) + "; the last: " + at.Error
		}
		a.deliver.lastError.WithLabelValues(string(d.Target)).Set(float64(now.Unix()))
	} else {
		a.deliver.latency.Observe(at.LatencyMS / 1000)
		a.deliver.lastSuccess.WithLabelValues(string(d.Target)).Set(float64(now.Unix()))
	}
	a.deliver.attempts.WithLabelValues(string(d.Target), outcome).Inc()
	if err := a.store.FinishAttempt(ctx, d.ID, out); err != nil && ctx.Err() == nil {
		a.log.Warn("cannot save a delivery attempt", "delivery", d.ID, "error", err)
	}
	if out.Disable != "" {
		a.log.Warn("webhook disabled: its deliveries failed for good", "event", hook.EventID, "webhook", hook.ID, "error", at.Error)
	}
}

// sendWebhook makes one attempt of a webhook delivery; ok is false when
// there is nothing to attempt (the webhook was deleted or disabled
// meanwhile).
func (a *Actions) sendWebhook(ctx context.Context, d *koe.Delivery, now time.Time) (w *koe.Webhook, at koe.DeliveryAttempt, wait time.Duration, ok bool) {
	w, err := a.store.Webhook(ctx, d.EventID, d.TargetID)
	if err != nil {
		if koe.ErrorCode(err) != koe.ENOTFOUND && ctx.Err() == nil {
			a.log.Warn("cannot read a webhook", "webhook", d.TargetID, "error", err)
		}
		return nil, at, 0, false // deleted: its deliveries went with it
	}
	if !w.Enabled {
		return nil, at, 0, false
	}
	if err := webhook.CheckURL(w.URL, a.deliver.opts.AllowPrivate); err != nil {
		return w, koe.DeliveryAttempt{At: now, Error: koe.ErrorMessage(err)}, 0, true
	}
	at, wait = webhook.Send(ctx, a.deliver.client, webhook.Request{URL: w.URL, Secret: w.Secret, Key: d.Key, Event: d.Type, Body: d.Payload}, now)
	return w, at, wait, true
}

// span says a duration as people read it: "24h" rather than "24h0m0s".
func span(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}
