package realtime

import (
	"encoding/json"
	"net/http"
	"time"
)

// sseConn is one Server-Sent Events client following one stream. The
// request's goroutine does all the writing; the sweeper hands it frames.
type sseConn struct {
	pending chan delivery // capacity 1: the sweeper waits for done before the next
	resets  chan string
	start   string // cursor the subscription starts after
}

type delivery struct {
	f    *frame
	done func()
}

func (c *sseConn) deliver(f *frame, done func()) { c.pending <- delivery{f, done} }

func (c *sseConn) subscribed(_, cursor string) { c.start = cursor }

// abort implements sink; an SSE write has its own deadline.
func (c *sseConn) abort() {}

func (c *sseConn) reset(_, reason string) {
	select {
	case c.resets <- reason:
	default:
	}
}

// ServeSSE streams id to the client as Server-Sent Events, starting after
// cursor (now when empty). The caller has authenticated the request and
// checked access to the stream; cursor comes from Last-Event-ID or the
// query.
func (h *Hub) ServeSSE(w http.ResponseWriter, r *http.Request, id StreamID, cursor string) {
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	h.metrics.connections.WithLabelValues("sse").Inc()
	defer h.metrics.connections.WithLabelValues("sse").Dec()

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no") // tell nginx not to buffer the stream
	w.WriteHeader(http.StatusOK)

	c := &sseConn{pending: make(chan delivery, 1), resets: make(chan string, 1)}
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	sub, reason := h.subscribe(id, cursor, c)
	if reason != "" {
		write(sseReset(id.Topic, reason, h.Cursor(id)))
		return
	}
	defer sub.stream.unsubscribe(sub)
	data, _ := json.Marshal(map[string]string{"topic": id.Topic, "cursor": c.start})
	if !write([]byte("id: " + c.start + "\nevent: subscribed\ndata: " + string(data) + "\n\n")) {
		return
	}
	keepalive := time.NewTicker(h.opts.KeepAlive)
	defer keepalive.Stop()
	for {
		select {
		case d := <-c.pending:
			ok := write(d.f.sseBytes())
			if ok && d.f.live {
				h.metrics.delivery.Observe(h.now().Sub(d.f.oldest()).Seconds())
			}
			d.done()
			if !ok {
				return
			}
		case reason := <-c.resets:
			write(sseReset(id.Topic, reason, h.Cursor(id)))
			return
		case <-keepalive.C:
			if !write([]byte(": keepalive\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		}
	}
}

// sseReset ends a subscription. Its id is the stream's head, so that a
// stock EventSource, which reconnects by itself with the last id it saw,
// continues from now instead of being reset again and again; a client
// reloads its state on reset (docs/architecture.md).
func sseReset(topic, reason, head string) []byte {
	data, _ := json.Marshal(map[string]string{"topic": topic, "reason": reason, "cursor": head})
	return []byte("id: " + head + "\nevent: reset\ndata: " + string(data) + "\n\n")
}
