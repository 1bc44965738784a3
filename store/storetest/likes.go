package storetest

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/koehq/koe"
)

func testLikes(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	e, tk := sc.event, sc.talk
	q := newQuestion(t, s, tk, sc.p, "liked")
	second := newQuestion(t, s, tk, newParticipant(t, s, e.ID), "asked by someone else")
	fan, other := newParticipant(t, s, e.ID), newParticipant(t, s, e.ID)

	steps := []struct {
		who     *koe.Participant
		like    bool
		changed bool
		likes   int
		version int64
	}{
		{fan, true, true, 1, 2},
		{fan, true, false, 1, 2}, // idempotent: no new version
		{other, true, true, 2, 3},
		{fan, false, true, 1, 4},
		{fan, false, false, 1, 4},
		{sc.p, false, false, 1, 4}, // never liked it
		{sc.p, true, true, 2, 5},   // askers may like their own question
	}
	for i, st := range steps {
		got, err := s.SetLike(ctx, e.ID, tk.ID, q.ID, st.who.ID, st.like)
		if err != nil {
			t.Fatalf("step %d: SetLike: %v", i, err)
		}
		want := koe.LikeResult{QuestionID: q.ID, Likes: st.likes, Liked: st.like, Version: st.version, Changed: st.changed}
		if *got != want {
			t.Errorf("step %d: SetLike(%d, %v) = %+v, want %+v", i, st.who.ID, st.like, *got, want)
		}
	}

	// Viewer fields, in single reads and in lists.
	for _, c := range []struct {
		viewer          int64
		mine, likedByMe bool
	}{
		{0, false, false},
		{fan.ID, false, false},
		{other.ID, false, true},
		{sc.p.ID, true, true},
	} {
		got, err := s.Question(ctx, e.ID, tk.ID, q.ID, c.viewer)
		if err != nil {
			t.Fatal(err)
		}
		if got.Likes != 2 || got.Mine != c.mine || got.LikedByMe != c.likedByMe {
			t.Errorf("Question(viewer %d) = likes %d, Mine %v, LikedByMe %v; want 2, %v, %v",
				c.viewer, got.Likes, got.Mine, got.LikedByMe, c.mine, c.likedByMe)
		}
		page := list(t, s, koe.QuestionQuery{EventID: e.ID, TalkID: tk.ID, Sort: koe.SortRecent, Viewer: c.viewer})
		for _, got := range page.Questions {
			wantMine, wantLiked := c.mine, c.likedByMe
			if got.ID == second.ID {
				wantMine, wantLiked = false, false
			}
			if got.Mine != wantMine || got.LikedByMe != wantLiked {
				t.Errorf("Questions(viewer %d): question %d has Mine %v, LikedByMe %v; want %v, %v",
					c.viewer, got.ID, got.Mine, got.LikedByMe, wantMine, wantLiked)
			}
		}
	}

	// Answered questions can still be liked; hidden ones are not found.
	updateQuestion(t, s, second, koe.QuestionUpdate{Answered: ptr(true)})
	if got, err := s.SetLike(ctx, e.ID, tk.ID, second.ID, fan.ID, true); err != nil || got.Likes != 1 {
		t.Errorf("SetLike(answered) = %+v, %v; want 1 like", got, err)
	}
	hidden := updateQuestion(t, s, q, koe.QuestionUpdate{Hidden: ptr(true)}).Question
	for _, like := range []bool{true, false} {
		_, err := s.SetLike(ctx, e.ID, tk.ID, q.ID, fan.ID, like)
		wantCode(t, "SetLike(hidden)", err, koe.ENOTFOUND)
	}
	if got, err := s.Question(ctx, e.ID, tk.ID, q.ID, 0); err != nil || got.Likes != 2 || got.Version != hidden.Version {
		t.Errorf("refused likes changed the question: %+v, %v", got, err)
	}

	other2 := newScene(t, s, "other")
	neighbour := newTalk(t, s, e.ID, nil)
	for name, where := range map[string][4]int64{
		"other event":                {other2.event.ID, tk.ID, second.ID, fan.ID},
		"talk of another event":      {e.ID, other2.talk.ID, second.ID, fan.ID},
		"another talk":               {e.ID, neighbour.ID, second.ID, fan.ID},
		"missing question":           {e.ID, tk.ID, second.ID + 1000, fan.ID},
		"participant of other event": {e.ID, tk.ID, second.ID, other2.p.ID},
	} {
		_, err := s.SetLike(ctx, where[0], where[1], where[2], where[3], true)
		wantCode(t, "SetLike("+name+")", err, koe.ENOTFOUND)
	}
}

// testExactLikes races likes and unlikes on one question. Each goroutine
// owns its participants, so it knows each one's state before and after
// every acknowledged operation; the store must agree exactly.
func testExactLikes(t *testing.T, s koe.Store) {
	const (
		workers    = 64
		perWorker  = 4
		opsEach    = 160 // 64 × 160 = 10,240 operations
		maxLikes   = workers * perWorker
		maxVersion = 1 + workers*opsEach
	)
	ctx := t.Context()
	sc := newScene(t, s, "race")
	q := newQuestion(t, s, sc.talk, sc.p, "like me")

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		liked   = map[int64]bool{} // each participant's state after its last op
		changes int64
	)
	for range workers {
		wg.Go(func() {
			own := make([]*koe.Participant, perWorker)
			for i := range own {
				own[i] = &koe.Participant{EventID: sc.event.ID}
				if err := s.CreateParticipant(ctx, own[i]); err != nil {
					t.Errorf("CreateParticipant: %v", err)
					return
				}
			}
			state := map[int64]bool{}
			var changed int64
			for range opsEach {
				p := own[rand.IntN(perWorker)]
				like := rand.IntN(2) == 0
				res, err := s.SetLike(ctx, sc.event.ID, sc.talk.ID, q.ID, p.ID, like)
				if err != nil {
					t.Errorf("SetLike: %v", err)
					return
				}
				if res.Liked != like || res.Changed != (state[p.ID] != like) ||
					res.Likes < 0 || res.Likes > maxLikes || res.Version < 1 || res.Version > maxVersion {
					t.Errorf("SetLike(%d, %v) after liked=%v = %+v", p.ID, like, state[p.ID], res)
					return
				}
				state[p.ID] = like
				if res.Changed {
					changed++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range own {
				liked[p.ID] = state[p.ID]
			}
			changes += changed
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	want, rows := 0, 0
	for id, l := range liked {
		if l {
			want++
		}
		got, err := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.LikedByMe != l {
			t.Errorf("participant %d: LikedByMe %v, want %v", id, got.LikedByMe, l)
		}
		if got.LikedByMe {
			rows++
		}
	}
	got, err := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Likes != want || got.Likes != rows {
		t.Errorf("Likes = %d; %d participants last liked it and %d like rows remain", got.Likes, want, rows)
	}
	if got.Version != 1+changes {
		t.Errorf("Version = %d, want %d (1 + %d changes)", got.Version, 1+changes, changes)
	}
}
