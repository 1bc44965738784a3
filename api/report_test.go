package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

// TestReport: an event's and a talk's reports count what happened —
// participants, questions in every status, likes, replies, reactions,
// moderation outcomes, top questions — and the audience peak the hub
// reported while a stream was open.
func TestReport(t *testing.T) {
	h := newHarness(t, withPresence(20*time.Millisecond))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go h.act.RunPresence(ctx)
	m := newModerated(t, h, "pre")
	tk2 := h.createTalk(m.e.ID, map[string]any{"title": "二つ目"})
	third, _ := h.join(m.e.JoinCode, "Third")

	popular := m.asker.ask(m.e.ID, m.tk.ID, "リアルタイムの難しさは？")
	quiet := m.other.ask(m.e.ID, m.tk.ID, "How do you test it?")
	spam := m.other.ask(m.e.ID, m.tk.ID, "Buy now")
	third.ask(m.e.ID, tk2.ID, "Held for later")
	for _, q := range []koe.Question{popular, quiet} {
		m.decide(m.mod, m.reviewOf(q.ID).ID, "approve").want(t, 200, "")
	}
	m.decide(m.mod, m.reviewOf(spam.ID).ID, "reject").want(t, 200, "")
	for _, c := range []*client{m.other, third} {
		c.put(fmt.Sprintf("%s/questions/%d/like", talkPath(m.e.ID, m.tk.ID), popular.ID), nil).want(t, 200, "")
	}
	h.staff.patch(questionPath(m.e.ID, m.tk.ID, quiet.ID), map[string]any{"answered": true}).want(t, 200, "")
	h.staff.post(fmt.Sprintf("%s/questions/%d/replies", talkPath(m.e.ID, m.tk.ID), popular.ID), map[string]any{"body": "良い質問"}).want(t, 201, "")
	for range 3 {
		m.asker.post(talkPath(m.e.ID, m.tk.ID)+"/reactions", map[string]any{"emoji": "👏"}).want(t, 204, "")
	}
	h.act.FlushReactions(context.Background())

	// Two connections follow the first talk: the peak is 2.
	for _, c := range []*client{m.asker, m.other} {
		lc := subscribeWS(t, c, m.e.ID, fmt.Sprintf("talk:%d", m.tk.ID), "")
		defer lc.close()
	}
	var rep act.EventReport
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rep = act.EventReport{}
		h.staff.get(eventPath(m.e.ID)+"/report").decode(t, &rep)
		if rep.Connections.Peak >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if rep.Connections.Peak != 2 || rep.Connections.PeakAt == nil || len(rep.Connections.Series) == 0 {
		t.Errorf("connections: %+v", rep.Connections)
	}
	// (The five-minute intervals may split the test's second in two.)
	if rep.Participants.Total != 3 || sum(rep.Participants.Joined) != 3 {
		t.Errorf("participants: %+v", rep.Participants)
	}
	q := rep.Questions
	if q.Total != 4 || q.Shown != 2 || q.Answered != 1 || q.Likes != 2 || q.Replies != 1 || sum(q.Asked) != 4 {
		t.Errorf("questions: %+v", q)
	}
	if rep.IntervalMinutes != 5 {
		t.Errorf("interval %d", rep.IntervalMinutes)
	}
	if len(rep.Talks) != 2 || rep.Talks[0].Talk.ID != m.tk.ID || rep.Talks[0].Questions != 3 || rep.Talks[0].Reactions != 3 ||
		rep.Talks[0].PeakConnections != 2 || rep.Talks[1].Questions != 1 || rep.Talks[1].Shown != 0 {
		t.Errorf("talks: %+v", rep.Talks)
	}
	if len(rep.TopQuestions) != 2 || rep.TopQuestions[0].ID != popular.ID || rep.TopQuestions[0].Likes != 2 {
		t.Errorf("top questions: %+v", rep.TopQuestions)
	}
	if mo := rep.Moderation; mo.Approved != 2 || mo.Rejected != 1 || mo.Pending != 1 {
		t.Errorf("moderation: %+v", mo)
	}

	var tr act.TalkReport
	h.staff.get(talkPath(m.e.ID, m.tk.ID)+"/report").decode(t, &tr)
	if tr.Talk.ID != m.tk.ID || tr.Questions.Total != 3 || tr.Reactions["👏"] != 3 || tr.Connections.Peak != 2 || len(tr.TopQuestions) != 2 {
		t.Errorf("talk report: %+v", tr)
	}
	var other act.TalkReport
	h.staff.get(talkPath(m.e.ID, tk2.ID)+"/report").decode(t, &other)
	if other.Questions.Total != 1 || other.Questions.Shown != 0 || len(other.TopQuestions) != 0 || other.Connections.Peak != 0 {
		t.Errorf("second talk: %+v", other)
	}
	m.asker.get(eventPath(m.e.ID)+"/report").want(t, 403, koe.EFORBIDDEN)
}

func sum(buckets []koe.Bucket) (n int64) {
	for _, b := range buckets {
		n += b.Count
	}
	return n
}
