package bench

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"
)

// subFlags are the flags of scenarios that open subscribers.
type subFlags struct {
	subscribers  int
	participants int
	concurrency  int
	sourceIPs    string
	ips          []net.IP
	cache        *scanCache // shared by all subscribers
}

func (f *subFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.subscribers, "subscribers", 10000, "WebSocket subscribers to open")
	fs.IntVar(&f.participants, "participants", 0, "distinct participants the subscribers join as, shared round robin (0: one each)")
	fs.IntVar(&f.concurrency, "dial-concurrency", 200, "connection attempts in flight at once")
	fs.StringVar(&f.sourceIPs, "source-ips", "", "comma-separated local addresses to spread connections over (e.g. 127.0.0.2,127.0.0.3), for more than one address's ephemeral ports")
}

func (f *subFlags) check() error {
	if f.subscribers < 1 || f.participants < 0 || f.concurrency < 1 {
		return badFlags("--subscribers and --dial-concurrency must be positive, --participants not negative")
	}
	if f.participants == 0 || f.participants > f.subscribers {
		f.participants = f.subscribers
	}
	f.cache = newScanCache()
	var err error
	f.ips, err = parseIPs(f.sourceIPs)
	return err
}

// join joins the participants the subscribers will use.
func (f *subFlags) join(ctx context.Context, a *api, t talkRef, r *report) ([]string, error) {
	start := time.Now()
	tokens, err := a.joinMany(ctx, t.joinCode, f.participants, 64)
	if err == nil {
		r.comment("joined %d participants in %.1fs", len(tokens), time.Since(start).Seconds())
	}
	return tokens, err
}

// open opens the subscribers on talk t, subscriber i on replica a.at(i);
// the first trackLikes of them record question.likes events, and each
// what measure(i) says (nil: nothing more).
func (f *subFlags) open(ctx context.Context, a *api, t talkRef, tokens []string, trackLikes int, measure func(int) measure, r *report) ([]*subscriber, error) {
	start := time.Now()
	subs, err := openSubscribers(ctx, dialConfig{
		url:         func(i int) string { return liveURL(a.at(i).base, t.event) },
		topic:       fmt.Sprintf("talk:%d", t.talk),
		tokens:      tokens,
		sourceIPs:   f.ips,
		concurrency: f.concurrency,
		trackLikes:  trackLikes,
		measure:     measure,
		cache:       f.cache,
	}, f.subscribers)
	if err == nil {
		r.comment("opened %d subscribers in %.1fs", len(subs), time.Since(start).Seconds())
	}
	return subs, err
}
