package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

type reviewPage struct {
	Reviews []koe.Review     `json:"reviews"`
	Counts  koe.ReviewCounts `json:"counts"`
	Stream  stream           `json:"stream"`
}

// moderated makes an event in pre-moderation with one talk, a moderator
// (signed in, as a browser) and two participants.
type moderated struct {
	h            *harness
	e            koe.Event
	tk           koe.Talk
	mod, mod2    *client
	asker, other *client
}

func newModerated(t *testing.T, h *harness, mode string) *moderated {
	t.Helper()
	e := h.createEvent(map[string]any{"title": "Moderated", "settings": map[string]any{"moderation": mode}})
	m := &moderated{h: h, e: e, tk: h.createTalk(e.ID, nil)}
	m.mod, _ = h.signedIn(h.member(e.ID, koe.RoleModerator))
	m.mod2, _ = h.signedIn(h.member(e.ID, koe.RoleModerator))
	m.asker, _ = h.join(e.JoinCode, "Asker")
	m.other, _ = h.join(e.JoinCode, "Other")
	return m
}

func (m *moderated) reviews(query string) reviewPage {
	m.h.t.Helper()
	var p reviewPage
	if r := m.mod.get(eventPath(m.e.ID) + "/reviews" + query); r.want(m.h.t, 200, "") {
		r.decode(m.h.t, &p)
	}
	return p
}

func (m *moderated) reviewOf(questionID int64) koe.Review {
	m.h.t.Helper()
	for _, r := range m.reviews("").Reviews {
		if r.SubjectID == questionID && r.Kind == koe.ReviewQuestion {
			return r
		}
	}
	m.h.t.Fatalf("no open review of question %d", questionID)
	return koe.Review{}
}

func (m *moderated) decide(c *client, reviewID int64, decision string) *response {
	return c.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(m.e.ID), reviewID), map[string]any{"decision": decision})
}

// eventOf waits for the next event of type typ on lc, failing on any
// event about question id of the types in never.
func eventOf(t *testing.T, lc *liveConn, typ string) liveEvent {
	t.Helper()
	for {
		m := lc.next()
		for _, ev := range m.Events {
			checkEvent(t, ev)
			if ev.Type == typ {
				return ev
			}
		}
	}
}

func TestPreModeration(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "pre")
	queue := subscribeWS(t, m.mod, m.e.ID, "moderation", m.reviews("").Stream.Cursor)
	if sub := queue.next(); sub.Type != "subscribed" {
		t.Fatalf("moderation stream: %s", sub.raw)
	}
	public := subscribeWS(t, m.other, m.e.ID, fmt.Sprintf("talk:%d", m.tk.ID), m.other.questions(m.e.ID, m.tk.ID, "").Stream.Cursor)
	if sub := public.next(); sub.Type != "subscribed" {
		t.Fatalf("talk stream: %s", sub.raw)
	}

	q := m.asker.ask(m.e.ID, m.tk.ID, "How does the planner pick an index?")
	if q.Status != koe.StatusPending || !q.Mine {
		t.Fatalf("asked in pre-moderation: %+v; want pending, mine", q)
	}
	// The asker sees it waiting; the others do not see it at all.
	if mine := m.asker.questions(m.e.ID, m.tk.ID, "sort=recent").Questions; len(mine) != 1 || mine[0].Status != koe.StatusPending {
		t.Errorf("asker's list = %+v; want their pending question", mine)
	}
	if got := m.asker.question(m.e.ID, m.tk.ID, q.ID); got.Status != koe.StatusPending {
		t.Errorf("asker's GET = %+v", got)
	}
	if others := m.other.questions(m.e.ID, m.tk.ID, "sort=recent").Questions; len(others) != 0 {
		t.Errorf("another participant's list = %+v; want none", others)
	}
	m.other.get(questionPath(m.e.ID, m.tk.ID, q.ID)).want(t, 404, koe.ENOTFOUND)

	created := eventOf(t, queue, "review.created")
	var rev koe.Review
	_ = json.Unmarshal(created.Data, &rev)
	if rev.SubjectID != q.ID || rev.State != koe.ReviewPending || rev.Body != q.Body || len(rev.Score) == 0 {
		t.Fatalf("review.created = %s", created.Data)
	}
	var reasons []map[string]any
	_ = json.Unmarshal(rev.Reasons, &reasons)
	if len(reasons) == 0 || reasons[0]["kind"] != "mode" {
		t.Errorf("reasons = %s; want the mode first", rev.Reasons)
	}
	page := m.reviews("")
	if page.Counts.Pending != 1 || len(page.Reviews) != 1 {
		t.Errorf("queue = %+v; want one pending", page)
	}

	// A claim shows who reviews it; another moderator's claim is refused
	// but does not stop them deciding.
	var claimed koe.Review
	if r := m.mod.post(fmt.Sprintf("%s/reviews/%d/claim", eventPath(m.e.ID), rev.ID), nil); r.want(t, 200, "") {
		r.decode(t, &claimed)
	}
	if claimed.Claim == nil || claimed.Claim.Name == "" {
		t.Errorf("claim = %+v", claimed)
	}
	if ev := eventOf(t, queue, "review.updated"); !json.Valid(ev.Data) {
		t.Errorf("claim on the stream: %s", ev.Data)
	}
	m.mod2.post(fmt.Sprintf("%s/reviews/%d/claim", eventPath(m.e.ID), rev.ID), nil).want(t, 409, koe.ECONFLICT)

	var decided koe.Review
	if r := m.decide(m.mod2, rev.ID, "approve"); r.want(t, 200, "") {
		r.decode(t, &decided)
	}
	if decided.State != koe.ReviewApproved || decided.Claim != nil || decided.Decision == nil {
		t.Errorf("decided = %+v", decided)
	}
	m.decide(m.mod, rev.ID, "reject").want(t, 409, koe.ECONFLICT)
	// It appears to everyone, live.
	ev := eventOf(t, public, "question.updated")
	var shown koe.Question
	_ = json.Unmarshal(ev.Data, &shown)
	if shown.ID != q.ID || shown.Status != koe.StatusApproved {
		t.Errorf("public stream after approval: %s", ev.Data)
	}
	if others := m.other.questions(m.e.ID, m.tk.ID, "").Questions; len(others) != 1 {
		t.Errorf("list after approval = %+v", others)
	}

	// Undo, by the decider alone, puts it back.
	m.mod.post(fmt.Sprintf("%s/reviews/%d/undo", eventPath(m.e.ID), rev.ID), nil).want(t, 409, koe.ECONFLICT)
	m.mod2.post(fmt.Sprintf("%s/reviews/%d/undo", eventPath(m.e.ID), rev.ID), nil).want(t, 200, "")
	if ev := eventOf(t, public, "question.removed"); !json.Valid(ev.Data) {
		t.Errorf("removal on undo: %s", ev.Data)
	}
	m.other.get(questionPath(m.e.ID, m.tk.ID, q.ID)).want(t, 404, koe.ENOTFOUND)

	// Rejected: the asker is told, nobody else ever sees it.
	m.decide(m.mod, rev.ID, "reject").want(t, 200, "")
	if got := m.asker.question(m.e.ID, m.tk.ID, q.ID); got.Status != koe.StatusRejected {
		t.Errorf("asker's GET after rejection = %+v", got)
	}
	m.other.get(questionPath(m.e.ID, m.tk.ID, q.ID)).want(t, 404, koe.ENOTFOUND)
	if decidedList := m.reviews("?state=decided").Reviews; len(decidedList) != 1 || decidedList[0].State != koe.ReviewRejected {
		t.Errorf("decided list = %+v", decidedList)
	}

	// Edit-then-approve.
	q2 := m.asker.ask(m.e.ID, m.tk.ID, "Wat is teh plan?")
	var fixed koe.Review
	if r := m.mod.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(m.e.ID), m.reviewOf(q2.ID).ID),
		map[string]any{"decision": "approve", "body": "What is the plan?"}); r.want(t, 200, "") {
		r.decode(t, &fixed)
	}
	if got := m.other.question(m.e.ID, m.tk.ID, q2.ID); got.Body != "What is the plan?" {
		t.Errorf("edited and approved = %+v", got)
	}
	m.mod.post(fmt.Sprintf("%s/reviews/%d/decision", eventPath(m.e.ID), rev.ID), map[string]any{"decision": "maybe"}, docRejects).want(t, 400, koe.EINVALID)

	// A talk in post-moderation lets questions through at once.
	m.h.staff.patch(talkPath(m.e.ID, m.tk.ID), map[string]any{"moderation": "post"}).want(t, 200, "")
	if q3 := m.asker.ask(m.e.ID, m.tk.ID, "And the roadmap after that?"); q3.Status != koe.StatusApproved {
		t.Errorf("asked with the talk in post-moderation: %+v", q3)
	}
}

// TestModeratorsRace: moderators deciding one item at the same moment:
// exactly one decides.
func TestModeratorsRace(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "pre")
	for round := range 3 {
		q := m.asker.ask(m.e.ID, m.tk.ID, fmt.Sprintf("Race %d: which wins?", round))
		id := m.reviewOf(q.ID).ID
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, c := range []*client{m.mod, m.mod2} {
			wg.Go(func() { statuses[i] = m.decide(c, id, []string{"approve", "reject"}[i]).Status })
		}
		wg.Wait()
		slices.Sort(statuses)
		if statuses[0] != 200 || statuses[1] != 409 {
			t.Errorf("round %d: statuses %v; want one 200 and one 409", round, statuses)
		}
	}
}

// TestModerationLeak: pending and rejected questions and replies reach no
// participant-facing route or stream.
func TestModerationLeak(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "pre")
	h.staff.patch(eventPath(m.e.ID), map[string]any{"settings": map[string]any{"moderation": "pre", "participant_replies": true}}).want(t, 200, "")
	talkTopic := fmt.Sprintf("talk:%d", m.tk.ID)
	ws := subscribeWS(t, m.other, m.e.ID, talkTopic, "")
	evs := subscribeWS(t, m.other, m.e.ID, "event", "")
	sse, _ := subscribeSSE(t, m.other, m.e.ID, talkTopic, "", false)
	staffTalk := subscribeWS(t, h.staff, m.e.ID, talkTopic, "")
	for _, lc := range []*liveConn{ws, evs, sse, staffTalk} {
		if sub := lc.next(); sub.Type != "subscribed" {
			t.Fatalf("stream: %s", sub.raw)
		}
	}
	secret := "SECRET-PENDING-TEXT about the unreleased product"
	pend := m.asker.ask(m.e.ID, m.tk.ID, secret)
	rej := m.asker.ask(m.e.ID, m.tk.ID, "SECRET-REJECTED-TEXT for nobody")
	m.decide(m.mod, m.reviewOf(rej.ID).ID, "reject").want(t, 200, "")
	// A visible question with a pending reply under it.
	vis := m.asker.ask(m.e.ID, m.tk.ID, "A visible question?")
	m.decide(m.mod, m.reviewOf(vis.ID).ID, "approve").want(t, 200, "")
	m.asker.post(questionPath(m.e.ID, m.tk.ID, vis.ID)+"/replies", map[string]any{"body": "SECRET-PENDING-REPLY"}).want(t, 201, "")

	for _, id := range []int64{pend.ID, rej.ID} {
		qp := questionPath(m.e.ID, m.tk.ID, id)
		m.other.get(qp).want(t, 404, koe.ENOTFOUND)
		m.other.get(qp+"/replies").want(t, 404, koe.ENOTFOUND)
		m.other.put(qp+"/like", nil).want(t, 404, koe.ENOTFOUND)
		m.asker.put(qp+"/like", nil).want(t, 404, koe.ENOTFOUND)
		m.other.post(qp+"/replies", map[string]any{"body": "reply?"}).want(t, 404, koe.ENOTFOUND)
		h.staff.put(talkPath(m.e.ID, m.tk.ID)+"/highlight", map[string]any{"question_id": id}).want(t, 400, koe.EINVALID)
	}
	for _, sort := range []string{"top", "recent", "answered"} {
		for _, c := range []*client{m.other, h.staff} {
			for _, q := range c.questions(m.e.ID, m.tk.ID, "sort="+sort).Questions {
				if q.ID == pend.ID || q.ID == rej.ID {
					t.Errorf("list %s shows question %d (%s)", sort, q.ID, q.Status)
				}
			}
		}
	}
	var replies struct {
		Replies []koe.Reply `json:"replies"`
	}
	m.other.get(questionPath(m.e.ID, m.tk.ID, vis.ID)+"/replies").decode(t, &replies)
	if len(replies.Replies) != 0 {
		t.Errorf("replies = %+v; want the pending one hidden", replies.Replies)
	}
	if got := m.other.question(m.e.ID, m.tk.ID, vis.ID); got.ReplyCount != 0 {
		t.Errorf("reply_count = %d counts a pending reply", got.ReplyCount)
	}
	// The streams: the visible question arrives (so the streams work);
	// nothing of the pending and rejected ones ever does.
	deadline := time.After(2 * time.Second)
	for _, lc := range []*liveConn{ws, sse, staffTalk, evs} {
	drain:
		for {
			select {
			case msg, ok := <-lc.msgs:
				if !ok {
					break drain
				}
				for _, ev := range msg.Events {
					if strings.Contains(string(ev.Data), "SECRET-") {
						t.Errorf("stream leaked: %s %s", ev.Type, ev.Data)
					}
					var ref struct {
						ID int64 `json:"id"`
					}
					_ = json.Unmarshal(ev.Data, &ref)
					if strings.HasPrefix(ev.Type, "question.") && (ref.ID == pend.ID || ref.ID == rej.ID) {
						t.Errorf("stream names a moderated question: %s %s", ev.Type, ev.Data)
					}
				}
			case <-deadline:
				break drain
			}
		}
		deadline = time.After(200 * time.Millisecond)
	}
}

func TestBans(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "post")
	q := m.asker.ask(m.e.ID, m.tk.ID, "First question, all fine")
	visible := m.other.ask(m.e.ID, m.tk.ID, "Someone else's question")
	var ban koe.Ban
	if r := m.mod.post(eventPath(m.e.ID)+"/bans", map[string]any{"question_id": q.ID, "hide_items": true, "reason": "spam"}); r.want(t, 201, "") {
		r.decode(t, &ban)
	}
	if ban.DisplayName != "Asker" || ban.Hidden != 1 || ban.Reason != "spam" {
		t.Errorf("ban = %+v", ban)
	}
	m.mod.post(eventPath(m.e.ID)+"/bans", map[string]any{"question_id": q.ID}).want(t, 409, koe.ECONFLICT)
	m.mod.post(eventPath(m.e.ID)+"/bans", map[string]any{}, docRejects).want(t, 400, koe.EINVALID)
	m.mod.post(eventPath(m.e.ID)+"/bans", map[string]any{"question_id": q.ID, "review_id": 1}, docRejects).want(t, 400, koe.EINVALID)
	m.other.get(questionPath(m.e.ID, m.tk.ID, q.ID)).want(t, 404, koe.ENOTFOUND)
	m.asker.post(questionsPath(m.e.ID, m.tk.ID), map[string]any{"body": "Again?"}).want(t, 403, koe.EBANNED)
	m.asker.put(questionPath(m.e.ID, m.tk.ID, visible.ID)+"/like", nil).want(t, 403, koe.EBANNED)
	var list struct {
		Bans []koe.Ban `json:"bans"`
	}
	m.mod.get(eventPath(m.e.ID)+"/bans").decode(t, &list)
	if len(list.Bans) != 1 || list.Bans[0].ID != ban.ID {
		t.Errorf("bans = %+v", list.Bans)
	}
	m.mod.del(fmt.Sprintf("%s/bans/%d", eventPath(m.e.ID), ban.ID)).want(t, 204, "")
	m.asker.put(questionPath(m.e.ID, m.tk.ID, visible.ID)+"/like", nil).want(t, 200, "")
}

func TestDuplicateQuestion(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "post")
	first := m.other.ask(m.e.ID, m.tk.ID, "Will the slides be published after the talk?")
	r := m.asker.post(questionsPath(m.e.ID, m.tk.ID), map[string]any{"body": "will the slides be published after the talk"})
	r.want(t, 409, koe.EDUPLICATE)
	var e struct {
		Error struct {
			Similar koe.Question `json:"similar"`
		} `json:"error"`
	}
	r.decode(t, &e)
	if e.Error.Similar.ID != first.ID {
		t.Errorf("duplicate names %+v; want question %d", e.Error.Similar, first.ID)
	}
	var again koe.Question
	if r := m.asker.post(questionsPath(m.e.ID, m.tk.ID), map[string]any{"body": "will the slides be published after the talk", "duplicate_ok": true}); r.want(t, 201, "") {
		r.decode(t, &again)
	}
	if again.Status != koe.StatusApproved {
		t.Errorf("asked anyway: %+v", again)
	}
	if rev := m.reviewOf(again.ID); rev.State != koe.ReviewFlagged {
		t.Errorf("review of the duplicate = %+v; want flagged", rev)
	}
}

func TestWordListsAndScorers(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "post")
	var cfg koe.ModerationConfig
	m.mod.get(eventPath(m.e.ID)+"/moderation").decode(t, &cfg)
	if !cfg.ShippedLists || cfg.QueueThreshold != 0.7 {
		t.Fatalf("default settings = %+v", cfg)
	}
	cfg.Words = []koe.ModeratedWord{{Word: "kubectl delete", Action: "block"}, {Word: "ヤバい", Action: "mask"}}
	cfg.Allow = []string{"Scunthorpe"}
	m.mod.put(eventPath(m.e.ID)+"/moderation", cfg).want(t, 200, "")

	// The audit log shows who changed the word lists, before and after.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct {
			Entries []struct {
				Type   string          `json:"type"`
				Before json.RawMessage `json:"before"`
				After  json.RawMessage `json:"after"`
			} `json:"entries"`
		}
		h.staff.get(eventPath(m.e.ID)+"/audit?type=moderation.").decode(t, &page)
		if len(page.Entries) == 1 && strings.Contains(string(page.Entries[0].After), "kubectl delete") &&
			!strings.Contains(string(page.Entries[0].Before), "kubectl delete") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit of the moderation settings: %+v", page.Entries)
		}
		time.Sleep(20 * time.Millisecond)
	}

	blocked := m.asker.ask(m.e.ID, m.tk.ID, "Just run KUBECTL  DELETE on prod, lol")
	if blocked.Status != koe.StatusRejected {
		t.Errorf("blocked word: %+v", blocked)
	}
	masked := m.asker.ask(m.e.ID, m.tk.ID, "このデモはヤバいですね、ソースは公開されますか？")
	if masked.Status != koe.StatusApproved || masked.Body != "このデモは＊＊＊ですね、ソースは公開されますか？" && masked.Body != "このデモは***ですね、ソースは公開されますか？" {
		t.Errorf("masked word: %+v", masked)
	}
	if ok := m.asker.ask(m.e.ID, m.tk.ID, "Is the Scunthorpe meetup also streamed?"); ok.Status != koe.StatusApproved {
		t.Errorf("allow-listed: %+v", ok)
	}
	m.mod.put(eventPath(m.e.ID)+"/moderation", map[string]any{"queue_threshold": 2}, docRejects).want(t, 400, koe.EINVALID)
	bad := cfg
	bad.Words = []koe.ModeratedWord{{Word: "x", Action: "explode"}}
	m.mod.put(eventPath(m.e.ID)+"/moderation", bad, docRejects).want(t, 400, koe.EINVALID)

	// Scorers are the owners' to set: they send the event's texts out.
	var calls sync.Mutex
	seen := 0
	scorer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Text, Lang string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		calls.Lock()
		seen++
		calls.Unlock()
		score := 0.01
		if strings.Contains(in.Text, "rude") {
			score = 0.8
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"labels":{"toxicity":%g}}`, score)
	}))
	defer scorer.Close()
	withScorer := cfg
	withScorer.Scorers = []koe.ScorerConfig{{Name: "toxicity", URL: scorer.URL}}
	m.mod.put(eventPath(m.e.ID)+"/moderation", withScorer).want(t, 403, koe.EFORBIDDEN)
	h.staff.put(eventPath(m.e.ID)+"/moderation", withScorer).want(t, 200, "")
	if q := m.asker.ask(m.e.ID, m.tk.ID, "That was a rude answer to the question"); q.Status != koe.StatusPending {
		t.Errorf("scored 0.8 (queue at 0.7): %+v", q)
	} else if rev := m.reviewOf(q.ID); !strings.Contains(string(rev.Reasons), `"toxicity"`) {
		t.Errorf("reasons %s do not name the scorer", rev.Reasons)
	}
	if q := m.other.ask(m.e.ID, m.tk.ID, "What database do you run in production?"); q.Status != koe.StatusApproved {
		t.Errorf("scored low: %+v", q)
	}

	// A scorer that is down: the event fails open, or closed.
	scorer.Close()
	if q := m.other.ask(m.e.ID, m.tk.ID, "Which Go version do you target?"); q.Status != koe.StatusApproved {
		t.Errorf("failing open: %+v", q)
	}
	withScorer.FailClosed = true
	h.staff.put(eventPath(m.e.ID)+"/moderation", withScorer).want(t, 200, "")
	if q := m.other.ask(m.e.ID, m.tk.ID, "How long did the migration take?"); q.Status != koe.StatusPending {
		t.Errorf("failing closed: %+v", q)
	}

	// Display names go through the word lists too, and cannot wait.
	r := h.client("").post("/api/v1/join", map[string]any{"code": m.e.JoinCode, "display_name": "kubectl delete"})
	r.want(t, 400, koe.EINVALID)
	if !strings.Contains(r.String(), "refused") {
		t.Errorf("refused name answered %s", r)
	}
}

// TestScorerLearnsFromModerators: rejections teach the event's learned
// scorer, which then scores a text like them higher.
func TestScorerLearnsFromModerators(t *testing.T) {
	h := newHarness(t)
	m := newModerated(t, h, "pre")
	score := func(q koe.Question) float64 {
		t.Helper()
		var j struct {
			Bad float64 `json:"bad"`
		}
		if err := json.Unmarshal(m.reviewOf(q.ID).Score, &j); err != nil {
			t.Fatal(err)
		}
		return j.Bad
	}
	probe := "When is the zebra raffle for the marmalade prize?"
	before := score(m.other.ask(m.e.ID, m.tk.ID, probe))
	for i, body := range []string{"zebra raffle marmalade prize now", "join the zebra raffle for marmalade", "marmalade prize zebra raffle tonight",
		"zebra raffle!! marmalade prize!!", "free marmalade in the zebra raffle"} {
		q := m.asker.ask(m.e.ID, m.tk.ID, fmt.Sprintf("%s (%d)", body, i))
		m.decide(m.mod, m.reviewOf(q.ID).ID, "reject").want(t, 200, "")
	}
	fresh, _ := h.join(m.e.JoinCode, "")
	after := score(fresh.ask(m.e.ID, m.tk.ID, probe+" Really?"))
	if after <= before+0.05 {
		t.Errorf("learned score %.3f after five rejections of its like, %.3f before: want it higher", after, before)
	}
}
