// Package realtime pushes koe's changes to connected clients: streams with
// per-stream sequence numbers and bounded history, resume from a cursor,
// sweeps that write each client at most once per flush interval, and the
// WebSocket and SSE transports. docs/architecture.md explains the design.
package realtime

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// StreamID names one stream: a topic of an event ("event" or "talk:12"),
// in its public or its staff variant.
type StreamID struct {
	EventID int64
	Topic   string
	Staff   bool
}

// TalkTopic is the topic name of a talk's streams.
func TalkTopic(talkID int64) string { return "talk:" + strconv.FormatInt(talkID, 10) }

// EventTopic is the topic name of an event's stream.
const EventTopic = "event"

// TalkStream is a talk's public stream (participants and viewers) or its
// staff stream, which also carries what only staff may see.
func TalkStream(eventID, talkID int64, staff bool) StreamID {
	return StreamID{EventID: eventID, Topic: TalkTopic(talkID), Staff: staff}
}

// ModerationTopic is the topic name of an event's moderation stream.
const ModerationTopic = "moderation"

// ModerationStream is an event's moderation queue, for its moderators:
// new reviews, claims and decisions.
func ModerationStream(eventID int64) StreamID {
	return StreamID{EventID: eventID, Topic: ModerationTopic, Staff: true}
}

// FeedTopic is the topic name of an event's social feed stream.
const FeedTopic = "feed"

// FeedStream is an event's social feed, for its operators (moderators and
// owners): every post as it arrives and changes.
func FeedStream(eventID int64) StreamID {
	return StreamID{EventID: eventID, Topic: FeedTopic, Staff: true}
}

// EventStream is an event's stream: its programme and settings.
func EventStream(eventID int64) StreamID {
	return StreamID{EventID: eventID, Topic: EventTopic}
}

// Options tune a Hub. Zero values take the defaults.
type Options struct {
	// FlushInterval is the shortest time between the starts of two of a
	// stream's passes over its subscribers: each client gets at most one
	// write per pass. Default 100 ms.
	FlushInterval time.Duration
	// History is how many events each stream keeps for resume. Default 4096.
	History int
	// CoalesceInterval is how often coalesced updates (like counts) are
	// published. Default 100 ms.
	CoalesceInterval time.Duration
	// SumInterval is how often the sums of PublishSum (reaction taps) are
	// published. Default 250 ms.
	SumInterval time.Duration
	// IdleStreamTTL is how long a stream without subscribers or events is
	// kept before its history is dropped. Default 10 minutes.
	IdleStreamTTL time.Duration
	// PresenceInterval is how often talks are told their audience size
	// when it changed. Default 2 s.
	PresenceInterval time.Duration
	// PresenceOnJoin, when set, publishes the audience sizes this soon
	// after a subscription begins instead of at the next PresenceInterval
	// tick, so that a presenter screen shows its count at once; a crowd
	// arriving together costs one publication per PresenceOnJoin, not one
	// per newcomer. 0 waits for the tick.
	PresenceOnJoin time.Duration
	// WriteTimeout closes a connection whose write does not finish in time.
	// Default 10 s.
	WriteTimeout time.Duration
	// KeepAlive is the interval of pings (WebSocket) and comments (SSE).
	// Default 25 s; a WebSocket silent for 2.4 intervals is closed.
	KeepAlive time.Duration
	Metrics   *Metrics
	Logger    *slog.Logger
	// Broker connects the replicas (scaled mode); nil for one process.
	Broker Broker
	// Now is the clock of the times the hub stamps (presence) and measures
	// by (delivery latency, idle streams). Default time.Now.
	Now func() time.Time
	// ClientMessages bounds what one WebSocket client may send. Default
	// 20 at once, then 2 a second.
	ClientMessages MessageRate
}

// MessageRate is a token bucket for client messages: Burst at once,
// refilled at PerSecond. A message over the limit is answered with an
// error; a client that sends more than Burst of those in a row is
// disconnected (close code 1008).
type MessageRate struct {
	PerSecond float64
	Burst     int
}

// Message is what is published on a stream.
type Message struct {
	Type string
	// At is when the server accepted the change the message reports: the
	// start of the delivery latency.
	At time.Time
	// Data is encoded to JSON once, when published; a json.RawMessage
	// passes through as it is.
	Data any
	// Source names the change the message comes from, in an order that
	// every publisher of the stream follows (an outbox position). A broker
	// takes a stream's message of one source once, so that a message
	// published again after a publisher failed over is dropped. "" for
	// none.
	Source string
}

// Hub owns every stream of the process.
type Hub struct {
	opts       Options
	metrics    *Metrics
	log        *slog.Logger
	likes      *coalescer
	sums       *summer
	now        func() time.Time
	upgrader   *gws.Upgrader
	broker     Broker
	degraded   atomic.Bool
	startPos   string // where the broker reader starts
	replica    string // this process among the broker's replicas
	followMu   sync.Mutex
	stopFollow context.CancelFunc // ends the current broker reader

	mu       sync.Mutex
	streams  map[StreamID]*stream
	conns    map[*wsConn]struct{}
	draining bool
	done     chan struct{} // closed by Shutdown
	joins    chan struct{} // a subscription began: tell the audience size soon (presenceSoon)
	wg       sync.WaitGroup

	onPresence atomic.Pointer[func(eventID, talkID int64, connections int)]
}

// OnPresence makes fn hear every talk's audience (over all replicas) when
// it is published; fn must not block.
func (h *Hub) OnPresence(fn func(eventID, talkID int64, connections int)) {
	h.onPresence.Store(&fn)
}

// New starts a hub; Shutdown stops it.
func New(opts Options) *Hub {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 100 * time.Millisecond
	}
	if opts.History <= 0 {
		opts.History = 4096
	}
	if opts.SumInterval <= 0 {
		opts.SumInterval = 250 * time.Millisecond
	}
	if opts.CoalesceInterval <= 0 {
		opts.CoalesceInterval = 100 * time.Millisecond
	}
	if opts.IdleStreamTTL <= 0 {
		opts.IdleStreamTTL = 10 * time.Minute
	}
	if opts.PresenceInterval <= 0 {
		opts.PresenceInterval = 2 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 25 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClientMessages.PerSecond <= 0 || opts.ClientMessages.Burst <= 0 {
		opts.ClientMessages = MessageRate{PerSecond: 2, Burst: 20}
	}
	h := &Hub{
		opts:    opts,
		now:     opts.Now,
		metrics: opts.Metrics,
		log:     opts.Logger,
		streams: make(map[StreamID]*stream),
		conns:   make(map[*wsConn]struct{}),
		done:    make(chan struct{}),
		joins:   make(chan struct{}, 1),
	}
	h.likes = newCoalescer(h)
	h.sums = newSummer(h)
	h.upgrader = newUpgrader()
	h.broker = opts.Broker
	h.replica = newEpoch()
	h.wg.Add(3)
	go h.likes.run()
	go h.sums.run()
	go h.maintain()
	if h.broker != nil {
		h.metrics.brokerUp.Set(1)
		ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
		pos, err := h.broker.Position(ctx)
		cancel()
		if err != nil {
			h.degrade(err)
		}
		h.startPos = pos
		h.wg.Add(1)
		go h.follow()
	}
	return h
}

// encode renders a message's data; only koe's own types are published,
// so failing to encode one is a bug.
func encode(m Message) []byte {
	if raw, ok := m.Data.(json.RawMessage); ok {
		return raw
	}
	raw, err := json.Marshal(m.Data)
	if err != nil {
		panic("realtime: cannot encode " + m.Type + ": " + err.Error())
	}
	return raw
}

// Publish appends a message to a stream: it gets the stream's next
// sequence number and stays in its history for clients that resume.
func (h *Hub) Publish(id StreamID, m Message) {
	raw := encode(m)
	// A stream dropped as idle between lookup and publish refuses the
	// event; the next lookup makes a fresh one.
	for !h.stream(id).publish(Entry{Type: m.Type, At: m.At, Data: raw, Source: m.Source}) {
	}
	h.metrics.published.WithLabelValues(m.Type).Inc()
}

// PublishEphemeral sends a message to the stream's subscribers on every
// replica without a sequence number and without keeping it: a client that
// resumes does not get it again. For aggregates that the next one
// supersedes (reaction counts, presence).
func (h *Hub) PublishEphemeral(id StreamID, m Message) {
	e := Entry{Type: m.Type, At: m.At, Data: encode(m)}
	if h.broker != nil && !h.degraded.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
		err := h.broker.PublishEphemeral(ctx, id, e)
		cancel()
		if err == nil {
			h.metrics.published.WithLabelValues(m.Type).Inc()
			return // the broker brings it back to every replica, this one too
		}
		h.degrade(err)
	}
	h.deliverEphemeral(id, e)
	h.metrics.published.WithLabelValues(m.Type).Inc()
}

// deliverEphemeral hands an ephemeral message to this replica's
// subscribers of the stream, if it has any.
func (h *Hub) deliverEphemeral(id StreamID, e Entry) {
	h.mu.Lock()
	s := h.streams[id]
	h.mu.Unlock()
	if s != nil {
		s.ephemeral(e)
	}
}

// PublishLatest publishes an update that supersedes earlier ones with the
// same key, such as a question's like count: within one coalescing interval
// only the update with the highest version is published, to every stream
// given, stamped with the earliest acceptance time it covers.
func (h *Hub) PublishLatest(key string, streams []StreamID, version int64, m Message) {
	h.likes.add(key, streams, version, m)
}

// PublishSum adds counts (such as reactions per emoji) to the ones pending
// under key: once per SumInterval their sums are published as one
// ephemeral message of type typ to every stream given, stamped with the
// earliest acceptance time they cover.
func (h *Hub) PublishSum(key string, streams []StreamID, typ string, at time.Time, counts map[string]int) {
	h.sums.add(key, streams, typ, at, counts)
}

// FlushLatest publishes the updates PublishLatest holds now, before it
// returns.
func (h *Hub) FlushLatest() { h.likes.flush() }

// Degraded reports whether the hub serves its own replica alone because
// the broker is unavailable (always false without a broker).
func (h *Hub) Degraded() bool { return h.degraded.Load() }

// Scaled reports whether the hub has a broker.
func (h *Hub) Scaled() bool { return h.broker != nil }

// Cursor returns the current position of a stream. Read it before reading
// the snapshot the client will apply events to.
func (h *Hub) Cursor(id StreamID) string {
	return h.stream(id).cursor()
}

// subscribe follows stream id from cursor, or returns a reset reason.
func (h *Hub) subscribe(id StreamID, cursor string, sk sink) (*subscription, string) {
	for {
		sub, reason, stopped := h.stream(id).subscribe(cursor, sk)
		if stopped {
			continue // dropped as idle just now; the next lookup makes a fresh one
		}
		if reason != "" {
			h.metrics.resets.WithLabelValues(reason).Inc()
		}
		return sub, reason
	}
}

// stream returns the stream for id, creating it when needed.
func (h *Hub) stream(id StreamID) *stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.streams[id]
	if s != nil {
		return s
	}
	s = newStream(h, id)
	h.streams[id] = s
	// Once Shutdown waits for the hub's goroutines, no more may start (a
	// relay may still publish then): such a stream keeps its history, and
	// it has no subscribers to sweep to.
	if !h.draining {
		h.wg.Add(1)
		go s.run()
	}
	if s.local {
		return s
	}
	// Load from the broker with the stream locked but already registered:
	// the reader's deliveries wait, so none falls between load and follow.
	s.mu.Lock()
	h.mu.Unlock()
	s.loadLocked()
	s.mu.Unlock()
	h.mu.Lock()
	return s
}

// maintain drops idle streams and pings WebSocket clients.
func (h *Hub) maintain() {
	defer h.wg.Done()
	ping := time.NewTicker(h.opts.KeepAlive)
	defer ping.Stop()
	gc := time.NewTicker(h.opts.IdleStreamTTL / 4)
	defer gc.Stop()
	presence := time.NewTicker(h.opts.PresenceInterval)
	defer presence.Stop()
	audience := make(map[StreamID]int)
	var soon <-chan time.Time // armed by a join, so that one wait covers a burst of them
	for {
		select {
		case <-h.done:
			return
		case <-presence.C:
			h.publishPresence(audience)
		case <-h.joins:
			if soon == nil {
				soon = time.After(h.opts.PresenceOnJoin)
			}
		case <-soon:
			soon = nil
			h.publishPresence(audience)
		case <-ping.C:
			h.mu.Lock()
			conns := make([]*wsConn, 0, len(h.conns))
			for c := range h.conns {
				conns = append(conns, c)
			}
			h.mu.Unlock()
			for _, c := range conns {
				c.ping()
			}
		case <-gc.C:
			now := h.now()
			h.mu.Lock()
			for id, s := range h.streams {
				if s.stopIfIdle(now, h.opts.IdleStreamTTL) {
					delete(h.streams, id)
				}
			}
			h.mu.Unlock()
		}
	}
}

// PresenceOnJoinDelay is the PresenceOnJoin koe serve uses.
const PresenceOnJoinDelay = 100 * time.Millisecond

// presenceSoon asks maintain to publish the audience sizes shortly (a
// subscription began), when PresenceOnJoin is set. It never blocks.
func (h *Hub) presenceSoon() {
	if h.opts.PresenceOnJoin <= 0 {
		return
	}
	select {
	case h.joins <- struct{}{}:
	default:
	}
}

// publishPresence tells each talk whose audience changed since the last
// call how many connections follow it (public and staff together), for
// the presenter screen. last holds the totals published before, keyed by
// the public stream. With a broker the total is the sum over replicas.
func (h *Hub) publishPresence(last map[StreamID]int) {
	h.mu.Lock()
	counts := make(map[StreamID]int, len(last))
	joined := make(map[StreamID]bool)
	for id, s := range h.streams {
		if id.Topic == EventTopic {
			continue
		}
		id.Staff = false
		counts[id] += s.subscribers()
		if s.joined.Swap(false) {
			joined[id] = true
		}
	}
	h.mu.Unlock()
	for id, n := range counts {
		total := n
		if h.broker != nil && !h.degraded.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
			if sum, err := h.broker.Presence(ctx, id, h.replica, n); err == nil {
				total = sum
			}
			cancel()
		}
		if fn := h.onPresence.Load(); fn != nil && n > 0 {
			if talkID, err := strconv.ParseInt(strings.TrimPrefix(id.Topic, "talk:"), 10, 64); err == nil {
				(*fn)(id.EventID, talkID, total)
			}
		}
		if prev, ok := last[id]; (ok && prev == total || !ok && total == 0) && !joined[id] || n == 0 {
			// Unchanged, or followed only elsewhere: replicas with
			// followers of their own publish it.
			continue
		}
		last[id] = total
		// Every replica publishes the total to its own subscribers.
		e := Entry{Type: "presence", At: h.now(), Data: encode(Message{Type: "presence", Data: map[string]int{"connections": total}})}
		h.deliverEphemeral(id, e)
		staff := id
		staff.Staff = true
		h.deliverEphemeral(staff, e)
		h.metrics.published.WithLabelValues("presence").Add(2)
	}
	for id := range last {
		if _, ok := counts[id]; !ok {
			delete(last, id)
		}
	}
}

// Draining reports whether Shutdown has begun.
func (h *Hub) Draining() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.draining
}

// Shutdown closes every real-time connection (WebSocket with 1001 "going
// away", SSE by ending the stream) so that clients reconnect elsewhere, and
// stops the hub's goroutines. It returns when all are gone or ctx ends.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		return nil
	}
	h.draining = true
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	close(h.done)
	for _, c := range conns {
		c.goAway()
	}
	finished := make(chan struct{})
	go func() { h.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Reset reasons sent to clients.
const (
	// ResetUnknownEpoch: the cursor is of another epoch (the server
	// restarted, or Redis lost its data).
	ResetUnknownEpoch = "unknown_epoch"
	// ResetUnknownPosition: the cursor is of this epoch but beyond the
	// stream's head: not a position the server gave.
	ResetUnknownPosition = "unknown_position"
	ResetTooFarBehind    = "too_far_behind"
	ResetOverflow        = "overflow"
	// ResetResync follows a broker outage or a new epoch elsewhere: other
	// replicas' events may have been missed.
	ResetResync = "resync"
)

func newEpoch() string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// ValidCursor reports whether c has the shape of a cursor, EPOCH-SEQ.
func ValidCursor(c string) bool {
	_, _, ok := parseCursor(c)
	return ok
}

// parseCursor splits "EPOCH-SEQ". ok is false for anything else.
func parseCursor(c string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(c, '-')
	if i <= 0 || i > 32 || len(c) > 64 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(c[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	for _, r := range c[:i] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return "", 0, false
		}
	}
	return c[:i], seq, true
}

func formatCursor(epoch string, seq uint64) string {
	return epoch + "-" + strconv.FormatUint(seq, 10)
}
