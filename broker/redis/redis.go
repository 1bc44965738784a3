// Package redis implements realtime.Broker on Redis: per-stream sequence
// numbers, epochs and bounded histories, and one global log that every
// replica follows. docs/architecture.md ("Scaled mode") has the design.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/koehq/koe/realtime"
)

// Broker is a realtime.Broker on one Redis server.
type Broker struct {
	rdb    *goredis.Client
	prefix string
	// historyMax bounds each stream's history; eventsMax the global log.
	historyMax int
	eventsMax  int
}

var _ realtime.Broker = (*Broker)(nil)

// Option configures New.
type Option func(*Broker)

// WithPrefix sets the prefix of every key (default "koe:"), so that
// several koe installations or tests can share one Redis.
func WithPrefix(p string) Option { return func(b *Broker) { b.prefix = p } }

// New connects to the Redis at url (redis://[:password@]host:port/db).
func New(url string, opts ...Option) (*Broker, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	o.DialTimeout = 2 * time.Second
	o.ReadTimeout = 2 * time.Second
	o.WriteTimeout = 2 * time.Second
	o.MaxRetries = 1
	b := &Broker{rdb: goredis.NewClient(o), prefix: "koe:", historyMax: 4096, eventsMax: 100000}
	for _, opt := range opts {
		opt(b)
	}
	return b, nil
}

// Client is the underlying Redis client, for the rate limiter to share.
func (b *Broker) Client() *goredis.Client { return b.rdb }

// Close closes the connections.
func (b *Broker) Close() error { return b.rdb.Close() }

// name renders a stream id as "EVENT/TOPIC/p" (public) or ".../s" (staff).
func name(id realtime.StreamID) string {
	v := "p"
	if id.Staff {
		v = "s"
	}
	return strconv.FormatInt(id.EventID, 10) + "/" + id.Topic + "/" + v
}

func parseName(s string) (realtime.StreamID, bool) {
	first := strings.IndexByte(s, '/')
	last := strings.LastIndexByte(s, '/')
	if first <= 0 || last <= first {
		return realtime.StreamID{}, false
	}
	ev, err := strconv.ParseInt(s[:first], 10, 64)
	if err != nil {
		return realtime.StreamID{}, false
	}
	return realtime.StreamID{EventID: ev, Topic: s[first+1 : last], Staff: s[last+1:] == "s"}, true
}

// keys of one stream: its counter, epoch and history; then the global log;
// then the last source the stream took.
func (b *Broker) keys(id realtime.StreamID) []string {
	n := b.prefix + "s:" + name(id)
	return []string{n + ":seq", n + ":epoch", n + ":hist", b.prefix + "events", n + ":src"}
}

// ensureEpoch is shared by the scripts: a stream without an epoch (new, or
// lost with Redis's data) starts over under the proposed one.
const ensureEpoch = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[1], KEYS[3])
end
`

// publishScript drops a message whose source the stream has taken already
// (ARGV[8]; sources compare as strings), so that a publisher that took
// over from a failed one may publish the last few again.
var publishScript = goredis.NewScript(`
if ARGV[8] ~= '' then
  local last = redis.call('GET', KEYS[5])
  if last and last >= ARGV[8] then
    return 0
  end
  redis.call('SET', KEYS[5], ARGV[8])
end
` + ensureEpoch + `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], seq .. '-1', 't', ARGV[2], 'a', ARGV[3], 'd', ARGV[4])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 's', ARGV[7], 'e', epoch, 'n', seq, 't', ARGV[2], 'a', ARGV[3], 'd', ARGV[4])
return seq
`)

// Publish implements realtime.Broker.
func (b *Broker) Publish(ctx context.Context, id realtime.StreamID, e realtime.Entry, newEpoch string) error {
	return publishScript.Run(ctx, b.rdb, b.keys(id),
		newEpoch, e.Type, e.At.UnixNano(), e.Data, b.historyMax, b.eventsMax, name(id), e.Source).Err()
}

// PublishEphemeral implements realtime.Broker: an entry of the global log
// with seq 0, in no stream's history.
func (b *Broker) PublishEphemeral(ctx context.Context, id realtime.StreamID, e realtime.Entry) error {
	return b.rdb.XAdd(ctx, &goredis.XAddArgs{
		Stream: b.prefix + "events",
		MaxLen: int64(b.eventsMax),
		Approx: true,
		Values: []any{"s", name(id), "e", "", "n", "0", "t", e.Type, "a", e.At.UnixNano(), "d", e.Data},
	}).Err()
}

var loadScript = goredis.NewScript(ensureEpoch + `
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
return {epoch, seq, redis.call('XRANGE', KEYS[3], '-', '+')}
`)

// Load implements realtime.Broker.
func (b *Broker) Load(ctx context.Context, id realtime.StreamID, newEpoch string) (string, uint64, []realtime.Entry, error) {
	res, err := loadScript.Run(ctx, b.rdb, b.keys(id), newEpoch).Slice()
	if err != nil {
		return "", 0, nil, err
	}
	if len(res) != 3 {
		return "", 0, nil, errors.New("redis: unexpected load reply")
	}
	epoch, _ := res[0].(string)
	head, _ := res[1].(int64)
	events, err := parseHistory(res[2])
	return epoch, uint64(head), events, err
}

var rangeScript = goredis.NewScript(`
return {redis.call('GET', KEYS[2]) or '', redis.call('XRANGE', KEYS[3], ARGV[1] .. '-1', ARGV[2] .. '-1')}
`)

// Range implements realtime.Broker.
func (b *Broker) Range(ctx context.Context, id realtime.StreamID, from, to uint64) (string, []realtime.Entry, error) {
	res, err := rangeScript.Run(ctx, b.rdb, b.keys(id), from, to).Slice()
	if err != nil {
		return "", nil, err
	}
	if len(res) != 2 {
		return "", nil, errors.New("redis: unexpected range reply")
	}
	epoch, _ := res[0].(string)
	events, err := parseHistory(res[1])
	return epoch, events, err
}

var rotateScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[2])
if cur and cur ~= ARGV[4] then
  return -1
end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 's', ARGV[3], 'e', ARGV[1], 'n', seq, 't', '', 'a', '0', 'd', '')
return seq
`)

// Rotate implements realtime.Broker.
func (b *Broker) Rotate(ctx context.Context, id realtime.StreamID, old, newEpoch string) error {
	return rotateScript.Run(ctx, b.rdb, b.keys(id), newEpoch, b.eventsMax, name(id), old).Err()
}

// Position implements realtime.Broker: the id of the newest entry of the
// global log ("0-0" when it is empty).
func (b *Broker) Position(ctx context.Context) (string, error) {
	msgs, err := b.rdb.XRevRangeN(ctx, b.prefix+"events", "+", "-", 1).Result()
	if err != nil {
		return "", err
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}

// Follow implements realtime.Broker.
func (b *Broker) Follow(ctx context.Context, pos string, deliver func(realtime.StreamID, string, realtime.Entry)) error {
	for {
		streams, err := b.rdb.XRead(ctx, &goredis.XReadArgs{
			Streams: []string{b.prefix + "events", pos},
			Count:   1000,
			Block:   time.Second,
		}).Result()
		if errors.Is(err, goredis.Nil) {
			continue // nothing within the block time
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for _, st := range streams {
			for _, m := range st.Messages {
				pos = m.ID
				id, ok := parseName(field(m.Values, "s"))
				if !ok {
					continue
				}
				e, err := entryOf(m.Values)
				if err != nil {
					continue
				}
				deliver(id, field(m.Values, "e"), e)
			}
		}
	}
}

// Ping implements realtime.Broker.
func (b *Broker) Ping(ctx context.Context) error { return b.rdb.Ping(ctx).Err() }

func field(v map[string]any, k string) string {
	s, _ := v[k].(string)
	return s
}

// entryOf reads the fields t (type), a (unix nanoseconds), d (data) and n
// (seq; for history entries it is the id's first part instead).
func entryOf(v map[string]any) (realtime.Entry, error) {
	at, err1 := strconv.ParseInt(field(v, "a"), 10, 64)
	seq, err2 := strconv.ParseUint(field(v, "n"), 10, 64)
	if err1 != nil || err2 != nil {
		return realtime.Entry{}, errors.New("redis: malformed event")
	}
	return realtime.Entry{Seq: seq, Type: field(v, "t"), At: time.Unix(0, at), Data: []byte(field(v, "d"))}, nil
}

// parseHistory reads an XRANGE reply of a stream's history, whose entry
// ids are "SEQ-1".
func parseHistory(v any) ([]realtime.Entry, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, errors.New("redis: unexpected history reply")
	}
	out := make([]realtime.Entry, 0, len(items))
	for _, it := range items {
		pair, ok := it.([]any)
		if !ok || len(pair) != 2 {
			return nil, errors.New("redis: unexpected history entry")
		}
		id, _ := pair[0].(string)
		seqStr, _, _ := strings.Cut(id, "-")
		flat, _ := pair[1].([]any)
		values := make(map[string]any, len(flat)/2)
		for i := 0; i+1 < len(flat); i += 2 {
			k, _ := flat[i].(string)
			values[k] = flat[i+1]
		}
		values["n"] = seqStr
		e, err := entryOf(values)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// presenceScript keeps one field per replica, "COUNT:UNIXMS", and sums the
// fields refreshed within the last ARGV[3] ms; older ones (replicas gone)
// are removed.
var presenceScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local total = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local count, at = string.match(all[i + 1], '^(%d+):(%d+)$')
  if count and now - tonumber(at) <= tonumber(ARGV[3]) then
    total = total + tonumber(count)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return total
`)

// presenceTTL is how long a replica's count is believed without a refresh.
const presenceTTL = 10 * time.Second

// Presence implements realtime.Broker.
func (b *Broker) Presence(ctx context.Context, id realtime.StreamID, replica string, count int) (int, error) {
	key := b.prefix + "presence:" + name(id)
	n, err := presenceScript.Run(ctx, b.rdb, []string{key}, replica, count, presenceTTL.Milliseconds()).Int()
	return n, err
}
