package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/lxzan/gws"
)

// console is staff following one topic of an event's stream: when each
// item of interest first arrived, by the key that key gives it (false:
// not of interest), and how many arrived again.
type console[K comparable] struct {
	gws.BuiltinEventHandler
	key        func(eventType string, data json.RawMessage) (K, bool)
	conn       *gws.Conn
	subscribed chan struct{}
	once       sync.Once
	mu         sync.Mutex
	arrived    map[K]time.Time
	newest     time.Time
	repeated   int
}

// openConsole follows topic of the event as the token's holder,
// returning once subscribed.
func openConsole[K comparable](ctx context.Context, base, token string, eventID int64, topic string,
	key func(eventType string, data json.RawMessage) (K, bool)) (*console[K], error) {
	c := &console[K]{key: key, subscribed: make(chan struct{}), arrived: map[K]time.Time{}}
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: liveURL(base, eventID), RequestHeader: hdr, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.conn = conn
	go conn.ReadLoop()
	if err := conn.WriteString(`{"type":"subscribe","topic":"` + topic + `"}`); err != nil {
		return nil, err
	}
	select {
	case <-c.subscribed:
		return c, nil
	case <-time.After(subscribeTimeout):
		return nil, fmt.Errorf("console: no subscription to %s within %s", topic, subscribeTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *console[K]) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	now := time.Now()
	var msg struct {
		Type   string `json:"type"`
		Events []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	if json.Unmarshal(m.Bytes(), &msg) != nil {
		return
	}
	if msg.Type == "subscribed" {
		c.once.Do(func() { close(c.subscribed) })
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range msg.Events {
		k, ok := c.key(ev.Type, ev.Data)
		if !ok {
			continue
		}
		if _, again := c.arrived[k]; again {
			c.repeated++
			continue
		}
		c.arrived[k], c.newest = now, now
	}
}

// wait waits until n items arrived, or for at most limit.
func (c *console[K]) wait(ctx context.Context, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c.mu.Lock()
		got := len(c.arrived)
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("console: %d of %d items after %s", got, n, limit)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

func (c *console[K]) seen() map[K]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.arrived)
}

// last is when the newest item arrived.
func (c *console[K]) last() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.newest
}

func (c *console[K]) repeats() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.repeated
}

func (c *console[K]) close() { _ = c.conn.WriteClose(1000, nil) }
