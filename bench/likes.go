package bench

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// runLikes measures like throughput and checks that no acknowledged like
// is lost: concurrent clients, each its own participant, toggle likes on a
// few questions as fast as the server answers; afterwards every question's
// stored count must equal what the acknowledged operations imply. Client i
// goes through replica at(i); the counts are read from the first.
func runLikes(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench likes", flag.ContinueOnError)
	c.register(fs)
	clients := fs.Int("clients", 64, "concurrent clients, each its own participant with one request in flight")
	questions := fs.Int("questions", 20, "questions the clients like and unlike (at most 200, the list's page)")
	duration := fs.Duration("duration", 20*time.Second, "how long to run")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	switch {
	case *clients < 1 || *questions < 1 || *questions > 200:
		return badFlags("--clients must be positive, --questions between 1 and 200")
	case *duration <= 0:
		return badFlags("--duration must be positive")
	}
	ctx, cancel := c.context(ctx, *duration+retryWindow)
	defer cancel()

	a := newAPI(c.urls, c.token, *clients+8)
	t, err := a.newTalk(ctx)
	if err != nil {
		return err
	}
	tokens, err := a.joinMany(ctx, t.joinCode, *clients, 64)
	if err != nil {
		return err
	}
	ids := make([]int64, *questions)
	for i := range ids {
		q, err := a.ask(ctx, t, tokens[i%len(tokens)], fmt.Sprintf("Likes question %d", i+1))
		if err != nil {
			return err
		}
		ids[i] = q.ID
	}

	lcs := make([]*likeClient, *clients)
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for i, token := range tokens {
		lc := &likeClient{token: token, liked: make([]bool, len(ids)), pending: -1}
		lcs[i] = lc
		wg.Go(func() { lc.run(ctx, a.at(i), t, ids, deadline, uint64(i)) })
	}
	wg.Wait()

	lo, hi, unresolved := expectedLikes(lcs, len(ids))
	var acked, errs int
	var lat []float32
	var someErr error
	for _, lc := range lcs {
		acked += lc.acked
		errs += lc.errs
		lat = append(lat, lc.lat...)
		someErr = cmp.Or(someErr, lc.lastErr)
	}
	if someErr != nil {
		logf("%d like errors, for example: %v", errs, someErr)
	}
	got, err := storedLikes(ctx, a, t, ids)
	if err != nil {
		return err
	}
	slices.Sort(lat)

	r.comment("likes: %d clients on %d questions at %s for %s; %s", *clients, *questions, c.url, *duration, generator())
	r.int("likes_clients", int64(*clients))
	r.int("likes_acked", int64(acked))
	r.float("likes_per_s", float64(acked)/duration.Seconds())
	r.float("likes_op_p50_ms", percentile(lat, 50))
	r.float("likes_op_p99_ms", percentile(lat, 99))
	r.int("likes_errors", int64(errs))
	r.int("likes_unresolved", int64(unresolved))
	r.int("likes_lost", int64(likesLost(lo, hi, got)))
	return nil
}

// retryWindow is how long after the deadline a client keeps retrying an
// operation whose outcome it does not know.
const retryWindow = 10 * time.Second

// likeClient is one participant toggling likes. Its operations are
// sequential, so it knows its own liked set exactly.
type likeClient struct {
	token   string
	liked   []bool // per question index, as acknowledged
	pending int    // question index of an operation not yet acknowledged, or -1
	acked   int    // acknowledged before the deadline
	errs    int
	lastErr error
	lat     []float32
}

// run toggles likes on random questions until the deadline. A failed
// operation is retried as is (like and unlike are idempotent) until it is
// acknowledged, for at most retryWindow past the deadline.
func (lc *likeClient) run(ctx context.Context, a *api, t talkRef, ids []int64, deadline time.Time, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6c696b65))
	for {
		now := time.Now()
		if lc.pending < 0 {
			if !now.Before(deadline) || ctx.Err() != nil {
				return
			}
			lc.pending = rng.IntN(len(ids))
		} else if !now.Before(deadline.Add(retryWindow)) || ctx.Err() != nil {
			return
		}
		want := !lc.liked[lc.pending]
		if _, err := a.setLike(ctx, t, lc.token, ids[lc.pending], want); err != nil {
			lc.errs++
			lc.lastErr = err
			_ = sleep(ctx, 20*time.Millisecond)
			continue
		}
		if done := time.Now(); done.Before(deadline) {
			lc.acked++
			lc.lat = append(lc.lat, ms(done.Sub(now)))
		}
		lc.liked[lc.pending] = want
		lc.pending = -1
	}
}

// expectedLikes returns, per question, the range of like counts the
// clients' acknowledged operations imply: an operation whose outcome stayed
// unknown may or may not have been applied.
func expectedLikes(lcs []*likeClient, n int) (lo, hi []int, unresolved int) {
	lo, hi = make([]int, n), make([]int, n)
	for _, lc := range lcs {
		for q, liked := range lc.liked {
			if q == lc.pending {
				unresolved++
				hi[q]++
			} else if liked {
				lo[q]++
				hi[q]++
			}
		}
	}
	return lo, hi, unresolved
}

// storedLikes returns the like counts the server lists for the questions.
func storedLikes(ctx context.Context, a *api, t talkRef, ids []int64) ([]int, error) {
	list, err := a.questions(ctx, t)
	if err != nil {
		return nil, err
	}
	stored := make(map[int64]int, len(list))
	for _, q := range list {
		stored[q.ID] = q.Likes
	}
	got := make([]int, len(ids))
	for i, id := range ids {
		n, ok := stored[id]
		if !ok {
			return nil, fmt.Errorf("question %d is missing from the talk's list", id)
		}
		got[i] = n
	}
	return got, nil
}

// likesLost is Σ over questions of how far the stored count lies outside
// the range [lo, hi] the acknowledged operations allow.
func likesLost(lo, hi, stored []int) int {
	lost := 0
	for i, n := range stored {
		lost += max(lo[i]-n, 0) + max(n-hi[i], 0)
	}
	return lost
}
