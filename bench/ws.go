package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// delivery is one question.created event received by one subscriber.
type delivery struct {
	id  int64
	lat float32 // receive time − server accept time, ms
}

// subscriber is one WebSocket connection subscribed to a talk. Its read
// loop runs in its own goroutine; the fields under mu are read by the
// report while the connection may still be receiving.
type subscriber struct {
	gws.BuiltinEventHandler // answers pings

	conn       *gws.Conn
	subscribe  string        // the subscribe message, sent again after a reset
	answered   chan struct{} // closed at the first "subscribed" or "error"
	answerOnce sync.Once
	done       chan struct{} // closed when the read loop ends
	closing    atomic.Bool   // set before we close, so OnClose knows who did
	trackLikes bool          // record question.likes events (a sample of subscribers)
	measure    measure
	cache      *scanCache

	mu         sync.Mutex
	subscribed bool
	deliveries []delivery
	likes      map[int64][]likeSeen // question id → events in arrival order
	reactLat   []float32            // reactions events: receive − earliest tap covered, ms
	taps       int64                // the taps of the reactions events (measure.sumTaps)
	probes     []probeSeen          // the probe's taps received (measure.probe)
	talkLat    []float32            // talk.updated events: receive − accept, ms
	resets     int
	errs       int
	bad        int    // messages the scanner could not read
	lastErr    string // the last error message, for diagnostics
	dropped    error  // why the connection ended, when we did not end it
}

func (s *subscriber) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	now := time.Now()
	sc := s.cache.scan(m.Bytes())
	kind := sc.kind
	reactions := false // the message holds reactions events
	s.mu.Lock()
	switch {
	case !sc.ok:
		s.bad++
	case kind == msgEvents:
		for _, ev := range sc.evs {
			switch {
			case ev.kind == evCreated && ev.hasID && ev.hasTime:
				s.deliveries = append(s.deliveries, delivery{ev.id, ms(now.Sub(ev.time))})
			case ev.kind == evLikes && s.trackLikes && ev.hasID && ev.hasVersion:
				s.likes[ev.id] = append(s.likes[ev.id], likeSeen{ev.version, now})
			case ev.kind == evReactions && s.measure.reactions && ev.hasTime:
				s.reactLat = append(s.reactLat, ms(now.Sub(ev.time)))
				reactions = true
			case ev.kind == evTalkUpdated && s.measure.talkUpdates && ev.hasTime:
				s.talkLat = append(s.talkLat, ms(now.Sub(ev.time)))
			}
		}
	case kind == msgSubscribed:
		s.subscribed = true
		s.answerOnce.Do(func() { close(s.answered) })
	case kind == msgReset:
		s.resets++
	case kind == msgError:
		s.errs++
		s.lastErr = string(m.Bytes()[:min(len(m.Bytes()), 300)])
		s.answerOnce.Do(func() { close(s.answered) })
	}
	if reactions && (s.measure.sumTaps || s.measure.probe) {
		taps, probe := sumTaps(m.Bytes())
		if s.measure.sumTaps {
			s.taps += taps
		}
		if s.measure.probe && probe > 0 {
			s.probes = append(s.probes, probeSeen{probe, now})
		}
	}
	s.mu.Unlock()
	if kind == msgReset {
		// The subscription is over. Subscribing again from now keeps the
		// connection measuring; what it missed counts as lost.
		_ = c.WriteString(s.subscribe)
	}
}

func (s *subscriber) OnClose(_ *gws.Conn, err error) {
	if !s.closing.Load() {
		s.mu.Lock()
		s.dropped = cmp.Or(err, errors.New("closed"))
		s.mu.Unlock()
	}
	close(s.done)
}

// measure says what a subscriber records besides question.created.
type measure struct {
	reactions   bool // the latency of reactions events
	sumTaps     bool // and their taps (decoding the message whole: a sample)
	probe       bool // and when the probe's taps arrive (decoding it too)
	talkUpdates bool // the latency of talk.updated events
}

// probeEmoji is tapped by the reactions scenario's probe alone, so that a
// window holding it holds one of the probe's taps, whose count says which.
const probeEmoji = "🍣"

// probeSeen is a window with a probe tap, received.
type probeSeen struct {
	count int64
	at    time.Time
}

// sumTaps adds up the taps of the reactions events of one message, and
// returns the probe's among them.
func sumTaps(msg []byte) (taps, probe int64) {
	var m struct {
		Events []struct {
			Type string           `json:"type"`
			Data map[string]int64 `json:"data"`
		} `json:"events"`
	}
	if json.Unmarshal(msg, &m) != nil {
		return 0, 0
	}
	for _, ev := range m.Events {
		if ev.Type == "reactions" {
			for emoji, c := range ev.Data {
				taps += c
				if emoji == probeEmoji {
					probe += c
				}
			}
		}
	}
	return taps, probe
}

// close sends a normal close frame and drops the connection.
func (s *subscriber) close() {
	s.closing.Store(true)
	_ = s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = s.conn.WriteClose(1000, nil)
}

// dialConfig says how to open subscribers.
type dialConfig struct {
	url         func(i int) string  // ws:// or wss:// URL of the live endpoint for subscriber i
	topic       string              // e.g. talk:1
	tokens      []string            // participant tokens, used round robin
	sourceIPs   []net.IP            // local addresses to spread connections over; empty: any
	concurrency int                 // dials in flight at once
	trackLikes  int                 // how many subscribers record question.likes
	measure     func(i int) measure // what subscriber i records besides; nil: nothing
	viewerKey   string              // a screen link's secret, sent as ?key= instead of a token
	cache       *scanCache
}

// liveURL turns the HTTP base URL into the event's WebSocket URL.
func liveURL(base string, eventID int64) string {
	u := strings.TrimRight(base, "/")
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		u = "wss://" + rest
	} else if rest, ok := strings.CutPrefix(u, "http://"); ok {
		u = "ws://" + rest
	}
	return fmt.Sprintf("%s/api/v1/events/%d/live", u, eventID)
}

const (
	dialAttempts     = 3
	subscribeTimeout = 10 * time.Second
)

// openSubscribers opens n subscribed connections, cfg.concurrency at a time,
// each retried a bounded number of times. On error the ones already open
// are closed.
func openSubscribers(ctx context.Context, cfg dialConfig, n int) ([]*subscriber, error) {
	subs := make([]*subscriber, n)
	jobs := make(chan int)
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range min(cfg.concurrency, n) {
		wg.Go(func() {
			for i := range jobs {
				s, err := dialRetry(ctx, cfg, i)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				subs[i] = s
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil || failed.Load() > 0 {
			break // a failed subscriber fails the run; stop dialling
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	err := firstErr
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		closeAll(subs)
		return nil, fmt.Errorf("opening subscriber: %w", err)
	}
	return subs, nil
}

func dialRetry(ctx context.Context, cfg dialConfig, i int) (*subscriber, error) {
	var err error
	for attempt := range dialAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		var s *subscriber
		if s, err = dial(ctx, cfg, i); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// dial opens subscriber i and waits until the server confirms the
// subscription.
func dial(ctx context.Context, cfg dialConfig, i int) (*subscriber, error) {
	s := &subscriber{
		subscribe:  fmt.Sprintf(`{"type":"subscribe","topic":%q}`, cfg.topic),
		answered:   make(chan struct{}),
		done:       make(chan struct{}),
		trackLikes: i < cfg.trackLikes,
		cache:      cfg.cache,
	}
	if s.trackLikes {
		s.likes = make(map[int64][]likeSeen)
	}
	if cfg.measure != nil {
		s.measure = cfg.measure(i)
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	if len(cfg.sourceIPs) > 0 {
		d.LocalAddr = &net.TCPAddr{IP: cfg.sourceIPs[i%len(cfg.sourceIPs)]}
	}
	hdr := http.Header{}
	url := cfg.url(i)
	if cfg.viewerKey != "" {
		url += "?key=" + cfg.viewerKey
	} else {
		hdr.Set("Authorization", "Bearer "+cfg.tokens[i%len(cfg.tokens)])
	}
	conn, resp, err := gws.NewClient(s, &gws.ClientOption{
		Addr:             url,
		RequestHeader:    hdr,
		HandshakeTimeout: 10 * time.Second,
		NewDialer:        func() (gws.Dialer, error) { return d, nil },
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%s: %s: %w", url, resp.Status, err)
		}
		return nil, err
	}
	s.conn = conn
	go conn.ReadLoop()
	if err := conn.WriteString(s.subscribe); err != nil {
		s.close()
		return nil, err
	}
	select {
	case <-s.answered:
	case <-s.done:
	case <-ctx.Done():
	case <-time.After(subscribeTimeout):
	}
	s.mu.Lock()
	ok, lastErr := s.subscribed, s.lastErr
	s.mu.Unlock()
	if ok {
		return s, nil
	}
	s.close()
	switch {
	case lastErr != "":
		return nil, fmt.Errorf("subscribe failed: %s", lastErr)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("no answer to subscribe within %s, or the connection closed", subscribeTimeout)
}

// closeAll closes every open subscriber.
func closeAll(subs []*subscriber) {
	for _, s := range subs {
		if s != nil {
			s.close()
		}
	}
}

// connTotals sums what all subscribers saw besides events.
type connTotals struct {
	resets, errs, bad, dropped int
	dropReason                 error // one of the reasons, for diagnostics
}

// totals sums over subs, and reports dropped connections on stderr.
func totals(subs []*subscriber) connTotals {
	var t connTotals
	for _, s := range subs {
		s.mu.Lock()
		t.resets += s.resets
		t.errs += s.errs
		t.bad += s.bad
		if s.dropped != nil {
			t.dropped++
			t.dropReason = s.dropped
		}
		s.mu.Unlock()
	}
	if t.dropped > 0 {
		logf("%d connections were closed by the server or the network, for example: %v", t.dropped, t.dropReason)
	}
	return t
}
