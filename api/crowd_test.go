package api_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe/ratelimit"
)

// One address, two kinds of traffic, with the default limits: a venue
// whose whole audience is behind one NAT must just work, and one attacker
// minting identities in a loop must not be able to pile likes on a
// question (an attack from outside got 598 likes on one question in 60 s
// before the limits below).

// TestCrowdBehindOneAddress: 400 people join from one address within
// seconds, a quarter of them ask, and the 60% who take part like up to
// five questions each, the most popular one liked by 40% of those (as
// busy as the Q&A of a full room gets). Nothing is refused.
func TestCrowdBehindOneAddress(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Defaults()))
	e, tk := h.setup()
	const people = 400
	clients := make([]*client, people)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				clients[i], _ = h.join(e.JoinCode, fmt.Sprintf("Guest %d", i))
			}
		}()
	}
	for i := range people {
		work <- i
	}
	close(work)
	wg.Wait()
	var questions []int64
	for i := 0; i < people; i += 4 {
		questions = append(questions, clients[i].ask(e.ID, tk.ID, fmt.Sprintf("Question from guest %d?", i)).ID)
	}
	// Each person who takes part likes the top question with probability
	// 0.4 and up to five others, the earlier ones more often.
	rng := rand.New(rand.NewPCG(1, 2))
	type like struct {
		c *client
		q int64
	}
	var likes []like
	for _, c := range clients {
		if rng.Float64() >= 0.6 {
			continue
		}
		seen := map[int64]bool{}
		if rng.Float64() < 0.4 {
			seen[questions[0]] = true
		}
		for range 5 {
			seen[questions[1+int(float64(len(questions)-1)*rng.Float64()*rng.Float64())]] = true
		}
		for q := range seen {
			likes = append(likes, like{c, q})
		}
	}
	var refused atomic.Int64
	jobs := make(chan like)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range jobs {
				if r := l.c.put(questionPath(e.ID, tk.ID, l.q)+"/like", nil, noResponseCheck); r.Status != 200 {
					refused.Add(1)
					t.Errorf("a like of the crowd was refused: %s", r)
				}
			}
		}()
	}
	for _, l := range likes {
		jobs <- l
	}
	close(jobs)
	wg.Wait()
	top := h.staff.question(e.ID, tk.ID, questions[0])
	t.Logf("crowd: %d joined, %d asked, %d likes (%d on the top question), %d refused", people, len(questions), len(likes), top.Likes, refused.Load())
}

// TestAttackerBehindOneAddress: one client loops join → like on one
// question as fast as it can. It gets at most the burst of like.question_ip
// plus its refill, and at most the burst of join.ip plus its refill in new
// identities, whatever the loop does.
func TestAttackerBehindOneAddress(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Defaults()))
	e, tk := h.setup()
	owner, _ := h.join(e.JoinCode, "")
	target := owner.ask(e.ID, tk.ID, "Vote for me")
	start := time.Now()
	var identities, liked int
	for range 1000 {
		r := h.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode}, noResponseCheck)
		if r.Status != 201 {
			continue
		}
		identities++
		var j joined
		r.decode(t, &j)
		if h.client(j.Token).put(questionPath(e.ID, tk.ID, target.ID)+"/like", nil, noResponseCheck).Status == 200 {
			liked++
		}
	}
	elapsed := time.Since(start)
	limits := ratelimit.Defaults()
	allowed := func(r ratelimit.Rate) int {
		return r.N + int(float64(r.N)*elapsed.Seconds()/r.Per.Seconds()) + 1
	}
	t.Logf("attacker: 1000 tries in %s: %d identities (bound %d), %d likes on one question (bound %d)",
		elapsed.Round(time.Millisecond), identities, allowed(limits["join.ip"]), liked, allowed(limits["like.question_ip"]))
	if identities > allowed(limits["join.ip"]) {
		t.Errorf("one address minted %d identities in %s", identities, elapsed)
	}
	if liked > allowed(limits["like.question_ip"]) {
		t.Errorf("one address put %d likes on one question in %s", liked, elapsed)
	}
	if got := h.staff.question(e.ID, tk.ID, target.ID).Likes; got != liked {
		t.Errorf("the question has %d likes, %d were acknowledged", got, liked)
	}
	// The limit is on this address and this question: another question,
	// and the room's own identities, are unaffected.
	other := owner.ask(e.ID, tk.ID, "Another question")
	owner.put(questionPath(e.ID, tk.ID, other.ID)+"/like", nil).want(t, 200, "")
}
