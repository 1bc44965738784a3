package realtime

import (
	"context"
	"time"
)

// Broker connects the hubs of several replicas (see "Scaled mode" in
// docs/architecture.md): it assigns each stream's sequence numbers, keeps
// each stream's history, and carries every event to every replica. Without
// a broker a hub sequences its streams itself.
type Broker interface {
	// Publish appends e (its Seq is ignored) to the stream's log, unless
	// e.Source is set and the stream has taken a message of that source or
	// a later one already (sources compare as strings). newEpoch names the
	// stream's epoch if the broker has none for it yet.
	Publish(ctx context.Context, id StreamID, e Entry, newEpoch string) error
	// PublishEphemeral carries e to every replica (Follow delivers it with
	// Seq 0) without sequencing or keeping it.
	PublishEphemeral(ctx context.Context, id StreamID, e Entry) error
	// Load returns a stream's epoch, last seq and the events it keeps,
	// oldest first, creating the epoch (as newEpoch) if there is none.
	Load(ctx context.Context, id StreamID, newEpoch string) (epoch string, head uint64, events []Entry, err error)
	// Range returns the events from seq from to seq to of the stream's
	// current epoch; fewer when some are no longer kept.
	Range(ctx context.Context, id StreamID, from, to uint64) (epoch string, events []Entry, err error)
	// Rotate gives the stream a new epoch and tells every replica, unless
	// its epoch is no longer old (another replica rotated it already).
	Rotate(ctx context.Context, id StreamID, old, newEpoch string) error
	// Position is where Follow should start to see everything published
	// from now on.
	Position(ctx context.Context) (string, error)
	// Follow delivers every event published after pos by any replica, and
	// every rotation (an Entry with an empty Type whose Seq is the head),
	// until ctx ends or the broker fails.
	Follow(ctx context.Context, pos string, deliver func(id StreamID, epoch string, e Entry)) error
	// Presence records that this replica has count connections on a
	// talk and returns the total over the replicas heard from lately.
	Presence(ctx context.Context, id StreamID, replica string, count int) (int, error)
	// Ping reports whether the broker answers.
	Ping(ctx context.Context) error
}

// Entry is an event as the broker carries it: data is the JSON of the
// event's payload. Seq 0 marks an ephemeral message.
type Entry struct {
	Seq  uint64
	Type string
	At   time.Time
	Data []byte
	// Source is the Message's; only Publish reads it.
	Source string
}

// brokerTimeout bounds each broker call made on a request's path.
const brokerTimeout = 2 * time.Second

// follow runs the broker's reader. When the broker fails (here or on a
// publish), the hub is degraded and pings the broker every second until it
// answers, then recovers and follows again.
func (h *Hub) follow() {
	defer h.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-h.done; cancel() }()
	pos := h.startPos
	for ctx.Err() == nil {
		if pos != "" && !h.degraded.Load() {
			fctx, fcancel := context.WithCancel(ctx)
			h.followMu.Lock()
			h.stopFollow = fcancel
			h.followMu.Unlock()
			err := h.broker.Follow(fctx, pos, h.receive)
			fcancel()
			if ctx.Err() != nil {
				return
			}
			h.degrade(err)
			pos = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		pctx, pcancel := context.WithTimeout(ctx, brokerTimeout)
		if err := h.broker.Ping(pctx); err == nil {
			if p, err := h.broker.Position(pctx); err == nil && h.recover(pctx) == nil {
				pos = p
			}
		}
		pcancel()
	}
}

// receive hands an event from the broker to the local stream, if this
// replica has one.
func (h *Hub) receive(id StreamID, epoch string, e Entry) {
	h.mu.Lock()
	s := h.streams[id]
	h.mu.Unlock()
	if s != nil {
		s.receive(epoch, e)
	}
}

// degrade switches every stream to local sequencing after a broker failure.
func (h *Hub) degrade(err error) {
	if !h.degraded.CompareAndSwap(false, true) {
		return
	}
	h.log.Warn("realtime broker unavailable: serving this replica's clients alone", "error", err)
	h.followMu.Lock()
	if h.stopFollow != nil {
		h.stopFollow()
	}
	h.followMu.Unlock()
	h.metrics.brokerUp.Set(0)
	for _, s := range h.allStreams() {
		s.goLocal()
	}
}

// recover reloads every stream from the broker once it answers again, and
// tells their clients to resync.
func (h *Hub) recover(ctx context.Context) error {
	for _, s := range h.allStreams() {
		if err := s.reload(ctx); err != nil {
			return err
		}
	}
	h.degraded.Store(false)
	h.metrics.brokerUp.Set(1)
	h.log.Info("realtime broker available again: clients resync")
	return nil
}

func (h *Hub) allStreams() []*stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*stream, 0, len(h.streams))
	for _, s := range h.streams {
		out = append(out, s)
	}
	return out
}
