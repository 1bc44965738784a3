package realtime

import (
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
	typ     string
	version int64
	at      time.Time
	data    any
}

func newCoalescer(h *Hub) *coalescer {
	return &coalescer{h: h, pending: make(map[string]*update)}
}

func (c *coalescer) add(key string, streams []StreamID, typ string, version int64, at time.Time, data any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.pending[key]
	if u == nil {
		c.pending[key] = &update{streams: streams, typ: typ, version: version, at: at, data: data}
		return
	}
	if version > u.version {
		u.streams, u.typ, u.version, u.data = streams, typ, version, data
	}
	if at.Before(u.at) {
		u.at = at
	}
}

func (c *coalescer) run() {
	defer c.h.wg.Done()
	t := time.NewTicker(c.h.opts.CoalesceInterval)
	defer t.Stop()
	for {
		select {
		case <-c.h.done:
			c.flush()
			return
		case <-t.C:
			c.flush()
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
			c.h.Publish(id, u.typ, u.at, u.data)
		}
	}
}
