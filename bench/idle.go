package bench

import (
	"context"
	"flag"
	"strconv"
	"time"
)

// runIdle measures how much server memory an idle subscribed connection
// costs: the server's VmRSS before and after opening the connections,
// divided by their number. The server cannot be made to collect garbage
// from outside, so the second reading waits for a settle period instead.
func runIdle(ctx context.Context, args []string, r *report) error {
	var c common
	var sf subFlags
	fs := flag.NewFlagSet("koe bench idle", flag.ContinueOnError)
	c.register(fs)
	sf.register(fs)
	pid := fs.Int("pid", 0, "process id of the server, on this machine (required: its VmRSS is read from /proc)")
	settle := fs.Duration("settle", 5*time.Second, "wait after the last connection before reading memory again")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if *pid <= 0 {
		return badFlags("--pid is required")
	}
	if len(c.urls) > 1 {
		return badFlags("idle measures the memory of one server (--pid): give one --url")
	}
	ctx, cancel := c.context(ctx, *settle)
	defer cancel()
	spid := strconv.Itoa(*pid)

	a := newAPI(c.urls, c.token, 64)
	t, err := a.newTalk(ctx)
	if err != nil {
		return err
	}
	// Joining first keeps the participants' own cost out of the figure.
	tokens, err := sf.join(ctx, a, t, r)
	if err != nil {
		return err
	}
	before, err := rssKB(spid)
	if err != nil {
		return err
	}
	subs, err := sf.open(ctx, a, t, tokens, 0, nil, r)
	if err != nil {
		return err
	}
	defer closeAll(subs)
	if err := sleep(ctx, *settle); err != nil {
		return err
	}
	after, err := rssKB(spid)
	if err != nil {
		return err
	}
	tot := totals(subs)
	r.comment("idle: %d subscribers to %s, %s; server VmRSS %d kB before, %d kB after", len(subs), c.url, generator(), before, after)
	r.int("idle_subscribers", int64(len(subs)-tot.dropped))
	r.float("idle_conn_kb", float64(after-before)/float64(len(subs)))
	return nil
}
