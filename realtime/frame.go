package realtime

import (
	"strconv"
	"sync"
	"time"
)

// frame is a run of consecutive events of one stream, encoded at most once
// per transport however many connections it is written to.
type frame struct {
	topic  string
	epoch  string
	from   uint64  // the seq the frame follows
	events []entry // consecutive events from from+1
	extra  []entry // ephemeral messages, after the events
	// live frames are the shared range of a sweep; their age at write time
	// is the delivery latency. Catch-up frames replay history.
	live bool

	wsOnce  sync.Once
	ws      []byte // the whole WebSocket frame, header included
	sseOnce sync.Once
	sse     []byte
}

// last is the seq of the frame's last event (from when it has none).
func (f *frame) last() uint64 {
	if len(f.events) == 0 {
		return f.from
	}
	return f.events[len(f.events)-1].seq
}

// oldest is when the earliest change in the frame was accepted.
func (f *frame) oldest() time.Time {
	if len(f.events) == 0 {
		return f.extra[0].at
	}
	return f.events[0].at
}

// wsFrame is the WebSocket text frame of
// {"type":"events","topic":…,"epoch":…,"events":[…]}.
func (f *frame) wsFrame() []byte {
	f.wsOnce.Do(func() {
		n := 64 + len(f.topic) + len(f.epoch)
		for _, e := range f.events {
			n += len(e.json) + 1
		}
		for _, e := range f.extra {
			n += len(e.json) + 1
		}
		b := make([]byte, 0, n)
		b = append(b, `{"type":"events","topic":"`...)
		b = append(b, f.topic...)
		b = append(b, `","epoch":"`...)
		b = append(b, f.epoch...)
		b = append(b, `","events":[`...)
		for i, e := range append(f.events[:len(f.events):len(f.events)], f.extra...) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e.json...)
		}
		f.ws = wsFrame(opText, append(b, "]}"...))
	})
	return f.ws
}

// sseBytes renders each event as an SSE event with id EPOCH-SEQ, and each
// ephemeral message as one without an id (EventSource keeps its last id).
func (f *frame) sseBytes() []byte {
	f.sseOnce.Do(func() {
		var b []byte
		for _, e := range append(f.events[:len(f.events):len(f.events)], f.extra...) {
			if e.seq > 0 {
				b = append(b, "id: "...)
				b = append(b, f.epoch...)
				b = append(b, '-')
				b = strconv.AppendUint(b, e.seq, 10)
				b = append(b, '\n')
			}
			b = append(b, "event: "...)
			b = append(b, e.typ...)
			b = append(b, "\ndata: "...)
			b = append(b, e.json...) // JSON has no raw newlines
			b = append(b, "\n\n"...)
		}
		f.sse = b
	})
	return f.sse
}
