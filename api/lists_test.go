package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestKeptFirstPage: the first page of a list is kept between reads
// (act/lists.go); what each participant gets must still be their own
// list, up to date with their likes at once and with others' changes once
// the stream has them.
func TestKeptFirstPage(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(map[string]any{"title": "Kept"})
	tk := h.createTalk(e.ID, nil)
	asker, _ := h.join(e.JoinCode, "Asker")
	reader, _ := h.join(e.JoinCode, "Reader")
	q1 := asker.ask(e.ID, tk.ID, "What does the planner cache?")

	first := reader.questions(e.ID, tk.ID, "")
	if len(first.Questions) != 1 || first.Questions[0].Mine || first.Questions[0].LikedByMe {
		t.Fatalf("reader's first page = %+v; want q1, not theirs, not liked", first.Questions)
	}
	// The reader's like shows in their next read at once, and only theirs.
	reader.put(questionPath(e.ID, tk.ID, q1.ID)+"/like", nil).want(t, 200, "")
	if got := reader.questions(e.ID, tk.ID, "").Questions; len(got) != 1 || !got[0].LikedByMe {
		t.Errorf("reader's page after their like = %+v; want q1 liked by them", got)
	}
	if got := asker.questions(e.ID, tk.ID, "").Questions; len(got) != 1 || !got[0].Mine || got[0].LikedByMe {
		t.Errorf("asker's page = %+v; want q1 theirs, not liked by them", got)
	}

	// A new question is in the first page once the stream has moved past it.
	live := subscribeWS(t, reader, e.ID, fmt.Sprintf("talk:%d", tk.ID), first.Stream.Cursor)
	if sub := live.next(); sub.Type != "subscribed" {
		t.Fatalf("talk stream: %s", sub.raw)
	}
	q2 := asker.ask(e.ID, tk.ID, "And when does it forget?")
	// The stream may first bring q1's creation, relayed after the first
	// page's cursor was read: wait for q2's own.
	for {
		var created struct {
			ID int64 `json:"id"`
		}
		if ev := eventOf(t, live, "question.created"); json.Unmarshal(ev.Data, &created) == nil && created.ID == q2.ID {
			break
		}
	}
	page := reader.questions(e.ID, tk.ID, "sort=top")
	var ids []int64
	for _, q := range page.Questions {
		ids = append(ids, q.ID)
	}
	if len(ids) != 2 || ids[0] != q1.ID || ids[1] != q2.ID {
		t.Errorf("reader's page after q2 was published = %v; want [%d %d] (q1 has a like)", ids, q1.ID, q2.ID)
	}
	if page.Stream.Cursor == first.Stream.Cursor {
		t.Errorf("the page after q2 still carries the first page's cursor %s", first.Stream.Cursor)
	}
}
