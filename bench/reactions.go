package bench

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runReactions measures live reactions while subscribers of the talk
// watch the summed windows, in two phases on the same server. First the
// tappers send --taps-per-s, paced, and a probe participant taps an emoji
// nobody else taps half a second after each answer (never two in one
// 250 ms window), with
// counts 1–9 in turn so that each subscriber can tell its taps apart:
// reactions_p99_ms is a probe tap's send → its window's receipt, over
// every tenth subscriber × probe tap; reactions_window_p99_ms, stricter, the
// earliest tap of each window → its receipt. Then the tappers tap as fast
// as the server takes it for --max-duration: reactions_per_s. A sample of
// subscribers adds up every tap it receives, which must equal the taps the
// server accepted (reactions_lost).
func runReactions(ctx context.Context, args []string, r *report) error {
	var c common
	var sf subFlags
	fs := flag.NewFlagSet("koe bench reactions", flag.ContinueOnError)
	c.register(fs)
	sf.register(fs)
	tappers := fs.Int("tappers", 64, "participants tapping, one request in flight each")
	perRequest := fs.Int("taps-per-request", 1, "taps one request carries (count, 1–10: a phone sends a quarter second's taps together)")
	rate := fs.Float64("taps-per-s", 20000, "the paced phase's taps per second")
	duration := fs.Duration("duration", 20*time.Second, "how long the paced phase taps")
	maxDuration := fs.Duration("max-duration", 10*time.Second, "how long the phase as fast as the server answers taps (0: none)")
	drain := fs.Duration("drain", 3*time.Second, "wait after each phase for the last windows")
	sample := fs.Int("sample", 20, "subscribers that add up the taps they receive")
	probeEvery := fs.Int("probe-every", 10, "every how many subscribers one times the probe's taps (decoding costs the generator)")
	pid := fs.Int("pid", 0, "process id of the server on this machine; when set its CPU use is reported")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	switch {
	case *tappers < 1 || *perRequest < 1 || *perRequest > 10 || *sample < 0 || *probeEvery < 1:
		return badFlags("--tappers and --probe-every must be positive, --taps-per-request 1 to 10, --sample not negative")
	case *rate <= 0 || *rate > 1e6 || *duration <= 0 || *maxDuration < 0 || *drain < 0:
		return badFlags("--taps-per-s must be positive (at most 1000000), --duration positive, --max-duration and --drain not negative")
	}
	ctx, cancel := c.context(ctx, *duration+*maxDuration+2**drain)
	defer cancel()

	a := newAPI(c.urls, c.token, *tappers+16)
	t, err := a.newTalk(ctx)
	if err != nil {
		return err
	}
	emoji := []string{"👏", "🎉", "❤️", "🤔"}
	settings := map[string]any{"settings": map[string]any{"participant_replies": false, "participant_sign_in": false, "moderation": "post",
		"reactions": append(slices.Clone(emoji), probeEmoji)}}
	if err := a.do(ctx, "PATCH", fmt.Sprintf("/api/v1/events/%d", t.event), a.owner, settings, nil); err != nil {
		return err
	}
	tapTokens, err := a.joinMany(ctx, t.joinCode, *tappers+1, 64)
	if err != nil {
		return err
	}
	probeToken, tapTokens := tapTokens[0], tapTokens[1:]
	tokens, err := sf.join(ctx, a, t, r)
	if err != nil {
		return err
	}
	subs, err := sf.open(ctx, a, t, tokens, 0, func(i int) measure {
		return measure{reactions: true, sumTaps: i < *sample, probe: i%*probeEvery == 0}
	}, r)
	if err != nil {
		return err
	}
	defer closeAll(subs)
	// The reaction set is trusted for a second after a change.
	if err := sleep(ctx, 1200*time.Millisecond); err != nil {
		return err
	}

	tp := &tapping{a: a, t: t, perRequest: *perRequest, emoji: emoji}
	srvCPU := startCPU(strconv.Itoa(*pid))
	probes := tp.paced(ctx, tapTokens, probeToken, *rate, *duration)
	pacedPct := srvCPU.percent()
	if err := sleep(ctx, *drain); err != nil {
		return err
	}
	var windowLat, probeLat []float32
	windows := 0
	for _, s := range subs {
		s.mu.Lock()
		windowLat = append(windowLat, s.reactLat...)
		windows += len(s.reactLat)
		probeLat = matchProbes(probes, s.probes, probeLat)
		s.reactLat, s.probes = nil, nil
		s.mu.Unlock()
	}
	slices.Sort(windowLat)
	slices.Sort(probeLat)
	pacedAccepted, pacedReqLat := tp.accepted.Load(), tp.latencies()
	pacedRate := float64(pacedAccepted) / duration.Seconds()

	var maxRate, maxPct float64
	if *maxDuration > 0 {
		genCPU, srvCPU := startCPU("self"), startCPU(strconv.Itoa(*pid))
		tp.accepted.Store(0)
		tp.flat(ctx, tapTokens, *maxDuration)
		maxRate, maxPct = float64(tp.accepted.Load())/maxDuration.Seconds(), srvCPU.percent()
		r.comment("reactions: generator %.0f%% of a core while tapping as fast as the server answers", genCPU.percent())
		if err := sleep(ctx, *drain); err != nil {
			return err
		}
	}
	var lost int64
	all := pacedAccepted + tp.accepted.Load() + tp.probeTaps.Load()
	for i, s := range subs[:min(*sample, len(subs))] {
		s.mu.Lock()
		if d := all - s.taps; d != 0 {
			lost = max(lost, d, -d)
			logf("subscriber %d received %d taps, the server accepted %d", i, s.taps, all)
		}
		s.mu.Unlock()
	}
	expected := len(probes) * ((len(subs) + *probeEvery - 1) / *probeEvery)
	tot := totals(subs)
	r.comment("reactions: %d subscribers to %s, %d tappers, %d taps a request, %.0f taps/s paced for %s, then as fast as answered for %s; %s",
		len(subs), c.url, *tappers, *perRequest, *rate, *duration, *maxDuration, generator())
	r.int("reaction_subscribers", int64(len(subs)-tot.dropped))
	r.float("reactions_paced_per_s", pacedRate)
	r.float("reactions_p50_ms", percentile(probeLat, 50))
	r.float("reactions_p99_ms", percentile(probeLat, 99))
	r.int("reaction_probe_taps", int64(len(probes)))
	r.int("reaction_probes_missing", int64(expected-len(probeLat)))
	r.float("reactions_window_p99_ms", percentile(windowLat, 99))
	r.int("reaction_windows_received", int64(windows))
	r.float("reaction_request_p99_ms", percentile(pacedReqLat, 99))
	r.int("reaction_errors", tp.errs.Load())
	if *pid > 0 {
		r.float("reaction_server_cpu_pct", pacedPct)
	}
	if *maxDuration > 0 {
		r.float("reactions_per_s", maxRate)
		if *pid > 0 {
			r.float("reaction_max_server_cpu_pct", maxPct)
		}
	}
	r.int("reactions_lost", lost)
	r.int("reaction_resets", int64(tot.resets))
	return nil
}

// tapping sends taps through the tappers, each a participant with one
// request in flight.
type tapping struct {
	a          *api
	t          talkRef
	perRequest int
	emoji      []string

	accepted, errs, probeTaps atomic.Int64
	mu                        sync.Mutex
	lat                       []float32 // request latency from its scheduled time, ms
}

// probeTap is one of the probe's taps: its count, when it was sent.
type probeTap struct {
	count int64
	at    time.Time
}

// tap sends one request of taps, timed from at.
func (tp *tapping) tap(ctx context.Context, a *api, token string, n int, at time.Time) {
	body := map[string]any{"emoji": tp.emoji[n%len(tp.emoji)], "count": tp.perRequest}
	if err := a.do(ctx, "POST", tp.t.path("/reactions"), token, body, nil); err != nil {
		tp.errs.Add(1)
		return
	}
	tp.accepted.Add(int64(tp.perRequest))
	tp.mu.Lock()
	tp.lat = append(tp.lat, ms(time.Since(at)))
	tp.mu.Unlock()
}

// paced taps rate taps a second for d (open loop: a request whose turn
// finds every tapper busy is dropped, and counted as an error), while the
// probe taps half a second after each answer; it returns the probe's taps.
func (tp *tapping) paced(ctx context.Context, tokens []string, probe string, rate float64, d time.Duration) []probeTap {
	start := time.Now()
	end := start.Add(d)
	var skipped atomic.Int64
	ticks := make(chan time.Time, len(tokens))
	var wg sync.WaitGroup
	wg.Go(func() { pace(ctx, rate/float64(tp.perRequest), start, end, ticks, &skipped) })
	for w, tok := range tokens {
		wg.Go(func() {
			a := tp.a.at(w)
			for n := 0; ; n++ {
				at, ok := <-ticks
				if !ok {
					return
				}
				tp.tap(ctx, a, tok, w+n, at)
			}
		})
	}
	var probes []probeTap
	for k := 0; time.Now().Before(end) && ctx.Err() == nil; k++ {
		count := int64(k%9 + 1)
		at := time.Now()
		if err := tp.a.do(ctx, "POST", tp.t.path("/reactions"), probe, map[string]any{"emoji": probeEmoji, "count": count}, nil); err == nil {
			probes = append(probes, probeTap{count, at})
			tp.probeTaps.Add(count)
		}
		// Half a second after the answer: two taps the server accepts
		// less than a window apart would share a window.
		if sleep(ctx, 500*time.Millisecond) != nil {
			break
		}
	}
	wg.Wait()
	tp.errs.Add(skipped.Load())
	return probes
}

// flat taps as fast as the server answers for d.
func (tp *tapping) flat(ctx context.Context, tokens []string, d time.Duration) {
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w, tok := range tokens {
		wg.Go(func() {
			a := tp.a.at(w)
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				tp.tap(ctx, a, tok, w+n, time.Now())
			}
		})
	}
	wg.Wait()
}

func (tp *tapping) latencies() []float32 {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	lat := slices.Clone(tp.lat)
	slices.Sort(lat)
	return lat
}

// matchProbes appends the latency of each probe tap one subscriber
// received: each window holding the probe emoji is matched to the
// earliest tap not matched yet with its count (a window a subscriber
// missed leaves its tap unmatched, not the next one wrong).
func matchProbes(taps []probeTap, seen []probeSeen, out []float32) []float32 {
	next := 0
	for _, s := range seen {
		for i := next; i < len(taps) && !taps[i].at.After(s.at); i++ {
			if taps[i].count == s.count {
				out = append(out, ms(s.at.Sub(taps[i].at)))
				next = i + 1
				break
			}
		}
	}
	return out
}

// runOverlay measures what an OBS overlay waits for: overlay clients
// (WebSockets opened with an overlay link's secret) and audience
// subscribers follow one talk; the presenter highlights a question once a
// second; overlay_p99_ms is the highlight's talk.updated from the server's
// acceptance to its receipt on the overlay clients.
func runOverlay(ctx context.Context, args []string, r *report) error {
	var c common
	var sf subFlags
	fs := flag.NewFlagSet("koe bench overlay", flag.ContinueOnError)
	c.register(fs)
	sf.register(fs)
	overlays := fs.Int("overlays", 50, "overlay clients")
	every := fs.Duration("every", time.Second, "how often the highlight changes")
	duration := fs.Duration("duration", 20*time.Second, "how long to highlight")
	pid := fs.Int("pid", 0, "process id of the server on this machine; when set its CPU use is reported")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if *overlays < 1 || *every <= 0 || *duration <= 0 {
		return badFlags("--overlays, --every and --duration must be positive")
	}
	ctx, cancel := c.context(ctx, *duration+5*time.Second)
	defer cancel()

	a := newAPI(c.urls, c.token, 32)
	t, err := a.newTalk(ctx)
	if err != nil {
		return err
	}
	var link struct {
		Secret string `json:"secret"`
	}
	if err := a.do(ctx, "POST", fmt.Sprintf("/api/v1/events/%d/screen-links", t.event), a.owner, map[string]string{"kind": "overlay", "label": "Bench OBS"}, &link); err != nil {
		return err
	}
	asker, err := a.joinMany(ctx, t.joinCode, 1, 1)
	if err != nil {
		return err
	}
	var ids []int64
	for i := range 2 {
		q, err := a.ask(ctx, t, asker[0], fmt.Sprintf("Overlay question %d", i+1))
		if err != nil {
			return err
		}
		ids = append(ids, q.ID)
	}
	tokens, err := sf.join(ctx, a, t, r)
	if err != nil {
		return err
	}
	audience, err := sf.open(ctx, a, t, tokens, 0, nil, r)
	if err != nil {
		return err
	}
	defer closeAll(audience)
	ov, err := openSubscribers(ctx, dialConfig{
		url:         func(i int) string { return liveURL(a.at(i).base, t.event) },
		topic:       fmt.Sprintf("talk:%d", t.talk),
		viewerKey:   link.Secret,
		sourceIPs:   sf.ips,
		concurrency: sf.concurrency,
		measure:     func(int) measure { return measure{talkUpdates: true} },
		cache:       sf.cache,
	}, *overlays)
	if err != nil {
		return err
	}
	defer closeAll(ov)

	srvCPU := startCPU(strconv.Itoa(*pid))
	highlights := 0
	for at := time.Now(); time.Since(at) < *duration; highlights++ {
		if err := sleep(ctx, time.Until(at.Add(time.Duration(highlights)**every))); err != nil {
			return err
		}
		body := map[string]any{"question_id": ids[highlights%2]}
		if err := a.do(ctx, "PUT", t.path("/highlight"), a.owner, body, nil); err != nil {
			return err
		}
	}
	srvPct := srvCPU.percent()
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	var lat []float32
	missing := 0
	for _, s := range ov {
		s.mu.Lock()
		lat = append(lat, s.talkLat...)
		missing += max(0, highlights-len(s.talkLat))
		s.mu.Unlock()
	}
	slices.Sort(lat)
	tot := totals(append(slices.Clone(audience), ov...))
	r.comment("overlay: %d overlay clients and %d audience subscribers on %s, a highlight every %s for %s; %s",
		len(ov), len(audience), c.url, *every, *duration, generator())
	r.int("overlay_clients", int64(len(ov)))
	r.int("overlay_highlights", int64(highlights))
	r.float("overlay_p50_ms", percentile(lat, 50))
	r.float("overlay_p99_ms", percentile(lat, 99))
	r.int("overlay_missing", int64(missing))
	r.int("overlay_resets", int64(tot.resets))
	if *pid > 0 {
		r.float("overlay_server_cpu_pct", srvPct)
	}
	return nil
}
