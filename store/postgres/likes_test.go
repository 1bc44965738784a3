package postgres

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/likes"
)

// TestLikeGroups hands the writer groups of likes that the conformance
// suite cannot arrange: the same participant liking and unliking one
// question several times in one group, several questions, and likes that
// must fail (hidden question, question of another talk, participant of
// another event) in between. Every like's answer, and the state left,
// must be what applying the likes one at a time gives.
func TestLikeGroups(t *testing.T) {
	s := openTemp(t)
	w := idleWriter(s)
	ctx := t.Context()
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	neighbour := &koe.Talk{EventID: e.ID, Title: "Neighbour", QAOpen: true}
	must(t, s.CreateTalk(ctx, neighbour))
	other := &koe.Event{Slug: "other", Title: "Other", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, other))
	stranger := &koe.Participant{EventID: other.ID}
	must(t, s.CreateParticipant(ctx, stranger))

	people := make([]*koe.Participant, 5)
	for i := range people {
		people[i] = &koe.Participant{EventID: e.ID}
		must(t, s.CreateParticipant(ctx, people[i]))
	}
	questions := make([]*koe.Question, 4)
	for i := range questions {
		questions[i] = &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: people[0].ID, Body: fmt.Sprint(i)}
		must(t, s.CreateQuestion(ctx, questions[i], nil))
	}
	hidden := questions[3]
	_, err := s.UpdateQuestion(ctx, e.ID, tk.ID, hidden.ID, koe.QuestionUpdate{Hidden: new(true)})
	must(t, err)

	// The model: what applying the likes one at a time gives.
	type key struct{ q, p int64 }
	liked := map[key]bool{}
	likes := map[int64]int{}
	versions := map[int64]int64{}
	for _, q := range questions[:3] {
		versions[q.ID] = 1
	}

	for round := range 30 {
		n := 1 + rand.IntN(60)
		batch := make([]*likeOp, n)
		want := make([]*koe.LikeResult, n) // nil: not found
		for i := range batch {
			q := questions[rand.IntN(3)]
			p := people[rand.IntN(len(people))]
			talkID := tk.ID
			switch rand.IntN(12) {
			case 0:
				q = hidden
			case 1:
				talkID = neighbour.ID
			case 2:
				p = stranger
			}
			like := rand.IntN(2) == 0
			batch[i] = &likeOp{
				eventID: e.ID, talkID: talkID, questionID: q.ID, participantID: p.ID,
				res:  koe.LikeResult{QuestionID: q.ID, Liked: like},
				done: make(chan struct{}),
			}
			if q == hidden || talkID != tk.ID || p == stranger {
				continue
			}
			k := key{q.ID, p.ID}
			changed := liked[k] != like
			if changed {
				liked[k] = like
				versions[q.ID]++
				if like {
					likes[q.ID]++
				} else {
					likes[q.ID]--
				}
			}
			want[i] = &koe.LikeResult{QuestionID: q.ID, Likes: likes[q.ID], Liked: like, Version: versions[q.ID], Changed: changed}
		}
		ops := append([]*likeOp(nil), batch...)
		w.commit(batch) // sorts batch by question
		for i, op := range ops {
			must(t, op.err)
			acted := op.found && !op.hidden && op.participantFound
			switch {
			case want[i] == nil && acted:
				t.Fatalf("round %d, like %d: %+v applied, want not found", round, i, op.res)
			case want[i] != nil && !acted:
				t.Fatalf("round %d, like %d: not found (found %v, hidden %v, participant %v), want %+v",
					round, i, op.found, op.hidden, op.participantFound, *want[i])
			case want[i] != nil && op.res != *want[i]:
				t.Fatalf("round %d, like %d: %+v, want %+v", round, i, op.res, *want[i])
			}
		}
	}

	for _, q := range questions[:3] {
		for _, p := range people {
			got, err := s.Question(ctx, e.ID, tk.ID, q.ID, p.ID)
			must(t, err)
			if got.Likes != likes[q.ID] || got.Version != versions[q.ID] || got.LikedByMe != liked[key{q.ID, p.ID}] {
				t.Errorf("question %d seen by %d: likes %d, version %d, liked %v; want %d, %d, %v",
					q.ID, p.ID, got.Likes, got.Version, got.LikedByMe, likes[q.ID], versions[q.ID], liked[key{q.ID, p.ID}])
			}
		}
	}
	got, err := s.Question(ctx, e.ID, tk.ID, hidden.ID, 0)
	must(t, err)
	if got.Likes != 0 || got.Version != 2 {
		t.Errorf("hidden question changed: %+v", got)
	}
}

// TestLikeGroupRefused makes the server refuse a group (one like carries a
// time PostgreSQL cannot store): the group is rolled back whole, and each
// like then runs alone, so the others still succeed, once each.
func TestLikeGroupRefused(t *testing.T) {
	var poison atomic.Bool
	clock := func() time.Time {
		if poison.CompareAndSwap(true, false) {
			return time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return time.Now()
	}
	s := openTemp(t, WithNow(clock))
	ctx := t.Context()
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	var batch []*likeOp
	var q *koe.Question
	for range 8 {
		p := &koe.Participant{EventID: e.ID}
		must(t, s.CreateParticipant(ctx, p))
		if q == nil {
			q = &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "?"}
			must(t, s.CreateQuestion(ctx, q, nil))
		}
		batch = append(batch, &likeOp{
			eventID: e.ID, talkID: tk.ID, questionID: q.ID, participantID: p.ID,
			res: koe.LikeResult{QuestionID: q.ID, Liked: true}, done: make(chan struct{}),
		})
	}
	poison.Store(true)
	idleWriter(s).commit(batch)
	for i, op := range batch {
		want := koe.LikeResult{QuestionID: q.ID, Likes: i + 1, Liked: true, Version: int64(i + 2), Changed: true}
		if op.err != nil || op.res != want {
			t.Errorf("like %d: %+v, %v; want %+v", i, op.res, op.err, want)
		}
	}
	got, err := s.Question(ctx, e.ID, tk.ID, q.ID, 0)
	must(t, err)
	if got.Likes != 8 || got.Version != 9 {
		t.Errorf("after the refused group: %d likes, version %d; want 8, 9", got.Likes, got.Version)
	}
}

// idleWriter returns a like writer of s that no goroutine runs, so that a
// test may call its methods directly (the store's own writer owns its
// state).
func idleWriter(s *Store) *likeWriter {
	return &likeWriter{s: s, log: likes.NewLog()}
}
