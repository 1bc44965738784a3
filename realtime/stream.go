package realtime

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// entry is one published event, encoded once.
type entry struct {
	seq  uint64
	typ  string
	at   time.Time
	json []byte // {"seq":…,"type":…,"time":…,"data":…}
}

// sink is a connection's side of a subscription.
type sink interface {
	// deliver starts writing f and calls done when the write has finished
	// or failed. The sweeper never calls it again before done.
	deliver(f *frame, done func())
	// subscribed is called once, before the subscription can receive
	// anything, with the cursor it starts after.
	subscribed(topic, cursor string)
	// reset tells the client that the subscription is over.
	reset(topic, reason string)
	// abort closes a connection whose write has been stuck too long.
	abort()
}

// subscription is one client following one stream.
type subscription struct {
	stream *stream
	sink   sink
	// cursor is the last seq handed to sink and ephemeral the number of
	// the last ephemeral message; since is the head when the subscription
	// began (a frame of events before it replays history). Set under
	// stream.mu before the subscription is registered, then read and
	// written only by the sweeper.
	cursor    uint64
	ephemeral uint64
	since     uint64
	// place is the subscription's index in stream.order, -1 once it has
	// left; under stream.mu.
	place int
	busy  atomic.Bool
	// While busy: the seq and the ephemeral number the write in flight goes
	// up to, and when it began.
	sent, sentEphemeral atomic.Uint64
	busySince           atomic.Int64
	done                func() // s.written bound to this subscription, made once
}

// ephemeralMessage is an ephemeral message waiting for the sweeper to
// visit every subscriber: n numbers it within the stream, visits is the
// sweeper's visit count when it came.
type ephemeralMessage struct {
	n, visits uint64
	e         entry
}

// frameKey is what a frame depends on besides the head: the subscriber's
// cursor and ephemeral number, and whether its events replay history.
type frameKey struct {
	cursor, ephemeral uint64
	live              bool
}

type stream struct {
	id    StreamID
	hub   *Hub
	epoch string
	wake  chan struct{}
	quit  chan struct{}

	seq atomic.Uint64 // last published; written under mu
	// joined is set by a new subscription: the next presence tick sends
	// the audience size even if it did not change, so newcomers learn it.
	joined atomic.Bool

	mu   sync.Mutex
	hist []entry // ring: event seq lives at hist[seq%len(hist)]
	// ephemerals are the ephemeral messages of about the last two passes
	// (ephemeralHead numbers the latest): a subscriber gets those after
	// its own number when the sweeper visits it, so one that was busy at
	// the first visit gets them at the next.
	ephemerals    []ephemeralMessage
	ephemeralHead atomic.Uint64
	first         uint64 // the oldest seq the ring may hold
	// order holds the subscriptions in the order the sweeper visits them,
	// round and round from pos; one that leaves leaves a nil until the
	// holes are half of it (compactLocked).
	order      []*subscription
	holes      int
	pos        int    // the next place the sweeper visits
	visits     uint64 // places the sweeper has visited, ever
	lastActive time.Time
	stopped    bool
	// local is true while this process assigns the sequence: always
	// without a broker, and while the broker is unavailable.
	local bool
	// wroteLocal records a publish made while the broker was unavailable;
	// brokerEpoch is the broker's epoch when that began.
	wroteLocal  bool
	brokerEpoch string

	// Owned by the sweeper goroutine: the frames made since the head or
	// the ephemeral head last moved, and the visits of the current step.
	frames                map[frameKey]*frame
	framesHead, framesEph uint64
	scratch               []*subscription
}

func newStream(h *Hub, id StreamID) *stream {
	// While the broker is down, new streams start local too.
	return &stream{
		id:         id,
		hub:        h,
		epoch:      newEpoch(),
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		hist:       make([]entry, h.opts.History),
		first:      1,
		frames:     make(map[frameKey]*frame),
		lastActive: h.now(),
		local:      h.broker == nil || h.degraded.Load(),
	}
}

// load fills a new stream from the broker; the caller holds s.mu, so that
// nothing else touches the stream before it is loaded.
func (s *stream) loadLocked() {
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	epoch, head, events, err := s.hub.broker.Load(ctx, s.id, newEpoch())
	if err != nil {
		s.local = true // this stream starts degraded; the hub follows
		go s.hub.degrade(err)
		return
	}
	s.restartLocked(epoch, head)
	for _, e := range events {
		if e.Seq+uint64(len(s.hist)) > head && e.Seq <= head {
			s.storeLocked(e)
		}
	}
	if len(events) > 0 && events[0].Seq < s.first && events[0].Seq+uint64(len(s.hist)) > head {
		s.first = events[0].Seq
	}
}

// restartLocked starts the stream over at epoch and head with an empty
// history, ending every subscription; it returns them for resetting once
// the lock is released.
func (s *stream) restartLocked(epoch string, head uint64) []*subscription {
	s.epoch = epoch
	s.seq.Store(head)
	s.first = head + 1
	ended := make([]*subscription, 0, s.subscribersLocked())
	for _, sub := range s.order {
		if sub != nil {
			sub.place = -1
			ended = append(ended, sub)
		}
	}
	clear(s.order)
	s.order, s.holes, s.pos = s.order[:0], 0, 0
	return ended
}

// storeLocked puts an event into the ring at its seq.
func (s *stream) storeLocked(e Entry) {
	s.hist[e.Seq%uint64(len(s.hist))] = entry{seq: e.Seq, typ: e.Type, at: e.At, json: encodeEvent(e.Seq, e.Type, e.At, e.Data)}
}

// appendLocked adds the next event of the sequence.
func (s *stream) appendLocked(e Entry) {
	s.storeLocked(e)
	s.seq.Store(e.Seq)
}

func (s *stream) resync(ended []*subscription) {
	for _, sub := range ended {
		s.hub.metrics.resets.WithLabelValues(ResetResync).Inc()
		sub.sink.reset(s.id.Topic, ResetResync)
	}
}

// receive takes an event from the broker: the next one is appended, an
// old one ignored, a gap filled from the broker's history first. A new
// epoch restarts the stream. An ephemeral message (seq 0) goes to the
// subscribers as it is.
func (s *stream) receive(epoch string, e Entry) {
	if e.Seq == 0 && e.Type != "" {
		s.ephemeral(e)
		return
	}
	s.mu.Lock()
	if s.local || s.stopped {
		s.mu.Unlock()
		return
	}
	var ended []*subscription
	if epoch != s.epoch {
		head := e.Seq - 1
		if e.Type == "" { // a rotation marker: the new epoch starts after it
			head = e.Seq
		}
		ended = s.restartLocked(epoch, head)
	}
	if head := s.seq.Load(); e.Type != "" && e.Seq > head {
		if e.Seq > head+1 {
			ended = append(ended, s.fillLocked(head+1, e.Seq-1)...)
		}
		s.appendLocked(e)
	}
	s.lastActive = s.hub.now()
	s.mu.Unlock()
	s.resync(ended)
	s.poke()
}

// ephemeral queues a message for the sweeper, outside the history.
func (s *stream) ephemeral(e Entry) {
	s.mu.Lock()
	if s.stopped || s.subscribersLocked() == 0 {
		s.mu.Unlock()
		return
	}
	n := s.ephemeralHead.Add(1)
	s.ephemerals = append(s.ephemerals, ephemeralMessage{n: n, visits: s.visits,
		e: entry{typ: e.Type, at: e.At, json: encodeEvent(0, e.Type, e.At, e.Data)}})
	s.mu.Unlock()
	s.poke()
}

// fillLocked fetches the events from..to that the reader missed. If the
// broker no longer has them all, the stream restarts after them.
func (s *stream) fillLocked(from, to uint64) []*subscription {
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	epoch, events, err := s.hub.broker.Range(ctx, s.id, from, to)
	if err == nil && epoch == s.epoch && uint64(len(events)) == to-from+1 {
		for _, e := range events {
			s.appendLocked(e)
		}
		return nil
	}
	return s.restartLocked(s.epoch, to)
}

// catchUpLocked fetches the events up to seq from the broker, for a client
// whose cursor came from a replica that is ahead of this one's reader. It
// reports whether the stream now reaches seq; nothing changes otherwise.
func (s *stream) catchUpLocked(seq uint64) bool {
	head := s.seq.Load()
	if s.local || seq-head > uint64(len(s.hist)) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	epoch, events, err := s.hub.broker.Range(ctx, s.id, head+1, seq)
	if err != nil || epoch != s.epoch || uint64(len(events)) != seq-head {
		return false
	}
	for _, e := range events {
		s.appendLocked(e)
	}
	return true
}

// goLocal makes the stream sequence its own events under a fresh epoch
// (the broker's epoch-seq pairs will mean other events elsewhere). Its
// subscribers carry on.
func (s *stream) goLocal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.local {
		s.local = true
		s.brokerEpoch, s.epoch = s.epoch, newEpoch()
	}
}

// reload returns a degraded stream to the broker: a new epoch there if
// this replica wrote alone, then the broker's state, and a resync for
// every subscriber, who may have missed other replicas' events.
func (s *stream) reload(ctx context.Context) error {
	s.mu.Lock()
	if !s.local {
		s.mu.Unlock()
		return nil
	}
	if s.wroteLocal {
		if err := s.hub.broker.Rotate(ctx, s.id, s.brokerEpoch, newEpoch()); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	epoch, head, events, err := s.hub.broker.Load(ctx, s.id, newEpoch())
	if err != nil {
		s.mu.Unlock()
		return err
	}
	ended := s.restartLocked(epoch, head)
	for _, e := range events {
		if e.Seq+uint64(len(s.hist)) > head && e.Seq <= head {
			s.storeLocked(e)
			s.first = min(s.first, e.Seq)
		}
	}
	s.local, s.wroteLocal = false, false
	s.mu.Unlock()
	s.resync(ended)
	return nil
}

func (s *stream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// publish appends an event: through the broker, which sequences it and
// brings it back to every replica, or locally. False if the stream was
// dropped meanwhile.
func (s *stream) publish(e Entry) bool {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return false
	}
	s.lastActive = s.hub.now()
	if !s.local {
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
		err := s.hub.broker.Publish(ctx, s.id, e, newEpoch())
		cancel()
		if err == nil {
			return true
		}
		s.hub.degrade(err) // makes every stream local, this one included
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return false
		}
	}
	s.wroteLocal = s.hub.broker != nil
	e.Seq = s.seq.Load() + 1
	s.appendLocked(e)
	s.mu.Unlock()
	s.poke()
	return true
}

func (s *stream) cursor() string {
	s.mu.Lock()
	s.lastActive = s.hub.now()
	s.mu.Unlock()
	return formatCursor(s.epoch, s.seq.Load())
}

// oldestLocked is the seq of the oldest event still in history (head+1 when
// the stream has none).
func (s *stream) oldestLocked() uint64 {
	head := s.seq.Load()
	if head < uint64(len(s.hist)) {
		return s.first
	}
	return max(s.first, head-uint64(len(s.hist))+1)
}

// subscribe registers a subscription that starts after cursor (now when
// empty), or returns a reset reason when the cursor cannot be served.
// stopped is true when the stream was dropped and the caller should retry.
func (s *stream) subscribe(cursor string, sk sink) (sub *subscription, reason string, stopped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, "", true
	}
	head := s.seq.Load()
	start := head
	if cursor != "" {
		epoch, seq, ok := parseCursor(cursor)
		if ok && epoch == s.epoch && seq > head && s.catchUpLocked(seq) {
			head = s.seq.Load()
		}
		switch {
		case !ok || epoch != s.epoch:
			return nil, ResetUnknownEpoch, false
		case seq > head:
			return nil, ResetUnknownPosition, false
		case seq+1 < s.oldestLocked():
			return nil, ResetTooFarBehind, false
		}
		start = seq
	}
	sub = &subscription{stream: s, sink: sk, cursor: start, since: head, ephemeral: s.ephemeralHead.Load(), place: len(s.order)}
	sub.done = func() { s.written(sub) }
	sk.subscribed(s.id.Topic, formatCursor(s.epoch, start))
	s.order = append(s.order, sub)
	s.joined.Store(true)
	s.hub.presenceSoon()
	s.lastActive = s.hub.now()
	if start < head {
		s.poke()
	}
	return sub, "", false
}

func (s *stream) unsubscribe(sub *subscription) {
	s.mu.Lock()
	if sub.place >= 0 {
		s.order[sub.place] = nil
		sub.place = -1
		if s.holes++; s.holes > len(s.order)/2 {
			s.compactLocked()
		}
	}
	s.lastActive = s.hub.now()
	s.mu.Unlock()
}

// compactLocked closes the holes in order, keeping the subscriptions'
// order and the sweeper's place among them.
func (s *stream) compactLocked() {
	kept, pos := 0, 0
	for i, sub := range s.order {
		if i == s.pos {
			pos = kept
		}
		if sub != nil {
			sub.place = kept
			s.order[kept] = sub
			kept++
		}
	}
	if s.pos >= len(s.order) {
		pos = kept
	}
	clear(s.order[kept:])
	s.order, s.holes, s.pos = s.order[:kept], 0, pos
}

func (s *stream) subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscribersLocked()
}

func (s *stream) subscribersLocked() int { return len(s.order) - s.holes }

// stopIfIdle stops the stream when it has had neither subscribers nor
// events for ttl, and reports whether it did.
func (s *stream) stopIfIdle(now time.Time, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subscribersLocked() > 0 || now.Sub(s.lastActive) < ttl {
		return false
	}
	s.stopped = true
	close(s.quit)
	return true
}

// run sweeps when woken, at most once per flush interval.
func (s *stream) run() {
	defer s.hub.wg.Done()
	interval := s.hub.opts.FlushInterval
	var last time.Time
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		case <-s.hub.done:
			return
		}
		if wait := time.Until(last.Add(interval)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-s.quit:
				return
			case <-s.hub.done:
				return
			}
		}
		last = time.Now()
		s.sweep()
	}
}

// A sweep of ten thousand subscribers writes for ~100 ms of a core, and
// requests must be served meanwhile. Every yieldEvery subscribers it lets
// the goroutines that are ready run (runtime.Gosched); after sweepWork of
// that it rests for sweepRest, so that the runtime also polls the network
// for requests that arrived meanwhile (it does so only when nothing is
// ready to run, or every 10 ms otherwise) and serves them. Sweeping thus
// takes at most about sweepWork / (sweepWork + sweepRest) of the core.
const (
	yieldEvery = 64
	sweepWork  = 3 * time.Millisecond
	sweepRest  = time.Millisecond
)

// sweep makes one pass over the subscribers, from where the last one
// ended, and hands each what it is owed in one frame. It reads the head
// again every yieldEvery subscribers, so that an event published during a
// pass reaches the rest of this pass's subscribers, and the others at
// their turn in the next: every subscriber is written at most once a pass,
// and an event waits at most one pass (docs/architecture.md, "Fan-out").
// Subscribers owed the same range share one frame.
func (s *stream) sweep() {
	left := -1 // places still to visit in this pass
	rested := time.Now()
	for left != 0 {
		s.mu.Lock()
		if left < 0 || left > len(s.order) {
			left = len(s.order)
		}
		step := s.scratch[:0]
		for ; len(step) < yieldEvery && left > 0; left-- {
			if s.pos >= len(s.order) {
				s.pos = 0
			}
			if sub := s.order[s.pos]; sub != nil {
				step = append(step, sub)
			}
			s.pos++
			s.visits++
		}
		head, oldest := s.seq.Load(), s.oldestLocked()
		ephemerals, ephHead := s.trimEphemeralsLocked(), s.ephemeralHead.Load()
		s.mu.Unlock()

		s.visit(step, head, oldest, ephemerals, ephHead)
		clear(step)
		s.scratch = step[:0]
		if time.Since(rested) < sweepWork {
			runtime.Gosched()
			continue
		}
		select {
		case <-time.After(sweepRest):
		case <-s.quit:
			return
		case <-s.hub.done:
			return
		}
		rested = time.Now()
	}
}

// trimEphemeralsLocked forgets the ephemeral messages every subscriber has
// had two visits to get since they came, and returns the others.
func (s *stream) trimEphemeralsLocked() []ephemeralMessage {
	i := 0
	for i < len(s.ephemerals) && s.visits-s.ephemerals[i].visits > 2*uint64(len(s.order)) {
		s.ephemerals[i] = ephemeralMessage{}
		i++
	}
	s.ephemerals = s.ephemerals[i:]
	if len(s.ephemerals) == 0 {
		s.ephemerals = nil // let the array go
	}
	return s.ephemerals
}

// visit hands each subscriber of step the events up to head and the
// ephemeral messages up to ephHead that it has not had.
func (s *stream) visit(step []*subscription, head, oldest uint64, ephemerals []ephemeralMessage, ephHead uint64) {
	if head != s.framesHead || ephHead != s.framesEph {
		clear(s.frames)
		s.framesHead, s.framesEph = head, ephHead
	}
	now := time.Now()
	stuckBefore := now.Add(-s.hub.opts.WriteTimeout).UnixNano()
	for _, sub := range step {
		if sub.cursor == head && sub.ephemeral >= ephHead {
			continue
		}
		if sub.busy.Load() {
			switch {
			case sub.busySince.Load() < stuckBefore:
				s.overflow(sub)
				sub.sink.abort()
			case sub.cursor+1 < oldest:
				// Still on an old write and now behind the history: it can
				// never catch up, so stop following it.
				s.overflow(sub)
			}
			continue
		}
		key := frameKey{cursor: sub.cursor, ephemeral: sub.ephemeral, live: sub.cursor >= sub.since}
		f, ok := s.frames[key]
		if !ok {
			f = s.frame(sub.cursor, head, key.live, ephemeralsAfter(ephemerals, sub.ephemeral))
			s.frames[key] = f
		}
		if f == nil {
			s.overflow(sub) // fell behind the history while its writes were slow
			continue
		}
		sub.ephemeral = ephHead
		if len(f.events) == 0 && len(f.extra) == 0 {
			continue // the messages it missed are forgotten: nothing to write
		}
		sub.cursor = f.last()
		sub.sent.Store(sub.cursor)
		sub.sentEphemeral.Store(sub.ephemeral)
		sub.busySince.Store(now.UnixNano())
		sub.busy.Store(true)
		sub.sink.deliver(f, sub.done)
	}
}

// ephemeralsAfter returns the messages numbered after n.
func ephemeralsAfter(ms []ephemeralMessage, n uint64) []entry {
	var es []entry
	for _, m := range ms {
		if m.n > n {
			es = append(es, m.e)
		}
	}
	return es
}

// written is called when a subscriber's write has finished. If more was
// published meanwhile, a sweep may have skipped this subscriber, so ask
// for another.
func (s *stream) written(sub *subscription) {
	to, eph := sub.sent.Load(), sub.sentEphemeral.Load()
	sub.busy.Store(false)
	if s.seq.Load() > to || s.ephemeralHead.Load() > eph {
		s.poke()
	}
}

func (s *stream) overflow(sub *subscription) {
	s.hub.metrics.overflows.Inc()
	s.drop(sub, ResetOverflow)
}

// drop ends a subscription from the stream's side.
func (s *stream) drop(sub *subscription, reason string) {
	s.unsubscribe(sub)
	s.hub.metrics.resets.WithLabelValues(reason).Inc()
	sub.sink.reset(s.id.Topic, reason)
}

// maxFrameBytes bounds one write: a client far behind catches up over
// several sweeps rather than in one huge message.
const maxFrameBytes = 256 << 10

// frame returns the events after from, up to to or maxFrameBytes, and the
// ephemeral messages extra, as a frame; nil when some of the events have
// left the history.
func (s *stream) frame(from, to uint64, live bool, extra []entry) *frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from+1 < s.oldestLocked() {
		return nil
	}
	es := make([]entry, 0, to-from)
	size := 0
	for seq := from + 1; seq <= to && (size < maxFrameBytes || len(es) == 0); seq++ {
		e := s.hist[seq%uint64(len(s.hist))]
		es = append(es, e)
		size += len(e.json)
	}
	return &frame{topic: s.id.Topic, epoch: s.epoch, from: from, events: es, extra: extra, live: live}
}

// encodeEvent renders {"seq":N,"type":"T","time":"…","data":D}, without
// "seq" for an ephemeral message (seq 0).
func encodeEvent(seq uint64, typ string, at time.Time, data []byte) []byte {
	b := make([]byte, 0, len(data)+len(typ)+72)
	if seq > 0 {
		b = append(b, `{"seq":`...)
		b = strconv.AppendUint(b, seq, 10)
		b = append(b, `,"type":"`...)
	} else {
		b = append(b, `{"type":"`...)
	}
	b = append(b, typ...) // event types are fixed ASCII names
	b = append(b, `","time":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	b = append(b, data...)
	return append(b, '}')
}
