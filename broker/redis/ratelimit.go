package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// takeScript is GCRA, the token bucket kept as one timestamp: the
// theoretical arrival time (TAT) of the next request, in microseconds of
// Redis's clock, so replica clocks do not matter. A bucket of n tokens
// refilled at n per period admits a request when it would push the TAT at
// most n intervals past now; otherwise it answers how long to wait.
var takeScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local capacity = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next = tat + interval
if next - capacity > now then
  return next - capacity - now
end
redis.call('SET', KEYS[1], next, 'PX', math.ceil((next - now) / 1000) + 1)
return 0
`)

// Take implements api.SharedBuckets.
func (b *Broker) Take(ctx context.Context, key string, n int, per time.Duration) (time.Duration, error) {
	interval := per.Microseconds() / int64(n)
	waitUS, err := takeScript.Run(ctx, b.rdb, []string{b.prefix + "rl:" + key}, interval, n).Int64()
	if err != nil {
		return 0, err
	}
	return time.Duration(waitUS) * time.Microsecond, nil
}
