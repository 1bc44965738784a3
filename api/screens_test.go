package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ratelimit"
)

type screenLinkBody struct {
	koe.ScreenLink
	Path string `json:"path"`
}

func (h *harness) screenLink(eventID int64, kind, label string) screenLinkBody {
	h.t.Helper()
	var l screenLinkBody
	if r := h.staff.post(eventPath(eventID)+"/screen-links", map[string]any{"kind": kind, "label": label}); r.want(h.t, 201, "") {
		r.decode(h.t, &l)
	}
	return l
}

// dialKey opens the event's WebSocket with a screen link's secret in the
// key parameter, as a screen link's page does, and subscribes to topic.
func dialKey(t *testing.T, h *harness, eventID int64, key, topic string) (*liveConn, int) {
	t.Helper()
	handler := &wsHandler{msgs: make(chan liveMsg, 100000)}
	addr := wsURL(h, eventID) + "?key=" + url.QueryEscape(key)
	conn, resp, err := gws.NewClient(handler, &gws.ClientOption{Addr: addr, HandshakeTimeout: 5 * time.Second})
	if resp != nil {
		req, _ := http.NewRequest("GET", h.srv.URL+eventPath(eventID)+"/live?key="+url.QueryEscape(key), nil)
		validateHTTPResponse(t, req, resp)
	}
	if err != nil {
		if resp == nil {
			t.Fatalf("WebSocket dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	go conn.ReadLoop()
	lc := &liveConn{t: t, msgs: handler.msgs, close: func() { _ = conn.NetConn().Close() }}
	t.Cleanup(lc.close)
	wsSend(t, conn, map[string]string{"type": "subscribe", "topic": topic})
	if m := lc.next(); m.Type != "subscribed" {
		t.Fatalf("subscribe: %s", m.raw)
	}
	return lc, resp.StatusCode
}

// TestScreenLinks: an owner's screen link reads the event as a viewer —
// by bearer token or, for a WebSocket, the key parameter — and can change
// nothing; rotating or deleting it stops it at once; its changes reach
// the audit log without the secret.
func TestScreenLinks(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	other, otherTalk := h.setup()
	p, _ := h.join(e.JoinCode, "Asker")
	q := p.ask(e.ID, tk.ID, "Is the overlay transparent?")

	// Validation.
	links := eventPath(e.ID) + "/screen-links"
	h.staff.post(links, map[string]any{"kind": "webhook", "label": "x"}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.post(links, map[string]any{"kind": "screen", "label": ""}, docRejects).want(t, 400, koe.EINVALID)
	if r := h.staff.post(links, map[string]any{"kind": "screen", "label": strings.Repeat("長", 81)}, docRejects); r.want(t, 400, koe.EINVALID) {
		var body struct{ Error koe.Error }
		r.decode(t, &body)
	}
	h.staff.post(eventPath(999999)+"/screen-links", map[string]any{"kind": "screen", "label": "x"}).want(t, 404, koe.ENOTFOUND)

	room := h.screenLink(e.ID, "screen", "Room A projector")
	obs := h.screenLink(e.ID, "overlay", "OBS")
	if !strings.HasPrefix(room.Secret, "koe_v_") || room.Path != "/screen/"+room.Secret || obs.Path != "/overlay/"+obs.Secret {
		t.Fatalf("links %+v %+v", room, obs)
	}
	var list struct{ Links []screenLinkBody }
	h.staff.get(links).decode(t, &list)
	if len(list.Links) != 2 || list.Links[0].Secret != room.Secret || list.Links[1].Label != "OBS" {
		t.Errorf("list %+v", list.Links)
	}

	// The viewer reads what is public, and nothing else.
	viewer := h.client(room.Secret)
	var v struct {
		EventID int64  `json:"event_id"`
		Kind    string `json:"kind"`
		Label   string `json:"label"`
	}
	viewer.get("/api/v1/viewer").decode(t, &v)
	if v.EventID != e.ID || v.Kind != "screen" || v.Label != "Room A projector" {
		t.Errorf("viewer %+v", v)
	}
	for _, path := range []string{eventPath(e.ID), eventPath(e.ID) + "/talks", talkPath(e.ID, tk.ID), questionsPath(e.ID, tk.ID),
		questionPath(e.ID, tk.ID, q.ID), eventPath(e.ID) + "/featured", talkPath(e.ID, tk.ID) + "/reactions"} {
		viewer.get(path).want(t, 200, "")
	}
	viewer.get(questionsPath(e.ID, tk.ID)+"?sort=hidden").want(t, 403, koe.EFORBIDDEN)
	viewer.get(eventPath(e.ID)+"/reviews").want(t, 403, koe.EFORBIDDEN)
	viewer.get(links).want(t, 403, koe.EFORBIDDEN)
	viewer.get(eventPath(other.ID)).want(t, 403, koe.EFORBIDDEN)
	viewer.get(talkPath(other.ID, otherTalk.ID)+"/reactions").want(t, 403, koe.EFORBIDDEN)
	viewer.get("/api/v1/events").want(t, 401, koe.EUNAUTHORIZED)
	viewer.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "Can a screen ask?"}).want(t, 403, koe.EFORBIDDEN)
	viewer.put(questionPath(e.ID, tk.ID, q.ID)+"/like", nil).want(t, 403, koe.EFORBIDDEN)
	viewer.post(talkPath(e.ID, tk.ID)+"/reactions", map[string]any{"emoji": "👏"}).want(t, 403, koe.EFORBIDDEN)
	viewer.put(talkPath(e.ID, tk.ID)+"/highlight", map[string]any{"question_id": q.ID}).want(t, 403, koe.EFORBIDDEN)
	viewer.patch(eventPath(e.ID), map[string]any{"title": "Mine now"}).want(t, 403, koe.EFORBIDDEN)
	viewer.post(links, map[string]any{"kind": "screen", "label": "more"}).want(t, 403, koe.EFORBIDDEN)

	// The WebSocket with the key: the public stream, live.
	live, status := dialKey(t, h, e.ID, obs.Secret, fmt.Sprintf("talk:%d", tk.ID))
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("handshake %d", status)
	}
	h.staff.put(talkPath(e.ID, tk.ID)+"/highlight", map[string]any{"question_id": q.ID}).want(t, 200, "")
	if m := live.next(); m.Type != "events" || len(m.Events) != 1 || m.Events[0].Type != "talk.updated" {
		t.Errorf("after the highlight: %s", m.raw)
	}
	// Only screen link secrets are taken in the URL, and only to read.
	if _, status := dialKey(t, h, e.ID, ownerToken, "event"); status != 401 {
		t.Errorf("the owner token as the key: %d, want 401", status)
	}
	h.client("").post(questionsPath(e.ID, tk.ID)+"?key="+url.QueryEscape(room.Secret), map[string]any{"body": "Sneaky?"}, unchecked).want(t, 401, koe.EUNAUTHORIZED)
	h.client("").get(eventPath(e.ID)+"?key="+url.QueryEscape(room.Secret), unchecked).want(t, 200, "")

	// Rotating stops the old secret at once; deleting stops the link.
	var rotated screenLinkBody
	h.staff.post(fmt.Sprintf("%s/%d/secret", links, room.ID), nil).decode(t, &rotated)
	if rotated.Secret == room.Secret || rotated.ID != room.ID || rotated.Path != "/screen/"+rotated.Secret {
		t.Errorf("rotated %+v", rotated)
	}
	if r := viewer.get(eventPath(e.ID)); r.want(t, 401, koe.EUNAUTHORIZED) && !strings.Contains(r.errorMessage(), "no longer works") {
		t.Errorf("the old secret's refusal: %s", r.errorMessage())
	}
	h.client(rotated.Secret).get(eventPath(e.ID)).want(t, 200, "")
	h.staff.del(fmt.Sprintf("%s/%d", links, obs.ID)).want(t, 204, "")
	h.client(obs.Secret).get("/api/v1/viewer").want(t, 401, koe.EUNAUTHORIZED)
	h.staff.del(fmt.Sprintf("%s/%d", links, obs.ID)).want(t, 404, koe.ENOTFOUND)
	h.staff.post(fmt.Sprintf("%s/%d/secret", eventPath(other.ID)+"/screen-links", room.ID), nil).want(t, 404, koe.ENOTFOUND)

	// The audit log has the links' changes, never a secret.
	eventually(t, "the audit log has the screen links' changes", func() bool {
		r := h.staff.get(eventPath(e.ID) + "/audit?type=screen_link.")
		if r.Status != 200 {
			return false
		}
		if strings.Contains(string(r.Body), "koe_v_") {
			t.Fatalf("a secret in the audit log: %s", r.Body)
		}
		var page struct{ Entries []json.RawMessage }
		r.decode(t, &page)
		return len(page.Entries) == 4
	})
}

// TestReactions: the event's reaction set is validated and defaulted;
// participants' taps are summed per window on the talk's streams — added
// up, exactly the taps accepted — and the totals reach the store; bad
// taps get a clear 400, too many a 429.
func TestReactions(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"react.participant": {N: 40, Per: 10 * time.Second}}))
	e, tk := h.setup()
	if got := strings.Join(e.Settings.Reactions, " "); got != "👏 🎉 ❤️ 🤔" {
		t.Errorf("a new event's reactions: %q", got)
	}
	var cfg struct {
		Palette []string `json:"reaction_palette"`
	}
	h.client("").get("/api/v1/config").decode(t, &cfg)
	if len(cfg.Palette) != 16 {
		t.Errorf("palette %v", cfg.Palette)
	}
	settings := func(reactions any) map[string]any {
		return map[string]any{"settings": map[string]any{"participant_replies": false, "participant_sign_in": false, "moderation": "post", "reactions": reactions}}
	}
	for _, bad := range []any{[]string{"👏", "🐍"}, []string{"👏", "👏"}, []string{"👏", "🎉", "❤️", "😂", "😮", "🤔", "🙏"}} {
		if r := h.staff.patch(eventPath(e.ID), settings(bad), unchecked); r.want(t, 400, koe.EINVALID) && !strings.Contains(string(r.Body), `"field":"settings.reactions"`) {
			t.Errorf("%v: %s", bad, r.Body)
		}
	}
	h.staff.patch(eventPath(e.ID), settings([]string{"🔥", "👏", "🍣"})).want(t, 200, "")

	// Two subscribers: the public stream and the staff stream.
	topic := fmt.Sprintf("talk:%d", tk.ID)
	watcher, _ := h.join(e.JoinCode, "Watcher")
	public := subscribeWS(t, watcher, e.ID, topic, "")
	staff := subscribeWS(t, h.staff, e.ID, topic, "")
	for _, c := range []*liveConn{public, staff} {
		if m := c.next(); m.Type != "subscribed" {
			t.Fatalf("subscribe: %s", m.raw)
		}
	}
	const participants, requests = 8, 25
	var wg sync.WaitGroup
	for i := range participants {
		p, _ := h.join(e.JoinCode, fmt.Sprintf("Tapper %d", i))
		wg.Go(func() {
			for j := range requests {
				emoji := []string{"🔥", "👏"}[j%2]
				if r := p.post(talkPath(e.ID, tk.ID)+"/reactions", map[string]any{"emoji": emoji, "count": 1 + j%3}); r.Status != 204 {
					t.Errorf("tap: %s", r)
				}
			}
		})
	}
	wg.Wait()
	// Each participant sent 13 🔥 requests (j even) and 12 👏, of 1-3 taps.
	want := map[string]int64{}
	for j := range requests {
		want[[]string{"🔥", "👏"}[j%2]] += int64(participants * (1 + j%3))
	}
	for name, c := range map[string]*liveConn{"public": public, "staff": staff} {
		got := map[string]int64{}
		for got["🔥"] < want["🔥"] || got["👏"] < want["👏"] {
			m := c.next()
			for _, ev := range m.Events {
				if ev.Type != "reactions" {
					continue
				}
				checkEvent(t, ev)
				if ev.Seq != 0 {
					t.Errorf("%s: a reactions event with seq %d", name, ev.Seq)
				}
				var counts map[string]int64
				if err := json.Unmarshal(ev.Data, &counts); err != nil {
					t.Fatal(err)
				}
				for k, n := range counts {
					got[k] += n
				}
			}
		}
		if got["🔥"] != want["🔥"] || got["👏"] != want["👏"] || len(got) != 2 {
			t.Errorf("%s stream: taps %v, want %v", name, got, want)
		}
	}
	eventually(t, "the totals reach the store", func() bool {
		var totals struct{ Counts map[string]int64 }
		h.client("").get(talkPath(e.ID, tk.ID)+"/reactions", unchecked).decode(t, &totals)
		r := h.staff.get(talkPath(e.ID, tk.ID) + "/reactions")
		r.decode(t, &totals)
		return totals.Counts["🔥"] == want["🔥"] && totals.Counts["👏"] == want["👏"] && len(totals.Counts) == 2
	})

	// Bad taps.
	p, _ := h.join(e.JoinCode, "Another")
	tap := func(body map[string]any, opts ...callOpt) *response {
		return p.post(talkPath(e.ID, tk.ID)+"/reactions", body, opts...)
	}
	for _, bad := range []map[string]any{{"emoji": "🎉"}, {"emoji": ""}, {"emoji": "🔥", "count": 11, "_doc": false}, {"emoji": "🔥", "count": 0, "_doc": false}} {
		opts := []callOpt{}
		if _, ok := bad["_doc"]; ok {
			delete(bad, "_doc")
			opts = append(opts, docRejects)
		}
		if r := tap(bad, opts...); r.want(t, 400, koe.EINVALID) {
			var body struct {
				Error struct{ Field string }
			}
			r.decode(t, &body)
			if body.Error.Field != "emoji" && body.Error.Field != "count" {
				t.Errorf("%v: field %q", bad, body.Error.Field)
			}
		}
	}
	p.post(talkPath(e.ID, 999999)+"/reactions", map[string]any{"emoji": "🔥"}).want(t, 404, koe.ENOTFOUND)
	p.post(talkPath(e.ID, tk.ID)+"/reactions", "not an object", docRejects).want(t, 400, koe.EINVALID)

	// The per-participant limit: 40 requests at once, then 4 a second.
	limited := 0
	for range 45 {
		if r := tap(map[string]any{"emoji": "👏"}); r.Status == 429 {
			limited++
		}
	}
	if limited < 4 {
		t.Errorf("%d of 45 quick taps refused, want at least 4", limited)
	}

	// Reactions off: taps are refused (the set is trusted for a second).
	h.staff.patch(eventPath(e.ID), settings([]string{})).want(t, 200, "")
	q, _ := h.join(e.JoinCode, "Late")
	eventually(t, "taps refused once reactions are off", func() bool {
		r := q.post(talkPath(e.ID, tk.ID)+"/reactions", map[string]any{"emoji": "🔥"})
		return r.Status == 400 && strings.Contains(r.errorMessage(), "no reactions")
	})
}
