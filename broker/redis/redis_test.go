package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/tcpproxy"
	"github.com/koehq/koe/internal/testenv"
	"github.com/koehq/koe/internal/wstest"
	"github.com/koehq/koe/realtime"
)

var talk1 = realtime.StreamID{EventID: 1, Topic: "talk:1"}

// redisAddr is the host:port of the test Redis.
func redisAddr(t *testing.T) string {
	u, err := url.Parse(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// replica is one hub on the shared Redis, serving WebSockets.
type replica struct {
	hub *realtime.Hub
	srv *httptest.Server
}

func newReplica(t *testing.T, addr, prefix string) *replica {
	t.Helper()
	b, err := New("redis://"+addr+"/0", WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	h := realtime.New(realtime.Options{FlushInterval: 5 * time.Millisecond, Broker: b})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeWS(w, r, func(topic string) (realtime.StreamID, error) {
			if topic != talk1.Topic {
				return realtime.StreamID{}, koe.Errorf(koe.ENOTFOUND, "no such topic")
			}
			return talk1, nil
		}, nil)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = h.Shutdown(context.Background())
		_ = b.Close()
	})
	return &replica{hub: h, srv: srv}
}

func testPrefix() string { return fmt.Sprintf("koetest:%d:", time.Now().UnixNano()) }

func number(e wstest.Event) int {
	var n int
	_ = json.Unmarshal(e.Data, &n)
	return n
}

func TestReplicasShareOneSequence(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	a, b := newReplica(t, addr, prefix), newReplica(t, addr, prefix)
	ca, cb := wstest.Dial(t, a.srv.URL, nil), wstest.Dial(t, b.srv.URL, nil)
	ca.Subscribe(t, "talk:1", "")
	cb.Subscribe(t, "talk:1", "")
	for n := 1; n <= 200; n++ {
		r := a
		if n%3 == 0 {
			r = b
		}
		r.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: n})
	}
	var sa, sb wstest.Stream
	sa.Until(t, ca, 10*time.Second, func(wstest.Event) bool { return len(sa.Events) == 200 })
	sb.Until(t, cb, 10*time.Second, func(wstest.Event) bool { return len(sb.Events) == 200 })
	for i := range sa.Events {
		if sa.Events[i].Seq != sb.Events[i].Seq || number(sa.Events[i]) != number(sb.Events[i]) {
			t.Fatalf("event %d differs: %+v vs %+v", i, sa.Events[i], sb.Events[i])
		}
	}
	if sa.Cursor != sb.Cursor {
		t.Fatalf("cursors differ: %s vs %s", sa.Cursor, sb.Cursor)
	}
}

func TestResumeOnAnotherReplica(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	a, b := newReplica(t, addr, prefix), newReplica(t, addr, prefix)
	ca := wstest.Dial(t, a.srv.URL, nil)
	ca.Subscribe(t, "talk:1", "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; n <= 300; n++ {
			a.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: n})
			if n%10 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	var s wstest.Stream
	s.Until(t, ca, 10*time.Second, func(e wstest.Event) bool { return number(e) >= 100 })
	_ = ca.Conn.NetConn().Close() // the replica's client drops mid-stream

	cb := wstest.Dial(t, b.srv.URL, nil) // and resumes on the other replica
	cb.Subscribe(t, "talk:1", s.Cursor)
	s.Until(t, cb, 10*time.Second, func(e wstest.Event) bool { return number(e) == 300 })
	<-done
	for i, e := range s.Events {
		if number(e) != i+1 {
			t.Fatalf("event %d is %d: missed or repeated", i, number(e))
		}
	}
}

// With Redis cut, a replica keeps serving its own clients; when Redis
// returns, its clients and the other replica's are told to resync.
func TestRedisOutage(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	proxy, err := tcpproxy.Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	a := newReplica(t, proxy.Addr(), prefix) // reaches Redis through the proxy
	b := newReplica(t, addr, prefix)
	ca, cb := wstest.Dial(t, a.srv.URL, nil), wstest.Dial(t, b.srv.URL, nil)
	ca.Subscribe(t, "talk:1", "")
	cb.Subscribe(t, "talk:1", "")
	a.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: 1})
	var sa, sb wstest.Stream
	sa.Until(t, ca, 5*time.Second, func(e wstest.Event) bool { return number(e) == 1 })
	sb.Until(t, cb, 5*time.Second, func(e wstest.Event) bool { return number(e) == 1 })

	proxy.Cut()
	// A still serves its own client while Redis is unreachable.
	for n := 2; n <= 5; n++ {
		a.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: n})
	}
	for n := 0; n < 4; {
		m := ca.Next(t, 10*time.Second)
		if m.Type != "events" {
			t.Fatalf("during the outage: %+v", m)
		}
		n += len(m.Events)
	}
	b.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: 100}) // fan-out pauses: A's client must not see it

	proxy.Restore()
	// Both clients are told to resync: A wrote alone, so its events are
	// not in Redis and every cursor of the old epoch is void.
	for _, c := range []*wstest.Client{ca, cb} {
		for {
			m := c.Next(t, 15*time.Second)
			if m.Type == "reset" {
				if m.Reason != realtime.ResetResync && m.Reason != realtime.ResetUnknownEpoch {
					t.Fatalf("reset reason %q", m.Reason)
				}
				break
			}
			for _, e := range m.Events {
				if c == ca && number(e) == 100 {
					t.Fatal("an event of the other replica crossed during the outage")
				}
			}
		}
	}
	// After the resync both follow one sequence again.
	ca.Subscribe(t, "talk:1", "")
	cb.Subscribe(t, "talk:1", "")
	b.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: 200})
	var ra, rb wstest.Stream
	ra.Until(t, ca, 10*time.Second, func(e wstest.Event) bool { return number(e) == 200 })
	rb.Until(t, cb, 10*time.Second, func(e wstest.Event) bool { return number(e) == 200 })
	if ra.Cursor != rb.Cursor {
		t.Fatalf("after recovery the replicas disagree: %s vs %s", ra.Cursor, rb.Cursor)
	}
}

func TestSharedRateLimit(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	a, err := New("redis://"+addr+"/0", WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New("redis://"+addr+"/0", WithPrefix(prefix))
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	// 3 per minute, shared by both "replicas".
	for i, br := range []*Broker{a, b, a} {
		if wait, err := br.Take(ctx, "ask.participant|7", 3, time.Minute); err != nil || wait != 0 {
			t.Fatalf("take %d: wait %v, %v", i, wait, err)
		}
	}
	wait, err := b.Take(ctx, "ask.participant|7", 3, time.Minute)
	if err != nil || wait < 15*time.Second || wait > 20*time.Second {
		t.Fatalf("fourth take: wait %v, %v; want about 20 s", wait, err)
	}
	// Another subject has its own bucket.
	if wait, _ := b.Take(ctx, "ask.participant|8", 3, time.Minute); wait != 0 {
		t.Fatalf("other subject waits %v", wait)
	}
}

// Presence is the sum over replicas: two replicas' followers of one talk
// are counted together on both.
func TestPresenceSumsReplicas(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	a, b := newReplica(t, addr, prefix), newReplica(t, addr, prefix)
	ca := wstest.Dial(t, a.srv.URL, nil)
	ca.Subscribe(t, "talk:1", "")
	for i := 0; i < 2; i++ {
		wstest.Dial(t, b.srv.URL, nil).Subscribe(t, "talk:1", "")
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		m := ca.Next(t, time.Until(deadline))
		for _, e := range m.Events {
			if e.Type == "presence" && string(e.Data) == `{"connections":3}` {
				return
			}
		}
	}
	t.Fatal("no presence event with the total of both replicas")
}

// A message whose source the stream has taken already is dropped, so that
// a publisher taking over from a failed one may publish the last few
// again; messages without a source are all taken.
func TestPublishOncePerSource(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	a, b := newReplica(t, addr, prefix), newReplica(t, addr, prefix)
	ca := wstest.Dial(t, a.srv.URL, nil)
	ca.Subscribe(t, "talk:1", "")
	src := func(n int) string { return koe.OutboxPos{Tx: 7, ID: int64(n)}.String() }
	for n := 1; n <= 10; n++ {
		a.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: n, Source: src(n)})
	}
	// The other replica, taking over, publishes 6..12 again.
	for n := 6; n <= 12; n++ {
		b.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: n, Source: src(n)})
	}
	b.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: 13})
	var s wstest.Stream
	s.Until(t, ca, 10*time.Second, func(e wstest.Event) bool { return number(e) == 13 })
	for i, e := range s.Events {
		if number(e) != i+1 {
			t.Fatalf("event %d is %d: %v", i, number(e), s.Events)
		}
	}
}

// Ephemeral messages reach every replica's subscribers, without a number.
func TestEphemeralReachesEveryReplica(t *testing.T) {
	addr, prefix := redisAddr(t), testPrefix()
	a, b := newReplica(t, addr, prefix), newReplica(t, addr, prefix)
	cb := wstest.Dial(t, b.srv.URL, nil)
	cb.Subscribe(t, "talk:1", "")
	a.hub.PublishEphemeral(talk1, realtime.Message{Type: "test.burst", At: time.Now(), Data: 5})
	a.hub.Publish(talk1, realtime.Message{Type: "test.n", At: time.Now(), Data: 1})
	var s wstest.Stream
	// Published first, so delivered by the same sweep or an earlier one.
	s.Until(t, cb, 10*time.Second, func(e wstest.Event) bool { return e.Type == "test.n" })
	if len(s.Ephemeral) != 1 || s.Ephemeral[0].Type != "test.burst" || number(s.Ephemeral[0]) != 5 {
		t.Fatalf("ephemeral messages seen: %+v", s.Ephemeral)
	}
	if len(s.Events) != 1 || s.Events[0].Seq != 1 {
		t.Fatalf("the ephemeral message took a number: %+v", s.Events)
	}
}
