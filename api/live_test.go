package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/koehq/koe"
)

// liveMsg is a server message of either transport, in the WebSocket shape.
type liveMsg struct {
	Type   string      `json:"type"`
	Topic  string      `json:"topic"`
	Cursor string      `json:"cursor"`
	Epoch  string      `json:"epoch"`
	Reason string      `json:"reason"`
	Events []liveEvent `json:"events"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	raw []byte
}

type liveEvent struct {
	Seq  uint64          `json:"seq,omitempty"` // 0: ephemeral
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// dataSchema names the component schema of each event type's data.
var dataSchema = map[string]string{
	"question.created": "Question",
	"question.updated": "Question",
	"question.removed": "QuestionRemoved",
	"question.likes":   "QuestionLikes",
	"reply.created":    "Reply",
	"reply.updated":    "Reply",
	"review.created":   "Review",
	"review.updated":   "Review",
	"ban.created":      "Ban",
	"ban.removed":      "Ban",
	"talk.created":     "Talk",
	"talk.updated":     "Talk",
	"talk.deleted":     "Talk",
	"event.updated":    "Event",
	"post.created":     "Post",
	"post.updated":     "Post",
	"post.featured":    "Featured",
	"presence":         "Presence",
	"reactions":        "Reactions",
	"poll.created":     "Poll",
	"poll.updated":     "Poll",
	"poll.deleted":     "Poll",
	"poll.results":     "PollResults",
}

// checkEvent holds one event to the document.
func checkEvent(t testing.TB, ev liveEvent) {
	t.Helper()
	raw, _ := json.Marshal(ev)
	checkSchema(t, "StreamEvent", raw)
	name, ok := dataSchema[ev.Type]
	if !ok {
		t.Errorf("event of unknown type %q", ev.Type)
		return
	}
	checkSchema(t, name, ev.Data)
}

// liveConn is one real-time connection, WebSocket or SSE.
type liveConn struct {
	t     *testing.T
	msgs  chan liveMsg
	close func()
}

func (c *liveConn) next() liveMsg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatal("connection ended")
		}
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatal("no message within 10s")
	}
	return liveMsg{}
}

// quiet checks that nothing arrives for a while.
func (c *liveConn) quiet(d time.Duration) {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if ok {
			c.t.Errorf("unexpected message: %s", m.raw)
		}
	case <-time.After(d):
	}
}

// ended waits for the server to end the connection.
func (c *liveConn) ended() {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return
			}
			c.t.Errorf("message before the end: %s", m.raw)
		case <-deadline:
			c.t.Fatal("connection did not end")
		}
	}
}

// wsHandler feeds a liveConn from a gws client connection.
type wsHandler struct {
	gws.BuiltinEventHandler
	msgs chan liveMsg
	once sync.Once
}

func (w *wsHandler) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	raw := append([]byte(nil), m.Bytes()...)
	var lm liveMsg
	if err := json.Unmarshal(raw, &lm); err != nil {
		lm = liveMsg{Type: "unparsable"}
	}
	lm.raw = raw
	w.msgs <- lm
}

func (w *wsHandler) OnClose(*gws.Conn, error) { w.once.Do(func() { close(w.msgs) }) }

func wsURL(h *harness, eventID int64) string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + eventPath(eventID) + "/live"
}

// dialWS opens a WebSocket as c (bearer token) and holds the handshake
// response to the document. It returns the status when the handshake fails.
func dialWS(t *testing.T, c *client, eventID int64, hdr http.Header) (*liveConn, *gws.Conn, int) {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	if c.token != "" {
		hdr.Set("Authorization", "Bearer "+c.token)
	}
	if c.hc.Jar != nil { // a browser sends its cookies with the handshake
		u, _ := url.Parse(c.h.srv.URL)
		for _, ck := range c.hc.Jar.Cookies(u) {
			hdr.Add("Cookie", ck.Name+"="+ck.Value)
		}
	}
	handler := &wsHandler{msgs: make(chan liveMsg, 100000)}
	conn, resp, err := gws.NewClient(handler, &gws.ClientOption{Addr: wsURL(c.h, eventID), RequestHeader: hdr, HandshakeTimeout: 5 * time.Second})
	if resp != nil {
		req, _ := http.NewRequest("GET", c.h.srv.URL+eventPath(eventID)+"/live", nil)
		validateHTTPResponse(t, req, resp)
	}
	if err != nil {
		if resp == nil {
			t.Fatalf("WebSocket dial: %v", err)
		}
		return nil, nil, resp.StatusCode
	}
	go conn.ReadLoop()
	lc := &liveConn{t: t, msgs: handler.msgs, close: func() { _ = conn.NetConn().Close() }}
	t.Cleanup(lc.close)
	return lc, conn, resp.StatusCode
}

func wsSend(t *testing.T, conn *gws.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	checkSchema(t, "LiveClientMessage", b)
	if err := conn.WriteMessage(gws.OpcodeText, b); err != nil {
		t.Fatal(err)
	}
}

// subscribeWS dials and subscribes to topic from cursor, returning after
// the "subscribed" message.
func subscribeWS(t *testing.T, c *client, eventID int64, topic, cursor string) *liveConn {
	t.Helper()
	lc, conn, status := dialWS(t, c, eventID, nil)
	if lc == nil {
		t.Fatalf("WebSocket handshake refused: %d", status)
	}
	msg := map[string]string{"type": "subscribe", "topic": topic}
	if cursor != "" {
		msg["cursor"] = cursor
	}
	wsSend(t, conn, msg)
	return lc
}

// subscribeSSE opens an event stream of topic from cursor, sent as
// Last-Event-ID (lastEventID true) or as the cursor parameter.
func subscribeSSE(t *testing.T, c *client, eventID int64, topic, cursor string, lastEventID bool) (*liveConn, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	u := c.h.srv.URL + eventPath(eventID) + "/sse?topic=" + topic
	if cursor != "" && !lastEventID {
		u += "&cursor=" + cursor
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	req.Header.Set("Accept", "text/event-stream")
	if cursor != "" && lastEventID {
		req.Header.Set("Last-Event-ID", cursor)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("SSE: %v", err)
	}
	validateHTTPResponse(t, req, resp)
	if resp.StatusCode != 200 {
		resp.Body.Close()
		cancel()
		return nil, resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("SSE Content-Type %q", ct)
	}
	msgs := make(chan liveMsg, 100000)
	go func() {
		defer close(msgs)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var id, typ, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case strings.HasPrefix(line, ":"):
				// comment (keepalive)
			case line == "":
				if typ == "" && data == "" {
					continue
				}
				msgs <- sseMessage(id, typ, data)
				id, typ, data = "", "", ""
			default:
				msgs <- liveMsg{Type: "unparsable", raw: []byte(line)}
			}
		}
	}()
	lc := &liveConn{t: t, msgs: msgs, close: cancel}
	t.Cleanup(cancel)
	return lc, 200
}

// sseMessage turns one SSE event into the WebSocket message shape, keeping
// the SSE framing visible to checks through the raw field.
func sseMessage(id, typ, data string) liveMsg {
	raw := []byte(fmt.Sprintf("id: %s\nevent: %s\ndata: %s", id, typ, data))
	switch typ {
	case "subscribed", "reset":
		var m liveMsg
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return liveMsg{Type: "unparsable", raw: raw}
		}
		m.Type, m.raw = typ, raw
		if id != m.Cursor {
			return liveMsg{Type: "unparsable: " + typ + " id is not its cursor", raw: raw}
		}
		return m
	}
	var ev liveEvent
	if err := json.Unmarshal([]byte(data), &ev); err != nil || ev.Type != typ {
		return liveMsg{Type: "unparsable", raw: raw}
	}
	if id == "" && ev.Seq == 0 { // ephemeral: no id, no seq
		return liveMsg{Type: "events", Events: []liveEvent{ev}, raw: raw}
	}
	epoch, seq, ok := splitCursor(id)
	if !ok || seq != ev.Seq {
		return liveMsg{Type: "unparsable: id does not match seq", raw: raw}
	}
	return liveMsg{Type: "events", Epoch: epoch, Events: []liveEvent{ev}, raw: raw}
}

func splitCursor(c string) (string, uint64, bool) {
	i := strings.LastIndexByte(c, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(c[i+1:], 10, 64)
	return c[:i], n, err == nil
}

// transport opens a subscription of one kind.
type transport struct {
	name string
	// open subscribes; resume says the cursor continues a dropped
	// connection (SSE sends it as Last-Event-ID then).
	open func(t *testing.T, c *client, eventID int64, topic, cursor string, resume bool) *liveConn
}

var transports = []transport{
	{"websocket", func(t *testing.T, c *client, eventID int64, topic, cursor string, _ bool) *liveConn {
		return subscribeWS(t, c, eventID, topic, cursor)
	}},
	{"sse", func(t *testing.T, c *client, eventID int64, topic, cursor string, resume bool) *liveConn {
		lc, status := subscribeSSE(t, c, eventID, topic, cursor, resume)
		if lc == nil {
			t.Fatalf("SSE refused: %d", status)
		}
		return lc
	}},
}

// collector checks and records the events of a subscription.
type collector struct {
	t      *testing.T
	topic  string
	epoch  string
	last   uint64 // last seq received
	events []liveEvent
	// ephemeral are the events without seq (presence), kept apart.
	ephemeral []liveEvent
	created   map[int64]int
}

func newCollector(t *testing.T, topic, cursor string) *collector {
	epoch, seq, ok := splitCursor(cursor)
	if !ok {
		t.Fatalf("bad cursor %q", cursor)
	}
	return &collector{t: t, topic: topic, epoch: epoch, last: seq, created: map[int64]int{}}
}

func (col *collector) cursor() string { return col.epoch + "-" + strconv.FormatUint(col.last, 10) }

// expectSubscribed reads the subscribed message, which must name cursor.
func (col *collector) expectSubscribed(c *liveConn, cursor string) {
	col.t.Helper()
	m := c.next()
	if m.Type != "subscribed" || m.Topic != col.topic || m.Cursor != cursor {
		col.t.Fatalf("want subscribed to %s at %s, got %s", col.topic, cursor, m.raw)
	}
	if m.Epoch == "" && m.Events == nil && !strings.HasPrefix(string(m.raw), "id: ") {
		checkSchema(col.t, "LiveServerMessage", m.raw)
	}
}

// take reads one message, which must carry the next events in order.
func (col *collector) take(c *liveConn) liveMsg {
	col.t.Helper()
	m := c.next()
	if !strings.HasPrefix(string(m.raw), "id: ") {
		checkSchema(col.t, "LiveServerMessage", m.raw)
	}
	if m.Type != "events" {
		col.t.Fatalf("want events, got %s", m.raw)
	}
	if m.Epoch != col.epoch && (m.Epoch != "" || !ephemeralOnly(m)) {
		col.t.Fatalf("epoch %q, want %q", m.Epoch, col.epoch)
	}
	if m.Topic != "" && m.Topic != col.topic {
		col.t.Fatalf("topic %q, want %q", m.Topic, col.topic)
	}
	for _, ev := range m.Events {
		checkEvent(col.t, ev)
		if ev.Seq == 0 {
			col.ephemeral = append(col.ephemeral, ev)
			continue
		}
		if ev.Seq != col.last+1 {
			col.t.Fatalf("seq %d after %d: events must be consecutive, each once", ev.Seq, col.last)
		}
		col.last = ev.Seq
		col.events = append(col.events, ev)
		if ev.Type == "question.created" {
			var q koe.Question
			_ = json.Unmarshal(ev.Data, &q)
			col.created[q.ID]++
		}
	}
	return m
}

// ephemeralOnly reports whether m carries ephemeral events alone (an SSE
// message of one, which has no id and so no epoch).
func ephemeralOnly(m liveMsg) bool {
	for _, ev := range m.Events {
		if ev.Seq != 0 {
			return false
		}
	}
	return true
}

// until reads until the cursor reaches seq.
func (col *collector) until(c *liveConn, seq uint64) {
	col.t.Helper()
	for col.last < seq {
		col.take(c)
	}
	if col.last != seq {
		col.t.Fatalf("read past %d to %d", seq, col.last)
	}
}

func cursorSeq(t *testing.T, cursor string) uint64 {
	_, seq, ok := splitCursor(cursor)
	if !ok {
		t.Fatalf("bad cursor %q", cursor)
	}
	return seq
}

// TestLiveResume: a participant follows a talk from the cursor of its
// snapshot while another asks 60 questions and a third likes some; the
// follower drops its connection after about 20 questions, resumes from its
// last cursor and must get exactly the events it missed, in order.
func TestLiveResume(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			h := newHarness(t)
			e, tk := h.setup()
			follower, _ := h.join(e.JoinCode, "Follower")
			asker, _ := h.join(e.JoinCode, "Asker")
			liker, _ := h.join(e.JoinCode, "Liker")
			early := asker.ask(e.ID, tk.ID, "asked before the snapshot")

			snap := follower.questions(e.ID, tk.ID, "")
			topic := fmt.Sprintf("talk:%d", tk.ID)
			if snap.Stream.Topic != topic {
				t.Fatalf("stream topic %q", snap.Stream.Topic)
			}
			col := newCollector(t, topic, snap.Stream.Cursor)
			conn := tr.open(t, follower, e.ID, topic, snap.Stream.Cursor, false)
			col.expectSubscribed(conn, snap.Stream.Cursor)

			const total = 60
			resume := make(chan struct{})
			ids := make(chan int64, total)
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer close(ids)
				for i := range total {
					if i == 30 {
						select {
						case <-resume:
						case <-time.After(20 * time.Second):
							t.Error("the follower never dropped its connection")
							return
						}
					}
					q := asker.ask(e.ID, tk.ID, fmt.Sprintf("question %d", i))
					if q.ID == 0 {
						return
					}
					ids <- q.ID
					lp := questionPath(e.ID, tk.ID, q.ID) + "/like"
					switch i % 4 {
					case 0:
						liker.put(lp, nil).want(t, 200, "")
					case 1:
						liker.put(lp, nil).want(t, 200, "")
						liker.del(lp).want(t, 200, "")
						asker.put(lp, nil).want(t, 200, "")
					case 2:
						liker.put(lp, nil).want(t, 200, "")
						asker.put(lp, nil).want(t, 200, "")
					}
				}
				// The early question gets likes too.
				liker.put(questionPath(e.ID, tk.ID, early.ID)+"/like", nil).want(t, 200, "")
			}()

			// First connection: read until some 20 questions arrived, then drop.
			for len(col.created) < 20 {
				col.take(conn)
			}
			conn.close()
			dropped := col.last
			close(resume)
			<-done
			// Let the coalescer publish the last like counts; then the
			// snapshot's cursor is the end of the stream.
			time.Sleep(150 * time.Millisecond)
			final := follower.questions(e.ID, tk.ID, "sort=recent&limit=200")
			head := cursorSeq(t, final.Stream.Cursor)

			// Second connection, from the last cursor received.
			conn2 := tr.open(t, follower, e.ID, topic, col.cursor(), true)
			col.expectSubscribed(conn2, col.cursor())
			col.until(conn2, head)
			conn2.quiet(100 * time.Millisecond)
			t.Logf("%d events, %d on the first connection", len(col.events), dropped-cursorSeq(t, snap.Stream.Cursor))

			// Every question asked after the snapshot arrived once as created.
			var asked []int64
			for id := range ids {
				asked = append(asked, id)
			}
			if len(asked) != total {
				t.Fatalf("asked %d questions", len(asked))
			}
			for _, id := range asked {
				if col.created[id] != 1 {
					t.Errorf("question %d arrived %d times as question.created", id, col.created[id])
				}
			}
			delete(col.created, early.ID) // may come after the snapshot's cursor: see below
			if len(col.created) != total {
				t.Errorf("%d questions created on the stream, want %d", len(col.created), total)
			}
			// The newest state of each question on the stream is the state
			// in the list: likes and version.
			checkNewestState(t, col.events, final.Questions, early)
		})
	}
}

// checkNewestState compares, question by question, the state with the
// highest version seen on a stream with the list after the load.
func checkNewestState(t *testing.T, events []liveEvent, list []koe.Question, early koe.Question) {
	t.Helper()
	type state struct {
		likes   int
		version int64
	}
	newest := map[int64]state{}
	for _, ev := range events {
		var s struct {
			ID      int64 `json:"id"`
			Likes   int   `json:"likes"`
			Version int64 `json:"version"`
		}
		switch ev.Type {
		case "question.created", "question.updated", "question.likes":
			_ = json.Unmarshal(ev.Data, &s)
		default:
			continue
		}
		if cur, ok := newest[s.ID]; !ok || s.Version > cur.version {
			newest[s.ID] = state{s.Likes, s.Version}
		} else if s.Version == cur.version && s.Likes != cur.likes {
			t.Errorf("question %d: two like counts (%d, %d) for version %d", s.ID, cur.likes, s.Likes, s.Version)
		}
	}
	// question.likes in particular: the newest one of each question carries
	// the question's final count and version.
	newestLikes := map[int64]state{}
	for _, ev := range events {
		if ev.Type != "question.likes" {
			continue
		}
		var s struct {
			ID      int64 `json:"id"`
			Likes   int   `json:"likes"`
			Version int64 `json:"version"`
		}
		_ = json.Unmarshal(ev.Data, &s)
		if cur, ok := newestLikes[s.ID]; !ok || s.Version > cur.version {
			newestLikes[s.ID] = state{s.Likes, s.Version}
		}
	}
	if len(newestLikes) == 0 {
		t.Error("no question.likes events")
	}
	for _, q := range list {
		if got, ok := newestLikes[q.ID]; ok && (got.likes != q.Likes || got.version != q.Version) {
			t.Errorf("question %d: newest question.likes has likes=%d version=%d, list likes=%d version=%d",
				q.ID, got.likes, got.version, q.Likes, q.Version)
		} else if !ok && q.Version > 1 {
			t.Errorf("question %d changed (version %d) but no question.likes arrived", q.ID, q.Version)
		}
	}
	for _, q := range list {
		got, ok := newest[q.ID]
		if !ok {
			t.Errorf("question %d never on the stream", q.ID)
			continue
		}
		if got.likes != q.Likes || got.version != q.Version {
			t.Errorf("question %d: newest on the stream likes=%d version=%d, list likes=%d version=%d",
				q.ID, got.likes, got.version, q.Likes, q.Version)
		}
	}
	if _, ok := newest[early.ID]; !ok {
		t.Error("the likes of the question asked before the snapshot never arrived")
	}
}

// TestLiveHiddenQuestions: staff follow the staff stream and see a hidden
// question's new state; participants get question.removed.
func TestLiveHiddenQuestions(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			h := newHarness(t)
			e, tk := h.setup()
			p, _ := h.join(e.JoinCode, "P")
			topic := fmt.Sprintf("talk:%d", tk.ID)

			staffSnap := h.staff.questions(e.ID, tk.ID, "")
			pubSnap := p.questions(e.ID, tk.ID, "")
			staffCol := newCollector(t, topic, staffSnap.Stream.Cursor)
			pubCol := newCollector(t, topic, pubSnap.Stream.Cursor)
			staffConn := tr.open(t, h.staff, e.ID, topic, staffSnap.Stream.Cursor, false)
			staffCol.expectSubscribed(staffConn, staffSnap.Stream.Cursor)
			pubConn := tr.open(t, p, e.ID, topic, pubSnap.Stream.Cursor, false)
			pubCol.expectSubscribed(pubConn, pubSnap.Stream.Cursor)

			q := p.ask(e.ID, tk.ID, "rude question")
			var hidden koe.Question
			h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true}).decode(t, &hidden)
			// A change to a hidden question (answered) stays off the public stream too.
			h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"answered": true}).want(t, 200, "")
			var restored koe.Question
			h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": false}).decode(t, &restored)

			wantTypes := func(col *collector, conn *liveConn, types ...string) []liveEvent {
				t.Helper()
				start := len(col.events)
				for len(col.events) < start+len(types) {
					col.take(conn)
				}
				got := col.events[start:]
				for i, ev := range got {
					if i >= len(types) || ev.Type != types[i] {
						var names []string
						for _, ev := range got {
							names = append(names, ev.Type)
						}
						t.Fatalf("events %v, want %v", names, types)
					}
				}
				return got
			}
			se := wantTypes(staffCol, staffConn, "question.created", "question.updated", "question.updated", "question.updated")
			var sq koe.Question
			_ = json.Unmarshal(se[1].Data, &sq)
			if sq.ID != q.ID || !sq.Hidden || sq.Version != hidden.Version {
				t.Errorf("staff saw %+v after hiding", sq)
			}
			_ = json.Unmarshal(se[3].Data, &sq)
			if sq.Hidden || sq.Version != restored.Version {
				t.Errorf("staff saw %+v after restoring", sq)
			}
			// The answered update of the hidden question is not mentioned:
			// the public stream removed it already.
			pe := wantTypes(pubCol, pubConn, "question.created", "question.removed", "question.updated")
			var removed struct{ ID, Version int64 }
			_ = json.Unmarshal(pe[1].Data, &removed)
			if removed.ID != q.ID || removed.Version != hidden.Version {
				t.Errorf("participant got %s, want question.removed of %d at version %d", pe[1].Data, q.ID, hidden.Version)
			}
			if strings.Contains(string(pe[1].Data), "rude question") {
				t.Error("the public stream carried the hidden question's text")
			}
			var pq koe.Question
			_ = json.Unmarshal(pe[2].Data, &pq)
			if pq.ID != q.ID || pq.Hidden || pq.Mine || pq.LikedByMe {
				t.Errorf("participant got %+v after restoring", pq)
			}
			staffConn.quiet(50 * time.Millisecond)
			pubConn.quiet(50 * time.Millisecond)
		})
	}
}

// TestLiveReset: a cursor of another epoch, or ahead of the stream, is
// answered with a reset.
func TestLiveReset(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	topic := fmt.Sprintf("talk:%d", tk.ID)
	snap := p.questions(e.ID, tk.ID, "")
	epoch, _, _ := splitCursor(snap.Stream.Cursor)
	other := "zzzzz"
	if epoch == other {
		other = "yyyyy"
	}
	for cursor, reason := range map[string]string{other + "-1": "unknown_epoch", other + "-0": "unknown_epoch", epoch + "-999": "unknown_position"} {
		// WebSocket: a reset message, and the connection stays usable.
		lc, conn, _ := dialWS(t, p, e.ID, nil)
		wsSend(t, conn, map[string]string{"type": "subscribe", "topic": topic, "cursor": cursor})
		m := lc.next()
		checkSchema(t, "LiveServerMessage", m.raw)
		if m.Type != "reset" || m.Reason != reason || m.Topic != topic {
			t.Errorf("cursor %s: got %s, want reset %s", cursor, m.raw, reason)
		}
		wsSend(t, conn, map[string]string{"type": "subscribe", "topic": topic, "cursor": snap.Stream.Cursor})
		if m := lc.next(); m.Type != "subscribed" || m.Cursor != snap.Stream.Cursor {
			t.Errorf("subscribing again: %s", m.raw)
		}
		lc.close()

		// SSE, by parameter and by Last-Event-ID: a reset event whose id
		// is the stream's head (where a stock EventSource goes on from),
		// then the end.
		for _, lastID := range []bool{false, true} {
			sc, status := subscribeSSE(t, p, e.ID, topic, cursor, lastID)
			if sc == nil {
				t.Fatalf("SSE refused: %d", status)
			}
			m := sc.next()
			if m.Type != "reset" || m.Reason != reason || m.Topic != topic || m.Cursor != snap.Stream.Cursor {
				t.Errorf("SSE cursor %s: got %s, want reset %s at %s", cursor, m.raw, reason, snap.Stream.Cursor)
			}
			sc.ended()
		}
	}
	// A cursor that is not one at all is a bad request, over both.
	lc, conn, _ := dialWS(t, p, e.ID, nil)
	if err := conn.WriteMessage(gws.OpcodeText, []byte(`{"type":"subscribe","topic":"`+topic+`","cursor":"not a cursor"}`)); err != nil {
		t.Fatal(err)
	}
	if m := lc.next(); m.Type != "error" || m.Error == nil || m.Error.Code != koe.EINVALID {
		t.Errorf("malformed cursor over WebSocket: %s", m.raw)
	}
	lc.close()
	for _, bad := range []string{"nonsense", "UPPER-1", "a-b"} {
		p.get(eventPath(e.ID)+"/sse?topic="+topic+"&cursor="+bad, docRejects).want(t, 400, koe.EINVALID)
		p.get(eventPath(e.ID)+"/sse?topic="+topic, header("Last-Event-ID", bad), docRejects).want(t, 400, koe.EINVALID)
	}
}

// TestLiveProtocolErrors: what the WebSocket answers to bad messages, and
// who may connect at all.
func TestLiveProtocolErrors(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	other, otk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	lc, conn, status := dialWS(t, p, e.ID, nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("handshake status %d", status)
	}
	send := func(raw string) liveMsg {
		t.Helper()
		if err := conn.WriteMessage(gws.OpcodeText, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		m := lc.next()
		checkSchema(t, "LiveServerMessage", m.raw)
		return m
	}
	for raw, code := range map[string]string{
		`not json`: koe.EINVALID,
		`{"type":"subscribe","topic":"talk:1","x":1}`:                  koe.EINVALID,
		`{"type":"dance","topic":"event"}`:                             koe.EINVALID,
		`{"type":"subscribe","topic":""}`:                              koe.EINVALID,
		`{"type":"subscribe","topic":"talks:1"}`:                       koe.EINVALID,
		`{"type":"subscribe","topic":"talk:abc"}`:                      koe.EINVALID,
		`{"type":"subscribe","topic":"event","cursor":"no cursor"}`:    koe.EINVALID,
		fmt.Sprintf(`{"type":"subscribe","topic":"talk:%d"}`, otk.ID):  koe.ENOTFOUND, // a talk of another event
		fmt.Sprintf(`{"type":"subscribe","topic":"talk:%d"}`, 9999999): koe.ENOTFOUND,
	} {
		m := send(raw)
		if m.Type != "error" || m.Error == nil || m.Error.Code != code {
			t.Errorf("%s: got %s, want error %s", raw, m.raw, code)
		}
	}
	// The event topic works, and subscribing without a cursor starts now.
	m := send(`{"type":"subscribe","topic":"event"}`)
	if m.Type != "subscribed" || m.Topic != "event" || m.Cursor == "" {
		t.Errorf("subscribe event: %s", m.raw)
	}
	h.staff.patch(eventPath(e.ID), map[string]any{"title": "Renamed"}).want(t, 200, "")
	m = lc.next()
	if m.Type != "events" || len(m.Events) != 1 || m.Events[0].Type != "event.updated" {
		t.Fatalf("want event.updated, got %s", m.raw)
	}
	checkEvent(t, m.Events[0])
	h.createTalk(e.ID, map[string]any{"title": "New talk"})
	m = lc.next()
	if m.Type != "events" || m.Events[0].Type != "talk.created" {
		t.Fatalf("want talk.created, got %s", m.raw)
	}
	checkEvent(t, m.Events[0])
	// Unsubscribed: nothing more.
	wsSend(t, conn, map[string]string{"type": "unsubscribe", "topic": "event"})
	time.Sleep(50 * time.Millisecond)
	h.staff.patch(eventPath(e.ID), map[string]any{"title": "Renamed again"}).want(t, 200, "")
	lc.quiet(100 * time.Millisecond)

	// Handshakes: no credentials 401, a participant of another event 403,
	// a foreign Origin 403, the same origin fine.
	if _, _, st := dialWS(t, h.client(""), e.ID, nil); st != 401 {
		t.Errorf("anonymous handshake: %d, want 401", st)
	}
	if _, _, st := dialWS(t, p, other.ID, nil); st != 403 {
		t.Errorf("handshake on another event: %d, want 403", st)
	}
	if _, _, st := dialWS(t, p, e.ID, http.Header{"Origin": {"https://evil.example"}}); st != 403 {
		t.Errorf("cross-origin handshake: %d, want 403", st)
	}
	if _, _, st := dialWS(t, p, e.ID, http.Header{"Origin": {h.srv.URL}}); st != 101 {
		t.Errorf("same-origin handshake: %d, want 101", st)
	}
	// A plain GET is no handshake.
	h.staff.get(eventPath(e.ID)+"/live").want(t, 400, "")
	_ = tk

	// SSE: a topic is required and must exist in the event.
	for _, q := range []string{"", "?topic=", "?topic=talks:1", fmt.Sprintf("?topic=talk:%d&cursor=%s", tk.ID, strings.Repeat("a", 65))} {
		h.staff.get(eventPath(e.ID)+"/sse"+q, unchecked).want(t, 400, koe.EINVALID)
	}
	h.staff.get(eventPath(e.ID)+fmt.Sprintf("/sse?topic=talk:%d", otk.ID)).want(t, 404, koe.ENOTFOUND)
	h.client("").get(eventPath(e.ID)+"/sse?topic=event", docRejects).want(t, 401, koe.EUNAUTHORIZED)
	p.get(eventPath(other.ID)+"/sse?topic=event").want(t, 403, koe.EFORBIDDEN)
}

// TestLivePresence: a talk's streams are told how many connections follow
// it, public and staff together, when that changes.
func TestLivePresence(t *testing.T) {
	h := newHarness(t, withPresence(30*time.Millisecond))
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	topic := fmt.Sprintf("talk:%d", tk.ID)
	snap := p.questions(e.ID, tk.ID, "")
	col := newCollector(t, topic, snap.Stream.Cursor)
	ws := subscribeWS(t, p, e.ID, topic, snap.Stream.Cursor)
	col.expectSubscribed(ws, snap.Stream.Cursor)
	nextPresence := func() int {
		t.Helper()
		for {
			m := col.take(ws)
			for _, ev := range m.Events {
				if ev.Type == "presence" {
					var pr struct{ Connections int }
					_ = json.Unmarshal(ev.Data, &pr)
					return pr.Connections
				}
			}
		}
	}
	if n := nextPresence(); n != 1 {
		t.Errorf("presence %d, want 1", n)
	}
	staffSnap := h.staff.questions(e.ID, tk.ID, "")
	sse, _ := subscribeSSE(t, h.staff, e.ID, topic, staffSnap.Stream.Cursor, false)
	if sse == nil {
		t.Fatal("SSE refused")
	}
	if n := nextPresence(); n != 2 {
		t.Errorf("presence %d, want 2 (public and staff together)", n)
	}
	// The staff stream hears it too.
	for {
		m := sse.next()
		if m.Type == "events" && m.Events[0].Type == "presence" {
			checkEvent(t, m.Events[0])
			if m.Events[0].Seq != 0 || strings.HasPrefix(string(m.raw), "id: ") && !strings.HasPrefix(string(m.raw), "id: \n") {
				t.Errorf("presence is ephemeral: no seq, no id: %s", m.raw)
			}
			break
		}
	}
	sse.close()
	if n := nextPresence(); n != 1 {
		t.Errorf("presence %d after a client left, want 1", n)
	}
}
