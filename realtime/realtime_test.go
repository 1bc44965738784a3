package realtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/lxzan/gws"
)

var talk1 = StreamID{EventID: 1, Topic: "talk:1"}

func newTestServer(t *testing.T, opts Options) (*Hub, *httptest.Server) {
	t.Helper()
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 5 * time.Millisecond
	}
	if opts.CoalesceInterval == 0 {
		opts.CoalesceInterval = 20 * time.Millisecond
	}
	h := New(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		h.ServeWS(w, r, func(topic string) (StreamID, error) {
			if topic != talk1.Topic {
				return StreamID{}, koe.Errorf(koe.ENOTFOUND, "no such topic")
			}
			return talk1, nil
		}, nil)
	})
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		cursor := r.Header.Get("Last-Event-ID")
		if cursor == "" {
			cursor = r.URL.Query().Get("cursor")
		}
		h.ServeSSE(w, r, talk1, cursor)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = h.Shutdown(t.Context())
	})
	return h, srv
}

// received is one event as a client saw it.
type received struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

type wireMessage struct {
	Type   string     `json:"type"`
	Topic  string     `json:"topic"`
	Epoch  string     `json:"epoch"`
	Cursor string     `json:"cursor"`
	Reason string     `json:"reason"`
	Events []received `json:"events"`
	Error  *errorBody `json:"error"`
}

// wsClient collects every message of one WebSocket connection.
type wsClient struct {
	gws.BuiltinEventHandler
	conn *gws.Conn
	msgs chan wireMessage
}

func (c *wsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	var w wireMessage
	if err := json.Unmarshal(m.Bytes(), &w); err != nil {
		panic(err)
	}
	c.msgs <- w
}

func dialWS(t *testing.T, srv *httptest.Server) *wsClient {
	t.Helper()
	c := &wsClient{msgs: make(chan wireMessage, 10000)}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"})
	if err != nil {
		t.Fatal(err)
	}
	c.conn = conn
	go conn.ReadLoop()
	return c
}

func (c *wsClient) send(t *testing.T, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.conn.WriteMessage(gws.OpcodeText, b); err != nil {
		t.Fatal(err)
	}
}

func (c *wsClient) next(t *testing.T) wireMessage {
	t.Helper()
	return c.nextWithin(t, 5*time.Second)
}

func (c *wsClient) nextWithin(t *testing.T, d time.Duration) wireMessage {
	t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(d):
		t.Fatalf("no message within %s", d)
		return wireMessage{}
	}
}

// publishNumbered publishes events whose data is their number, from first
// to last, pausing now and then so that sweeps split them up.
func publishNumbered(h *Hub, first, last int) {
	for n := first; n <= last; n++ {
		h.Publish(talk1, Message{Type: "test.n", At: time.Now(), Data: n})
		if n%7 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// collect reads events until the one numbered last, checking the stream
// has no gap and no duplicate. It returns the numbers and the last cursor.
func (c *wsClient) collect(t *testing.T, last int, stopAfter int) (nums []int, cursor string) {
	t.Helper()
	var prev uint64
	for {
		m := c.next(t)
		switch m.Type {
		case "subscribed":
			continue
		case "events":
		default:
			t.Fatalf("unexpected message %+v", m)
		}
		for _, e := range m.Events {
			if prev != 0 && e.Seq != prev+1 {
				t.Fatalf("gap or duplicate: seq %d after %d", e.Seq, prev)
			}
			prev = e.Seq
			var n int
			_ = json.Unmarshal(e.Data, &n)
			nums = append(nums, n)
			cursor = fmt.Sprintf("%s-%d", m.Epoch, e.Seq)
			if n == last || len(nums) == stopAfter {
				return nums, cursor
			}
		}
	}
}

func checkSequence(t *testing.T, nums []int, first, last int) {
	t.Helper()
	if len(nums) != last-first+1 {
		t.Fatalf("got %d events, want %d", len(nums), last-first+1)
	}
	for i, n := range nums {
		if n != first+i {
			t.Fatalf("event %d is %d, want %d", i, n, first+i)
		}
	}
}

func TestWebSocketResumeAfterDrop(t *testing.T) {
	h, srv := newTestServer(t, Options{})
	a := dialWS(t, srv)
	a.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	if m := a.next(t); m.Type != "subscribed" {
		t.Fatalf("first message %+v", m)
	}
	done := make(chan struct{})
	go func() { publishNumbered(h, 1, 500); close(done) }()

	seen, cursor := a.collect(t, 500, 120) // drop mid-stream
	_ = a.conn.NetConn().Close()

	b := dialWS(t, srv)
	b.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1", Cursor: cursor})
	if m := b.next(t); m.Type != "subscribed" || m.Cursor != cursor {
		t.Fatalf("resubscribe answered %+v", m)
	}
	rest, _ := b.collect(t, 500, 0)
	<-done
	checkSequence(t, append(seen, rest...), 1, 500)
}

func TestWebSocketResets(t *testing.T) {
	h, srv := newTestServer(t, Options{History: 16})
	publishNumbered(h, 1, 100)
	c := dialWS(t, srv)
	cursor := h.Cursor(talk1)
	epoch, _, _ := parseCursor(cursor)

	c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1", Cursor: epoch + "-10"})
	if m := c.next(t); m.Type != "reset" || m.Reason != ResetTooFarBehind {
		t.Fatalf("behind the history: %+v", m)
	}
	c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1", Cursor: "zzzz-10"})
	if m := c.next(t); m.Type != "reset" || m.Reason != ResetUnknownEpoch {
		t.Fatalf("foreign epoch: %+v", m)
	}
	c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1", Cursor: epoch + "-1000"})
	if m := c.next(t); m.Type != "reset" || m.Reason != ResetUnknownPosition {
		t.Fatalf("cursor from the future: %+v", m)
	}
	// The oldest cursor still served: exactly the 16 events in history.
	c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1", Cursor: epoch + "-84"})
	if m := c.next(t); m.Type != "subscribed" {
		t.Fatalf("edge of the history: %+v", m)
	}
	nums, _ := c.collect(t, 100, 0)
	checkSequence(t, nums, 85, 100)
}

func TestWebSocketBadMessages(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	c := dialWS(t, srv)
	for _, raw := range []string{`nope`, `{"type":"dance","topic":"talk:1"}`, `{"type":"subscribe"}`, `{"type":"subscribe","topic":"talk:1","x":1}`, `{"type":"subscribe","topic":"talk:1","cursor":"no cursor"}`} {
		if err := c.conn.WriteMessage(gws.OpcodeText, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if m := c.next(t); m.Type != "error" || m.Error.Code != koe.EINVALID {
			t.Fatalf("%s: got %+v", raw, m)
		}
	}
	c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:2"})
	if m := c.next(t); m.Type != "error" || m.Error.Code != koe.ENOTFOUND {
		t.Fatalf("unknown topic: %+v", m)
	}
}

// sseClient reads one SSE response.
type sseClient struct {
	resp   *http.Response
	events chan sseEvent
}

type sseEvent struct{ id, typ, data string }

func dialSSE(t *testing.T, srv *httptest.Server, lastEventID string) *sseClient {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/sse", nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	c := &sseClient{resp: resp, events: make(chan sseEvent, 10000)}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.typ != "" {
					c.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	return c
}

func (c *sseClient) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case e, ok := <-c.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no SSE event within 5s")
		return sseEvent{}
	}
}

// collect reads until event number last (or stopAfter events), checking
// ids are consecutive; it returns the numbers and the last id.
func (c *sseClient) collect(t *testing.T, last, stopAfter int) (nums []int, lastID string) {
	t.Helper()
	var prev uint64
	for {
		e := c.next(t)
		if e.typ != "test.n" {
			t.Fatalf("unexpected SSE event %+v", e)
		}
		_, seq, ok := parseCursor(e.id)
		if !ok || (prev != 0 && seq != prev+1) {
			t.Fatalf("id %q after seq %d", e.id, prev)
		}
		prev = seq
		var ev received
		if err := json.Unmarshal([]byte(e.data), &ev); err != nil || ev.Seq != seq {
			t.Fatalf("data %q does not match id %q", e.data, e.id)
		}
		var n int
		_ = json.Unmarshal(ev.Data, &n)
		nums = append(nums, n)
		lastID = e.id
		if n == last || len(nums) == stopAfter {
			return nums, lastID
		}
	}
}

func TestSSEResumeWithLastEventID(t *testing.T) {
	h, srv := newTestServer(t, Options{})
	a := dialSSE(t, srv, "")
	if e := a.next(t); e.typ != "subscribed" || e.id != h.Cursor(talk1) {
		t.Fatalf("first event %+v", e)
	}
	done := make(chan struct{})
	go func() { publishNumbered(h, 1, 400); close(done) }()
	seen, lastID := a.collect(t, 400, 150)
	a.resp.Body.Close()

	b := dialSSE(t, srv, lastID)
	if e := b.next(t); e.typ != "subscribed" || e.id != lastID {
		t.Fatalf("resumed stream starts with %+v", e)
	}
	rest, _ := b.collect(t, 400, 0)
	<-done
	checkSequence(t, append(seen, rest...), 1, 400)

	h2, srv2 := newTestServer(t, Options{History: 8})
	publishNumbered(h2, 1, 50)
	epoch, _, _ := parseCursor(h2.Cursor(talk1))
	c := dialSSE(t, srv2, epoch+"-3")
	if e := c.next(t); e.typ != "reset" || !strings.Contains(e.data, ResetTooFarBehind) {
		t.Fatalf("behind the history: %+v", e)
	}
}

// A client that never reads must not hold back the others: they get every
// event, and the stuck one is dropped once its write has hung too long.
func TestSlowClientDoesNotSlowOthers(t *testing.T) {
	// Short enough for the stuck client to be dropped soon, long enough that
	// the fast one, decoding 25 MB under the race detector on a busy
	// machine, is never taken for stuck.
	h, srv := newTestServer(t, Options{WriteTimeout: 3 * time.Second})
	stuck := &wsClient{msgs: make(chan wireMessage)} // unbuffered and never drained
	conn, _, err := gws.NewClient(stuck, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"})
	if err != nil {
		t.Fatal(err)
	}
	stuck.conn = conn
	go conn.ReadLoop()
	stuck.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})

	fast := dialWS(t, srv)
	fast.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	fast.next(t)
	big := strings.Repeat("x", 64<<10) // fill the stuck client's socket buffers fast
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; n <= 400; n++ {
			h.Publish(talk1, Message{Type: "test.n", At: time.Now(), Data: n})
			h.Publish(talk1, Message{Type: "test.big", At: time.Now(), Data: big})
			time.Sleep(time.Millisecond)
		}
	}()
	var got int
	for got < 400 {
		m := fast.nextWithin(t, 30*time.Second) // 25 MB through the race detector
		if m.Type != "events" {
			t.Fatalf("the fast client got %+v", m)
		}
		for _, e := range m.Events {
			if e.Type == "test.n" {
				got++
			}
		}
	}
	wg.Wait()
	// A write stuck past the timeout fails and closes the connection, or a
	// sweep (which events cause) finds it stuck first: either way only the
	// fast client is left following the talk.
	deadline := time.Now().Add(15 * time.Second)
	for h.stream(talk1).subscribers() > 1 && time.Now().Before(deadline) {
		h.Publish(talk1, Message{Type: "test.tick", At: time.Now(), Data: 0})
		time.Sleep(50 * time.Millisecond)
	}
	if n := h.stream(talk1).subscribers(); n != 1 {
		t.Fatalf("%d subscribers left; the stuck client was never dropped", n)
	}
}

func TestLikesAreCoalesced(t *testing.T) {
	h, srv := newTestServer(t, Options{CoalesceInterval: 50 * time.Millisecond})
	c := dialWS(t, srv)
	c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	c.next(t)
	for v := int64(1); v <= 200; v++ {
		h.PublishLatest("q7", []StreamID{talk1}, v, Message{Type: "question.likes", At: time.Now(), Data: map[string]int64{"id": 7, "version": v}})
	}
	m := c.next(t)
	if len(m.Events) != 1 || !strings.Contains(string(m.Events[0].Data), `"version":200`) {
		t.Fatalf("want one event with the newest version, got %+v", m.Events)
	}
}

func TestPresenceCountsConnections(t *testing.T) {
	h, srv := newTestServer(t, Options{PresenceInterval: 20 * time.Millisecond})
	staff := talk1
	staff.Staff = true
	a, b := dialWS(t, srv), dialWS(t, srv)
	for _, c := range []*wsClient{a, b} {
		c.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	}
	// A staff connection on the same talk counts too.
	_, reason := h.subscribe(staff, "", &sseConn{pending: make(chan delivery, 1), resets: make(chan string, 1)})
	if reason != "" {
		t.Fatal(reason)
	}
	for {
		m := a.next(t)
		for _, e := range m.Events {
			if e.Type == "presence" && string(e.Data) == `{"connections":3}` {
				return
			}
		}
	}
}

// A newcomer learns the audience size even when it did not change.
func TestPresenceForNewcomers(t *testing.T) {
	_, srv := newTestServer(t, Options{PresenceInterval: 20 * time.Millisecond})
	a := dialWS(t, srv)
	a.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	waitPresence := func(c *wsClient, want string) {
		t.Helper()
		for {
			m := c.next(t)
			for _, e := range m.Events {
				if e.Type == "presence" && string(e.Data) == want {
					return
				}
			}
		}
	}
	waitPresence(a, `{"connections":1}`)
	// One leaves and another arrives between two ticks: the count stays 1,
	// but the newcomer must still be told.
	a.conn.WriteClose(1000, nil)
	b := dialWS(t, srv)
	b.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	waitPresence(b, `{"connections":1}`)
}

// A newcomer learns the audience size at once, not at the next presence
// tick (the presenter screen showed "…" for two seconds after loading).
func TestPresenceAtOnceForNewcomers(t *testing.T) {
	_, srv := newTestServer(t, Options{PresenceInterval: time.Hour, PresenceOnJoin: 50 * time.Millisecond})
	a := dialWS(t, srv)
	a.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	start := time.Now()
	for {
		m := a.nextWithin(t, time.Second)
		if slices.ContainsFunc(m.Events, func(e received) bool { return e.Type == "presence" && string(e.Data) == `{"connections":1}` }) {
			break
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("presence after %s", d)
	}
}

// A reset over SSE carries the stream's head as its id, so that a stock
// EventSource, which reconnects with its last id by itself, continues from
// there instead of being reset over and over.
func TestSSEResetCarriesHead(t *testing.T) {
	h, srv := newTestServer(t, Options{History: 8})
	publishNumbered(h, 1, 50)
	epoch, _, _ := parseCursor(h.Cursor(talk1))
	for _, stale := range []string{epoch + "-3", "zzzz-9", epoch + "-999"} {
		c := dialSSE(t, srv, stale)
		e := c.next(t)
		if e.typ != "reset" || e.id != h.Cursor(talk1) || !strings.Contains(e.data, `"cursor":"`+h.Cursor(talk1)+`"`) {
			t.Fatalf("cursor %s: reset %+v; want id %s", stale, e, h.Cursor(talk1))
		}
		again := dialSSE(t, srv, e.id)
		if e := again.next(t); e.typ != "subscribed" || e.id != h.Cursor(talk1) {
			t.Fatalf("reconnecting with the reset's id: %+v", e)
		}
		again.resp.Body.Close()
		c.resp.Body.Close()
	}
}

// Ephemeral messages reach the subscribers there are, without a sequence
// number, and are not replayed to a client that resumes.
func TestEphemeral(t *testing.T) {
	h, srv := newTestServer(t, Options{})
	a := dialWS(t, srv)
	a.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	sub := a.next(t)
	sse := dialSSE(t, srv, "")
	if e := sse.next(t); e.typ != "subscribed" {
		t.Fatalf("SSE starts with %+v", e)
	}
	h.Publish(talk1, Message{Type: "test.n", At: time.Now(), Data: 1})
	h.PublishEphemeral(talk1, Message{Type: "test.burst", At: time.Now(), Data: map[string]int{"👏": 3}})
	h.Publish(talk1, Message{Type: "test.n", At: time.Now(), Data: 2})
	var got []received
	for len(got) < 3 {
		m := a.next(t)
		got = append(got, m.Events...)
	}
	var kept []uint64
	for _, e := range got {
		if e.Type == "test.burst" {
			if e.Seq != 0 || string(e.Data) != `{"👏":3}` {
				t.Errorf("ephemeral message %+v", e)
			}
			continue
		}
		kept = append(kept, e.Seq)
	}
	if len(kept) != 2 || kept[1] != kept[0]+1 {
		t.Errorf("sequenced events %v: the ephemeral one must not take a number", kept)
	}
	for range 3 {
		e := sse.next(t)
		if e.typ == "test.burst" && e.id != "" {
			t.Errorf("ephemeral SSE event has id %q", e.id)
		}
		if e.typ == "test.n" && e.id == "" {
			t.Error("sequenced SSE event has no id")
		}
	}
	sse.resp.Body.Close()

	b := dialWS(t, srv)
	b.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1", Cursor: sub.Cursor})
	for n := 0; n < 2; {
		m := b.next(t)
		for _, e := range m.Events {
			if e.Type == "test.burst" {
				t.Fatal("a resumed subscription replayed an ephemeral message")
			}
			n++
		}
	}
}

// PublishSum adds up counts within an interval and publishes their sums
// once, ephemeral.
func TestPublishSum(t *testing.T) {
	h, srv := newTestServer(t, Options{CoalesceInterval: 200 * time.Millisecond})
	a := dialWS(t, srv)
	a.send(t, ClientMessage{Type: "subscribe", Topic: "talk:1"})
	a.next(t)
	start := time.Now()
	for i := range 30 {
		h.PublishSum("talk:1", []StreamID{talk1}, "reactions", start.Add(time.Duration(i)*time.Millisecond), map[string]int{"👏": 1, "🎉": i % 2})
	}
	total := map[string]int{}
	for total["👏"] < 30 {
		m := a.next(t)
		for _, e := range m.Events {
			var counts map[string]int
			if e.Type != "reactions" || e.Seq != 0 || json.Unmarshal(e.Data, &counts) != nil {
				t.Fatalf("unexpected %+v", e)
			}
			for k, n := range counts {
				total[k] += n
			}
		}
	}
	if total["👏"] != 30 || total["🎉"] != 15 {
		t.Errorf("sums %v, want 👏 30 and 🎉 15", total)
	}
}

// TestPublishDuringShutdown publishes to new streams while the hub shuts
// down, as the outbox relay may: under the race detector this failed when
// a new stream joined the wait group Shutdown was already waiting on.
func TestPublishDuringShutdown(t *testing.T) {
	for range 20 {
		h := New(Options{FlushInterval: time.Millisecond})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range 200 {
				h.Publish(StreamID{EventID: 1, Topic: fmt.Sprintf("talk:%d", i+1)}, Message{Type: "talk.updated", Data: map[string]int{"id": i}})
			}
		})
		if err := h.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if got := h.Cursor(StreamID{EventID: 1, Topic: "talk:200"}); got == "" {
			t.Fatal("a stream published to after shutdown has no cursor")
		}
	}
}

// slowReader is a WebSocket client that reads nothing until released, and
// then records what it got and how the connection ended.
type slowReader struct {
	gws.BuiltinEventHandler
	release chan struct{}
	msgs    []wireMessage
	closed  chan error
}

func (c *slowReader) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	<-c.release
	var w wireMessage
	if err := json.Unmarshal(m.Bytes(), &w); err == nil {
		c.msgs = append(c.msgs, w)
	}
}

func (c *slowReader) OnClose(_ *gws.Conn, err error) { c.closed <- err }

// TestFloodingClientLearnsWhy: a client that floods its WebSocket and reads
// slowly still gets the rate_limited errors and the 1008 close, because
// the server does not reset the connection under what the client is still
// sending (the kernel would then discard what the client had not read).
func TestFloodingClientLearnsWhy(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	c := &slowReader{release: make(chan struct{}), closed: make(chan error, 1)}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"})
	if err != nil {
		t.Fatal(err)
	}
	go conn.ReadLoop()
	for i := range 500 {
		typ := "subscribe"
		if i%2 == 1 {
			typ = "unsubscribe"
		}
		if conn.WriteMessage(gws.OpcodeText, fmt.Appendf(nil, `{"type":%q,"topic":%q}`, typ, talk1.Topic)) != nil {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // the server has closed by now
	close(c.release)
	var end error
	select {
	case end = <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the flooding client was not disconnected")
	}
	var ce *gws.CloseError
	if !errors.As(end, &ce) || ce.Code != 1008 {
		t.Errorf("connection ended with %v, want close code 1008", end)
	}
	refused := 0
	for _, m := range c.msgs {
		if m.Type == "error" && m.Error != nil && m.Error.Code == koe.ERATELIMIT {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no rate_limited error among %d messages", len(c.msgs))
	}
}
