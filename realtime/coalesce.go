package realtime

import (
	"maps"
	"sync"
	"time"
)

// coalescer holds superseding updates (like counts) and publishes the
// newest of each key once per interval, so a burst of likes on a question
// costs one event per interval.
type coalescer struct {
	h       *Hub
	mu      sync.Mutex
	pending map[string]*update
}

type update struct {
	streams []StreamID
	version int64
	m       Message
}

func newCoalescer(h *Hub) *coalescer {
	return &coalescer{h: h, pending: make(map[string]*update)}
}

func (c *coalescer) add(key string, streams []StreamID, version int64, m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.pending[key]
	if u == nil {
		c.pending[key] = &update{streams: streams, version: version, m: m}
		return
	}
	earliest := u.m.At
	if m.At.Before(earliest) {
		earliest = m.At
	}
	if version > u.version {
		u.streams, u.version, u.m = streams, version, m
	}
	u.m.At = earliest
}

func (c *coalescer) run() {
	defer c.h.wg.Done()
	every(c.h, c.h.opts.CoalesceInterval, c.flush)
}

// every calls fn once per interval until the hub shuts down, and once more
// then.
func every(h *Hub, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			fn()
			return
		case <-t.C:
			fn()
		}
	}
}

func (c *coalescer) flush() {
	c.mu.Lock()
	batch := c.pending
	if len(batch) == 0 {
		c.mu.Unlock()
		return
	}
	c.pending = make(map[string]*update, len(batch))
	c.mu.Unlock()
	for _, u := range batch {
		for _, id := range u.streams {
			c.h.Publish(id, u.m)
		}
	}
}

// summer adds up counts (reactions per emoji) and publishes the sums of
// each key once per interval, as ephemeral messages.
type summer struct {
	h       *Hub
	mu      sync.Mutex
	pending map[string]*sum
}

type sum struct {
	streams []StreamID
	typ     string
	at      time.Time
	counts  map[string]int
}

func newSummer(h *Hub) *summer {
	return &summer{h: h, pending: make(map[string]*sum)}
}

func (s *summer) add(key string, streams []StreamID, typ string, at time.Time, counts map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending[key]
	if p == nil {
		s.pending[key] = &sum{streams: streams, typ: typ, at: at, counts: maps.Clone(counts)}
		return
	}
	for k, n := range counts {
		p.counts[k] += n
	}
	if at.Before(p.at) {
		p.at = at
	}
}

func (s *summer) run() {
	defer s.h.wg.Done()
	every(s.h, s.h.opts.SumInterval, s.flush)
}

func (s *summer) flush() {
	s.mu.Lock()
	batch := s.pending
	if len(batch) == 0 {
		s.mu.Unlock()
		return
	}
	s.pending = make(map[string]*sum, len(batch))
	s.mu.Unlock()
	for _, p := range batch {
		for _, id := range p.streams {
			s.h.PublishEphemeral(id, Message{Type: p.typ, At: p.at, Data: p.counts})
		}
	}
}
