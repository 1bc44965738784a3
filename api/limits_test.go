package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

// Bounds on real-time connections and on what a WebSocket client sends,
// found missing by an outside attack: 800 SSE streams with one
// participant token from one address were all accepted (and inflated the
// presence count others see), and 5,000 subscribe/unsubscribe pairs in a
// burst each cost a store lookup.

// TestStreamsPerParticipant: one participant holds at most its share of
// connections, WebSocket and SSE together, with the defaults too; one
// that closes frees its place.
func TestStreamsPerParticipant(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	topic := fmt.Sprintf("talk:%d", tk.ID)
	limit := act.DefaultStreamLimits.PerParticipant
	var open []*liveConn
	for i := range limit {
		if i%2 == 0 {
			open = append(open, subscribeWS(t, p, e.ID, topic, ""))
			continue
		}
		c, status := subscribeSSE(t, p, e.ID, topic, "", false)
		if c == nil {
			t.Fatalf("SSE %d refused: %d", i, status)
		}
		open = append(open, c)
	}
	r := p.get(eventPath(e.ID)+"/sse?topic="+topic, unchecked)
	wantRateLimited(t, r)
	if _, _, status := dialWS(t, p, e.ID, nil); status != 429 {
		t.Errorf("WebSocket beyond the limit: %d, want 429", status)
	}
	// Another participant on the same address is not affected.
	other, _ := h.join(e.JoinCode, "")
	subscribeWS(t, other, e.ID, topic, "")
	// Staff are not bound per token.
	for range limit + 2 {
		subscribeWS(t, h.staff, e.ID, topic, "")
	}
	// A closed connection gives its place back.
	open[0].close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, status := subscribeSSE(t, p, e.ID, topic, "", false)
		if c != nil {
			break
		}
		if status != 429 || time.Now().After(deadline) {
			t.Fatalf("after closing one: %d", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStreamsPerAddress: one address holds at most its share, whoever the
// participants are.
func TestStreamsPerAddress(t *testing.T) {
	h := newHarness(t, withStreams(act.StreamLimits{PerAddress: 5, PerParticipant: 8}))
	e, tk := h.setup()
	topic := fmt.Sprintf("talk:%d", tk.ID)
	for range 5 {
		p, _ := h.join(e.JoinCode, "")
		subscribeWS(t, p, e.ID, topic, "")
	}
	p, _ := h.join(e.JoinCode, "")
	if _, _, status := dialWS(t, p, e.ID, nil); status != 429 {
		t.Errorf("a sixth connection from the address: %d, want 429", status)
	}
	r := p.get(eventPath(e.ID)+"/sse?topic="+topic, unchecked)
	wantRateLimited(t, r)
	if !strings.Contains(r.errorMessage(), "address") {
		t.Errorf("the refusal does not say why: %s", r)
	}
}

// TestCanonicalTopics: one stream has one name; talk:01 or talk:+1 is not
// another way in.
func TestCanonicalTopics(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	lc, conn, _ := dialWS(t, p, e.ID, nil)
	for _, topic := range []string{fmt.Sprintf("talk:0%d", tk.ID), fmt.Sprintf("talk:+%d", tk.ID), "talk:", "talk:1.0", "Event", "talk: 1"} {
		if err := conn.WriteMessage(gws.OpcodeText, fmt.Appendf(nil, `{"type":"subscribe","topic":%q}`, topic)); err != nil {
			t.Fatal(err)
		}
		if m := lc.next(); m.Type != "error" || m.Error == nil || m.Error.Code != koe.EINVALID {
			t.Errorf("topic %q: %s, want an invalid_argument error", topic, m.raw)
		}
		p.get(eventPath(e.ID)+"/sse?topic="+url.QueryEscape(topic), unchecked).want(t, 400, koe.EINVALID)
	}
}

// TestClientMessageRate: a client that floods its WebSocket is told, then
// disconnected (close code 1008); one that pauses goes on.
func TestClientMessageRate(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	topic := fmt.Sprintf("talk:%d", tk.ID)
	lc, conn, _ := dialWS(t, p, e.ID, nil)
	closed := make(chan struct{})
	var refused int
	go func() {
		defer close(closed)
		for m := range lc.msgs {
			if m.Type == "error" && m.Error != nil && m.Error.Code == koe.ERATELIMIT {
				refused++
			}
		}
	}()
	for i := range 500 {
		typ := "subscribe"
		if i%2 == 1 {
			typ = "unsubscribe"
		}
		if err := conn.WriteMessage(gws.OpcodeText, fmt.Appendf(nil, `{"type":%q,"topic":%q}`, typ, topic)); err != nil {
			break // closed by the server already
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("a client flooding its WebSocket was not disconnected")
	}
	if refused == 0 {
		t.Error("the flood was never answered rate_limited before the disconnect")
	}
	// The same participant may connect again and be served.
	subscribeWS(t, p, e.ID, topic, "")
}

// TestPatchBodies: a PATCH body must be an object; null, an array or a
// scalar is refused and changes nothing; {} and the values already there
// change nothing either: no new version, no event.
func TestPatchBodies(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "patched?")
	for _, path := range []string{eventPath(e.ID), talkPath(e.ID, tk.ID), questionPath(e.ID, tk.ID, q.ID)} {
		before := version(t, h.staff.get(path))
		for _, body := range []string{"null", "[]", "1", `"x"`, "true", " null "} {
			h.staff.patch(path, body, docRejects).want(t, 400, koe.EINVALID)
		}
		for _, body := range []string{"{}", " { } "} {
			if v := version(t, h.staff.patch(path, body)); v != before {
				t.Errorf("PATCH %s %s: version %d, want %d", path, body, v, before)
			}
		}
		if v := version(t, h.staff.get(path)); v != before {
			t.Errorf("%s: version %d after refused and empty PATCHes, want %d", path, v, before)
		}
	}
	// The values already there. (The snapshot is taken once the question's
	// creation is on the stream, which the outbox relays a moment after
	// the commit: otherwise it may arrive after the snapshot, as it may for
	// any client, which then ignores it by its version.)
	snap := h.staff.questions(e.ID, tk.ID, "")
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, seq, _ := splitCursor(snap.Stream.Cursor); seq >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
		snap = h.staff.questions(e.ID, tk.ID, "")
	}
	col := newCollector(t, fmt.Sprintf("talk:%d", tk.ID), snap.Stream.Cursor)
	ws := subscribeWS(t, h.staff, e.ID, fmt.Sprintf("talk:%d", tk.ID), snap.Stream.Cursor)
	col.expectSubscribed(ws, snap.Stream.Cursor)
	h.staff.patch(talkPath(e.ID, tk.ID), map[string]any{"title": tk.Title, "qa_open": true}).want(t, 200, "")
	h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"body": q.Body, "hidden": false}).want(t, 200, "")
	h.staff.put(talkPath(e.ID, tk.ID)+"/highlight", map[string]any{"question_id": nil}).want(t, 200, "")
	ws.quiet(200 * time.Millisecond)
	// A real change still is one.
	h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"answered": true}).want(t, 200, "")
	if m := col.take(ws); m.Events[0].Type != "question.updated" {
		t.Errorf("after a real change: %s", m.raw)
	}
}

func version(t *testing.T, r *response) int64 {
	t.Helper()
	var v struct{ Version int64 }
	r.decode(t, &v)
	return v.Version
}

// TestContentType: a body is read only when it is sent as JSON.
func TestContentType(t *testing.T) {
	h := newHarness(t)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data; boundary=x"} {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/events", strings.NewReader(`{"title":"typed"}`))
		req.Header.Set("Authorization", "Bearer "+ownerToken)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("POST with Content-Type %q: %d, want 400", ct, resp.StatusCode)
		}
	}
	h.staff.post("/api/v1/events", map[string]any{"title": "typed"}, header("Content-Type", "application/json; charset=utf-8")).want(t, 201, "")
	if n := len(h.staff.get("/api/v1/events").Body); n == 0 {
		t.Fatal("no events")
	}
}

// TestCanonicalIDs: an id is written one way: /events/+1 and /events/01
// are not /events/1.
func TestCanonicalIDs(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	h.staff.get(eventPath(e.ID)).want(t, 200, "")
	for _, id := range []string{"+1", "01", "001", "1.0", "0x1", "-1", "0", "99999999999999999999", "%201"} {
		h.staff.get("/api/v1/events/"+id, unchecked).want(t, 400, koe.EINVALID)
		h.staff.get(fmt.Sprintf("/api/v1/events/%d/talks/%s", e.ID, id), unchecked).want(t, 400, koe.EINVALID)
	}
	h.staff.get(talkPath(e.ID, tk.ID)).want(t, 200, "")
}

// TestHSTS: behind HTTPS (KOE_PUBLIC_URL https://…) responses tell
// browsers to stay on HTTPS; over plain HTTP they do not.
func TestHSTS(t *testing.T) {
	plain := newHarness(t)
	if v := plain.client("").get("/healthz").Header.Get("Strict-Transport-Security"); v != "" {
		t.Errorf("HSTS over plain HTTP: %q", v)
	}
	secure := newHarness(t, func(c *harnessConfig) { c.api.SecureCookies = true })
	r := secure.client("").get("/healthz")
	if v := r.Header.Get("Strict-Transport-Security"); v != "max-age=31536000" {
		t.Errorf("HSTS behind HTTPS: %q", v)
	}
	e := secure.createEvent(nil)
	j := secure.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode})
	if c := participantCookie(t, j); !c.Secure {
		t.Errorf("participant cookie behind HTTPS is not Secure: %+v", c)
	}
}

// TestTextEmptyToTheEye: text made of invisible characters, or stacked
// combining marks, is refused wherever text enters.
func TestTextEmptyToTheEye(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	for _, body := range []string{"\u200b\u200b\u200b", "\ufeff", "\u3164\u2800", "a" + strings.Repeat("\u0301", 450)} {
		p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": body}, unchecked).want(t, 400, koe.EINVALID)
		h.staff.post(eventPath(e.ID)+"/talks", map[string]any{"title": body}, unchecked).want(t, 400, koe.EINVALID)
		h.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode, "display_name": body}, unchecked).want(t, 400, koe.EINVALID)
	}
	if n := len(h.staff.questions(e.ID, tk.ID, "sort=recent").Questions); n != 0 {
		t.Errorf("%d questions stored", n)
	}
	p.ask(e.ID, tk.ID, "still fine: 👍🏽 and ไทย")
}
