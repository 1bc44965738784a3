package realtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lxzan/gws"
	"golang.org/x/time/rate"

	"github.com/koehq/koe"
)

// Resolver maps a topic named by a client to the stream it may follow, or
// returns a *koe.Error (ENOTFOUND, EFORBIDDEN…) to send back.
type Resolver func(topic string) (StreamID, error)

// MaxTopicsPerConn bounds the subscriptions of one WebSocket connection.
const MaxTopicsPerConn = 8

// maxClientMessage bounds what a client may send in one message.
const maxClientMessage = 4096

// wsConn is one WebSocket client; it is the sink of all its subscriptions.
type wsConn struct {
	hub     *Hub
	socket  *gws.Conn // handshake and reading
	out     *outbox   // every write
	resolve Resolver
	onClose func()
	// messages bounds what the client sends: each message may cost a
	// store lookup. refused counts messages refused in a row.
	messages *rate.Limiter
	refused  int
	evicted  bool // closed for flooding: what it sends now is ignored

	mu   sync.Mutex
	subs map[string]*subscription // by topic
}

// ServeWS upgrades the request to a WebSocket speaking the protocol in
// docs/architecture.md. The caller has authenticated the request; resolve
// decides which topics the client may follow; closed, if not nil, is
// called once the connection is over (or could not be made).
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, resolve Resolver, closed func()) {
	if closed == nil {
		closed = func() {}
	}
	c := &wsConn{hub: h, resolve: resolve, onClose: closed, subs: make(map[string]*subscription),
		messages: rate.NewLimiter(rate.Limit(h.opts.ClientMessages.PerSecond), h.opts.ClientMessages.Burst)}
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		closed()
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1) // released in OnClose, or below when the upgrade fails
	h.mu.Unlock()
	socket, err := h.upgrade(w, r)
	if err != nil {
		h.wg.Done()
		closed()
		return // the client has been answered 400, or the connection is gone
	}
	c.socket = socket
	c.out = newOutbox(socket.NetConn(), h.opts.WriteTimeout)
	socket.Session().(*wsSession).conn = c // before ReadLoop: no callback can run yet
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.metrics.connections.WithLabelValues("websocket").Inc()
	_ = socket.SetReadDeadline(time.Now().Add(h.readTimeout()))
	go socket.ReadLoop()
}

func (h *Hub) readTimeout() time.Duration { return h.opts.KeepAlive * 12 / 5 }

// deliver implements sink.
func (c *wsConn) deliver(f *frame, done func()) {
	c.out.send(f.wsFrame(), func(ok bool) {
		if ok && f.live {
			c.hub.metrics.delivery.Observe(c.hub.now().Sub(f.oldest()).Seconds())
		}
		done()
	})
}

// abort implements sink: closing the socket fails the stuck write.
func (c *wsConn) abort() { _ = c.socket.NetConn().Close() }

// reset implements sink.
func (c *wsConn) reset(topic, reason string) {
	c.mu.Lock()
	delete(c.subs, topic)
	c.mu.Unlock()
	c.send(serverMessage{Type: "reset", Topic: topic, Reason: reason})
}

type serverMessage struct {
	Type   string     `json:"type"`
	Topic  string     `json:"topic,omitempty"`
	Cursor string     `json:"cursor,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Error  *errorBody `json:"error,omitempty"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (c *wsConn) send(m serverMessage) {
	b, _ := json.Marshal(m)
	c.out.send(wsFrame(opText, b), nil)
}

func (c *wsConn) sendError(err error) {
	c.send(serverMessage{Type: "error", Error: &errorBody{Code: koe.ErrorCode(err), Message: koe.ErrorMessage(err)}})
}

// ClientMessage is what a client sends over the WebSocket.
type ClientMessage struct {
	Type   string `json:"type"` // subscribe | unsubscribe
	Topic  string `json:"topic"`
	Cursor string `json:"cursor,omitempty"`
}

// DecodeClientMessage parses and validates one client message.
func DecodeClientMessage(b []byte) (ClientMessage, error) {
	var m ClientMessage
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return m, koe.Errorf(koe.EINVALID, "message is not valid JSON of the expected shape")
	}
	if d.More() {
		return m, koe.Errorf(koe.EINVALID, "one JSON object per message")
	}
	switch m.Type {
	case "subscribe", "unsubscribe":
	default:
		return m, koe.Errorf(koe.EINVALID, "type must be subscribe or unsubscribe")
	}
	if m.Topic == "" || len(m.Topic) > 64 {
		return m, koe.Errorf(koe.EINVALID, "topic must be 1-64 characters")
	}
	if m.Cursor != "" {
		if _, _, ok := parseCursor(m.Cursor); !ok {
			return m, koe.Errorf(koe.EINVALID, "cursor must look like EPOCH-SEQ")
		}
	}
	return m, nil
}

func (c *wsConn) handle(b []byte) {
	if c.evicted {
		return
	}
	if !c.messages.Allow() {
		// A client that goes on sending while refused is not one of ours.
		if c.refused++; c.refused > c.hub.opts.ClientMessages.Burst {
			c.evicted = true
			c.out.send(tooManyMessagesFrame, func(bool) { lingeringClose(c.socket.NetConn()) })
			return
		}
		c.sendError(koe.Errorf(koe.ERATELIMIT, "too many messages: at most %d at once, then %g a second",
			c.hub.opts.ClientMessages.Burst, c.hub.opts.ClientMessages.PerSecond))
		return
	}
	c.refused = 0
	m, err := DecodeClientMessage(b)
	if err != nil {
		c.sendError(err)
		return
	}
	if m.Type == "unsubscribe" {
		c.unsubscribe(m.Topic)
		return
	}
	id, err := c.resolve(m.Topic)
	if err != nil {
		c.sendError(err)
		return
	}
	c.unsubscribe(m.Topic) // subscribing again replaces the old subscription
	c.mu.Lock()
	full := len(c.subs) >= MaxTopicsPerConn
	c.mu.Unlock()
	if full {
		c.sendError(koe.Errorf(koe.EINVALID, "at most %d topics per connection", MaxTopicsPerConn))
		return
	}
	sub, reason := c.hub.subscribe(id, m.Cursor, c)
	if reason != "" {
		c.reset(m.Topic, reason)
		return
	}
	c.mu.Lock()
	c.subs[m.Topic] = sub
	c.mu.Unlock()
}

// subscribed implements sink: it runs before the subscription can receive
// events, so the client always hears "subscribed" first.
func (c *wsConn) subscribed(topic, cursor string) {
	c.send(serverMessage{Type: "subscribed", Topic: topic, Cursor: cursor})
}

func (c *wsConn) unsubscribe(topic string) {
	c.mu.Lock()
	sub := c.subs[topic]
	delete(c.subs, topic)
	c.mu.Unlock()
	if sub != nil {
		sub.stream.unsubscribe(sub)
	}
}

func (c *wsConn) closed() {
	c.out.close()
	c.mu.Lock()
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	for _, sub := range subs {
		sub.stream.unsubscribe(sub)
	}
	c.hub.mu.Lock()
	delete(c.hub.conns, c)
	c.hub.mu.Unlock()
	c.hub.metrics.connections.WithLabelValues("websocket").Dec()
	c.onClose()
	c.hub.wg.Done()
}

var pingFrame = wsFrame(opPing, nil)

func (c *wsConn) ping() { c.out.send(pingFrame, nil) }

// goAway closes the connection with 1001 so the client reconnects elsewhere.
func (c *wsConn) goAway() {
	c.out.send(goingAwayFrame, func(bool) { _ = c.socket.NetConn().Close() })
}

// lingeringClose ends a connection whose client may still be sending:
// closing it at once with unread data would make the kernel answer with a
// reset, and the client could lose what it had not yet read of ours (the
// errors that told it why). So the writing side is shut first, and the
// reader goes on discarding until the client closes or a moment passes.
func lingeringClose(nc net.Conn) {
	cw, ok := nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil || nc.SetReadDeadline(time.Now().Add(lingerTime)) != nil {
		_ = nc.Close()
	}
}

// lingerTime bounds how long lingeringClose reads what a client still sends.
const lingerTime = 2 * time.Second

var goingAwayFrame = wsFrame(opClose, append([]byte{0x03, 0xE9}, "server shutting down"...)) // 1001

// tooManyMessagesFrame closes a connection whose client floods it: 1008,
// policy violation.
var tooManyMessagesFrame = wsFrame(opClose, append([]byte{0x03, 0xF0}, "too many messages"...))

// upgrade hijacks the connection through http.ResponseController, which
// sees through middleware wrappers that a plain type assertion would not,
// and hands it to gws.
func (h *Hub) upgrade(w http.ResponseWriter, r *http.Request) (*gws.Conn, error) {
	netConn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "WebSocket upgrade not possible", http.StatusInternalServerError)
		return nil, err
	}
	br := rw.Reader
	if br.Buffered() == 0 {
		// Nothing read ahead: a smaller buffer than net/http's 4 KiB is
		// enough for client messages and saves memory per connection.
		br = bufio.NewReaderSize(netConn, wsReadBuffer)
	}
	return h.upgrader.UpgradeFromConn(netConn, br, r)
}

// wsReadBuffer is the read buffer of a WebSocket connection.
const wsReadBuffer = 1024

func newUpgrader() *gws.Upgrader {
	return gws.NewUpgrader(wsEvents{}, &gws.ServerOption{
		ReadMaxPayloadSize: maxClientMessage,
		ReadBufferSize:     wsReadBuffer,
		HandshakeTimeout:   10 * time.Second,
		NewSession:         func() gws.SessionStorage { return &wsSession{} },
	})
}

// wsEvents receives gws callbacks; the connection rides in the session.
type wsEvents struct{}

func connOf(s *gws.Conn) *wsConn { return s.Session().(*wsSession).conn }

func (wsEvents) OnOpen(*gws.Conn) {}

func (wsEvents) OnClose(s *gws.Conn, _ error) { connOf(s).closed() }

func (wsEvents) OnPing(s *gws.Conn, payload []byte) {
	c := connOf(s)
	_ = s.SetReadDeadline(time.Now().Add(c.hub.readTimeout()))
	c.out.send(wsFrame(opPong, payload), nil)
}

func (wsEvents) OnPong(s *gws.Conn, _ []byte) {
	_ = s.SetReadDeadline(time.Now().Add(connOf(s).hub.readTimeout()))
}

func (wsEvents) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	c := connOf(s)
	_ = s.SetReadDeadline(time.Now().Add(c.hub.readTimeout()))
	if m.Opcode != gws.OpcodeText {
		c.sendError(koe.Errorf(koe.EINVALID, "send JSON text messages"))
		return
	}
	if !utf8.Valid(m.Bytes()) {
		// Checked here rather than by gws, which would also check every
		// frame we write.
		c.sendError(koe.Errorf(koe.EINVALID, "messages must be UTF-8"))
		return
	}
	// Handle the message on a goroutine of its own and wait for it: topic
	// lookups go deep into the store, and the stack they grow would stay
	// with the long-lived reader of every idle connection.
	done := make(chan struct{})
	go func() { defer close(done); c.handle(m.Bytes()) }()
	<-done
}

// wsSession is a one-value gws.SessionStorage: much smaller than the
// default map-based one, which matters at ten thousand connections.
type wsSession struct{ conn *wsConn }

func (s *wsSession) Len() int                       { return 1 }
func (s *wsSession) Load(string) (any, bool)        { return s.conn, true }
func (s *wsSession) Delete(string)                  {}
func (s *wsSession) Store(string, any)              {}
func (s *wsSession) Range(f func(string, any) bool) { f("conn", s.conn) }
