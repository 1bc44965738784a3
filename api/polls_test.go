package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ratelimit"
)

type pollView struct {
	koe.Poll
	Results *koe.PollResults `json:"results"`
	MyVote  *koe.Vote        `json:"my_vote"`
}

func pollPath(e, tk, id int64) string { return fmt.Sprintf("%s/polls/%d", talkPath(e, tk), id) }

func (h *harness) createPoll(e, tk int64, body map[string]any) koe.Poll {
	h.t.Helper()
	var p koe.Poll
	if r := h.staff.post(talkPath(e, tk)+"/polls", body); r.want(h.t, 201, "") {
		r.decode(h.t, &p)
	}
	return p
}

func (h *harness) setPoll(e, tk, id int64, body map[string]any) koe.Poll {
	h.t.Helper()
	var p koe.Poll
	if r := h.staff.patch(pollPath(e, tk, id), body); r.want(h.t, 200, "") {
		r.decode(h.t, &p)
	}
	return p
}

func listPolls(t *testing.T, c *client, e, tk int64) []pollView {
	t.Helper()
	var list struct{ Polls []pollView }
	if r := c.get(talkPath(e, tk) + "/polls"); r.want(t, 200, "") {
		r.decode(t, &list)
	}
	return list.Polls
}

// countsOf reads results as key → count.
func countsOf(r *koe.PollResults) map[string]int64 {
	m := map[string]int64{}
	for _, c := range r.Counts {
		if c.Count > 0 {
			m[c.Key] = c.Count
		}
	}
	return m
}

// nextOf waits on lc for the next event of one of the types, skipping
// others.
func nextOf(t *testing.T, lc *liveConn, types ...string) liveEvent {
	t.Helper()
	for {
		m := lc.next()
		for _, ev := range m.Events {
			checkEvent(t, ev)
			for _, typ := range types {
				if ev.Type == typ {
					return ev
				}
			}
		}
	}
}

// TestPolls: a poll from draft to closed as staff, the audience and the
// streams see it: drafts are staff's, results hidden until revealed,
// votes changeable until the poll closes, counted exactly.
func TestPolls(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	topic := fmt.Sprintf("talk:%d", tk.ID)
	alice, _ := h.join(e.JoinCode, "Alice")
	bob, _ := h.join(e.JoinCode, "Bob")
	public := subscribeWS(t, alice, e.ID, topic, "")
	staff := subscribeWS(t, h.staff, e.ID, topic, "")
	for _, c := range []*liveConn{public, staff} {
		if m := c.next(); m.Type != "subscribed" {
			t.Fatalf("subscribe: %s", m.raw)
		}
	}

	// Bad polls (most break the document too).
	for _, bad := range []map[string]any{
		{"kind": "choice", "question": "One option?", "options": []string{"Only"}},
		{"kind": "choice", "question": "Twice?", "options": []string{"Go", "Go"}},
		{"kind": "choice", "question": "No options?"},
		{"kind": "rating", "question": "Options?", "options": []string{"a", "b"}},
		{"kind": "quiz", "question": "?"},
		{"kind": "words", "question": ""},
		{"kind": "choice", "question": "Eleven?", "options": []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}},
	} {
		h.staff.post(talkPath(e.ID, tk.ID)+"/polls", bad, unchecked).want(t, 400, koe.EINVALID)
	}

	p := h.createPoll(e.ID, tk.ID, map[string]any{"kind": "choice", "question": "Which language?",
		"options": []string{"Go", "Rust", "Zig"}, "results_mode": "hidden"})
	if p.State != koe.PollDraft || len(p.Options) != 3 || p.Options[1] != (koe.PollOption{ID: "2", Label: "Rust"}) {
		t.Fatalf("created %+v", p)
	}
	if ev := nextOf(t, staff, "poll.created"); ev.Seq == 0 {
		t.Errorf("poll.created without seq")
	}
	if got := listPolls(t, alice, e.ID, tk.ID); len(got) != 0 {
		t.Errorf("a participant sees a draft: %+v", got)
	}
	alice.get(pollPath(e.ID, tk.ID, p.ID)).want(t, 404, koe.ENOTFOUND)
	alice.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", map[string]any{"options": []string{"1"}}).want(t, 409, koe.ECONFLICT)
	h.staff.patch(pollPath(e.ID, tk.ID, p.ID), map[string]any{"state": "closed"}).want(t, 409, koe.ECONFLICT)

	// Open: the audience sees it, without its results.
	p = h.setPoll(e.ID, tk.ID, p.ID, map[string]any{"state": "open"})
	var opened koe.Poll
	if ev := nextOf(t, public, "poll.updated"); json.Unmarshal(ev.Data, &opened) != nil || opened.State != koe.PollOpen || opened.Version != p.Version {
		t.Errorf("public stream: %s", ev.Data)
	}
	vote := func(c *client, body map[string]any) koe.Vote {
		t.Helper()
		var v koe.Vote
		if r := c.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", body); r.want(t, 200, "") {
			r.decode(t, &v)
		}
		return v
	}
	vote(alice, map[string]any{"options": []string{"1"}})
	if v := vote(alice, map[string]any{"options": []string{"2"}}); v.Status != koe.StatusApproved || fmt.Sprint(v.Keys) != "[2]" {
		t.Errorf("changed vote %+v", v)
	}
	vote(bob, map[string]any{"options": []string{"2"}})
	for _, bad := range []map[string]any{{"options": []string{"4"}}, {"options": []string{"1", "2"}}, {"rating": 3}, {"options": []string{}},
		{"options": []string{"1"}, "rating": 2}, {}} {
		bob.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", bad, unchecked).want(t, 400, koe.EINVALID)
	}
	h.staff.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", map[string]any{"options": []string{"1"}}).want(t, 403, koe.EFORBIDDEN)
	mine := listPolls(t, alice, e.ID, tk.ID)
	if len(mine) != 1 || mine[0].Results != nil || mine[0].MyVote == nil || fmt.Sprint(mine[0].MyVote.Keys) != "[2]" {
		t.Errorf("alice's list: %+v", mine)
	}
	alice.get(pollPath(e.ID, tk.ID, p.ID)+"/results").want(t, 403, koe.EFORBIDDEN)
	// Staff get the results on their stream; the public stream does not.
	var res koe.PollResults
	for countsOf(&res)["2"] != 2 {
		if err := json.Unmarshal(nextOf(t, staff, "poll.results").Data, &res); err != nil {
			t.Fatal(err)
		}
	}
	if res.Voters != 2 || len(res.Counts) != 3 || res.Counts[0] != (koe.PollCount{Key: "1", Count: 0}) {
		t.Errorf("results %+v", res)
	}
	staffList := listPolls(t, h.staff, e.ID, tk.ID)
	if len(staffList) != 1 || staffList[0].Results == nil || countsOf(staffList[0].Results)["2"] != 2 || staffList[0].MyVote != nil {
		t.Errorf("staff's list: %+v", staffList)
	}
	h.staff.patch(pollPath(e.ID, tk.ID, p.ID), map[string]any{"options": []string{"A", "B"}}).want(t, 409, koe.ECONFLICT)

	// Revealed: the audience gets them too.
	h.setPoll(e.ID, tk.ID, p.ID, map[string]any{"revealed": true})
	var shown koe.PollResults
	if err := json.Unmarshal(nextOf(t, public, "poll.results").Data, &shown); err != nil || countsOf(&shown)["2"] != 2 || shown.Version != res.Version {
		t.Errorf("public results %+v, %v", shown, err)
	}
	alice.get(pollPath(e.ID, tk.ID, p.ID)+"/results").decode(t, &shown)
	if countsOf(&shown)["2"] != 2 {
		t.Errorf("alice reads %+v", shown)
	}

	// A second poll opens and closes the first; votes in a closed poll
	// are refused; closing it makes the poll.closed of webhooks.
	r := h.createPoll(e.ID, tk.ID, map[string]any{"kind": "rating", "question": "How was it?"})
	h.setPoll(e.ID, tk.ID, r.ID, map[string]any{"state": "open"})
	polls := listPolls(t, h.staff, e.ID, tk.ID)
	if len(polls) != 2 || polls[0].State != koe.PollClosed || polls[1].State != koe.PollOpen {
		t.Fatalf("after opening the second: %+v", polls)
	}
	alice.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", map[string]any{"options": []string{"1"}}).want(t, 409, koe.ECONFLICT)
	for i, c := range []*client{alice, bob} {
		var v koe.Vote
		c.put(pollPath(e.ID, tk.ID, r.ID)+"/vote", map[string]any{"rating": 4 + i}).decode(t, &v)
		if fmt.Sprint(v.Keys) != fmt.Sprint([]string{strconv.Itoa(4 + i)}) {
			t.Errorf("rating vote %+v", v)
		}
	}
	alice.put(pollPath(e.ID, tk.ID, r.ID)+"/vote", map[string]any{"rating": 6}, unchecked).want(t, 400, koe.EINVALID)
	var rated koe.PollResults
	for countsOf(&rated)["5"] != 1 || countsOf(&rated)["4"] != 1 {
		if err := json.Unmarshal(nextOf(t, public, "poll.results").Data, &rated); err != nil {
			t.Fatal(err)
		}
	}
	if len(rated.Counts) != 5 || rated.PollID != r.ID {
		t.Errorf("rating results %+v", rated)
	}
	h.staff.del(pollPath(e.ID, tk.ID, r.ID)).want(t, 204, "")
	if ev := nextOf(t, public, "poll.deleted"); ev.Seq == 0 {
		t.Errorf("poll.deleted without seq")
	}
	h.staff.get(pollPath(e.ID, tk.ID, r.ID)).want(t, 404, koe.ENOTFOUND)
}

// TestPollVotesExact: 64 participants voting at once and changing their
// votes leave exactly their last votes counted, once each.
func TestPollVotesExact(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{}))
	e, tk := h.setup()
	p := h.createPoll(e.ID, tk.ID, map[string]any{"kind": "choice", "question": "Pick any", "multiple": true,
		"options": []string{"A", "B", "C", "D", "E"}})
	h.setPoll(e.ID, tk.ID, p.ID, map[string]any{"state": "open"})
	const voters, rounds = 64, 6
	clients := make([]*client, voters)
	for i := range clients {
		clients[i], _ = h.join(e.JoinCode, fmt.Sprintf("Voter %d", i))
	}
	ballot := func(i, r int) []string { // one or two options
		a := strconv.Itoa(1 + (i+r)%5)
		if (i+r)%3 == 0 {
			return []string{a, strconv.Itoa(1 + (i+r+2)%5)}
		}
		return []string{a}
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for r := range rounds {
				if res := c.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", map[string]any{"options": ballot(i, r)}); res.Status != 200 {
					t.Errorf("vote: %s", res)
					return
				}
			}
		})
	}
	wg.Wait()
	want := map[string]int64{}
	for i := range clients {
		for _, k := range ballot(i, rounds-1) {
			want[k]++
		}
	}
	var res koe.PollResults
	h.staff.get(pollPath(e.ID, tk.ID, p.ID)+"/results").decode(t, &res)
	if got := countsOf(&res); !maps.Equal(got, want) || res.Voters != voters || res.Version != voters*rounds {
		t.Errorf("results %v, %d voters, version %d; want %v, %d voters, version %d", got, res.Voters, res.Version, want, voters, voters*rounds)
	}
}

// TestWordCloudPoll: answers are split into words (Japanese by its
// morphology), go through the event's moderation (refused, held and
// counted once approved), and count once per answer.
func TestWordCloudPoll(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "post")
	var cfg koe.ModerationConfig
	m.mod.get(eventPath(m.e.ID)+"/moderation").decode(t, &cfg)
	cfg.Words = []koe.ModeratedWord{{Word: "spamword", Action: "block"}, {Word: "ヤバい", Action: "mask"}}
	m.mod.put(eventPath(m.e.ID)+"/moderation", cfg).want(t, 200, "")
	p := h.createPoll(m.e.ID, m.tk.ID, map[string]any{"kind": "words", "question": "今日のテーマは？"})
	h.setPoll(m.e.ID, m.tk.ID, p.ID, map[string]any{"state": "open"})
	answer := func(c *client, text string, opts ...callOpt) *response {
		return c.put(pollPath(m.e.ID, m.tk.ID, p.ID)+"/vote", map[string]any{"text": text}, opts...)
	}
	var v koe.Vote
	answer(m.asker, "リアルタイム通信の設計").decode(t, &v)
	if fmt.Sprint(v.Keys) != "[リアルタイム 通信 設計]" || v.Status != koe.StatusApproved || v.Text != "リアルタイム通信の設計" {
		t.Errorf("Japanese answer %+v", v)
	}
	answer(m.other, "リアルタイム").want(t, 200, "")
	third, _ := h.join(m.e.JoinCode, "Third")
	answer(third, "Go generics and the Go scheduler").decode(t, &v)
	if fmt.Sprint(v.Keys) != "[go generics scheduler]" {
		t.Errorf("English answer %+v", v)
	}
	if r := answer(third, "spamword here"); r.want(t, 400, koe.EINVALID) && r.details(t).Reason != koe.ReasonRefused {
		t.Errorf("refused answer: %s", r)
	}
	answer(third, "、。！", unchecked).want(t, 400, koe.EINVALID)
	fourth, _ := h.join(m.e.JoinCode, "Fourth")
	answer(fourth, "ヤバい設計").decode(t, &v)
	if fmt.Sprint(v.Keys) != "[設計]" {
		t.Errorf("masked answer %+v", v)
	}
	var res koe.PollResults
	h.staff.get(pollPath(m.e.ID, m.tk.ID, p.ID)+"/results").decode(t, &res)
	if want := map[string]int64{"リアルタイム": 2, "通信": 1, "設計": 2, "go": 1, "generics": 1, "scheduler": 1}; !maps.Equal(countsOf(&res), want) ||
		res.Counts[0].Count != 2 || res.Voters != 4 {
		t.Errorf("word cloud %+v", res)
	}

	// Pre-moderation holds answers: counted once approved.
	h.staff.patch(eventPath(m.e.ID), map[string]any{"settings": map[string]any{"moderation": "pre"}}).want(t, 200, "")
	held, _ := h.join(m.e.JoinCode, "Held")
	answer(held, "オブザーバビリティ").decode(t, &v)
	if v.Status != koe.StatusPending {
		t.Fatalf("held answer %+v", v)
	}
	var review koe.Review
	for _, r := range m.reviews("").Reviews {
		if r.Kind == koe.ReviewAnswer && r.SubjectID == v.ID {
			review = r
		}
	}
	if review.ID == 0 || review.Body != "オブザーバビリティ" || review.TalkID != m.tk.ID {
		t.Fatalf("no review of the held answer: %+v", m.reviews("").Reviews)
	}
	h.staff.get(pollPath(m.e.ID, m.tk.ID, p.ID)+"/results").decode(t, &res)
	if countsOf(&res)["オブザーバビリティ"] != 0 {
		t.Errorf("a held answer is counted: %+v", res)
	}
	topic := fmt.Sprintf("talk:%d", m.tk.ID)
	staff := subscribeWS(t, h.staff, m.e.ID, topic, "")
	m.decide(m.mod, review.ID, "approve").want(t, 200, "")
	deadline := time.Now().Add(10 * time.Second)
	for countsOf(&res)["オブザーバビリティ"] != 1 && time.Now().Before(deadline) {
		if err := json.Unmarshal(nextOf(t, staff, "poll.results").Data, &res); err != nil {
			t.Fatal(err)
		}
	}
	if countsOf(&res)["オブザーバビリティ"] != 1 || res.Voters != 5 {
		t.Errorf("after the approval: %+v", res)
	}
}

// TestPollWebhooks: opening a poll sends poll.opened, closing it
// poll.closed with the poll and its results.
func TestPollWebhooks(t *testing.T) {
	h := newHarness(t)
	runDeliveries(h)
	rc := newReceiver(t)
	e, tk := h.setup()
	w := createWebhook(t, h.staff, e.ID, rc.srv.URL+"/koe", koe.HookPollOpened, koe.HookPollClosed)
	rc.set(w.Secret, nil)
	p := h.createPoll(e.ID, tk.ID, map[string]any{"kind": "rating", "question": "How was it?"})
	h.setPoll(e.ID, tk.ID, p.ID, map[string]any{"state": "open"})
	voter, _ := h.join(e.JoinCode, "Ada")
	voter.put(pollPath(e.ID, tk.ID, p.ID)+"/vote", map[string]any{"rating": 4}).want(t, 200, "")
	h.setPoll(e.ID, tk.ID, p.ID, map[string]any{"state": "closed"})
	eventually(t, "poll.opened and poll.closed delivered", func() bool {
		return slices.Equal(rc.events(t), []string{"poll.opened", "poll.closed"})
	})
	rc.mu.Lock()
	closed := rc.got[1].env.Data
	rc.mu.Unlock()
	var data struct {
		Poll    koe.Poll        `json:"poll"`
		Results koe.PollResults `json:"results"`
	}
	if err := json.Unmarshal(closed, &data); err != nil || data.Poll.State != koe.PollClosed || data.Results.Voters != 1 || countsOf(&data.Results)["4"] != 1 {
		t.Errorf("poll.closed data %s (%v)", closed, err)
	}
}
