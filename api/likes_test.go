package api_test

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// TestExactLikesThroughHTTP races 64 goroutines, each with participants
// of its own, liking and unliking one question through the API. The count
// must equal the participants whose last acknowledged operation was a like,
// and the version must have grown once per change of state.
func TestExactLikesThroughHTTP(t *testing.T) {
	h := newHarness(t) // no rate limits
	e, tk := h.setup()
	asker, _ := h.join(e.JoinCode, "")
	q := asker.ask(e.ID, tk.ID, "Like me, or not")
	path := questionPath(e.ID, tk.ID, q.ID) + "/like"

	const (
		workers      = 64
		participants = 4   // per worker
		ops          = 160 // per worker: 10,240 in all
	)
	type result struct {
		liked   int // participants whose last acknowledged operation was a like
		changes int // acknowledged operations that changed a participant's state
		done    int
	}
	results := make([]result, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			clients := make([]*client, participants)
			for i := range clients {
				clients[i], _ = h.join(e.JoinCode, "")
			}
			state := make([]bool, participants)
			res := &results[w]
			var lastVersion int64
			for i := range ops {
				k := rng.IntN(participants)
				like := rng.IntN(2) == 0
				// Hold a sample of the responses to the document; all of
				// them would be slow under the race detector.
				opts := []callOpt{unchecked, noResponseCheck}
				if i%32 == 0 {
					opts = nil
				}
				var r *response
				if like {
					r = clients[k].put(path, nil, opts...)
				} else {
					r = clients[k].del(path, opts...)
				}
				if r.Status != 200 {
					t.Errorf("worker %d: %s", w, r)
					continue
				}
				var lr koe.LikeResult
				if err := json.Unmarshal(r.Body, &lr); err != nil {
					t.Errorf("worker %d: %v", w, err)
					continue
				}
				if lr.Liked != like || lr.QuestionID != q.ID || lr.Likes < 0 || lr.Likes > workers*participants {
					t.Errorf("worker %d: like=%v got %+v", w, like, lr)
				}
				// One worker's requests are sequential, so the versions
				// it is told never go backwards.
				if lr.Version < lastVersion {
					t.Errorf("worker %d: version went back from %d to %d", w, lastVersion, lr.Version)
				}
				lastVersion = lr.Version
				if state[k] != like {
					res.changes++
				}
				state[k] = like
				res.done++
			}
			for _, s := range state {
				if s {
					res.liked++
				}
			}
		}()
	}
	wg.Wait()
	var want, changes, done int
	for _, r := range results {
		want += r.liked
		changes += r.changes
		done += r.done
	}
	t.Logf("%d like operations (%d changes) in %v", done, changes, time.Since(start).Round(time.Millisecond))
	if done < 10000 {
		t.Fatalf("only %d operations succeeded", done)
	}
	got := h.staff.question(e.ID, tk.ID, q.ID)
	if got.Likes != want {
		t.Errorf("likes = %d, want %d", got.Likes, want)
	}
	if got.Version != q.Version+int64(changes) {
		t.Errorf("version = %d, want %d + %d changes", got.Version, q.Version, changes)
	}
	// The lists agree.
	page := h.staff.questions(e.ID, tk.ID, "sort=top")
	if len(page.Questions) != 1 || page.Questions[0].Likes != want {
		t.Errorf("top list: %+v", page.Questions)
	}
	// Idempotence: liking twice changes nothing the second time.
	p, _ := h.join(e.JoinCode, "")
	var a, b koe.LikeResult
	p.put(path, nil).decode(t, &a)
	p.put(path, nil).decode(t, &b)
	if a.Likes != want+1 || b.Likes != a.Likes || b.Version != a.Version || !b.Liked {
		t.Errorf("like twice: %+v then %+v", a, b)
	}
	p.del(path).decode(t, &a)
	p.del(path).decode(t, &b)
	if a.Likes != want || b.Likes != want || b.Version != a.Version || b.Liked {
		t.Errorf("unlike twice: %+v then %+v", a, b)
	}
	if me := p.question(e.ID, tk.ID, q.ID); me.LikedByMe {
		t.Error("liked_by_me after unliking")
	}
}
