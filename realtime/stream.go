package realtime

import (
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
	// cursor is the last seq handed to sink. Set under stream.mu before the
	// subscription is registered, then read and written only by the sweeper.
	cursor uint64
	busy   atomic.Bool
	// While busy: the seq the write in flight goes up to, and when it began.
	sent      atomic.Uint64
	busySince atomic.Int64
	done      func() // s.written bound to this subscription, made once
}

type stream struct {
	id    StreamID
	hub   *Hub
	epoch string
	wake  chan struct{}
	quit  chan struct{}

	seq atomic.Uint64 // last published; written under mu

	mu         sync.Mutex
	hist       []entry // ring: event seq lives at hist[seq%len(hist)]
	subs       map[*subscription]struct{}
	lastActive time.Time
	stopped    bool

	// Owned by the sweeper goroutine.
	swept   uint64 // head at the previous sweep: where the next shared range starts
	scratch []*subscription
}

func newStream(h *Hub, id StreamID) *stream {
	return &stream{
		id:         id,
		hub:        h,
		epoch:      newEpoch(),
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		hist:       make([]entry, h.opts.History),
		subs:       make(map[*subscription]struct{}),
		lastActive: time.Now(),
	}
}

func (s *stream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// publish appends an event; false if the stream was dropped meanwhile.
func (s *stream) publish(typ string, at time.Time, data []byte) bool {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return false
	}
	seq := s.seq.Load() + 1
	s.hist[seq%uint64(len(s.hist))] = entry{seq: seq, typ: typ, at: at, json: encodeEvent(seq, typ, at, data)}
	s.seq.Store(seq)
	s.lastActive = time.Now()
	s.mu.Unlock()
	s.poke()
	return true
}

func (s *stream) cursor() string {
	s.mu.Lock()
	s.lastActive = time.Now()
	s.mu.Unlock()
	return formatCursor(s.epoch, s.seq.Load())
}

// oldestLocked is the seq of the oldest event still in history (head+1 when
// the stream has none).
func (s *stream) oldestLocked() uint64 {
	head := s.seq.Load()
	if head < uint64(len(s.hist)) {
		return 1
	}
	return head - uint64(len(s.hist)) + 1
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
		switch {
		case !ok || epoch != s.epoch || seq > head:
			return nil, ResetUnknownEpoch, false
		case seq+1 < s.oldestLocked():
			return nil, ResetTooFarBehind, false
		}
		start = seq
	}
	sub = &subscription{stream: s, sink: sk, cursor: start}
	sub.done = func() { s.written(sub) }
	sk.subscribed(s.id.Topic, formatCursor(s.epoch, start))
	s.subs[sub] = struct{}{}
	s.lastActive = time.Now()
	if start < head {
		s.poke()
	}
	return sub, "", false
}

func (s *stream) unsubscribe(sub *subscription) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.lastActive = time.Now()
	s.mu.Unlock()
}

func (s *stream) subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// stopIfIdle stops the stream when it has had neither subscribers nor
// events for ttl, and reports whether it did.
func (s *stream) stopIfIdle(now time.Time, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.subs) > 0 || now.Sub(s.lastActive) < ttl {
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

// sweep hands every subscriber what it is owed, in one frame each. Those
// at the start of the new range share one frame; laggards get their own.
func (s *stream) sweep() {
	s.mu.Lock()
	head := s.seq.Load()
	oldest := s.oldestLocked()
	from := s.swept
	s.swept = head
	subs := s.scratch[:0]
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()

	// Laggards skipped by earlier sweeps mostly start from the same few
	// positions, so their frames are shared too.
	frames := make(map[uint64]*frame, 2)
	now := time.Now()
	stuckBefore := now.Add(-s.hub.opts.WriteTimeout).UnixNano()
	for _, sub := range subs {
		if sub.cursor == head {
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
		f, ok := frames[sub.cursor]
		if !ok {
			f = s.frame(sub.cursor, head, sub.cursor == from)
			frames[sub.cursor] = f
		}
		if f == nil {
			s.overflow(sub) // fell behind the history while its writes were slow
			continue
		}
		sub.cursor = head
		sub.sent.Store(head)
		sub.busySince.Store(now.UnixNano())
		sub.busy.Store(true)
		sub.sink.deliver(f, sub.done)
	}
	clear(subs)
	s.scratch = subs[:0]
}

// written is called when a subscriber's write has finished. If more was
// published meanwhile, a sweep may have skipped this subscriber, so ask
// for another.
func (s *stream) written(sub *subscription) {
	to := sub.sent.Load()
	sub.busy.Store(false)
	if s.seq.Load() > to {
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

// frame returns the events (from, to] as a frame, or nil when some of them
// have left the history.
func (s *stream) frame(from, to uint64, live bool) *frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from+1 < s.oldestLocked() {
		return nil
	}
	es := make([]entry, 0, to-from)
	for seq := from + 1; seq <= to; seq++ {
		es = append(es, s.hist[seq%uint64(len(s.hist))])
	}
	return &frame{topic: s.id.Topic, epoch: s.epoch, events: es, live: live}
}

// encodeEvent renders {"seq":N,"type":"T","time":"…","data":D}.
func encodeEvent(seq uint64, typ string, at time.Time, data []byte) []byte {
	b := make([]byte, 0, len(data)+len(typ)+72)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"type":"`...)
	b = append(b, typ...) // event types are fixed ASCII names
	b = append(b, `","time":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	b = append(b, data...)
	return append(b, '}')
}
