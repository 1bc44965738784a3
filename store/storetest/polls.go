package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"

	"github.com/koehq/koe"
)

func newPoll(t *testing.T, s koe.Store, sc scene, kind koe.PollKind, labels ...string) *koe.Poll {
	t.Helper()
	p := &koe.Poll{EventID: sc.event.ID, TalkID: sc.talk.ID, Kind: kind, Question: "Which one?", Results: koe.ResultsLive}
	if kind == koe.PollChoice {
		opts, err := koe.CheckPollOptions(labels)
		must(t, "CheckPollOptions", err)
		p.Options = opts
	}
	must(t, "CreatePoll", s.CreatePoll(t.Context(), p))
	return p
}

func setState(t *testing.T, s koe.Store, p *koe.Poll, st koe.PollState) *koe.Poll {
	t.Helper()
	got, err := s.UpdatePoll(t.Context(), p.EventID, p.TalkID, p.ID, koe.PollUpdate{State: &st})
	must(t, "UpdatePoll(state "+string(st)+")", err)
	return got
}

func results(t *testing.T, s koe.Store, pollID int64) (map[string]int64, int64, int64) {
	t.Helper()
	counts, voters, version, err := s.PollResults(t.Context(), pollID)
	must(t, "PollResults", err)
	return counts, voters, version
}

func vote(s koe.Store, p *koe.Poll, participantID int64, keys ...string) error {
	return s.CastVote(context.Background(), &koe.Vote{PollID: p.ID, EventID: p.EventID, TalkID: p.TalkID, ParticipantID: participantID,
		Keys: keys, Status: koe.StatusApproved}, nil)
}

// testPolls: a poll is created as a draft, opened (closing the talk's
// other open poll), closed and opened again; its definition changes only
// before the first vote; every change is recorded, a draft's for staff.
func testPolls(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc, other := newScene(t, s, "polls"), newScene(t, s, "polls-other")
	start := head(t, s)
	a := newPoll(t, s, sc, koe.PollChoice, "Go", "Rust", "Zig")
	if a.ID == 0 || a.State != koe.PollDraft || a.Version != 1 || a.CreatedAt.IsZero() || len(a.Options) != 3 || a.Options[2].ID != "3" {
		t.Fatalf("CreatePoll = %+v", a)
	}
	wantCode(t, "CreatePoll(another event's talk)", s.CreatePoll(ctx, &koe.Poll{EventID: other.event.ID, TalkID: sc.talk.ID,
		Kind: koe.PollRating, Question: "?", Results: koe.ResultsLive}), koe.ENOTFOUND)
	b := newPoll(t, s, sc, koe.PollRating)
	if got, err := s.Poll(ctx, other.event.ID, sc.talk.ID, a.ID); err == nil {
		t.Errorf("Poll(another event) = %+v", got)
	}
	closed := koe.PollClosed
	_, err := s.UpdatePoll(ctx, sc.event.ID, sc.talk.ID, a.ID, koe.PollUpdate{State: &closed})
	wantCode(t, "UpdatePoll(close a draft)", err, koe.ECONFLICT)

	q := "Which language?"
	edited, err := s.UpdatePoll(ctx, sc.event.ID, sc.talk.ID, a.ID, koe.PollUpdate{Question: &q})
	must(t, "UpdatePoll(question)", err)
	if edited.Question != q || edited.Version != 2 {
		t.Errorf("UpdatePoll(question) = %+v", edited)
	}
	if same, err := s.UpdatePoll(ctx, sc.event.ID, sc.talk.ID, a.ID, koe.PollUpdate{Question: &q}); err != nil || same.Version != 2 {
		t.Errorf("UpdatePoll(same) = %+v, %v; want version 2 unchanged", same, err)
	}
	openA := setState(t, s, edited, koe.PollOpen)
	if openA.State != koe.PollOpen || openA.OpenedAt == nil || openA.ClosedAt != nil {
		t.Errorf("opened: %+v", openA)
	}
	must(t, "vote", vote(s, openA, sc.p.ID, "2"))
	_, err = s.UpdatePoll(ctx, sc.event.ID, sc.talk.ID, a.ID, koe.PollUpdate{Question: ptr("Changed after a vote")})
	wantCode(t, "UpdatePoll(definition after a vote)", err, koe.ECONFLICT)
	hidden := koe.ResultsHidden
	if h, err := s.UpdatePoll(ctx, sc.event.ID, sc.talk.ID, a.ID, koe.PollUpdate{Results: &hidden}); err != nil || h.Results != hidden {
		t.Errorf("UpdatePoll(results hidden after a vote) = %+v, %v", h, err)
	}

	// Opening b closes a, in the same write.
	openB := setState(t, s, b, koe.PollOpen)
	polls, err := s.Polls(ctx, sc.event.ID, sc.talk.ID)
	must(t, "Polls", err)
	if len(polls) != 2 || polls[0].ID != a.ID || polls[0].State != koe.PollClosed || polls[0].ClosedAt == nil || polls[1].State != koe.PollOpen {
		t.Fatalf("Polls after opening b: %+v %+v", polls[0], polls[1])
	}
	wantCode(t, "vote(closed poll)", vote(s, polls[0], sc.p.ID, "1"), koe.ECONFLICT)
	if counts, voters, _ := results(t, s, a.ID); !maps.Equal(counts, map[string]int64{"2": 1}) || voters != 1 {
		t.Errorf("results of the closed poll: %v, %d voters", counts, voters)
	}
	setState(t, s, openB, koe.PollClosed)
	reopened := setState(t, s, polls[0], koe.PollOpen)
	if reopened.ClosedAt != nil || reopened.State != koe.PollOpen {
		t.Errorf("reopened: %+v", reopened)
	}
	if others, err := s.Polls(ctx, other.event.ID, sc.talk.ID); err != nil || len(others) != 0 {
		t.Errorf("Polls through another event: %v, %v", others, err)
	}

	// The changes: the drafts' are staff's, from the opening on public.
	var seen []string
	for _, c := range readAll(t, s, start) {
		if c.EventID != sc.event.ID {
			continue
		}
		var p koe.Poll
		must(t, "decode change", json.Unmarshal(c.Data, &p))
		seen = append(seen, fmt.Sprintf("%s %d %s %s", c.Type, p.ID-a.ID, p.State, c.Visibility))
	}
	want := []string{
		"poll.created 0 draft staff", "poll.created 1 draft staff", "poll.updated 0 draft staff", "poll.updated 0 open public",
		"poll.updated 0 open public", "poll.updated 0 closed public", "poll.updated 1 open public",
		"poll.updated 1 closed public", "poll.updated 0 open public",
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("changes:\n%q\nwant\n%q", seen, want)
	}

	must(t, "DeletePoll", s.DeletePoll(ctx, sc.event.ID, sc.talk.ID, a.ID))
	wantCode(t, "DeletePoll(again)", s.DeletePoll(ctx, sc.event.ID, sc.talk.ID, a.ID), koe.ENOTFOUND)
	if _, _, _, err := s.PollResults(ctx, a.ID); koe.ErrorCode(err) != koe.ENOTFOUND {
		t.Errorf("PollResults(deleted) = %v", err)
	}
}

// testExactVotes: 64 participants voting at once, each changing its vote
// several times, leave exactly one vote each, counted once; a vote's
// tally version grows with every vote.
func testExactVotes(t *testing.T, s koe.Store) {
	sc := newScene(t, s, "exact-votes")
	p := setState(t, s, newPoll(t, s, sc, koe.PollChoice, "A", "B", "C", "D"), koe.PollOpen)
	voters := make([]*koe.Participant, 64)
	for i := range voters {
		voters[i] = newParticipant(t, s, sc.event.ID)
	}
	const rounds = 5
	var wg sync.WaitGroup
	for i, v := range voters {
		wg.Go(func() {
			for r := range rounds {
				if err := vote(s, p, v.ID, strconv.Itoa(1+(i+r)%4)); err != nil {
					t.Errorf("vote %d/%d: %v", i, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := map[string]int64{}
	for i := range voters {
		want[strconv.Itoa(1+(i+rounds-1)%4)]++
	}
	counts, n, version := results(t, s, p.ID)
	if !maps.Equal(counts, want) || n != 64 || version != 64*rounds {
		t.Errorf("results %v, %d voters, version %d; want %v, 64 voters, version %d", counts, n, version, want, 64*rounds)
	}
	mine, err := s.MyVote(t.Context(), p.ID, voters[5].ID)
	must(t, "MyVote", err)
	if mine == nil || fmt.Sprint(mine.Keys) != fmt.Sprint([]string{strconv.Itoa(1 + (5+rounds-1)%4)}) || mine.Status != koe.StatusApproved {
		t.Errorf("MyVote = %+v", mine)
	}
	if none, err := s.MyVote(t.Context(), p.ID, sc.p.ID); none != nil || err != nil {
		t.Errorf("MyVote(no vote) = %+v, %v", none, err)
	}
	// Several answers count once each, repeats once.
	must(t, "vote(several)", vote(s, p, sc.p.ID, "1", "3"))
	if counts, n, _ := results(t, s, p.ID); counts["1"] != want["1"]+1 || counts["3"] != want["3"]+1 || n != 65 {
		t.Errorf("after a vote of two answers: %v, %d voters", counts, n)
	}
}

// testPollAnswers: a held word-cloud answer counts once its review
// approves it, and stops when the approval is undone; an answer replaced
// before its review is decided is not counted by the old review.
func testPollAnswers(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "poll-answers")
	p := setState(t, s, newPoll(t, s, sc, koe.PollWords), koe.PollOpen)
	must(t, "vote(approved)", vote(s, p, newParticipant(t, s, sc.event.ID).ID, "go", "generics"))
	held := func(participantID int64, text string, words ...string) (*koe.Vote, *koe.Review) {
		t.Helper()
		v := &koe.Vote{PollID: p.ID, EventID: p.EventID, TalkID: p.TalkID, ParticipantID: participantID, Keys: words, Text: text,
			Status: koe.StatusPending}
		rev := &koe.Review{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: participantID, AuthorName: "Guest",
			Body: text, State: koe.ReviewPending, Reasons: []byte(`[{"kind":"mode","name":"pre","action":"queue"}]`)}
		must(t, "CastVote(held)", s.CastVote(ctx, v, rev))
		if rev.ID == 0 || rev.Kind != koe.ReviewAnswer || rev.SubjectID != v.ID || v.ID == 0 {
			t.Fatalf("held answer %+v, review %+v", v, rev)
		}
		return v, rev
	}
	_, rev := held(sc.p.ID, "Go generics", "go", "generics")
	if counts, n, _ := results(t, s, p.ID); counts["go"] != 1 || n != 1 {
		t.Errorf("a held answer counts: %v, %d voters", counts, n)
	}
	d := koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: 7, By: "Aiko"}
	decided, err := s.DecideReview(ctx, sc.event.ID, rev.ID, d, nil)
	must(t, "DecideReview", err)
	if counts, n, _ := results(t, s, p.ID); !maps.Equal(counts, map[string]int64{"go": 2, "generics": 2}) || n != 2 {
		t.Errorf("after the approval: %v, %d voters", counts, n)
	}
	if mine, err := s.MyVote(ctx, p.ID, sc.p.ID); err != nil || mine.Status != koe.StatusApproved || mine.Text != "Go generics" {
		t.Errorf("MyVote after the approval = %+v, %v", mine, err)
	}
	_, err = s.UndoReview(ctx, sc.event.ID, rev.ID, 7, decided.Decision.At)
	must(t, "UndoReview", err)
	if counts, _, _ := results(t, s, p.ID); counts["go"] != 1 {
		t.Errorf("after the undo: %v", counts)
	}

	// Replaced while held: the old review decides nothing.
	other := newParticipant(t, s, sc.event.ID)
	_, stale := held(other.ID, "Rust", "rust")
	must(t, "vote(replaced)", vote(s, p, other.ID, "zig"))
	_, err = s.DecideReview(ctx, sc.event.ID, stale.ID, koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: 7, By: "Aiko"}, nil)
	must(t, "DecideReview(stale)", err)
	if counts, _, _ := results(t, s, p.ID); counts["rust"] != 0 || counts["zig"] != 1 {
		t.Errorf("a replaced answer's review counted it: %v", counts)
	}
}
