package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/webhook"
)

// runDeliveries runs the webhooks' deliverer until the test ends.
func runDeliveries(h *harness) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.act.RunDeliveries(ctx)
	}()
	h.t.Cleanup(func() { cancel(); <-done })
}

// receiver is a webhook's destination: it verifies each delivery's
// signature with the secret it is given and answers as told.
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	secret string
	answer func() int // the status to answer; nil: 200
	got    []received
	bad    []string // what failed verification
}

type received struct {
	key, event string
	env        act.Envelope
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		secret, answer := rc.secret, rc.answer
		rc.mu.Unlock()
		status := http.StatusOK
		if answer != nil {
			status = answer()
		}
		if status == 0 { // hang past the deliverer's timeout
			<-r.Context().Done()
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if status/100 == 2 {
			var env act.Envelope
			err := webhook.Verify(secret, r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.SignatureHeader), body, time.Now())
			if err == nil {
				err = json.Unmarshal(body, &env)
			}
			if err != nil || env.ID != r.Header.Get(webhook.DeliveryHeader) || env.Type != r.Header.Get(webhook.EventHeader) {
				rc.bad = append(rc.bad, fmt.Sprintf("%v: %s %s", err, r.Header, body))
			} else {
				rc.got = append(rc.got, received{key: env.ID, event: env.Type, env: env})
			}
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answered %d", status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) set(secret string, answer func() int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret, rc.answer = secret, answer
}

// events returns the types received, in order, and fails on a delivery
// whose signature did not hold.
func (rc *receiver) events(t *testing.T) []string {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Fatalf("deliveries that do not verify: %v", rc.bad)
	}
	var evs []string
	for _, r := range rc.got {
		evs = append(evs, r.event)
	}
	return evs
}

type webhookView struct {
	koe.Webhook
	Secret string `json:"secret"`
}

type deliveryPage struct {
	Deliveries []koe.Delivery `json:"deliveries"`
	NextBefore *int64         `json:"next_before"`
}

func createWebhook(t *testing.T, c *client, eventID int64, url string, events ...koe.WebhookEvent) webhookView {
	t.Helper()
	var w webhookView
	if r := c.post(eventPath(eventID)+"/webhooks", map[string]any{"url": url, "description": "CMS", "events": events}); r.want(t, 201, "") {
		r.decode(t, &w)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") || !w.Enabled {
		t.Fatalf("created %+v", w)
	}
	return w
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func hookPath(eventID, id int64) string { return fmt.Sprintf("%s/webhooks/%d", eventPath(eventID), id) }

func deliveries(t *testing.T, c *client, eventID, id int64, query string) deliveryPage {
	t.Helper()
	var p deliveryPage
	if r := c.get(hookPath(eventID, id) + "/deliveries" + query); r.want(t, 200, "") {
		r.decode(t, &p)
	}
	return p
}

// TestWebhooks: a webhook receives the events it subscribed to, signed,
// each with its idempotency key, and only the questions everyone sees;
// its log and health say so; its secret can be renewed, and a ping
// tests it.
func TestWebhooks(t *testing.T) {
	h := newHarness(t)
	runDeliveries(h)
	rc := newReceiver(t)
	e, tk := h.setup()
	w := createWebhook(t, h.staff, e.ID, rc.srv.URL+"/koe", koe.HookQuestionCreated, koe.HookQuestionApproved, koe.HookQuestionAnswered, koe.HookReviewCreated)
	rc.set(w.Secret, nil)
	var listed struct {
		Webhooks []webhookView `json:"webhooks"`
	}
	h.staff.get(eventPath(e.ID)+"/webhooks").decode(t, &listed)
	if len(listed.Webhooks) != 1 || listed.Webhooks[0].Secret != "" || listed.Webhooks[0].URL != rc.srv.URL+"/koe" {
		t.Errorf("listed %+v (a secret is shown only when made)", listed.Webhooks)
	}

	p, _ := h.join(e.JoinCode, "Ada")
	q := p.ask(e.ID, tk.ID, "How are webhooks signed?")
	eventually(t, "question.created delivered", func() bool { return slices.Equal(rc.events(t), []string{"question.created"}) })
	rc.mu.Lock()
	got := rc.got[0]
	rc.mu.Unlock()
	var data koe.Question
	if err := json.Unmarshal(got.env.Data, &data); err != nil || data.ID != q.ID || data.Body != q.Body || got.env.EventID != e.ID {
		t.Errorf("delivered %+v (%v)", got.env, err)
	}

	// Held for moderation: the queue's event, then the approval; a talk
	// update nobody subscribed to is not sent.
	if r := h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"moderation": "pre"}}); !r.want(t, 200, "") {
		t.FailNow()
	}
	held := p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "Held until approved?"})
	held.want(t, 201, "")
	eventually(t, "review.created delivered", func() bool { return len(rc.events(t)) == 2 })
	var reviews struct {
		Reviews []koe.Review `json:"reviews"`
	}
	h.staff.get(eventPath(e.ID)+"/reviews").decode(t, &reviews)
	if len(reviews.Reviews) != 1 {
		t.Fatalf("reviews %+v", reviews)
	}
	h.staff.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(e.ID), reviews.Reviews[0].ID), map[string]any{"decision": "approve"}).want(t, 200, "")
	h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"answered": true}).want(t, 200, "")
	h.staff.patch(fmt.Sprintf("%s/talks/%d", eventPath(e.ID), tk.ID), map[string]any{"title": "Renamed"}).want(t, 200, "")
	eventually(t, "approval and answer delivered", func() bool { return len(rc.events(t)) == 4 })
	// Deliveries are not serialised: those due together arrive in any order.
	if evs := rc.events(t); !slices.Equal(evs[:2], []string{"question.created", "review.created"}) ||
		!slices.Equal(sorted(evs[2:]), []string{"question.answered", "question.approved"}) {
		t.Errorf("received %v", evs)
	}

	var log deliveryPage
	eventually(t, "every attempt saved", func() bool {
		log = deliveries(t, h.staff, e.ID, w.ID, "?state=delivered")
		return len(log.Deliveries) == 4
	})
	if log.NextBefore != nil {
		t.Fatalf("log %+v", log)
	}
	for _, d := range log.Deliveries {
		if d.State != koe.DeliveryDelivered || d.Attempts != 1 || d.Last == nil || d.Last.Status != 200 || d.Last.Response != "answered 200" || d.DeliveredAt == nil {
			t.Errorf("logged %+v (last %+v)", d, d.Last)
		}
	}
	page := deliveries(t, h.staff, e.ID, w.ID, "?limit=3")
	rest := deliveries(t, h.staff, e.ID, w.ID, fmt.Sprintf("?limit=3&before=%d", *page.NextBefore))
	if len(page.Deliveries) != 3 || len(rest.Deliveries) != 1 || rest.Deliveries[0].Type != "question.created" {
		t.Errorf("pages %d + %d", len(page.Deliveries), len(rest.Deliveries))
	}
	h.staff.get(hookPath(e.ID, w.ID)+"/deliveries?state=lost", docRejects).want(t, 400, "invalid_argument")
	h.staff.get(hookPath(e.ID, w.ID)+"/deliveries?limit=0", docRejects).want(t, 400, "invalid_argument")
	var health webhookView
	h.staff.get(hookPath(e.ID, w.ID)).decode(t, &health)
	if health.Health.LastSuccessAt == nil || health.Health.LastError != "" || health.Health.Backlog != 0 {
		t.Errorf("health %+v", health.Health)
	}

	// A renewed secret signs from now on; a ping says so.
	var renewed webhookView
	h.staff.post(hookPath(e.ID, w.ID)+"/secret", nil).decode(t, &renewed)
	if renewed.Secret == w.Secret || !strings.HasPrefix(renewed.Secret, "whsec_") {
		t.Fatalf("renewed secret %q", renewed.Secret)
	}
	rc.set(renewed.Secret, nil)
	h.staff.post(hookPath(e.ID, w.ID)+"/ping", nil).want(t, 202, "")
	eventually(t, "ping delivered with the new secret", func() bool { return len(rc.events(t)) == 5 })
	if evs := rc.events(t); evs[4] != act.PingEvent {
		t.Errorf("received %v", evs)
	}

	// Changes are validated; the audit log has them, without the secret.
	h.staff.patch(hookPath(e.ID, w.ID), map[string]any{"events": []string{"question.deleted"}}, docRejects).want(t, 400, "invalid_argument")
	h.staff.patch(hookPath(e.ID, w.ID), map[string]any{"events": []string{}}, docRejects).want(t, 400, "invalid_argument")
	h.staff.patch(hookPath(e.ID, w.ID), map[string]any{"url": "ftp://files.example/"}).want(t, 400, "invalid_argument")
	h.staff.post(eventPath(e.ID)+"/webhooks", map[string]any{"events": []string{"question.created"}}, docRejects).want(t, 400, "invalid_argument")
	var audit struct {
		Entries []struct {
			Type  string          `json:"type"`
			After json.RawMessage `json:"after"`
		} `json:"entries"`
	}
	eventually(t, "the audit log has the webhook's changes", func() bool { // copied from the outbox
		h.staff.get(eventPath(e.ID)+"/audit?type=webhook.").decode(t, &audit)
		return len(audit.Entries) == 2
	})
	if strings.Contains(string(audit.Entries[0].After), "whsec_") {
		t.Errorf("audit %+v", audit.Entries)
	}
	h.staff.del(hookPath(e.ID, w.ID)).want(t, 204, "")
	h.staff.get(hookPath(e.ID, w.ID)).want(t, 404, "not_found")
}

// TestWebhookRetries: a destination that fails and times out is tried
// again with backoff until it takes the item; the log shows each
// attempt's outcome; the health its last error.
func TestWebhookRetries(t *testing.T) {
	h := newHarness(t, withDeliveries(act.DeliveryOptions{AllowPrivate: true, Poll: 20 * time.Millisecond,
		Timeout: 200 * time.Millisecond, FirstRetry: 50 * time.Millisecond, LastRetry: 100 * time.Millisecond}))
	runDeliveries(h)
	rc := newReceiver(t)
	e, tk := h.setup()
	w := createWebhook(t, h.staff, e.ID, rc.srv.URL, koe.HookQuestionCreated)
	var mu sync.Mutex
	answers := []int{500, 0, 503} // fails, hangs, fails; then takes it
	rc.set(w.Secret, func() int {
		mu.Lock()
		defer mu.Unlock()
		if len(answers) == 0 {
			return 204
		}
		a := answers[0]
		answers = answers[1:]
		return a
	})
	p, _ := h.join(e.JoinCode, "Ada")
	p.ask(e.ID, tk.ID, "Will it arrive?")
	var d koe.Delivery
	eventually(t, "delivered after retries", func() bool {
		log := deliveries(t, h.staff, e.ID, w.ID, "")
		if len(log.Deliveries) == 1 {
			d = log.Deliveries[0]
		}
		return d.State == koe.DeliveryDelivered
	})
	if d.Attempts != 4 || d.Last.Status != 204 || len(rc.events(t)) != 1 {
		t.Errorf("delivered %+v after %d received", d, len(rc.events(t)))
	}
	var got webhookView
	h.staff.get(hookPath(e.ID, w.ID)).decode(t, &got)
	if got.Health.LastError != "HTTP 503" || got.Health.LastSuccessAt == nil || !got.Enabled {
		t.Errorf("health %+v", got.Health)
	}
	eventually(t, "the metrics count the attempts and the backlog is empty", func() bool {
		m := scrape(t, h)
		return strings.Contains(m, `koe_delivery_attempts_total{outcome="retry",target="webhook"} 3`) &&
			strings.Contains(m, `koe_delivery_attempts_total{outcome="delivered",target="webhook"} 1`) &&
			strings.Contains(m, `koe_delivery_backlog{target="webhook"} 0`) &&
			strings.Contains(m, `koe_delivery_last_success_timestamp_seconds{target="webhook"}`) &&
			strings.Contains(m, `koe_delivery_last_error_timestamp_seconds{target="webhook"}`)
	})
}

// TestWebhookGivenUp: after RetryFor without success koe gives the item
// up and disables the webhook, saying why (in the audit log too); enabled
// again and redelivered, the item arrives.
func TestWebhookGivenUp(t *testing.T) {
	h := newHarness(t, withDeliveries(act.DeliveryOptions{AllowPrivate: true, Poll: 20 * time.Millisecond,
		FirstRetry: 20 * time.Millisecond, LastRetry: 50 * time.Millisecond, RetryFor: 300 * time.Millisecond}))
	runDeliveries(h)
	rc := newReceiver(t)
	e, tk := h.setup()
	w := createWebhook(t, h.staff, e.ID, rc.srv.URL, koe.HookQuestionCreated)
	rc.set(w.Secret, func() int { return 500 })
	p, _ := h.join(e.JoinCode, "Ada")
	p.ask(e.ID, tk.ID, "Anyone there?")
	var got webhookView
	eventually(t, "the webhook disabled", func() bool {
		h.staff.get(hookPath(e.ID, w.ID)).decode(t, &got)
		return !got.Enabled
	})
	if !strings.Contains(got.DisabledReason, "HTTP 500") || got.Health.Backlog != 0 {
		t.Errorf("disabled %+v", got.Webhook)
	}
	failed := deliveries(t, h.staff, e.ID, w.ID, "?state=failed")
	if len(failed.Deliveries) != 1 || failed.Deliveries[0].Attempts < 2 {
		t.Fatalf("failed deliveries %+v", failed)
	}
	var audit struct {
		Entries []struct {
			Type  string `json:"type"`
			Actor struct {
				Kind string `json:"kind"`
			} `json:"actor"`
		} `json:"entries"`
	}
	eventually(t, "the audit log has koe's disabling", func() bool { // copied from the outbox
		h.staff.get(eventPath(e.ID)+"/audit?type=webhook.updated").decode(t, &audit)
		return len(audit.Entries) == 1
	})
	if audit.Entries[0].Actor.Kind != string(koe.ActorSystem) {
		t.Errorf("audit %+v", audit.Entries)
	}

	rc.set(w.Secret, nil)
	var enabled webhookView
	h.staff.patch(hookPath(e.ID, w.ID), map[string]any{"enabled": true}).decode(t, &enabled)
	if !enabled.Enabled || enabled.DisabledReason != "" {
		t.Errorf("enabled %+v", enabled.Webhook)
	}
	var re koe.Delivery
	h.staff.post(fmt.Sprintf("%s/deliveries/%d/redeliver", hookPath(e.ID, w.ID), failed.Deliveries[0].ID), nil).decode(t, &re)
	if re.State != koe.DeliveryPending {
		t.Errorf("redelivered %+v", re)
	}
	eventually(t, "redelivered", func() bool { return len(rc.events(t)) == 1 })
	other := createWebhook(t, h.staff, e.ID, rc.srv.URL+"/other", koe.HookTalkCreated)
	h.staff.post(fmt.Sprintf("%s/deliveries/%d/redeliver", hookPath(e.ID, other.ID), failed.Deliveries[0].ID), nil).want(t, 404, "not_found")
}

// TestWebhookPrivateDestinations: unless the operator allows it, a
// webhook cannot point into koe's own network.
func TestWebhookPrivateDestinations(t *testing.T) {
	h := newHarness(t, withDeliveries(act.DeliveryOptions{}))
	e, _ := h.setup()
	for _, url := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/", "http://10.0.0.7/", "http://169.254.169.254/latest/meta-data"} {
		r := h.staff.post(eventPath(e.ID)+"/webhooks", map[string]any{"url": url, "events": []string{"question.created"}})
		if r.want(t, 400, "invalid_argument") && !strings.Contains(r.String(), `"field":"url"`) {
			t.Errorf("%s: %s", url, r)
		}
	}
	createWebhook(t, h.staff, e.ID, "https://hooks.example/koe", koe.HookQuestionCreated)
	for range koe.MaxWebhooks - 1 {
		createWebhook(t, h.staff, e.ID, "https://hooks.example/koe", koe.HookQuestionCreated)
	}
	h.staff.post(eventPath(e.ID)+"/webhooks", map[string]any{"url": "https://hooks.example/21", "events": []string{"question.created"}}).want(t, 400, "invalid_argument")
}
