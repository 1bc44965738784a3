package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// pending asks a pending question in sc with a review, by participant p.
func pending(t *testing.T, s koe.Store, sc scene, p *koe.Participant, body string) (*koe.Question, *koe.Review) {
	t.Helper()
	rev := &koe.Review{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: p.ID, AuthorName: "Guest",
		Body: body, State: koe.ReviewPending, Reasons: []byte(`[{"kind":"mode","name":"pre","action":"queue"}]`),
		Score: []byte(`{"bad":0.1,"ngrams":[]}`)}
	q := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: p.ID, Body: body, Status: koe.StatusPending}
	if err := s.CreateQuestion(t.Context(), q, rev); err != nil {
		t.Fatalf("CreateQuestion(pending): %v", err)
	}
	return q, rev
}

func testReviews(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	other := newScene(t, s, "other")
	q, rev := pending(t, s, sc, sc.p, "Is this held?")
	if q.Status != koe.StatusPending || rev.ID == 0 || rev.SubjectID != q.ID || rev.QuestionID != q.ID ||
		rev.Kind != koe.ReviewQuestion || rev.Version != 1 || rev.State != koe.ReviewPending || rev.Claim != nil || rev.Decision != nil {
		t.Fatalf("pending question %+v with review %+v", q, rev)
	}

	// Lists: the asker sees their own pending question, nobody else does.
	stranger := newParticipant(t, s, sc.event.ID)
	for _, sort := range []koe.QuestionSort{koe.SortTop, koe.SortRecent} {
		mine, err := s.Questions(ctx, koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: sort, Viewer: sc.p.ID})
		if err != nil || len(mine.Questions) != 1 || mine.Questions[0].Status != koe.StatusPending || !mine.Questions[0].Mine {
			t.Errorf("Questions(%s, asker) = %+v, %v; want the pending question, mine", sort, mine, err)
		}
		for _, viewer := range []int64{0, stranger.ID} {
			page, err := s.Questions(ctx, koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: sort, Viewer: viewer})
			if err != nil || len(page.Questions) != 0 {
				t.Errorf("Questions(%s, viewer %d) = %+v, %v; want none", sort, viewer, page, err)
			}
		}
	}
	_, err := s.SetLike(ctx, sc.event.ID, sc.talk.ID, q.ID, stranger.ID, true)
	wantCode(t, "SetLike(pending)", err, koe.ENOTFOUND)
	_, err = s.SetHighlight(ctx, sc.event.ID, sc.talk.ID, q.ID)
	wantCode(t, "SetHighlight(pending)", err, koe.EINVALID)

	got, err := s.Review(ctx, sc.event.ID, rev.ID)
	if err != nil {
		t.Fatalf("Review: %v", err)
	}
	same(t, "Review", got, rev)
	_, err = s.Review(ctx, other.event.ID, rev.ID)
	wantCode(t, "Review(other event)", err, koe.ENOTFOUND)
	open, err := s.Reviews(ctx, koe.ReviewQuery{EventID: sc.event.ID, Open: true, Limit: 10})
	if err != nil || len(open) != 1 || open[0].ID != rev.ID {
		t.Errorf("Reviews(open) = %+v, %v; want the review", open, err)
	}
	if none, err := s.Reviews(ctx, koe.ReviewQuery{EventID: sc.event.ID, TalkID: other.talk.ID, Open: true, Limit: 10}); err != nil || len(none) != 0 {
		t.Errorf("Reviews(other talk) = %+v, %v; want none", none, err)
	}

	// Claims: the first holds until it expires; the holder renews it.
	now := time.Now()
	claimed, err := s.ClaimReview(ctx, sc.event.ID, rev.ID, 7, &koe.ReviewClaim{Name: "Aiko", Until: now.Add(30 * time.Second)}, now)
	if err != nil || claimed.Claim == nil || claimed.Claim.AccountID != 7 || claimed.Claim.Name != "Aiko" || claimed.Version != 2 {
		t.Fatalf("ClaimReview = %+v, %v", claimed, err)
	}
	_, err = s.ClaimReview(ctx, sc.event.ID, rev.ID, 8, &koe.ReviewClaim{Name: "Ben", Until: now.Add(30 * time.Second)}, now)
	wantCode(t, "ClaimReview(held by another)", err, koe.ECONFLICT)
	later := now.Add(31 * time.Second)
	if taken, err := s.ClaimReview(ctx, sc.event.ID, rev.ID, 8, &koe.ReviewClaim{Name: "Ben", Until: later.Add(30 * time.Second)}, later); err != nil || taken.Claim.Name != "Ben" {
		t.Errorf("ClaimReview(after expiry) = %+v, %v; want Ben's", taken, err)
	}
	if released, err := s.ClaimReview(ctx, sc.event.ID, rev.ID, 8, nil, later); err != nil || released.Claim != nil {
		t.Errorf("ClaimReview(release) = %+v, %v; want no claim", released, err)
	}

	// Decide: the question becomes visible; a second decision conflicts.
	fixed := "Is this held? (fixed)"
	d := koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: 7, By: "Aiko"}
	decided, err := s.DecideReview(ctx, sc.event.ID, rev.ID, d, &fixed)
	if err != nil || decided.State != koe.ReviewApproved || decided.Decision == nil || decided.Decision.By != "Aiko" ||
		decided.Decision.UndoUntil.Sub(decided.Decision.At) != koe.UndoWindow || decided.Body != "Is this held?" {
		t.Fatalf("DecideReview = %+v, %v", decided, err)
	}
	if _, err := s.DecideReview(ctx, sc.event.ID, rev.ID, koe.ReviewDecision{Decision: koe.ReviewRejected, AccountID: 8, By: "Ben"}, nil); koe.ErrorCode(err) != koe.ECONFLICT {
		t.Errorf("DecideReview(twice) = %v; want conflict", err)
	}
	shown, err := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, 0)
	if err != nil || shown.Status != koe.StatusApproved || !shown.Public() || shown.Body != fixed {
		t.Errorf("question after approval = %+v, %v", shown, err)
	}
	if page, _ := s.Questions(ctx, koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Viewer: stranger.ID}); len(page.Questions) != 1 {
		t.Errorf("Questions after approval = %+v; want the question", page)
	}
	// The duplicate rule's texts: open (visible, unanswered) questions only,
	// newest first.
	newer := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: stranger.ID, Body: "And later?"}
	answered := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: stranger.ID, Body: "Answered?"}
	for _, nq := range []*koe.Question{newer, answered} {
		if err := s.CreateQuestion(ctx, nq, nil); err != nil {
			t.Fatal(err)
		}
	}
	yes := true
	if _, err := s.UpdateQuestion(ctx, sc.event.ID, sc.talk.ID, answered.ID, koe.QuestionUpdate{Answered: &yes}); err != nil {
		t.Fatal(err)
	}
	pending(t, s, sc, stranger, "Still waiting?")
	texts, err := s.OpenQuestionTexts(ctx, sc.event.ID, sc.talk.ID, 10)
	if want := []koe.QuestionText{{ID: newer.ID, Body: newer.Body}, {ID: q.ID, Body: fixed}}; err != nil || !slices.Equal(texts, want) {
		t.Errorf("OpenQuestionTexts = %+v, %v; want %+v", texts, err, want)
	}
	if none, err := s.OpenQuestionTexts(ctx, other.event.ID, sc.talk.ID, 10); err != nil || len(none) != 0 {
		t.Errorf("OpenQuestionTexts(other event) = %+v, %v; want none", none, err)
	}
	counts, err := s.ReviewCounts(ctx, sc.event.ID, 0, now.Add(-time.Minute))
	if err != nil || counts.Pending != 1 || counts.DecidedLastMinute != 1 {
		t.Errorf("ReviewCounts = %+v, %v; want 1 pending, 1 decided", counts, err)
	}
	if samples, err := s.Samples(ctx, sc.event.ID, 10); err != nil || len(samples) != 1 || samples[0].Bad {
		t.Errorf("Samples = %+v, %v; want one good", samples, err)
	}

	// Undo: only the decider, only in the window.
	_, err = s.UndoReview(ctx, sc.event.ID, rev.ID, 8, decided.Decision.At)
	wantCode(t, "UndoReview(another moderator)", err, koe.ECONFLICT)
	_, err = s.UndoReview(ctx, sc.event.ID, rev.ID, 7, decided.Decision.UndoUntil)
	wantCode(t, "UndoReview(after the window)", err, koe.ECONFLICT)
	undone, err := s.UndoReview(ctx, sc.event.ID, rev.ID, 7, decided.Decision.At)
	if err != nil || undone.State != koe.ReviewPending || undone.Decision != nil {
		t.Fatalf("UndoReview = %+v, %v", undone, err)
	}
	if back, _ := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, 0); back.Status != koe.StatusPending {
		t.Errorf("question after undo: status %s, want pending", back.Status)
	}

	// koe's own decisions are decided at once and cannot be undone.
	auto := &koe.Review{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "spam", State: koe.ReviewRejected,
		Reasons: []byte(`[]`), Decision: &koe.ReviewDecision{Decision: koe.ReviewRejected, By: "koe"}}
	if err := s.CreateQuestion(ctx, &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "spam", Status: koe.StatusRejected}, auto); err != nil {
		t.Fatal(err)
	}
	if auto.Decision == nil || !auto.Decision.UndoUntil.IsZero() || auto.Score != nil {
		t.Errorf("auto-rejected review = %+v", auto)
	}
	_, err = s.UndoReview(ctx, sc.event.ID, auto.ID, 0, time.Now())
	wantCode(t, "UndoReview(koe's)", err, koe.ECONFLICT)
	if decidedList, err := s.Reviews(ctx, koe.ReviewQuery{EventID: sc.event.ID, Limit: 10}); err != nil || len(decidedList) != 1 || decidedList[0].ID != auto.ID {
		t.Errorf("Reviews(decided) = %+v, %v; want koe's", decidedList, err)
	}
	if texts, err := s.RecentTexts(ctx, sc.event.ID, sc.p.ID, now.Add(-time.Hour), 10); err != nil || len(texts) != 2 || texts[0] != "spam" {
		t.Errorf("RecentTexts = %q, %v; want the two texts, newest first", texts, err)
	}
}

// testDecisionRace: of moderators deciding one review at once, exactly one
// decides it.
func testDecisionRace(t *testing.T, s koe.Store) {
	sc := newScene(t, s, "race")
	for round := range 5 {
		_, rev := pending(t, s, sc, sc.p, "Race?")
		const racers = 6
		var wg sync.WaitGroup
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() {
				dec := koe.ReviewApproved
				if i%2 == 1 {
					dec = koe.ReviewRejected
				}
				_, errs[i] = s.DecideReview(t.Context(), sc.event.ID, rev.ID, koe.ReviewDecision{Decision: dec, AccountID: int64(i + 1), By: "m"}, nil)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch koe.ErrorCode(err) {
			case "":
				won++
			case koe.ECONFLICT:
			default:
				t.Fatalf("round %d: DecideReview: %v", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d decisions won, want exactly 1", round, won)
		}
		final, err := s.Review(t.Context(), sc.event.ID, rev.ID)
		if err != nil || final.Version != 2 {
			t.Errorf("round %d: review after the race %+v, %v; want version 2", round, final, err)
		}
	}
}

func testBans(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "bans")
	troll := newParticipant(t, s, sc.event.ID)
	var qs []*koe.Question
	for _, body := range []string{"one", "two"} {
		q := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: troll.ID, Body: body}
		if err := s.CreateQuestion(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	if _, err := s.SetHighlight(ctx, sc.event.ID, sc.talk.ID, qs[0].ID); err != nil {
		t.Fatal(err)
	}
	b := &koe.Ban{EventID: sc.event.ID, ParticipantID: troll.ID, Reason: "spam", By: "Aiko"}
	if err := s.CreateBan(ctx, b, true); err != nil {
		t.Fatalf("CreateBan: %v", err)
	}
	if b.ID == 0 || b.DisplayName != "Guest" || b.Hidden != 2 || b.By != "Aiko" {
		t.Errorf("CreateBan = %+v", b)
	}
	for _, q := range qs {
		if got, _ := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, 0); !got.Hidden {
			t.Errorf("question %d not hidden by the ban", q.ID)
		}
	}
	if talk, _ := s.Talk(ctx, sc.event.ID, sc.talk.ID); talk.HighlightedQuestionID != 0 {
		t.Errorf("banned participant's question still on the screen")
	}
	wantCode(t, "CreateBan(again)", s.CreateBan(ctx, &koe.Ban{EventID: sc.event.ID, ParticipantID: troll.ID}, false), koe.ECONFLICT)
	wantCode(t, "CreateBan(stranger)", s.CreateBan(ctx, &koe.Ban{EventID: sc.event.ID + 1000, ParticipantID: troll.ID}, false), koe.ENOTFOUND)
	ids, err := s.BannedParticipants(ctx, sc.event.ID)
	if err != nil || len(ids) != 1 || ids[0] != troll.ID {
		t.Errorf("BannedParticipants = %v, %v", ids, err)
	}
	bans, err := s.Bans(ctx, sc.event.ID)
	if err != nil || len(bans) != 1 {
		t.Errorf("Bans = %+v, %v", bans, err)
	}
	wantCode(t, "DeleteBan(other event)", s.DeleteBan(ctx, sc.event.ID+1000, b.ID), koe.ENOTFOUND)
	if err := s.DeleteBan(ctx, sc.event.ID, b.ID); err != nil {
		t.Fatalf("DeleteBan: %v", err)
	}
	if ids, _ := s.BannedParticipants(ctx, sc.event.ID); len(ids) != 0 {
		t.Errorf("BannedParticipants after unban = %v", ids)
	}
}

// testModeratedReplies: a pending reply is listed to staff alone and not
// counted until approved.
func testModeratedReplies(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "replies")
	q := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "Q?"}
	if err := s.CreateQuestion(ctx, q, nil); err != nil {
		t.Fatal(err)
	}
	r := &koe.Reply{EventID: sc.event.ID, TalkID: sc.talk.ID, QuestionID: q.ID, ParticipantID: sc.p.ID, Body: "held", Status: koe.StatusPending}
	rev := &koe.Review{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.p.ID, Body: "held", State: koe.ReviewPending, Reasons: []byte(`[]`)}
	after, err := s.CreateReply(ctx, r, rev)
	if err != nil {
		t.Fatalf("CreateReply(pending): %v", err)
	}
	if after.ReplyCount != 0 || rev.Kind != koe.ReviewReply || rev.SubjectID != r.ID || rev.QuestionID != q.ID {
		t.Errorf("pending reply: question %+v, review %+v", after, rev)
	}
	if public, _ := s.Replies(ctx, sc.event.ID, sc.talk.ID, q.ID, false); len(public) != 0 {
		t.Errorf("Replies(public) = %+v; want none", public)
	}
	if all, _ := s.Replies(ctx, sc.event.ID, sc.talk.ID, q.ID, true); len(all) != 1 || all[0].Status != koe.StatusPending {
		t.Errorf("Replies(all) = %+v; want the pending reply", all)
	}
	if _, err := s.DecideReview(ctx, sc.event.ID, rev.ID, koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: 1, By: "m"}, nil); err != nil {
		t.Fatal(err)
	}
	if public, _ := s.Replies(ctx, sc.event.ID, sc.talk.ID, q.ID, false); len(public) != 1 {
		t.Errorf("Replies(public) after approval = %+v; want the reply", public)
	}
	if got, _ := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, 0); got.ReplyCount != 1 {
		t.Errorf("ReplyCount after approval = %d, want 1", got.ReplyCount)
	}
}
