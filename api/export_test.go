package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// TestExport: a talk's and an event's exports hold what the audience saw
// (held and hidden items only for moderators who ask), as Markdown for
// the speaker, CSV that opens as UTF-8, and JSON.
func TestExport(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "post")
	tk2 := h.createTalk(m.e.ID, map[string]any{"title": "二つ目のトーク"})
	popular := m.asker.ask(m.e.ID, m.tk.ID, "リアルタイム通信で一番難しいところは？")
	answered := m.other.ask(m.e.ID, m.tk.ID, "How do you test reconnects?")
	quiet := m.asker.ask(m.e.ID, m.tk.ID, "A question nobody liked")
	hidden := m.other.ask(m.e.ID, m.tk.ID, "Hidden by a moderator")
	m.other.ask(m.e.ID, tk2.ID, "In the second talk")
	m.other.put(fmt.Sprintf("%s/questions/%d/like", talkPath(m.e.ID, m.tk.ID), popular.ID), nil).want(t, 200, "")
	h.staff.post(fmt.Sprintf("%s/questions/%d/replies", talkPath(m.e.ID, m.tk.ID), answered.ID), map[string]any{"body": "With a proxy that drops them."}).want(t, 201, "")
	h.staff.patch(questionPath(m.e.ID, m.tk.ID, answered.ID), map[string]any{"answered": true}).want(t, 200, "")
	m.mod.patch(questionPath(m.e.ID, m.tk.ID, hidden.ID), map[string]any{"hidden": true}).want(t, 200, "")
	p := h.createPoll(m.e.ID, m.tk.ID, map[string]any{"kind": "rating", "question": "How was it?"})
	h.setPoll(m.e.ID, m.tk.ID, p.ID, map[string]any{"state": "open"})
	m.asker.put(pollPath(m.e.ID, m.tk.ID, p.ID)+"/vote", map[string]any{"rating": 5}).want(t, 200, "")
	h.createPoll(m.e.ID, m.tk.ID, map[string]any{"kind": "rating", "question": "A draft nobody saw"})

	get := func(c *client, path string) *response {
		t.Helper()
		r := c.get(path)
		if r.want(t, 200, "") && !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="koe-`) {
			t.Errorf("%s: Content-Disposition %q", path, r.Header.Get("Content-Disposition"))
		}
		return r
	}
	md := string(get(h.staff, talkPath(m.e.ID, m.tk.ID)+"/export?format=md").Body)
	order := []string{"リアルタイム通信で一番難しいところは？", "— Asker, 1 like", quiet.Body, "## Answered questions (1)",
		"How do you test reconnects?", "With a proxy that drops them.", "### How was it?", "★★★★★: 1 (100%)"}
	at := 0
	for _, s := range order {
		i := strings.Index(md[at:], s)
		if i < 0 {
			t.Fatalf("the Markdown lacks %q after position %d:\n%s", s, at, md)
		}
		at += i
	}
	for _, never := range []string{"Hidden by a moderator", "A draft nobody saw", "In the second talk"} {
		if strings.Contains(md, never) {
			t.Errorf("the Markdown has %q:\n%s", never, md)
		}
	}

	// CSV: the byte-order mark, a header, a row per shown question.
	r := get(h.staff, talkPath(m.e.ID, m.tk.ID)+"/export?format=csv")
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	rest, ok := bytes.CutPrefix(r.Body, []byte{0xEF, 0xBB, 0xBF})
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if !ok || err != nil || len(rows) != 4 || rows[1][6] != popular.Body || rows[1][7] != "1" || rows[2][10] == "" {
		t.Errorf("CSV (BOM %v, %v): %q", ok, err, rows)
	}

	// Everything: moderators and owners; presenters may not.
	var all struct {
		All   bool `json:"all"`
		Talks []struct {
			Questions []struct {
				ID     int64      `json:"id"`
				Hidden bool       `json:"hidden"`
				Status koe.Status `json:"status"`
			} `json:"questions"`
			Polls []json.RawMessage `json:"polls"`
		} `json:"talks"`
	}
	get(m.mod, talkPath(m.e.ID, m.tk.ID)+"/export?format=json&all=true").decode(t, &all)
	if !all.All || len(all.Talks) != 1 || len(all.Talks[0].Questions) != 4 || !all.Talks[0].Questions[3].Hidden || len(all.Talks[0].Polls) != 1 {
		t.Errorf("all: %+v", all)
	}
	presenter, _ := h.signedIn(h.member(m.e.ID, koe.RolePresenter, m.tk.ID))
	get(presenter, talkPath(m.e.ID, m.tk.ID)+"/export")
	presenter.get(talkPath(m.e.ID, m.tk.ID)+"/export?all=true").want(t, 403, koe.EFORBIDDEN)
	presenter.get(talkPath(m.e.ID, tk2.ID)+"/export").want(t, 403, koe.EFORBIDDEN)
	presenter.get(eventPath(m.e.ID)+"/export").want(t, 403, koe.EFORBIDDEN)
	m.asker.get(talkPath(m.e.ID, m.tk.ID)+"/export").want(t, 403, koe.EFORBIDDEN)
	h.staff.get(talkPath(m.e.ID, m.tk.ID)+"/export?format=xlsx", unchecked).want(t, 400, koe.EINVALID)
	h.staff.get(talkPath(m.e.ID, m.tk.ID)+"/export?all=yes", unchecked).want(t, 400, koe.EINVALID)

	// The event: every talk.
	var event struct {
		Talks []struct {
			Title     string            `json:"title"`
			Questions []json.RawMessage `json:"questions"`
		} `json:"talks"`
	}
	get(h.staff, eventPath(m.e.ID)+"/export?format=json").decode(t, &event)
	if len(event.Talks) != 2 || len(event.Talks[0].Questions) != 3 || event.Talks[1].Title != "二つ目のトーク" || len(event.Talks[1].Questions) != 1 {
		t.Errorf("event export %+v", event)
	}
	if md := string(get(h.staff, eventPath(m.e.ID)+"/export").Body); !strings.HasPrefix(md, "# Moderated\n") || !strings.Contains(md, "## 二つ目のトーク") {
		t.Errorf("event Markdown:\n%s", md)
	}
}
