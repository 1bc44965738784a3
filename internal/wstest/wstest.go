// Package wstest is a WebSocket client of koe's real-time protocol for
// tests: it records every message and checks sequences.
package wstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

// Event is one event as a client sees it.
type Event struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// Message is any message from the server.
type Message struct {
	Type   string  `json:"type"`
	Topic  string  `json:"topic"`
	Epoch  string  `json:"epoch"`
	Cursor string  `json:"cursor"`
	Reason string  `json:"reason"`
	Events []Event `json:"events"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Client is one connection; Msgs receives everything the server sends.
type Client struct {
	gws.BuiltinEventHandler
	Conn *gws.Conn
	Msgs chan Message
}

// OnMessage implements gws.Event.
func (c *Client) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	var w Message
	if err := json.Unmarshal(m.Bytes(), &w); err != nil {
		panic(fmt.Sprintf("undecodable message %q: %v", m.Bytes(), err))
	}
	c.Msgs <- w
}

// Dial connects to url (http:// or ws://) with the given headers.
func Dial(t testing.TB, url string, header http.Header) *Client {
	t.Helper()
	c, err := DialBuffered(url, header, 100000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Conn.NetConn().Close() })
	return c
}

// DialBuffered connects with a message buffer of n; n = 0 makes a client
// that stops reading after its first message (a stuck client).
func DialBuffered(url string, header http.Header, n int) (*Client, error) {
	url = "ws" + strings.TrimPrefix(strings.TrimPrefix(url, "http"), "ws")
	c := &Client{Msgs: make(chan Message, n)}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url, RequestHeader: header})
	if err != nil {
		return nil, err
	}
	c.Conn = conn
	go conn.ReadLoop()
	return c, nil
}

// Send writes v as a JSON text message.
func (c *Client) Send(t testing.TB, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Conn.WriteMessage(gws.OpcodeText, b); err != nil {
		t.Fatal(err)
	}
}

// Subscribe sends a subscribe message (cursor may be empty) and expects
// "subscribed".
func (c *Client) Subscribe(t testing.TB, topic, cursor string) Message {
	t.Helper()
	msg := map[string]string{"type": "subscribe", "topic": topic}
	if cursor != "" {
		msg["cursor"] = cursor
	}
	c.Send(t, msg)
	m := c.Next(t, 5*time.Second)
	if m.Type != "subscribed" {
		t.Fatalf("subscribe %s from %q: got %+v", topic, cursor, m)
	}
	return m
}

// Next returns the next message, failing the test after d.
func (c *Client) Next(t testing.TB, d time.Duration) Message {
	t.Helper()
	select {
	case m := <-c.Msgs:
		return m
	case <-time.After(d):
		t.Fatalf("no message within %s", d)
		return Message{}
	}
}

// Stream checks a run of events for gaps and duplicates across messages
// and connections, and keeps the cursor to resume from. Ephemeral
// messages (no seq) are kept apart.
type Stream struct {
	Events    []Event
	Ephemeral []Event
	Cursor    string
	last      uint64
}

// Add appends the events of an "events" message, marking the test failed
// on a gap or a duplicate (it may run on any goroutine).
func (s *Stream) Add(t testing.TB, m Message) {
	t.Helper()
	for _, e := range m.Events {
		if e.Seq == 0 {
			s.Ephemeral = append(s.Ephemeral, e)
			continue
		}
		if s.last != 0 && e.Seq != s.last+1 {
			t.Errorf("seq %d after %d: gap or duplicate", e.Seq, s.last)
		}
		s.last = e.Seq
		s.Events = append(s.Events, e)
		s.Cursor = fmt.Sprintf("%s-%d", m.Epoch, e.Seq)
	}
}

// Until reads events into s until stop returns true for one of them,
// failing on any other message type than events (presence included).
func (s *Stream) Until(t testing.TB, c *Client, d time.Duration, stop func(Event) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := c.Next(t, time.Until(deadline))
		if m.Type != "events" {
			t.Fatalf("unexpected %+v", m)
		}
		s.Add(t, m)
		for _, e := range m.Events {
			if stop(e) {
				return
			}
		}
	}
}
