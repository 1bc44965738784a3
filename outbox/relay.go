// Package outbox relays the changes the store records in its outbox to
// their consumers, in commit order: the real-time streams now; webhooks,
// Slack and the audit log next. A consumer is local (every process, from
// the head when the process starts) or shared (one process at a time,
// holding a lease, from a cursor saved in the database so that the next
// holder resumes there). docs/architecture.md has the design.
package outbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
)

// Consumer handles the changes of the outbox, in order.
type Consumer struct {
	// Name identifies the consumer: its lease and saved cursor (shared) and
	// its metrics.
	Name string
	// Shared consumers run in one process at a time.
	Shared bool
	// Handle is given the changes after those it was given before. An
	// error means "not handled": the same changes come again later. It is
	// also called with none, at least once per Poll, so that a consumer
	// may act on a change of its own state (the real-time consumer when
	// the broker fails).
	Handle func(ctx context.Context, changes []koe.Change) error
	// Flush, if set, runs before a shared consumer's cursor is saved: once
	// it returns, everything handled so far must have been delivered.
	Flush func()
	// Standby, if set, says when a local consumer is not needed: it then
	// reads nothing, and when it is needed again it starts Rewind back
	// (with what it may then be given twice).
	Standby func() bool
	Rewind  time.Duration
}

// Options tune a Relay. Zero values take the defaults.
type Options struct {
	// Batch is how many changes a consumer is given at most at once
	// (default 500).
	Batch int
	// Poll is how often consumers look for changes when nothing woke them
	// (default 1 s).
	Poll time.Duration
	// Gap is the least time between two reads of a consumer (default
	// 5 ms): under load, the commits of that time are read at once, instead
	// of one read for each (a like group commits hundreds of times a
	// second).
	Gap time.Duration
	// SaveEvery is how often a shared consumer saves its cursor (default
	// 1 s); it is saved when the consumer stops too.
	SaveEvery time.Duration
	// Retention is how long changes are kept once every shared consumer
	// has passed them (default 24 h); PruneEvery is how often that is done
	// (default 10 minutes).
	Retention  time.Duration
	PruneEvery time.Duration
	Registry   prometheus.Registerer
	Logger     *slog.Logger
	// Now is the clock of retention and lag (default time.Now).
	Now func() time.Time
}

// Relay runs consumers of one store's outbox.
type Relay struct {
	store     koe.Outbox
	consumers []Consumer
	opts      Options
	log       *slog.Logger
	metrics   *metrics
}

// New returns a relay of consumers; Run runs it.
func New(store koe.Outbox, consumers []Consumer, opts Options) *Relay {
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Gap <= 0 {
		opts.Gap = 5 * time.Millisecond
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = time.Second
	}
	if opts.Retention <= 0 {
		opts.Retention = 24 * time.Hour
	}
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Relay{store: store, consumers: consumers, opts: opts, log: opts.Logger, metrics: newMetrics(opts.Registry)}
}

// Start reads the outbox's head, where local consumers start and where a
// shared consumer that never saved a cursor starts, so that whatever is
// committed once Start returns reaches them; it runs the relay until ctx
// ends. The returned function waits for it to stop.
func (r *Relay) Start(ctx context.Context) (wait func(), err error) {
	var wg sync.WaitGroup
	head, err := r.store.OutboxHead(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range r.consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Shared {
				r.runShared(ctx, c, head)
			} else {
				r.follow(ctx, c, head, nil)
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); r.prune(ctx) }()
	return wg.Wait, nil
}

// runShared holds the consumer's lease whenever it can and follows the
// outbox from its saved cursor while it does; from start when none was
// ever saved.
func (r *Relay) runShared(ctx context.Context, c Consumer, start koe.OutboxPos) {
	for ctx.Err() == nil {
		held, release, err := r.store.Lead(ctx, c.Name)
		if err != nil {
			return // ctx ended
		}
		r.metrics.leader.WithLabelValues(c.Name).Set(1)
		r.log.Info("outbox consumer leads", "consumer", c.Name)
		pos, ok, err := r.store.OutboxCursor(held, c.Name)
		if err == nil && !ok {
			// The first leader starts where its relay started, and says
			// so at once: a leader that died before saving would otherwise
			// leave the next one starting at its own start, past what
			// came in between.
			pos = start
			err = r.store.SaveOutboxCursor(held, c.Name, pos)
		}
		if err == nil {
			saved := pos
			save := func(ctx context.Context, p koe.OutboxPos) {
				if p == saved {
					return
				}
				if c.Flush != nil {
					c.Flush()
				}
				if err := r.store.SaveOutboxCursor(ctx, c.Name, p); err != nil {
					r.log.Warn("outbox cursor not saved", "consumer", c.Name, "error", err)
					return
				}
				saved = p
			}
			work, stop := context.WithCancel(held)
			unhook := context.AfterFunc(ctx, stop)
			last := r.follow(work, c, pos, save)
			unhook()
			stop()
			// Stopping with the lease still held: save where it got to. A
			// lost lease saves nothing: the next leader may have moved on.
			if held.Err() == nil {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				save(sctx, last)
				cancel()
			}
		} else if held.Err() == nil {
			r.log.Warn("outbox consumer cannot start", "consumer", c.Name, "error", err)
			sleep(ctx, r.opts.Poll)
		}
		r.metrics.leader.WithLabelValues(c.Name).Set(0)
		release()
	}
}

// follow hands the consumer every change after pos until ctx ends, and
// returns where it got to. save, if set, is called at most once per
// SaveEvery with the position reached.
func (r *Relay) follow(ctx context.Context, c Consumer, pos koe.OutboxPos, save func(context.Context, koe.OutboxPos)) koe.OutboxPos {
	lastSave := time.Now()
	var lastRead time.Time
	var heads []mark // while on standby
	for ctx.Err() == nil {
		if c.Standby != nil && c.Standby() {
			heads = r.standby(ctx, heads, c.Rewind)
			if len(heads) > 0 && !c.Standby() {
				pos = heads[0].pos // the oldest head kept: at least Rewind ago
				heads = heads[:0]
			}
			continue
		}
		heads = heads[:0]
		if wait := r.opts.Gap - time.Since(lastRead); wait > 0 {
			sleep(ctx, wait)
		}
		lastRead = time.Now()
		written := r.store.OutboxWritten() // before reading: a write after the read wakes us
		changes, more, err := r.store.Changes(ctx, pos, r.opts.Batch)
		if err == nil {
			if err = c.Handle(ctx, changes); err == nil && len(changes) > 0 {
				pos = changes[len(changes)-1].Pos
				r.metrics.relayed.WithLabelValues(c.Name).Add(float64(len(changes)))
				r.metrics.lag.WithLabelValues(c.Name).Set(r.opts.Now().Sub(changes[len(changes)-1].At).Seconds())
			}
		}
		if err != nil && ctx.Err() == nil {
			r.log.Warn("outbox consumer failed; retrying", "consumer", c.Name, "error", err)
			r.metrics.failures.WithLabelValues(c.Name).Inc()
			sleep(ctx, r.opts.Poll)
			continue
		}
		if save != nil && ctx.Err() == nil && time.Since(lastSave) >= r.opts.SaveEvery {
			save(ctx, pos)
			lastSave = time.Now()
		}
		switch {
		case more && len(changes) > 0:
			// A full batch: go on at once.
		case more:
			// Changes are being committed behind an older transaction: read
			// again after the gap.
		default:
			wait := r.opts.Poll
			if save != nil {
				wait = min(wait, r.opts.SaveEvery)
			}
			select {
			case <-ctx.Done():
			case <-written:
			case <-time.After(wait):
			}
		}
	}
	return pos
}

// A mark is where the outbox's head was at a time.
type mark struct {
	at  time.Time
	pos koe.OutboxPos
}

// standby waits a Poll and notes the head, keeping the marks of the last
// rewind (and the newest one older than that).
func (r *Relay) standby(ctx context.Context, heads []mark, rewind time.Duration) []mark {
	if len(heads) > 0 && !sleep(ctx, r.opts.Poll) {
		return heads
	}
	head, err := r.store.OutboxHead(ctx)
	if err != nil {
		return heads
	}
	now := time.Now()
	heads = append(heads, mark{now, head})
	for len(heads) > 1 && now.Sub(heads[1].at) >= rewind {
		heads = heads[1:]
	}
	return heads
}

// prune deletes, once per PruneEvery, the changes older than the retention
// that every shared consumer has passed. The processes take turns through
// a lease of their own.
func (r *Relay) prune(ctx context.Context) {
	for ctx.Err() == nil {
		if !sleep(ctx, r.opts.PruneEvery) {
			return
		}
		held, release, err := r.store.Lead(ctx, "outbox-prune")
		if err != nil {
			return
		}
		upTo, err := r.store.OutboxHead(held)
		for _, c := range r.consumers {
			if !c.Shared || err != nil {
				continue
			}
			pos, ok, cerr := r.store.OutboxCursor(held, c.Name)
			if err = cerr; ok && pos.Before(upTo) {
				upTo = pos
			}
		}
		if err == nil {
			var n int64
			if n, err = r.store.PruneOutbox(held, r.opts.Now().Add(-r.opts.Retention), upTo); n > 0 {
				r.log.Info("outbox pruned", "changes", n)
			}
		}
		if err != nil && held.Err() == nil {
			r.log.Warn("outbox not pruned", "error", err)
		}
		release()
	}
}

// sleep waits for d or ctx, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

type metrics struct {
	relayed, failures *prometheus.CounterVec
	lag, leader       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koe_outbox_relayed_total", Help: "Changes handed to each outbox consumer.",
		}, []string{"consumer"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koe_outbox_failures_total", Help: "Batches of changes an outbox consumer failed to handle (retried).",
		}, []string{"consumer"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "koe_outbox_lag_seconds", Help: "Age of the last change each outbox consumer handled, when it handled it.",
		}, []string{"consumer"}),
		leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "koe_outbox_leader", Help: "1 while this process runs the shared outbox consumer.",
		}, []string{"consumer"}),
	}
	if reg != nil {
		reg.MustRegister(m.relayed, m.failures, m.lag, m.leader)
	}
	return m
}
