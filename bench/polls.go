package bench

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// runPolls measures poll votes: concurrent clients, each its own
// participant, vote in one choice poll and change their votes as fast as
// the server answers; afterwards the poll's results must count each
// client's last acknowledged vote, exactly (a vote whose answer never came
// may or may not count). Client i goes through replica at(i).
func runPolls(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench polls", flag.ContinueOnError)
	c.register(fs)
	clients := fs.Int("clients", 64, "concurrent voters, each its own participant with one request in flight")
	options := fs.Int("options", 5, "the poll's options (2 to 10)")
	duration := fs.Duration("duration", 20*time.Second, "how long to run")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	switch {
	case *clients < 1 || *options < 2 || *options > 10:
		return badFlags("--clients must be positive, --options between 2 and 10")
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
	labels := make([]string, *options)
	for i := range labels {
		labels[i] = fmt.Sprintf("Option %d", i+1)
	}
	var poll struct {
		ID int64 `json:"id"`
	}
	in := map[string]any{"kind": "choice", "question": "Which one?", "options": labels}
	if err := a.do(ctx, "POST", t.path("/polls"), a.owner, in, &poll); err != nil {
		return err
	}
	pollPath := t.path(fmt.Sprintf("/polls/%d", poll.ID))
	if err := a.do(ctx, "PATCH", pollPath, a.owner, map[string]string{"state": "open"}, nil); err != nil {
		return err
	}
	tokens, err := a.joinMany(ctx, t.joinCode, *clients, 64)
	if err != nil {
		return err
	}

	voters := make([]*voter, *clients)
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for i, token := range tokens {
		v := &voter{token: token}
		voters[i] = v
		wg.Go(func() { v.run(ctx, a.at(i), pollPath+"/vote", *options, deadline, uint64(i)) })
	}
	wg.Wait()

	var res struct {
		Voters int64 `json:"voters"`
		Counts []struct {
			Key   string `json:"key"`
			Count int64  `json:"count"`
		} `json:"counts"`
	}
	if err := a.do(ctx, "GET", pollPath+"/results", a.owner, nil, &res); err != nil {
		return err
	}
	got := make([]int64, *options+1)
	for _, c := range res.Counts {
		k, _ := strconv.Atoi(c.Key)
		if k >= 1 && k <= *options {
			got[k] = c.Count
		}
	}
	var acked, errs, unresolved int
	var lat []float32
	var someErr error
	lo, hi := make([]int64, *options+1), make([]int64, *options+1)
	for _, v := range voters {
		acked += v.acked
		errs += v.errs
		lat = append(lat, v.lat...)
		someErr = cmp.Or(someErr, v.lastErr)
		if v.pending != 0 { // either its last acknowledged vote or the pending one
			unresolved++
			hi[v.pending]++
			if v.voted != 0 {
				hi[v.voted]++
			}
		} else if v.voted != 0 {
			lo[v.voted]++
			hi[v.voted]++
		}
	}
	if someErr != nil {
		logf("%d vote errors, for example: %v", errs, someErr)
	}
	var lost int64
	for k := 1; k <= *options; k++ {
		lost += max(lo[k]-got[k], 0) + max(got[k]-hi[k], 0)
	}
	slices.Sort(lat)

	r.comment("polls: %d voters changing their votes in a poll of %d options at %s for %s; %s", *clients, *options, c.url, *duration, generator())
	r.int("poll_voters", int64(*clients))
	r.int("poll_votes_acked", int64(acked))
	r.float("poll_votes_per_s", float64(acked)/duration.Seconds())
	r.float("poll_vote_p50_ms", percentile(lat, 50))
	r.float("poll_vote_p99_ms", percentile(lat, 99))
	r.int("poll_vote_errors", int64(errs))
	r.int("poll_votes_unresolved", int64(unresolved))
	r.int("poll_votes_lost", lost)
	return nil
}

// voter is one participant voting again and again. Its votes are
// sequential, so it knows which of its votes counts.
type voter struct {
	token   string
	voted   int // the option of its last acknowledged vote (0: none)
	pending int // the option of a vote not yet acknowledged (0: none)
	acked   int // acknowledged before the deadline
	errs    int
	lastErr error
	lat     []float32
}

// run votes for random options until the deadline; a failed vote is
// retried as is (voting again for the same option changes nothing) until
// it is acknowledged, for at most retryWindow past the deadline.
func (v *voter) run(ctx context.Context, a *api, path string, options int, deadline time.Time, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x706f6c6c))
	for {
		now := time.Now()
		if v.pending == 0 {
			if !now.Before(deadline) || ctx.Err() != nil {
				return
			}
			v.pending = 1 + rng.IntN(options)
		} else if !now.Before(deadline.Add(retryWindow)) || ctx.Err() != nil {
			return
		}
		in := map[string][]string{"options": {strconv.Itoa(v.pending)}}
		if err := a.do(ctx, "PUT", path, v.token, in, nil); err != nil {
			v.errs++
			v.lastErr = err
			_ = sleep(ctx, 20*time.Millisecond)
			continue
		}
		if done := time.Now(); done.Before(deadline) {
			v.acked++
			v.lat = append(v.lat, ms(done.Sub(now)))
		}
		v.voted, v.pending = v.pending, 0
	}
}
