package bench

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runFanout measures delivery to many subscribers of one talk while
// questions and likes are posted at fixed rates.
//
// Fan-out latency is the subscriber's receive time minus the event's "time"
// (when the server accepted the write), over every subscriber × question
// delivery. Both clocks are the same machine's when the generator runs
// beside the server; against a remote URL the figure includes clock skew.
func runFanout(ctx context.Context, args []string, r *report) error {
	var c common
	var sf subFlags
	fs := flag.NewFlagSet("koe bench fanout", flag.ContinueOnError)
	c.register(fs)
	sf.register(fs)
	writers := fs.Int("writers", 64, "participants that post questions and likes, one request in flight each")
	qps := fs.Float64("questions-per-s", 10, "questions posted per second")
	lps := fs.Float64("likes-per-s", 200, "likes and unlikes posted per second")
	duration := fs.Duration("duration", 30*time.Second, "how long to post")
	drain := fs.Duration("drain", 5*time.Second, "wait after posting for the last deliveries")
	seed := fs.Int("seed-questions", 20, "questions asked before subscribing, so likes have targets from the start")
	likeSample := fs.Int("like-sample", 100, "subscribers that measure like-update latency")
	pid := fs.Int("pid", 0, "process id of the server on this machine (with several --url, of one replica); when set its CPU use is reported")
	writeCost := fs.Float64("write-cost-us", 0, "the server core's cost of one loopback write (write_cost_us, measured by bench/writecost); when set, fanout_floor_ms is reported")
	flush := fs.Duration("flush-interval", 100*time.Millisecond, "the server's flush interval, for fanout_floor_ms")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	switch {
	case *writers < 1 || *seed < 1 || *likeSample < 0:
		return badFlags("--writers and --seed-questions must be positive, --like-sample not negative")
	case *qps < 0 || *qps > 1e5 || *lps < 0 || *lps > 1e5:
		return badFlags("--questions-per-s and --likes-per-s must be between 0 and 100000")
	case *writeCost < 0 || *flush < 0:
		return badFlags("--write-cost-us and --flush-interval must not be negative")
	case *duration <= 0 || *drain < 0:
		return badFlags("--duration must be positive, --drain not negative")
	}
	ctx, cancel := c.context(ctx, *duration+*drain)
	defer cancel()

	a := newAPI(c.urls, c.token, *writers+16)
	t, err := a.newTalk(ctx)
	if err != nil {
		return err
	}
	writerTokens, err := a.joinMany(ctx, t.joinCode, *writers, 64)
	if err != nil {
		return err
	}
	l := &load{a: a, t: t}
	for i := range *seed {
		q, err := a.ask(ctx, t, writerTokens[i%len(writerTokens)], fmt.Sprintf("Seed question %d", i+1))
		if err != nil {
			return err
		}
		l.targets = append(l.targets, q.ID)
	}
	tokens, err := sf.join(ctx, a, t, r)
	if err != nil {
		return err
	}
	subs, err := sf.open(ctx, a, t, tokens, min(*likeSample, sf.subscribers), nil, r)
	if err != nil {
		return err
	}
	defer closeAll(subs)

	genCPU, srvCPU := startCPU("self"), startCPU(strconv.Itoa(*pid))
	l.run(ctx, writerTokens, *qps, *lps, *duration)
	genPct, srvPct := genCPU.percent(), srvCPU.percent()
	if err := sleep(ctx, *drain); err != nil {
		return err
	}

	res := l.collect(subs)
	tot := totals(subs)
	r.comment("generator: %.1f%% of messages were frames already scanned for another subscriber", 100*sf.cache.hitRate())
	r.comment("fanout: %d subscribers to %s, %d writers, %g questions/s, %g likes/s for %s, drain %s; %s",
		len(subs), c.url, *writers, *qps, *lps, *duration, *drain, generator())
	r.int("subscribers", int64(len(subs)-tot.dropped))
	r.int("questions_posted", int64(len(l.posted)))
	r.int("fanout_deliveries", int64(len(res.lat)))
	r.float("fanout_p50_ms", percentile(res.lat, 50))
	r.float("fanout_p99_ms", percentile(res.lat, 99))
	if *writeCost > 0 {
		// The floor: one sweep's writes to every subscriber, after waiting
		// at most one flush interval for it.
		floor := *writeCost*float64(len(subs))/1000 + float64(*flush)/float64(time.Millisecond)
		r.float("fanout_floor_ms", floor)
		r.float("fanout_p99_over_floor", percentile(res.lat, 99)/floor)
	}
	r.float("fanout_max_ms", percentile(res.lat, 100))
	r.int("fanout_lost", res.lost)
	r.int("fanout_duplicates", res.dups)
	r.float("post_p50_ms", percentile(l.postLat, 50))
	r.float("post_p99_ms", percentile(l.postLat, 99))
	r.int("post_errors", l.postErrs.Load())
	r.float("like_p50_ms", percentile(l.likeLat, 50))
	r.float("like_p99_ms", percentile(l.likeLat, 99))
	r.int("fanout_likes_acked", int64(len(l.acks)))
	r.float("fanout_likes_p99_ms", percentile(res.likeLat, 99))
	r.int("fanout_likes_missing", res.likesMissing)
	r.int("fanout_like_errors", l.likeErrs.Load())
	r.int("fanout_load_skipped", l.skipped.Load())
	r.int("resets", int64(tot.resets))
	r.int("fanout_error_messages", int64(tot.errs))
	r.int("fanout_bad_messages", int64(tot.bad))
	r.int("fanout_dropped", int64(tot.dropped))
	r.float("generator_cpu_pct", genPct)
	if *pid > 0 {
		r.float("server_cpu_pct", srvPct)
	}
	return nil
}

// load posts questions and likes at fixed rates through a pool of writers,
// each a participant with at most one request in flight, so that its likes
// and unlikes alternate and every one changes the count. Writer w posts
// through replica a.at(w).
type load struct {
	a *api
	t talkRef

	mu      sync.Mutex
	targets []int64   // questions likes go to: the seed questions and every posted one
	posted  []int64   // questions whose POST returned 201 during the load
	postLat []float32 // POST latency from the scheduled time, ms
	likeLat []float32 // PUT like latency from the scheduled time, ms
	acks    []likeAck

	postErrs, likeErrs atomic.Int64
	skipped            atomic.Int64 // scheduled requests dropped: every writer was busy
	asked              atomic.Int64
}

// run posts for d and returns when every writer has finished.
func (l *load) run(ctx context.Context, tokens []string, qps, lps float64, d time.Duration) {
	start := time.Now()
	end := start.Add(d)
	// Buffers as deep as the writer pool: a backlog beyond that is counted
	// as skipped rather than queued, so the schedule stays open-loop.
	qt := make(chan time.Time, len(tokens))
	lt := make(chan time.Time, len(tokens))
	var wg sync.WaitGroup
	wg.Go(func() { pace(ctx, qps, start, end, qt, &l.skipped) })
	wg.Go(func() { pace(ctx, lps, start, end, lt, &l.skipped) })
	for w, token := range tokens {
		wg.Go(func() { l.writer(ctx, w, token, qt, lt) })
	}
	wg.Wait()
}

// pace sends the scheduled times of requests at rate per second from start
// until end, then closes ch.
func pace(ctx context.Context, rate float64, start, end time.Time, ch chan<- time.Time, skipped *atomic.Int64) {
	defer close(ch)
	if rate <= 0 {
		return
	}
	interval := time.Duration(float64(time.Second) / rate)
	for at := start; at.Before(end); at = at.Add(interval) {
		if sleep(ctx, time.Until(at)) != nil {
			return
		}
		select {
		case ch <- at:
		default:
			skipped.Add(1)
		}
	}
}

func (l *load) writer(ctx context.Context, w int, token string, qt, lt <-chan time.Time) {
	a := l.a.at(w)
	rng := rand.New(rand.NewPCG(uint64(w), 0x6b6f65))
	liked := make(map[int64]bool)
	for qt != nil || lt != nil {
		select {
		case at, ok := <-qt:
			if !ok {
				qt = nil
				continue
			}
			l.ask(ctx, a, token, at)
		case at, ok := <-lt:
			if !ok {
				lt = nil
				continue
			}
			l.like(ctx, a, token, rng, liked, at)
		}
	}
}

// ask posts one question; its latency counts from when it was scheduled, so
// a slow server cannot hide behind a generator that waited for it.
func (l *load) ask(ctx context.Context, a *api, token string, at time.Time) {
	n := l.asked.Add(1)
	body := fmt.Sprintf("Question %d: how does the fan-out behave when ten thousand people follow the same talk?", n)
	q, err := a.ask(ctx, l.t, token, body)
	done := time.Now()
	if err != nil {
		if l.postErrs.Add(1) == 1 {
			logf("first question error: %v", err)
		}
		return
	}
	l.mu.Lock()
	l.posted = append(l.posted, q.ID)
	l.targets = append(l.targets, q.ID)
	l.postLat = append(l.postLat, ms(done.Sub(at)))
	l.mu.Unlock()
}

// like toggles this writer's like on a random question of the talk; its
// latency counts from when it was scheduled, as a question's does.
func (l *load) like(ctx context.Context, a *api, token string, rng *rand.Rand, liked map[int64]bool, at time.Time) {
	l.mu.Lock()
	id := l.targets[rng.IntN(len(l.targets))]
	l.mu.Unlock()
	res, err := a.setLike(ctx, l.t, token, id, !liked[id])
	done := time.Now()
	if err != nil {
		if l.likeErrs.Add(1) == 1 {
			logf("first like error: %v", err)
		}
		return
	}
	liked[id] = res.Liked
	l.mu.Lock()
	l.acks = append(l.acks, likeAck{id: id, version: res.Version, at: done})
	l.likeLat = append(l.likeLat, ms(done.Sub(at)))
	l.mu.Unlock()
}

// fanoutResult is what the subscribers received, over the questions posted.
type fanoutResult struct {
	lat          []float32 // one per first delivery of a posted question, sorted
	lost         int64     // (posted question, subscriber) pairs never delivered
	dups         int64     // deliveries of a question a subscriber already had
	likeLat      []float32 // sampled like-update latencies, sorted
	likesMissing int64     // (acknowledged like, sampled subscriber) pairs never covered
}

func (l *load) collect(subs []*subscriber) fanoutResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	posted := make(map[int64]bool, len(l.posted))
	for _, id := range l.posted {
		posted[id] = true
	}
	var res fanoutResult
	for _, s := range subs {
		s.mu.Lock()
		got := make(map[int64]bool, len(posted))
		for _, d := range s.deliveries {
			switch {
			case !posted[d.id]:
				// Not one of ours, or its POST failed: no latency to claim.
			case got[d.id]:
				res.dups++
			default:
				got[d.id] = true
				res.lat = append(res.lat, d.lat)
			}
		}
		res.lost += int64(len(posted) - len(got))
		if s.trackLikes {
			var missing int
			res.likeLat, missing = likeLatencies(l.acks, s.likes, res.likeLat)
			res.likesMissing += int64(missing)
		}
		s.mu.Unlock()
	}
	slices.Sort(res.lat)
	slices.Sort(res.likeLat)
	slices.Sort(l.postLat)
	slices.Sort(l.likeLat)
	return res
}
