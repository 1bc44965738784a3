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

func newWebhook(t *testing.T, s koe.Store, eventID int64, url string, events ...koe.WebhookEvent) *koe.Webhook {
	t.Helper()
	w := &koe.Webhook{EventID: eventID, URL: url, Description: "CMS", Events: events, Enabled: true, Secret: "whsec_" + url}
	must(t, "CreateWebhook", s.CreateWebhook(t.Context(), w))
	return w
}

// testWebhooks: webhooks are created in an existing event, read with their
// secret, changed with a new version (not when nothing changes), and
// deleted with their deliveries; each write is a change without the
// secret.
func testWebhooks(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "hooks")
	other := newEvent(t, s, "other-hooks")
	start := head(t, s)
	w := newWebhook(t, s, e.ID, "https://cms.example/koe", koe.HookQuestionCreated, koe.HookPostFeatured)
	if w.ID == 0 || w.Version != 1 || !w.Enabled || w.Secret != "whsec_https://cms.example/koe" || w.Health.Backlog != 0 {
		t.Errorf("CreateWebhook = %+v", w)
	}
	checkTime(t, "webhook CreatedAt", w.CreatedAt)
	wantCode(t, "CreateWebhook(no event)", s.CreateWebhook(ctx, &koe.Webhook{EventID: other.ID + 1000, URL: "https://x.example", Events: []koe.WebhookEvent{koe.HookTalkCreated}}), koe.ENOTFOUND)
	got, err := s.Webhook(ctx, e.ID, w.ID)
	must(t, "Webhook", err)
	same(t, "Webhook", got, w)
	if got.Secret != w.Secret {
		t.Errorf("Webhook secret %q, want %q", got.Secret, w.Secret)
	}
	_, err = s.Webhook(ctx, other.ID, w.ID)
	wantCode(t, "Webhook(other event)", err, koe.ENOTFOUND)
	_, err = s.UpdateWebhook(ctx, other.ID, w.ID, koe.WebhookUpdate{Description: ptr("x")})
	wantCode(t, "UpdateWebhook(other event)", err, koe.ENOTFOUND)
	wantCode(t, "DeleteWebhook(other event)", s.DeleteWebhook(ctx, other.ID, w.ID), koe.ENOTFOUND)

	same0, err := s.UpdateWebhook(ctx, e.ID, w.ID, koe.WebhookUpdate{Description: ptr("CMS")})
	must(t, "UpdateWebhook(same)", err)
	if same0.Version != 1 {
		t.Errorf("an update that changes nothing made version %d", same0.Version)
	}
	events := []koe.WebhookEvent{koe.HookQuestionAnswered}
	up, err := s.UpdateWebhook(ctx, e.ID, w.ID, koe.WebhookUpdate{URL: ptr("https://cms.example/v2"), Events: &events, Secret: ptr("whsec_new")})
	must(t, "UpdateWebhook", err)
	if up.Version != 2 || up.URL != "https://cms.example/v2" || !slices.Equal(up.Events, events) || up.Secret != "whsec_new" || up.UpdatedAt.Before(w.UpdatedAt) {
		t.Errorf("UpdateWebhook = %+v", up)
	}
	second := newWebhook(t, s, e.ID, "https://bot.example/hook", koe.HookTalkUpdated)
	newWebhook(t, s, other.ID, "https://elsewhere.example", koe.HookTalkUpdated)
	list, err := s.Webhooks(ctx, e.ID)
	must(t, "Webhooks", err)
	same(t, "Webhooks", list, []*koe.Webhook{up, second})

	enqueue(t, s, delivery(e.ID, second.ID, "1-talk.updated", time.Now()))
	must(t, "DeleteWebhook", s.DeleteWebhook(ctx, e.ID, second.ID))
	_, err = s.Webhook(ctx, e.ID, second.ID)
	wantCode(t, "Webhook(deleted)", err, koe.ENOTFOUND)
	if ds, err := s.Deliveries(ctx, koe.DeliveryQuery{EventID: e.ID, Target: koe.TargetWebhook, TargetID: second.ID}); err != nil || len(ds) != 0 {
		t.Errorf("a deleted webhook's deliveries: %v, %v", ds, err)
	}

	changes := readAll(t, s, start)
	if got, want := changeTypes(changes), []koe.ChangeType{koe.WebhookCreated, koe.WebhookUpdated, koe.WebhookCreated, koe.WebhookCreated, koe.WebhookDeleted}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	for _, c := range changes {
		if strings.Contains(string(c.Data)+string(c.Before), "whsec_") || c.Visibility != koe.VisibleStaff {
			t.Errorf("%s: %s (before %s) shows a secret, or is visible to %s", c.Type, c.Data, c.Before, c.Visibility)
		}
	}
	var before koe.Webhook
	if err := json.Unmarshal(changes[1].Before, &before); err != nil || before.URL != "https://cms.example/koe" {
		t.Errorf("WebhookUpdated before = %s (%v)", changes[1].Before, err)
	}
}

func delivery(eventID, webhookID int64, key string, next time.Time) *koe.Delivery {
	return &koe.Delivery{EventID: eventID, Target: koe.TargetWebhook, TargetID: webhookID, Key: key, Type: "question.created",
		Payload: json.RawMessage(`{"id":"` + key + `"}`), NextAt: next}
}

func enqueue(t *testing.T, s koe.Store, ds ...*koe.Delivery) {
	t.Helper()
	must(t, "EnqueueDeliveries", s.EnqueueDeliveries(t.Context(), ds))
}

func deliveryKeys(ds []*koe.Delivery) []string {
	keys := make([]string, len(ds))
	for i, d := range ds {
		keys[i] = d.Key
	}
	return keys
}

// testEnqueueConcurrent: deliveries enqueued by several callers at once
// (a consumer handling the same changes twice) are stored once each.
func testEnqueueConcurrent(t *testing.T, s koe.Store) {
	e := newEvent(t, s, "enqueue")
	w := newWebhook(t, s, e.ID, "https://a.example", koe.HookQuestionCreated)
	now := time.Now().UTC().Truncate(time.Microsecond)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var ds []*koe.Delivery
			for i := range 20 {
				ds = append(ds, delivery(e.ID, w.ID, fmt.Sprintf("%d-question.created", i), now))
			}
			errs <- s.EnqueueDeliveries(t.Context(), ds)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "EnqueueDeliveries", err)
	}
	ds, err := s.Deliveries(t.Context(), koe.DeliveryQuery{EventID: e.ID, Target: koe.TargetWebhook, TargetID: w.ID, Limit: 100})
	must(t, "Deliveries", err)
	if len(ds) != 20 {
		t.Errorf("%d deliveries stored, want 20", len(ds))
	}
	got, err := s.Webhook(t.Context(), e.ID, w.ID)
	must(t, "Webhook", err)
	if got.Health.Backlog != 20 {
		t.Errorf("backlog %d, want 20", got.Health.Backlog)
	}
}

// testDeliveries: deliveries come due in order of their next time, only
// to enabled webhooks; an attempt's outcome leaves them pending (with a
// new time), delivered or failed, counts the attempt and keeps the
// webhook's health; koe giving up disables the webhook, a change of its
// own; the log pages newest first and filters by state; a delivery can be
// made again; old ones are pruned.
func testDeliveries(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "deliveries")
	other := newEvent(t, s, "other-deliveries")
	w := newWebhook(t, s, e.ID, "https://a.example", koe.HookQuestionCreated)
	off := newWebhook(t, s, e.ID, "https://b.example", koe.HookQuestionCreated)
	_, err := s.UpdateWebhook(ctx, e.ID, off.ID, koe.WebhookUpdate{Enabled: ptr(false)})
	must(t, "UpdateWebhook(disable)", err)
	t0 := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	d1 := delivery(e.ID, w.ID, "1-question.created", t0.Add(2*time.Second))
	d2 := delivery(e.ID, w.ID, "2-question.created", t0.Add(time.Second))
	d3 := delivery(e.ID, w.ID, "3-question.created", t0.Add(time.Minute))
	dOff := delivery(e.ID, off.ID, "1-question.created", t0)
	d1.SubjectID = 42
	enqueue(t, s, d1, d2, d3, dOff)
	for _, d := range []*koe.Delivery{d1, d2, d3, dOff} {
		if d.ID == 0 || d.State != koe.DeliveryPending {
			t.Errorf("enqueued %+v", d)
		}
		checkTime(t, "delivery CreatedAt", d.CreatedAt)
	}
	again := delivery(e.ID, w.ID, "1-question.created", t0)
	enqueue(t, s, again)
	if again.ID != 0 {
		t.Errorf("a delivery made again got id %d", again.ID)
	}

	due := func(at time.Time, want ...string) []*koe.Delivery {
		t.Helper()
		ds, err := s.DueDeliveries(ctx, at, 10)
		must(t, "DueDeliveries", err)
		if got := deliveryKeys(ds); !slices.Equal(got, want) {
			t.Errorf("due at %v: %v, want %v", at.Sub(t0), got, want)
		}
		return ds
	}
	due(t0)
	got := due(t0.Add(5*time.Second), "2-question.created", "1-question.created")
	if d := got[1]; d.SubjectID != 42 || string(d.Payload) != `{"id": "1-question.created"}` && string(d.Payload) != `{"id":"1-question.created"}` ||
		d.Type != "question.created" || d.Attempts != 0 || d.Last != nil || !d.NextAt.Equal(t0.Add(2*time.Second)) {
		t.Errorf("due delivery %+v", d)
	}
	if ds, err := s.DueDeliveries(ctx, t0.Add(time.Hour), 1); err != nil || len(ds) != 1 {
		t.Errorf("DueDeliveries(limit 1) = %d, %v", len(ds), err)
	}

	// A failed attempt puts it off; a retry (no attempt made) too, without
	// counting.
	failed := koe.DeliveryAttempt{At: t0.Add(time.Second), Status: 500, LatencyMS: 12.5, Error: "HTTP 500", Response: "oops"}
	must(t, "FinishAttempt(pending)", s.FinishAttempt(ctx, d2.ID, koe.DeliveryOutcome{Attempt: failed, State: koe.DeliveryPending, NextAt: t0.Add(30 * time.Second)}))
	must(t, "FinishAttempt(retry)", s.FinishAttempt(ctx, d1.ID, koe.DeliveryOutcome{Retry: true, NextAt: t0.Add(20 * time.Second)}))
	due(t0.Add(5 * time.Second))
	due(t0.Add(25*time.Second), "1-question.created")
	d, err := s.Delivery(ctx, e.ID, d2.ID)
	must(t, "Delivery", err)
	if d.State != koe.DeliveryPending || d.Attempts != 1 || d.Last == nil || *d.Last != failed || d.DeliveredAt != nil {
		t.Errorf("after a failed attempt: %+v (last %+v)", d, d.Last)
	}
	if d, _ := s.Delivery(ctx, e.ID, d1.ID); d == nil || d.Attempts != 0 || d.Last != nil {
		t.Errorf("after a retry: %+v", d)
	}
	_, err = s.Delivery(ctx, other.ID, d2.ID)
	wantCode(t, "Delivery(other event)", err, koe.ENOTFOUND)
	hw, err := s.Webhook(ctx, e.ID, w.ID)
	must(t, "Webhook", err)
	if h := hw.Health; h.LastError != "HTTP 500" || h.LastErrorAt == nil || !h.LastErrorAt.Equal(failed.At) || h.LastSuccessAt != nil || h.Backlog != 3 {
		t.Errorf("health after a failure: %+v", h)
	}

	ok := koe.DeliveryAttempt{At: t0.Add(31 * time.Second), Status: 204, LatencyMS: 3}
	must(t, "FinishAttempt(delivered)", s.FinishAttempt(ctx, d2.ID, koe.DeliveryOutcome{Attempt: ok, State: koe.DeliveryDelivered, Result: "r"}))
	d, err = s.Delivery(ctx, e.ID, d2.ID)
	must(t, "Delivery", err)
	if d.State != koe.DeliveryDelivered || d.Attempts != 2 || d.DeliveredAt == nil || !d.DeliveredAt.Equal(ok.At) || d.Result != "r" {
		t.Errorf("delivered: %+v", d)
	}
	hw, _ = s.Webhook(ctx, e.ID, w.ID)
	if h := hw.Health; h.LastSuccessAt == nil || !h.LastSuccessAt.Equal(ok.At) || h.LastError != "HTTP 500" || h.Backlog != 2 {
		t.Errorf("health after a success: %+v", h)
	}
	due(t0.Add(time.Hour), "1-question.created", "3-question.created")

	// Giving up: the delivery fails and the webhook is disabled by koe.
	pos := head(t, s)
	gone := koe.DeliveryAttempt{At: t0.Add(time.Hour), Error: "connection refused"}
	must(t, "FinishAttempt(failed)", s.FinishAttempt(ctx, d3.ID, koe.DeliveryOutcome{Attempt: gone, State: koe.DeliveryFailed, Disable: "failing for a day"}))
	hw, _ = s.Webhook(ctx, e.ID, w.ID)
	if hw.Enabled || hw.DisabledReason != "failing for a day" || hw.Version != 2 || hw.Health.LastError != "connection refused" {
		t.Errorf("disabled webhook %+v", hw)
	}
	due(t0.Add(2 * time.Hour)) // its other delivery waits for it to be enabled
	changes := readAll(t, s, pos)
	if len(changes) != 1 || changes[0].Type != koe.WebhookUpdated || changes[0].Actor.Kind != koe.ActorSystem || len(changes[0].Before) == 0 {
		t.Errorf("disabling recorded %+v", changes)
	}
	en, err := s.UpdateWebhook(ctx, e.ID, w.ID, koe.WebhookUpdate{Enabled: ptr(true)})
	must(t, "UpdateWebhook(enable)", err)
	if !en.Enabled || en.DisabledReason != "" {
		t.Errorf("enabled again: %+v", en)
	}
	due(t0.Add(2*time.Hour), "1-question.created")

	// The log: newest first, by state, in pages.
	log := func(q koe.DeliveryQuery, want ...string) []*koe.Delivery {
		t.Helper()
		q.EventID, q.Target, q.TargetID = e.ID, koe.TargetWebhook, w.ID
		ds, err := s.Deliveries(ctx, q)
		must(t, "Deliveries", err)
		if got := deliveryKeys(ds); !slices.Equal(got, want) {
			t.Errorf("Deliveries(%+v) = %v, want %v", q, got, want)
		}
		return ds
	}
	log(koe.DeliveryQuery{}, "3-question.created", "2-question.created", "1-question.created")
	log(koe.DeliveryQuery{State: koe.DeliveryFailed}, "3-question.created")
	log(koe.DeliveryQuery{State: koe.DeliveryPending}, "1-question.created")
	page := log(koe.DeliveryQuery{Limit: 2}, "3-question.created", "2-question.created")
	log(koe.DeliveryQuery{Limit: 2, Before: page[1].ID}, "1-question.created")
	if ds, _ := s.Deliveries(ctx, koe.DeliveryQuery{EventID: other.ID, Target: koe.TargetWebhook, TargetID: w.ID}); len(ds) != 0 {
		t.Errorf("another event's log shows %v", deliveryKeys(ds))
	}

	// Made again: pending, due now, its attempts still counted.
	re, err := s.Redeliver(ctx, e.ID, d3.ID, t0.Add(3*time.Hour))
	must(t, "Redeliver", err)
	if re.State != koe.DeliveryPending || re.Attempts != 1 || !re.NextAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("Redeliver = %+v", re)
	}
	_, err = s.Redeliver(ctx, other.ID, d3.ID, t0)
	wantCode(t, "Redeliver(other event)", err, koe.ENOTFOUND)
	due(t0.Add(3*time.Hour), "1-question.created", "3-question.created")

	// Pruning takes what is no longer pending and older than the bound.
	n, err := s.PruneDeliveries(ctx, time.Now().Add(-time.Hour))
	must(t, "PruneDeliveries(nothing old)", err)
	if n != 0 {
		t.Errorf("pruned %d recent deliveries", n)
	}
	n, err = s.PruneDeliveries(ctx, time.Now().Add(time.Hour))
	must(t, "PruneDeliveries", err)
	if n != 1 { // d2, delivered
		t.Errorf("pruned %d, want 1", n)
	}
	log(koe.DeliveryQuery{}, "3-question.created", "1-question.created")
}
