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
	if backlog, err := s.DeliveryBacklog(ctx); err != nil || backlog[koe.TargetWebhook] != 4 || backlog[koe.TargetSlack] != 0 {
		t.Errorf("DeliveryBacklog = %v, %v; want 4 to webhooks", backlog, err)
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

// testSlack: an event's Slack connection is made by its first change and
// changed with a new version (not when nothing changes), deleted with
// its deliveries; its deliveries come due while it is enabled and keep
// its health; the review's message is found for its update; a Slack user
// is linked to one account at a time.
func testSlack(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "slack")
	other := newEvent(t, s, "other-slack")
	start := head(t, s)
	_, err := s.SlackConnection(ctx, e.ID)
	wantCode(t, "SlackConnection(none)", err, koe.ENOTFOUND)
	_, err = s.SetSlackConnection(ctx, other.ID+1000, koe.SlackUpdate{Channel: ptr("C1")})
	wantCode(t, "SetSlackConnection(no event)", err, koe.ENOTFOUND)
	c, err := s.SetSlackConnection(ctx, e.ID, koe.SlackUpdate{Enabled: ptr(true), Channel: ptr("C0KOE"), BotToken: ptr("xoxb-1"), SigningSecret: ptr("sig"), Reviews: ptr(true)})
	must(t, "SetSlackConnection", err)
	if c.Version != 1 || !c.Enabled || c.Channel != "C0KOE" || c.BotToken != "xoxb-1" || !c.BotTokenSet || !c.SigningSecretSet || c.WebhookURLSet || !c.Reviews || c.Digest {
		t.Errorf("SetSlackConnection = %+v", c)
	}
	checkTime(t, "slack CreatedAt", c.CreatedAt)
	same0, err := s.SetSlackConnection(ctx, e.ID, koe.SlackUpdate{Channel: ptr("C0KOE")})
	must(t, "SetSlackConnection(same)", err)
	if same0.Version != 1 {
		t.Errorf("a change of nothing made version %d", same0.Version)
	}
	up, err := s.SetSlackConnection(ctx, e.ID, koe.SlackUpdate{BotToken: ptr(""), WebhookURL: ptr("https://hooks.slack.test/T/B/x"), Digest: ptr(true)})
	must(t, "SetSlackConnection(change)", err)
	if up.Version != 2 || up.BotTokenSet || !up.WebhookURLSet || !up.Digest || up.Channel != "C0KOE" {
		t.Errorf("changed %+v", up)
	}
	got, err := s.SlackConnection(ctx, e.ID)
	must(t, "SlackConnection", err)
	same(t, "SlackConnection", got, up)

	// Deliveries to it: due while enabled; its health; the message.
	t0 := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	review := &koe.Delivery{EventID: e.ID, Target: koe.TargetSlack, TargetID: e.ID, Key: "1-review", Type: koe.SlackReview, SubjectID: 7, Payload: json.RawMessage(`{}`), NextAt: t0}
	decision := &koe.Delivery{EventID: e.ID, Target: koe.TargetSlack, TargetID: e.ID, Key: "2-decision", Type: koe.SlackDecision, SubjectID: 7, Payload: json.RawMessage(`{}`), NextAt: t0}
	enqueue(t, s, review, decision)
	if msg, pending, err := s.SlackMessage(ctx, e.ID, 7); err != nil || msg != "" || !pending {
		t.Errorf("SlackMessage(waiting) = %q, %v, %v", msg, pending, err)
	}
	if msg, pending, err := s.SlackMessage(ctx, e.ID, 8); err != nil || msg != "" || pending {
		t.Errorf("SlackMessage(none) = %q, %v, %v", msg, pending, err)
	}
	ds, err := s.DueDeliveries(ctx, t0, 10)
	must(t, "DueDeliveries", err)
	if got := deliveryKeys(ds); !slices.Equal(got, []string{"1-review", "2-decision"}) {
		t.Errorf("due %v", got)
	}
	_, err = s.SetSlackConnection(ctx, e.ID, koe.SlackUpdate{Enabled: ptr(false)})
	must(t, "SetSlackConnection(disable)", err)
	if ds, _ := s.DueDeliveries(ctx, t0, 10); len(ds) != 0 {
		t.Errorf("due to a disabled connection: %v", deliveryKeys(ds))
	}
	_, err = s.SetSlackConnection(ctx, e.ID, koe.SlackUpdate{Enabled: ptr(true)})
	must(t, "SetSlackConnection(enable)", err)
	posted := koe.DeliveryAttempt{At: t0.Add(time.Second), Status: 200, LatencyMS: 4}
	must(t, "FinishAttempt", s.FinishAttempt(ctx, review.ID, koe.DeliveryOutcome{Attempt: posted, State: koe.DeliveryDelivered, NextAt: posted.At, Result: "C0KOE 1700000000.000100"}))
	if msg, pending, err := s.SlackMessage(ctx, e.ID, 7); err != nil || msg != "C0KOE 1700000000.000100" || pending {
		t.Errorf("SlackMessage(posted) = %q, %v, %v", msg, pending, err)
	}
	got, _ = s.SlackConnection(ctx, e.ID)
	if h := got.Health; h.LastSuccessAt == nil || !h.LastSuccessAt.Equal(posted.At) || h.Backlog != 1 {
		t.Errorf("health %+v", h)
	}
	if _, err := s.Delivery(ctx, e.ID, decision.ID); err != nil {
		t.Fatal(err)
	}
	must(t, "DeleteSlackConnection", s.DeleteSlackConnection(ctx, e.ID))
	wantCode(t, "DeleteSlackConnection(again)", s.DeleteSlackConnection(ctx, e.ID), koe.ENOTFOUND)
	_, err = s.Delivery(ctx, e.ID, decision.ID)
	wantCode(t, "Delivery(of a deleted connection)", err, koe.ENOTFOUND)

	// Links: one account per Slack user, the latest.
	a1, a2 := newAccount(t, s, "slack-one"), newAccount(t, s, "slack-two")
	l := &koe.SlackLink{TeamID: "T1", UserID: "U1", AccountID: a1.ID}
	must(t, "LinkSlackUser", s.LinkSlackUser(ctx, l))
	checkTime(t, "link CreatedAt", l.CreatedAt)
	must(t, "LinkSlackUser(again)", s.LinkSlackUser(ctx, &koe.SlackLink{TeamID: "T1", UserID: "U1", AccountID: a2.ID}))
	wantCode(t, "LinkSlackUser(no account)", s.LinkSlackUser(ctx, &koe.SlackLink{TeamID: "T1", UserID: "U2", AccountID: a2.ID + 1000}), koe.ENOTFOUND)
	link, err := s.SlackLink(ctx, "T1", "U1")
	must(t, "SlackLink", err)
	if link.AccountID != a2.ID {
		t.Errorf("linked to %d, want %d", link.AccountID, a2.ID)
	}
	_, err = s.SlackLink(ctx, "T2", "U1")
	wantCode(t, "SlackLink(other team)", err, koe.ENOTFOUND)

	changes := readAll(t, s, start)
	var types []koe.ChangeType
	for _, c := range changes {
		if c.Type != koe.AccountCreated {
			types = append(types, c.Type)
		}
		if strings.Contains(string(c.Data)+string(c.Before), "xoxb-") || strings.Contains(string(c.Data), `"sig"`) {
			t.Errorf("%s shows a credential: %s", c.Type, c.Data)
		}
	}
	want := []koe.ChangeType{koe.SlackUpdated, koe.SlackUpdated, koe.SlackUpdated, koe.SlackUpdated, koe.SlackDeleted, koe.SlackLinked, koe.SlackLinked}
	if !slices.Equal(types, want) {
		t.Errorf("changes %v, want %v", types, want)
	}
}
