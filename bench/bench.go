// Package bench is koe's load generator, the `koe bench` subcommand. It
// drives simulated participants against any koe URL over the public HTTP
// and WebSocket API and prints its figures as key=value lines, one per line,
// with context as "# " comment lines, so that bench/run.sh (`make bench`)
// and people can both read them.
//
// Scenarios and their main figures:
//
//	fanout  N subscribers on one talk while questions and likes are posted:
//	        fanout_p50_ms, fanout_p99_ms (server accept → subscriber receipt of
//	        question.created, over every subscriber × question), fanout_lost,
//	        fanout_floor_ms (with --write-cost-us: write_cost_us × subscribers +
//	        the flush interval), post_p99_ms, like_p99_ms, fanout_likes_p99_ms (like acknowledged → question.likes
//	        received, sampled), resets, subscribers, generator_cpu_pct
//	idle    N idle subscribed connections: idle_conn_kb, server memory each
//	likes   concurrent like/unlike clients: likes_per_s, likes_lost
//	moderation  asks in pre-moderation with a slow HTTP scorer, moderators'
//	        consoles on the queue: moderated_ask_p99_ms, queue_p99_ms, queue_lost
//	reactions  taps while N subscribers watch: reactions_per_s, reactions_p99_ms
//	        (window's earliest tap → subscriber receipt), reactions_lost
//	overlay  highlights reaching overlay clients (a screen link's key) among N
//	        audience subscribers: overlay_p99_ms, overlay_missing
//	polls   concurrent voters changing their votes in one poll: poll_votes_per_s,
//	        poll_votes_lost
//	export  a talk of 1,000 questions exported in each format: export_p99_ms
//	listtop  32 participants list a talk's top 20 of 1,000 questions as fast as
//	        the server answers: list_top_per_s, list_top_p99_ms
//	import  a 500-talk pretalx schedule imported into new events: import_talks_per_s
//
// --url may list several replicas of one koe (scaled mode), separated by
// commas: the event, talk and seed questions are created on the first;
// participants join, writers post and subscribers connect to each replica in
// turn (number i to replica i modulo their number), so that most deliveries
// cross replicas.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = `usage: koe bench <scenario> [flags]

scenarios:
  fanout   subscribers receive questions and likes while they are posted
  idle     server memory per idle subscribed WebSocket connection
  likes    like/unlike throughput and exactness of like counts
  moderation  moderated asking with an HTTP scorer, and the queue's delivery to moderators
  reactions   taps as fast as the server takes them while subscribers watch the summed windows
  overlay     highlights reaching overlay clients while an audience follows the talk
  polls       voters voting and changing their votes in one poll, and the exactness of its results
  export      a talk of 1,000 questions exported as Markdown, CSV and JSON
  listtop     participants listing a talk's top 20 of 1,000 questions as fast as the server answers
  import      a pretalx schedule of 500 talks imported into new events, again unchanged, then changed

Run "koe bench <scenario> -h" for the scenario's flags.
`

// Main runs one scenario and returns the process exit code: 0 on success,
// 1 when setup or the run failed, 2 on bad usage.
func Main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
		return 0
	}
	run := map[string]func(context.Context, []string, *report) error{
		"fanout":     runFanout,
		"idle":       runIdle,
		"likes":      runLikes,
		"moderation": runModeration,
		"ingest":     runIngest,
		"reactions":  runReactions,
		"overlay":    runOverlay,
		"polls":      runPolls,
		"export":     runExport,
		"listtop":    runListTop,
		"import":     runImport,
	}[args[0]]
	if run == nil {
		fmt.Fprintf(os.Stderr, "koe bench: unknown scenario %q\n%s", args[0], usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, args[1:], &report{w: os.Stdout})
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "koe bench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// errUsage reports bad flags, after the reason was printed.
var errUsage = errors.New("usage")

// badFlags prints why the flags are wrong and returns errUsage.
func badFlags(format string, args ...any) error {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	return errUsage
}

// common holds the flags every scenario takes.
type common struct {
	url     string   // as given: one base URL, or several separated by commas
	urls    []string // url split, without trailing slashes
	token   string
	timeout time.Duration
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL of the koe server, or comma-separated base URLs of replicas of one koe: setup goes to the first, participants, writers and subscribers to each in turn")
	fs.StringVar(&c.token, "token", os.Getenv("KOE_OWNER_TOKEN"), "staff (owner) bearer token; default $KOE_OWNER_TOKEN")
	fs.DurationVar(&c.timeout, "timeout", 0, "bound on the whole run (default: the scenario's duration + 3m)")
}

// parse parses args and checks the common flags.
func (c *common) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	switch {
	case fs.NArg() > 0:
		return badFlags("unexpected arguments: %q", fs.Args())
	case c.token == "":
		return badFlags("--token (or $KOE_OWNER_TOKEN) is required")
	}
	c.urls = nil
	for u := range strings.SplitSeq(c.url, ",") {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return badFlags("--url: %q must start with http:// or https://", u)
		}
		c.urls = append(c.urls, u)
	}
	return nil
}

// context bounds the run. work is how long the scenario expects to take;
// the run may last work + 3 minutes of setup, drain and teardown unless
// --timeout says otherwise.
func (c *common) context(ctx context.Context, work time.Duration) (context.Context, context.CancelFunc) {
	d := c.timeout
	if d <= 0 {
		d = work + 3*time.Minute
	}
	return context.WithTimeout(ctx, d)
}

// parseIPs parses a comma-separated list of IP addresses.
func parseIPs(s string) ([]net.IP, error) {
	if s == "" {
		return nil, nil
	}
	var ips []net.IP
	for f := range strings.SplitSeq(s, ",") {
		ip := net.ParseIP(strings.TrimSpace(f))
		if ip == nil {
			return nil, badFlags("--source-ips: %q is not an IP address", f)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// report prints figures as key=value lines and context as comments.
type report struct {
	w io.Writer
}

func (r *report) comment(format string, args ...any) {
	fmt.Fprintf(r.w, "# "+format+"\n", args...)
}

func (r *report) int(key string, v int64) {
	fmt.Fprintf(r.w, "%s=%d\n", key, v)
}

// float prints v with two decimals, or NaN when nothing was measured.
func (r *report) float(key string, v float64) {
	s := "NaN"
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	fmt.Fprintf(r.w, "%s=%s\n", key, s)
}

// generator describes the generator process for the report header.
func generator() string {
	return fmt.Sprintf("generator GOMAXPROCS=%d %s", runtime.GOMAXPROCS(0), runtime.Version())
}

// sleep waits for d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logf reports a problem that does not stop the run.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "koe bench: "+format+"\n", args...)
}
