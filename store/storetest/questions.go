package storetest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/koehq/koe"
)

func testCreateQuestion(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	other := newScene(t, s, "other")
	stranger := newParticipant(t, s, sc.event.ID)

	q := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, AuthorName: "Ada", Body: "Why?"}
	if err := s.CreateQuestion(ctx, q, nil); err != nil {
		t.Fatalf("CreateQuestion: %v", err)
	}
	if q.ID == 0 || q.Version != 1 || q.Likes != 0 || q.ReplyCount != 0 || q.Answered || q.AnsweredAt != nil || q.Hidden {
		t.Errorf("CreateQuestion = %+v; want a fresh question", q)
	}
	if !q.Mine || q.LikedByMe {
		t.Errorf("CreateQuestion set Mine %v, LikedByMe %v; want true, false", q.Mine, q.LikedByMe)
	}
	checkTime(t, "CreatedAt", q.CreatedAt)
	if !q.UpdatedAt.Equal(q.CreatedAt) {
		t.Errorf("UpdatedAt %v != CreatedAt %v on a new question", q.UpdatedAt, q.CreatedAt)
	}

	got, err := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, sc.p.ID)
	if err != nil {
		t.Fatalf("Question: %v", err)
	}
	same(t, "Question(asker)", got, q)
	if got.ParticipantID != sc.p.ID {
		t.Errorf("ParticipantID = %d, want %d", got.ParticipantID, sc.p.ID)
	}
	for _, viewer := range []int64{0, stranger.ID} {
		got, err := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, viewer)
		if err != nil || got.Mine {
			t.Errorf("Question(viewer %d) = %+v, %v; want Mine false", viewer, got, err)
		}
	}

	for name, where := range map[string][2]int64{
		"other event":           {other.event.ID, sc.talk.ID},
		"talk of another event": {sc.event.ID, other.talk.ID},
		"missing talk":          {sc.event.ID, other.talk.ID + 1000},
		"missing event":         {other.event.ID + 1000, sc.talk.ID},
	} {
		_, err := s.Question(ctx, where[0], where[1], q.ID, 0)
		wantCode(t, "Question("+name+")", err, koe.ENOTFOUND)
		err = s.CreateQuestion(ctx, &koe.Question{EventID: where[0], TalkID: where[1], ParticipantID: sc.p.ID, Body: "x"}, nil)
		wantCode(t, "CreateQuestion("+name+")", err, koe.ENOTFOUND)
	}
	_, err = s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID+1000, 0)
	wantCode(t, "Question(missing)", err, koe.ENOTFOUND)
	neighbour := newTalk(t, s, sc.event.ID, nil)
	_, err = s.Question(ctx, sc.event.ID, neighbour.ID, q.ID, 0)
	wantCode(t, "Question(another talk of the event)", err, koe.ENOTFOUND)
	err = s.CreateQuestion(ctx, &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: other.p.ID, Body: "x"}, nil)
	wantCode(t, "CreateQuestion(participant of another event)", err, koe.ENOTFOUND)
}

func testQAClosed(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	setOpen := func(open bool) {
		t.Helper()
		if _, err := s.UpdateTalk(ctx, sc.event.ID, sc.talk.ID, koe.TalkUpdate{QAOpen: &open}); err != nil {
			t.Fatal(err)
		}
	}
	ask := func() error {
		return s.CreateQuestion(ctx, &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "late"}, nil)
	}

	setOpen(false)
	wantCode(t, "CreateQuestion(closed)", ask(), koe.EQACLOSED)
	page := list(t, s, koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: koe.SortRecent})
	if len(page.Questions) != 0 {
		t.Errorf("a refused question was stored: %v", ids(page.Questions))
	}
	setOpen(true)
	if err := ask(); err != nil {
		t.Errorf("CreateQuestion after reopening: %v", err)
	}
}

func list(t *testing.T, s koe.Store, q koe.QuestionQuery) *koe.QuestionPage {
	t.Helper()
	page, err := s.Questions(t.Context(), q)
	if err != nil {
		t.Fatalf("Questions(%s): %v", q.Sort, err)
	}
	return page
}

func testQuestionLists(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	e, tk := sc.event, sc.talk
	q := newQuestions(t, s, tk, 7)
	likeBy(t, s, q[0], 2)
	likeBy(t, s, q[1], 3)
	likeBy(t, s, q[3], 2)
	updateQuestion(t, s, q[4], koe.QuestionUpdate{Hidden: ptr(true)})
	updateQuestion(t, s, q[5], koe.QuestionUpdate{Answered: ptr(true)})
	updateQuestion(t, s, q[6], koe.QuestionUpdate{Answered: ptr(true), Hidden: ptr(true)})
	newQuestion(t, s, newTalk(t, s, e.ID, nil), sc.p, "in another talk")

	for sort, want := range map[koe.QuestionSort][]*koe.Question{
		koe.SortTop:      {q[1], q[0], q[3], q[2]}, // by likes, ties oldest first
		koe.SortRecent:   {q[3], q[2], q[1], q[0]},
		koe.SortAnswered: {q[5]},
		koe.SortHidden:   {q[6], q[4]},
	} {
		page := list(t, s, koe.QuestionQuery{EventID: e.ID, TalkID: tk.ID, Sort: sort})
		if !slices.Equal(ids(page.Questions), ids(want)) {
			t.Errorf("%s = %v, want %v", sort, ids(page.Questions), ids(want))
		}
		if page.Next != nil {
			t.Errorf("%s: Next = %+v on the only page", sort, page.Next)
		}
		for _, got := range page.Questions {
			read, err := s.Question(ctx, e.ID, tk.ID, got.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			same(t, fmt.Sprintf("%s: question %d", sort, got.ID), got, read)
		}
	}

	empty := newTalk(t, s, e.ID, nil)
	page, err := s.Questions(ctx, koe.QuestionQuery{EventID: e.ID, TalkID: empty.ID, Sort: koe.SortTop})
	if err != nil || len(page.Questions) != 0 || page.Next != nil {
		t.Errorf("Questions(empty talk) = %+v, %v; want an empty last page", page, err)
	}
	other := newEvent(t, s, "other")
	_, err = s.Questions(ctx, koe.QuestionQuery{EventID: other.ID, TalkID: tk.ID, Sort: koe.SortTop})
	wantCode(t, "Questions(talk of another event)", err, koe.ENOTFOUND)
	_, err = s.Questions(ctx, koe.QuestionQuery{EventID: e.ID, TalkID: empty.ID + 1000, Sort: koe.SortTop})
	wantCode(t, "Questions(missing talk)", err, koe.ENOTFOUND)
	_, err = s.Questions(ctx, koe.QuestionQuery{EventID: e.ID, TalkID: tk.ID, Sort: "oldest"})
	wantCode(t, "Questions(unknown sort)", err, koe.EINVALID)
	_, err = s.Questions(ctx, koe.QuestionQuery{EventID: e.ID, TalkID: tk.ID, Sort: koe.SortTop,
		After: &koe.Cursor{Sort: koe.SortRecent, ID: q[3].ID}})
	wantCode(t, "Questions(cursor of another list)", err, koe.EINVALID)
}

// byAnsweredAt sorts a copy of qs as the answered list must be: most
// recently answered first, ties by id, newest first.
func byAnsweredAt(qs []*koe.Question) []*koe.Question {
	sorted := slices.Clone(qs)
	slices.SortFunc(sorted, func(a, b *koe.Question) int {
		if c := b.AnsweredAt.Compare(*a.AnsweredAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	return sorted
}

func testAnsweredOrder(t *testing.T, s koe.Store) {
	sc := newScene(t, s, "conf")
	q := newQuestions(t, s, sc.talk, 4)
	answered := map[int64]*koe.Question{}
	var last *koe.Question
	for _, i := range []int{0, 2, 1} {
		got := updateQuestion(t, s, q[i], koe.QuestionUpdate{Answered: ptr(true)}).Question
		if !got.Answered || got.AnsweredAt == nil {
			t.Fatalf("answered question = %+v", got)
		}
		checkTime(t, "AnsweredAt", *got.AnsweredAt)
		if last != nil && got.AnsweredAt.Before(*last.AnsweredAt) {
			t.Errorf("question %d answered at %v, before the earlier answer at %v", got.ID, got.AnsweredAt, last.AnsweredAt)
		}
		answered[got.ID], last = got, got
	}
	listed := func() []int64 {
		return ids(list(t, s, koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: koe.SortAnswered}).Questions)
	}
	if got, want := listed(), ids(byAnsweredAt(slices.Collect(maps.Values(answered)))); !slices.Equal(got, want) {
		t.Errorf("answered = %v, want %v", got, want)
	}

	// Marking an answered question answered again keeps its time.
	again := updateQuestion(t, s, q[0], koe.QuestionUpdate{Answered: ptr(true)}).Question
	if again.AnsweredAt == nil || !again.AnsweredAt.Equal(*answered[q[0].ID].AnsweredAt) {
		t.Errorf("AnsweredAt changed from %v to %v", answered[q[0].ID].AnsweredAt, again.AnsweredAt)
	}
	back := updateQuestion(t, s, q[2], koe.QuestionUpdate{Answered: ptr(false)}).Question
	if back.Answered || back.AnsweredAt != nil {
		t.Errorf("unanswered question = %+v; want AnsweredAt cleared", back)
	}
	delete(answered, q[2].ID)
	if got, want := listed(), ids(byAnsweredAt(slices.Collect(maps.Values(answered)))); !slices.Equal(got, want) {
		t.Errorf("answered after unanswering = %v, want %v", got, want)
	}
	recent := list(t, s, koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: koe.SortRecent})
	if want := []int64{q[3].ID, q[2].ID}; !slices.Equal(ids(recent.Questions), want) {
		t.Errorf("recent = %v, want %v", ids(recent.Questions), want)
	}
}

// pageAll reads a whole list, q.Limit questions at a time, passing each
// cursor through its string form as the HTTP layer does. It checks that
// every page but the last is full and that only the last has no Next.
func pageAll(t *testing.T, s koe.Store, q koe.QuestionQuery) (questionIDs []int64, pages int) {
	t.Helper()
	for {
		page := list(t, s, q)
		pages++
		questionIDs = append(questionIDs, ids(page.Questions)...)
		if page.Next == nil {
			if len(page.Questions) == 0 && pages > 1 {
				t.Errorf("%s: page %d is empty: the page before it should have had no Next", q.Sort, pages)
			}
			return questionIDs, pages
		}
		if len(page.Questions) != q.Limit {
			t.Fatalf("%s: page %d has %d questions and a Next, want %d", q.Sort, pages, len(page.Questions), q.Limit)
		}
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages", q.Sort)
		}
		c, err := koe.ParseCursor(q.Sort, page.Next.String())
		if err != nil {
			t.Fatalf("%s: cursor %+v does not survive encoding: %v", q.Sort, page.Next, err)
		}
		q.After = c
	}
}

func testPaging(t *testing.T, s koe.Store) {
	sc := newScene(t, s, "conf")
	e := sc.event

	open := sc.talk
	q := newQuestions(t, s, open, 7)
	for i, n := range []int{1, 0, 2, 1, 0, 2, 1} {
		likeBy(t, s, q[i], n)
	}
	top := []int64{q[2].ID, q[5].ID, q[0].ID, q[3].ID, q[6].ID, q[1].ID, q[4].ID}
	recent := slices.Clone(ids(q))
	slices.Reverse(recent)

	answeredTalk := newTalk(t, s, e.ID, nil)
	var answered []*koe.Question
	for _, q := range newQuestions(t, s, answeredTalk, 7) {
		answered = append(answered, updateQuestion(t, s, q, koe.QuestionUpdate{Answered: ptr(true)}).Question)
	}

	hiddenTalk := newTalk(t, s, e.ID, nil)
	var hidden []int64
	for _, q := range newQuestions(t, s, hiddenTalk, 7) {
		updateQuestion(t, s, q, koe.QuestionUpdate{Hidden: ptr(true)})
		hidden = append([]int64{q.ID}, hidden...)
	}

	evenTalk := newTalk(t, s, e.ID, nil)
	even := ids(newQuestions(t, s, evenTalk, 6))
	slices.Reverse(even)

	for _, c := range []struct {
		sort  koe.QuestionSort
		talk  *koe.Talk
		want  []int64
		pages int
	}{
		{koe.SortTop, open, top, 3},
		{koe.SortRecent, open, recent, 3},
		{koe.SortAnswered, answeredTalk, ids(byAnsweredAt(answered)), 3},
		{koe.SortHidden, hiddenTalk, hidden, 3},
		{koe.SortRecent, evenTalk, even, 2},
	} {
		got, pages := pageAll(t, s, koe.QuestionQuery{EventID: e.ID, TalkID: c.talk.ID, Sort: c.sort, Limit: 3})
		if !slices.Equal(got, c.want) {
			t.Errorf("%s in pages of 3 = %v, want %v", c.sort, got, c.want)
		}
		if pages != c.pages {
			t.Errorf("%s: %d questions took %d pages of 3, want %d", c.sort, len(c.want), pages, c.pages)
		}
	}
}

func testPageSize(t *testing.T, s koe.Store) {
	sc := newScene(t, s, "conf")
	const n = koe.MaxPageSize + 5
	var wg sync.WaitGroup
	for w := range 5 {
		wg.Go(func() {
			for i := w; i < n; i += 5 {
				err := s.CreateQuestion(t.Context(), &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID,
					ParticipantID: sc.p.ID, Body: fmt.Sprintf("question %d", i)}, nil)
				if err != nil {
					t.Errorf("CreateQuestion: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()

	query := koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: koe.SortRecent}
	for _, c := range []struct{ limit, want int }{
		{0, koe.DefaultPageSize},
		{-1, koe.DefaultPageSize},
		{koe.MaxPageSize + 100, koe.MaxPageSize},
	} {
		query.Limit = c.limit
		page := list(t, s, query)
		if len(page.Questions) != c.want || page.Next == nil {
			t.Errorf("Limit %d: %d questions, Next %v; want %d and a Next", c.limit, len(page.Questions), page.Next, c.want)
		}
	}
	query.After = list(t, s, query).Next
	if page := list(t, s, query); len(page.Questions) != n-koe.MaxPageSize || page.Next != nil {
		t.Errorf("last page: %d questions, Next %v; want %d and no Next", len(page.Questions), page.Next, n-koe.MaxPageSize)
	}
}

func testUpdateQuestion(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	other := newScene(t, s, "other")
	q := newQuestion(t, s, sc.talk, sc.p, "first")
	neighbour := newTalk(t, s, sc.event.ID, nil)

	check := func(what string, c *koe.UpdatedQuestion, version int64) *koe.Question {
		t.Helper()
		got := c.Question
		if got.Version != version {
			t.Errorf("%s: version %d, want %d", what, got.Version, version)
		}
		if got.UpdatedAt.Before(q.CreatedAt) || !got.CreatedAt.Equal(q.CreatedAt) {
			t.Errorf("%s: CreatedAt %v, UpdatedAt %v; created at %v", what, got.CreatedAt, got.UpdatedAt, q.CreatedAt)
		}
		read, err := s.Question(ctx, q.EventID, q.TalkID, q.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		same(t, what+": read back", read, got)
		return got
	}

	got := check("body", updateQuestion(t, s, q, koe.QuestionUpdate{Body: ptr("edited")}), 2)
	if got.Body != "edited" {
		t.Errorf("Body = %q, want edited", got.Body)
	}
	got = check("answered", updateQuestion(t, s, q, koe.QuestionUpdate{Answered: ptr(true)}), 3)
	if !got.Answered || got.AnsweredAt == nil {
		t.Fatalf("answered question = %+v", got)
	}
	checkTime(t, "AnsweredAt", *got.AnsweredAt)
	got = check("unanswered", updateQuestion(t, s, q, koe.QuestionUpdate{Answered: ptr(false)}), 4)
	if got.Answered || got.AnsweredAt != nil {
		t.Errorf("unanswered question = %+v", got)
	}
	c := updateQuestion(t, s, q, koe.QuestionUpdate{Hidden: ptr(true)})
	if got = check("hidden", c, 5); !got.Hidden || c.Talk != nil {
		t.Errorf("hidden question = %+v, talk %+v", got, c.Talk)
	}
	if got = check("shown", updateQuestion(t, s, q, koe.QuestionUpdate{Hidden: ptr(false)}), 6); got.Hidden {
		t.Errorf("shown question is still hidden")
	}
	// An update that changes nothing is no new version.
	if got = check("no change", updateQuestion(t, s, q, koe.QuestionUpdate{}), 6); got.Body != "edited" {
		t.Errorf("empty update changed the body to %q", got.Body)
	}
	check("same values", updateQuestion(t, s, q, koe.QuestionUpdate{Body: ptr("edited"), Hidden: ptr(false), Answered: ptr(false)}), 6)

	for name, where := range map[string][3]int64{
		"other event":           {other.event.ID, sc.talk.ID, q.ID},
		"talk of another event": {sc.event.ID, other.talk.ID, q.ID},
		"another talk":          {sc.event.ID, neighbour.ID, q.ID},
		"missing question":      {sc.event.ID, sc.talk.ID, q.ID + 1000},
	} {
		_, err := s.UpdateQuestion(ctx, where[0], where[1], where[2], koe.QuestionUpdate{Body: ptr("x")})
		wantCode(t, "UpdateQuestion("+name+")", err, koe.ENOTFOUND)
	}
}

func testReplies(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	other := newScene(t, s, "other")
	q := newQuestion(t, s, sc.talk, sc.p, "question")
	quiet := newQuestion(t, s, sc.talk, sc.p, "no replies")
	neighbour := newTalk(t, s, sc.event.ID, nil)

	replies := []*koe.Reply{
		{ParticipantID: sc.p.ID, AuthorName: "Ada", Body: "me too"},
		{Staff: true, AuthorName: "Host", Body: "answered on stage"},
	}
	for i, r := range replies {
		r.EventID, r.TalkID, r.QuestionID = sc.event.ID, sc.talk.ID, q.ID
		got, err := s.CreateReply(ctx, r, nil)
		if err != nil {
			t.Fatalf("CreateReply: %v", err)
		}
		if r.ID == 0 {
			t.Error("CreateReply did not set ID")
		}
		checkTime(t, "CreatedAt", r.CreatedAt)
		if got.ID != q.ID || got.ReplyCount != i+1 || got.Version != q.Version+int64(i)+1 {
			t.Errorf("CreateReply returned question %+v; want %d replies, version %d", got, i+1, q.Version+int64(i)+1)
		}
		read, err := s.Question(ctx, q.EventID, q.TalkID, q.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "question after reply", read, got)
	}

	got, err := s.Replies(ctx, sc.event.ID, sc.talk.ID, q.ID, true)
	if err != nil {
		t.Fatalf("Replies: %v", err)
	}
	same(t, "Replies", got, replies)
	for i := range got {
		if got[i].ParticipantID != replies[i].ParticipantID {
			t.Errorf("reply %d: ParticipantID %d, want %d", i, got[i].ParticipantID, replies[i].ParticipantID)
		}
	}
	if got, err := s.Replies(ctx, sc.event.ID, sc.talk.ID, quiet.ID, true); err != nil || len(got) != 0 {
		t.Errorf("Replies(no replies) = %v, %v; want none", got, err)
	}

	for name, where := range map[string][3]int64{
		"other event":           {other.event.ID, sc.talk.ID, q.ID},
		"talk of another event": {sc.event.ID, other.talk.ID, q.ID},
		"another talk":          {sc.event.ID, neighbour.ID, q.ID},
		"missing question":      {sc.event.ID, sc.talk.ID, quiet.ID + 1000},
	} {
		_, err := s.Replies(ctx, where[0], where[1], where[2], true)
		wantCode(t, "Replies("+name+")", err, koe.ENOTFOUND)
		_, err = s.CreateReply(ctx, &koe.Reply{EventID: where[0], TalkID: where[1], QuestionID: where[2], Staff: true, Body: "x"}, nil)
		wantCode(t, "CreateReply("+name+")", err, koe.ENOTFOUND)
	}
	_, err = s.CreateReply(ctx, &koe.Reply{EventID: sc.event.ID, TalkID: sc.talk.ID, QuestionID: q.ID,
		ParticipantID: other.p.ID, Body: "x"}, nil)
	wantCode(t, "CreateReply(participant of another event)", err, koe.ENOTFOUND)
	if read, err := s.Question(ctx, q.EventID, q.TalkID, q.ID, 0); err != nil || read.ReplyCount != len(replies) {
		t.Errorf("failed replies were counted: %+v, %v", read, err)
	}
}

// testTalkQuestions: an export's reads list a talk's questions and
// replies oldest first, the shown ones only unless all.
func testTalkQuestions(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc, other := newScene(t, s, "talk-questions"), newScene(t, s, "talk-questions-other")
	shown := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "Shown?"}
	must(t, "CreateQuestion", s.CreateQuestion(ctx, shown, nil))
	hidden := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "Hidden?"}
	must(t, "CreateQuestion", s.CreateQuestion(ctx, hidden, nil))
	_, err := s.UpdateQuestion(ctx, sc.event.ID, sc.talk.ID, hidden.ID, koe.QuestionUpdate{Hidden: ptr(true)})
	must(t, "UpdateQuestion(hide)", err)
	held, _ := pending(t, s, sc, sc.p, "Held?")
	must(t, "CreateQuestion(other talk)", s.CreateQuestion(ctx, &koe.Question{EventID: other.event.ID, TalkID: other.talk.ID, ParticipantID: other.p.ID, Body: "Elsewhere"}, nil))
	_, err = s.CreateReply(ctx, &koe.Reply{EventID: sc.event.ID, TalkID: sc.talk.ID, QuestionID: shown.ID, Staff: true, Body: "Yes"}, nil)
	must(t, "CreateReply", err)
	_, err = s.CreateReply(ctx, &koe.Reply{EventID: sc.event.ID, TalkID: sc.talk.ID, QuestionID: shown.ID, ParticipantID: sc.p.ID, Body: "Held reply",
		Status: koe.StatusPending}, nil)
	must(t, "CreateReply(pending)", err)
	ids := func(qs []*koe.Question) []int64 {
		var out []int64
		for _, q := range qs {
			out = append(out, q.ID)
		}
		return out
	}
	got, err := s.TalkQuestions(ctx, sc.event.ID, sc.talk.ID, false, 100)
	must(t, "TalkQuestions", err)
	if fmt.Sprint(ids(got)) != fmt.Sprint([]int64{shown.ID}) {
		t.Errorf("shown questions %v, want [%d]", ids(got), shown.ID)
	}
	got, err = s.TalkQuestions(ctx, sc.event.ID, sc.talk.ID, true, 100)
	must(t, "TalkQuestions(all)", err)
	if fmt.Sprint(ids(got)) != fmt.Sprint([]int64{shown.ID, hidden.ID, held.ID}) {
		t.Errorf("all questions %v", ids(got))
	}
	if got, err = s.TalkQuestions(ctx, sc.event.ID, sc.talk.ID, true, 2); err != nil || len(got) != 2 {
		t.Errorf("TalkQuestions(limit 2) = %d, %v", len(got), err)
	}
	if got, err = s.TalkQuestions(ctx, other.event.ID, sc.talk.ID, true, 100); err != nil || len(got) != 0 {
		t.Errorf("a talk's questions through another event: %v %v", ids(got), err)
	}
	replies, err := s.TalkReplies(ctx, sc.event.ID, sc.talk.ID, false)
	must(t, "TalkReplies", err)
	if len(replies) != 1 || replies[0].Body != "Yes" {
		t.Errorf("shown replies %+v", replies)
	}
	if replies, err = s.TalkReplies(ctx, sc.event.ID, sc.talk.ID, true); err != nil || len(replies) != 2 || replies[1].Status != koe.StatusPending {
		t.Errorf("all replies %+v %v", replies, err)
	}
}

// testListMarks checks a participant's marks on a list against the list
// the store makes for that participant.
func testListMarks(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "marks")
	tk, p := sc.talk, sc.p
	q := newQuestions(t, s, tk, 4)
	for _, liked := range []*koe.Question{q[0], q[2]} {
		if _, err := s.SetLike(ctx, tk.EventID, tk.ID, liked.ID, p.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	own := newQuestion(t, s, tk, p, "mine, approved")
	ids := append(ids(q), own.ID)
	marks := func(what string, participant int64, questionIDs []int64) *koe.ListMarks {
		t.Helper()
		m, err := s.ListMarks(ctx, tk.ID, participant, questionIDs)
		if err != nil {
			t.Fatalf("ListMarks(%s): %v", what, err)
		}
		slices.Sort(m.Liked)
		return m
	}
	m := marks("likes", p.ID, ids)
	if want := []int64{q[0].ID, q[2].ID}; !slices.Equal(m.Liked, want) || m.OwnUnapproved {
		t.Errorf("ListMarks = %+v, want liked %v and nothing unapproved", m, want)
	}
	// The same as the store's own list for the participant.
	page := list(t, s, koe.QuestionQuery{EventID: tk.EventID, TalkID: tk.ID, Sort: koe.SortTop, Viewer: p.ID})
	var liked []int64
	for _, got := range page.Questions {
		if got.LikedByMe {
			liked = append(liked, got.ID)
		}
	}
	slices.Sort(liked)
	if !slices.Equal(m.Liked, liked) {
		t.Errorf("ListMarks liked %v, the list for the participant %v", m.Liked, liked)
	}
	if m := marks("only some ids", p.ID, []int64{q[1].ID, q[2].ID}); !slices.Equal(m.Liked, []int64{q[2].ID}) {
		t.Errorf("ListMarks(q1, q2).Liked = %v, want [%d]", m.Liked, q[2].ID)
	}
	if m := marks("no ids", p.ID, nil); len(m.Liked) != 0 || m.OwnUnapproved {
		t.Errorf("ListMarks(no ids) = %+v, want nothing", m)
	}
	if m := marks("someone else", newParticipant(t, s, tk.EventID).ID, ids); len(m.Liked) != 0 || m.OwnUnapproved {
		t.Errorf("ListMarks(another participant) = %+v, want nothing", m)
	}

	// A pending question of theirs is in their lists and no one else's.
	pending := &koe.Question{EventID: tk.EventID, TalkID: tk.ID, ParticipantID: p.ID, AuthorName: p.DisplayName,
		Body: "waiting for a moderator", Status: koe.StatusPending}
	if err := s.CreateQuestion(ctx, pending, nil); err != nil {
		t.Fatal(err)
	}
	if m := marks("pending", p.ID, ids); !m.OwnUnapproved {
		t.Errorf("ListMarks with a pending question of theirs = %+v, want OwnUnapproved", m)
	}
	other := newTalk(t, s, tk.EventID, nil)
	if m, err := s.ListMarks(ctx, other.ID, p.ID, nil); err != nil || m.OwnUnapproved {
		t.Errorf("ListMarks(another talk) = %+v, %v; want nothing unapproved", m, err)
	}
	// Hidden, it leaves their lists too.
	updateQuestion(t, s, pending, koe.QuestionUpdate{Hidden: ptr(true)})
	if m := marks("pending and hidden", p.ID, ids); m.OwnUnapproved {
		t.Errorf("ListMarks with a hidden pending question = %+v, want nothing unapproved", m)
	}
}
