package act

import (
	"context"
	"encoding/json"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/webhook"
)

// WebhookInput is a webhook as an owner creates or changes it: every
// field optional in a change (nil stays).
type WebhookInput struct {
	URL         *string             `json:"url"`
	Description *string             `json:"description"`
	Events      *[]koe.WebhookEvent `json:"events"`
	Enabled     *bool               `json:"enabled"`
}

func (in WebhookInput) update() koe.WebhookUpdate {
	return koe.WebhookUpdate{URL: in.URL, Description: in.Description, Events: in.Events, Enabled: in.Enabled}
}

// WebhookView is a webhook as its owners see it: with its signing secret
// only when it is made (on creation and renewal).
type WebhookView struct {
	*koe.Webhook
	Secret string `json:"secret,omitempty"`
}

// Webhooks lists an event's webhooks with their health.
func (a *Actions) Webhooks(ctx context.Context, eventID int64) ([]*WebhookView, error) {
	if _, _, err := a.begin(ctx, Manage, eventID); err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	list, err := a.store.Webhooks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]*WebhookView, len(list))
	for i, w := range list {
		out[i] = &WebhookView{Webhook: w}
	}
	return out, nil
}

// Webhook returns one of an event's webhooks with its health.
func (a *Actions) Webhook(ctx context.Context, eventID, id int64) (*WebhookView, error) {
	if _, _, err := a.begin(ctx, Manage, eventID); err != nil {
		return nil, err
	}
	w, err := a.store.Webhook(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	return &WebhookView{Webhook: w}, nil
}

// CreateWebhook subscribes a destination to an event's events, with a new
// signing secret, shown in the answer only.
func (a *Actions) CreateWebhook(ctx context.Context, eventID int64, in WebhookInput) (*WebhookView, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	if in.URL == nil {
		return nil, koe.Invalid("url", koe.ReasonEmpty, 0, "url is where koe sends the events")
	}
	w := &koe.Webhook{EventID: eventID, Enabled: true}
	in.update().Apply(w)
	w.DisabledReason = ""
	if err := a.checkWebhook(w); err != nil {
		return nil, err
	}
	existing, err := a.store.Webhooks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= koe.MaxWebhooks {
		return nil, koe.Errorf(koe.EINVALID, "an event has at most %d webhooks", koe.MaxWebhooks)
	}
	w.Secret = auth.NewSecret("whsec_")
	if err := a.store.CreateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return &WebhookView{Webhook: w, Secret: w.Secret}, nil
}

// checkWebhook validates w, and that koe may send to its destination.
func (a *Actions) checkWebhook(w *koe.Webhook) error {
	if err := w.Clean(); err != nil {
		return err
	}
	return webhook.CheckURL(w.URL, a.deliver.opts.AllowPrivate)
}

// UpdateWebhook changes a webhook; enabling one koe disabled clears the
// reason.
func (a *Actions) UpdateWebhook(ctx context.Context, eventID, id int64, in WebhookInput) (*WebhookView, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	w, err := a.store.Webhook(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	u := in.update()
	if !u.Apply(w) {
		return &WebhookView{Webhook: w}, nil
	}
	if err := a.checkWebhook(w); err != nil {
		return nil, err
	}
	u.URL, u.Events, u.Description = &w.URL, &w.Events, &w.Description // as cleaned
	updated, err := a.store.UpdateWebhook(ctx, eventID, id, u)
	if err != nil {
		return nil, err
	}
	if updated.Enabled {
		a.deliver.poke() // what waited for it is due
	}
	return &WebhookView{Webhook: updated}, nil
}

// RenewWebhookSecret gives a webhook a new signing secret, shown in the
// answer only; deliveries are signed with it from now on.
func (a *Actions) RenewWebhookSecret(ctx context.Context, eventID, id int64) (*WebhookView, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	secret := auth.NewSecret("whsec_")
	w, err := a.store.UpdateWebhook(ctx, eventID, id, koe.WebhookUpdate{Secret: &secret})
	if err != nil {
		return nil, err
	}
	return &WebhookView{Webhook: w, Secret: secret}, nil
}

// DeleteWebhook deletes a webhook and its deliveries.
func (a *Actions) DeleteWebhook(ctx context.Context, eventID, id int64) error {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return err
	}
	return a.store.DeleteWebhook(ctx, eventID, id)
}

// PingWebhook sends a webhook a test delivery ("ping"), through the
// deliverer like any other.
func (a *Actions) PingWebhook(ctx context.Context, eventID, id int64) (*koe.Delivery, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	w, err := a.store.Webhook(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	now := a.now()
	data, _ := json.Marshal(map[string]any{"webhook_id": w.ID, "url": w.URL})
	d := hookDelivery(w, "ping-"+auth.NewSecret("")[:16], PingEvent, now, data, now)
	if err := a.store.EnqueueDeliveries(ctx, []*koe.Delivery{d}); err != nil {
		return nil, err
	}
	a.deliver.poke()
	return d, nil
}

// DeliveryFilter selects a webhook's deliveries, as a client asks: a
// state ("" for any) and a page (before: the last id of the page before).
type DeliveryFilter struct {
	State, Before, Limit string
}

// DeliveryPage is one page of a webhook's delivery log, newest first;
// NextBefore is the Before of the page after it (nil: the last page).
type DeliveryPage struct {
	Deliveries []*koe.Delivery `json:"deliveries"`
	NextBefore *int64          `json:"next_before"`
}

// MaxDeliveryPage bounds one page of the delivery log.
const MaxDeliveryPage = 200

// WebhookDeliveries returns a page of a webhook's delivery log.
func (a *Actions) WebhookDeliveries(ctx context.Context, eventID, id int64, f DeliveryFilter) (*DeliveryPage, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	q := koe.DeliveryQuery{EventID: eventID, Target: koe.TargetWebhook, TargetID: id, State: koe.DeliveryState(f.State)}
	switch q.State {
	case "", koe.DeliveryPending, koe.DeliveryDelivered, koe.DeliveryFailed:
	default:
		return nil, koe.Invalid("state", koe.ReasonFormat, 0, "state must be pending, delivered or failed")
	}
	if q.Before, q.Limit, err = parsePage(f.Before, f.Limit, 50, MaxDeliveryPage); err != nil {
		return nil, err
	}
	if _, err := a.store.Webhook(ctx, eventID, id); err != nil {
		return nil, err
	}
	list, err := a.store.Deliveries(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &DeliveryPage{Deliveries: list}
	if len(list) == q.Limit {
		next := list[len(list)-1].ID
		page.NextBefore = &next
	}
	return page, nil
}

// Redeliver makes one of a webhook's deliveries again, now.
func (a *Actions) Redeliver(ctx context.Context, eventID, webhookID, id int64) (*koe.Delivery, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	d, err := a.store.Delivery(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	if d.Target != koe.TargetWebhook || d.TargetID != webhookID {
		return nil, koe.Errorf(koe.ENOTFOUND, "delivery not found")
	}
	d, err = a.store.Redeliver(ctx, eventID, id, a.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return nil, err
	}
	a.deliver.poke()
	return d, nil
}
