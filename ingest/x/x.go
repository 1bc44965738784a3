// Package x follows hashtags and keywords on X (Twitter) through API v2's
// recent search, with an app's bearer token. It only reads: liking or
// reposting on X needs a user's OAuth consent, which koe does not ask for.
package x

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
)

// DefaultInstance is X's API.
const DefaultInstance = "https://api.x.com"

const (
	// window is X's rate-limit window; without rate-limit headers koe
	// assumes the self-serve tier's 60 searches in it.
	window       = 15 * time.Minute
	defaultLimit = 60
	// maxHeld is how many posts a poll keeps before delivering them
	// without moving the cursor (a backlog larger than that arrives newest
	// pages first, but whole).
	maxHeld = 2000
)

// Source reads an X source's posts.
type Source struct {
	base   string
	query  string
	bearer string
	opts   ingest.Options
}

var _ ingest.Source = (*Source)(nil)

// New makes the client of src: EINVALID when it has no bearer token
// (Config.Secret) or its terms do not fit in one X query.
func New(src *koe.Source, opts ingest.Options) (*Source, error) {
	c := src.Config
	if c.Secret == "" {
		return nil, koe.Invalid("secret", koe.ReasonEmpty, 0, "an X source needs its app's bearer token as its secret")
	}
	q, err := buildQuery(c.Hashtags, c.Keywords)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(c.Instance, "/")
	if base == "" {
		base = DefaultInstance
	}
	return &Source{base: base, query: q, bearer: c.Secret, opts: opts.Defaults()}, nil
}

// Run polls recent search from cursor (the newest post id seen; "" takes
// the newest page as the start) until ctx ends or a request fails.
func (s *Source) Run(ctx context.Context, cursor string, sink ingest.Sink) error {
	r := &run{Source: s, sink: sink, cursor: cursor}
	r.report("polling", nil)
	for {
		if err := r.poll(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		r.report("polling", nil) // with X's budget as it now stands
		if err := ingest.Wait(ctx, r.interval()); err != nil {
			return err
		}
	}
}

// run is one Run's state, owned by its goroutine.
type run struct {
	*Source
	sink   ingest.Sink
	cursor string
	// rl is X's budget as it last said; skew is how far koe's clock is
	// ahead of X's (from the Date header), so that waits end when X's
	// window does; longestWindow is the longest time to a reset seen, X's
	// window as far as koe can tell.
	rl            *koe.RateLimit
	skew          time.Duration
	longestWindow time.Duration
}

// errStaleCursor is X refusing a since_id older than recent search's
// seven days.
var errStaleCursor = errors.New("X refused the cursor as too old")

// poll fetches everything after the cursor and delivers it oldest first.
func (r *run) poll(ctx context.Context) error {
	since := r.cursor
	if !validID(since) {
		since = ""
	}
	newest := r.cursor
	var held []koe.Post
	token := ""
	for {
		page, err := r.search(ctx, since, token)
		if errors.Is(err, errStaleCursor) {
			// The posts between are beyond recent search: start again
			// from the newest, as a new source would.
			since, token, held = "", "", nil
			continue
		}
		if err != nil {
			return err
		}
		if newerID(page.Meta.NewestID, newest) {
			newest = page.Meta.NewestID
		}
		for _, p := range mapTweets(page) {
			if newerID(p.ExternalID, newest) {
				newest = p.ExternalID
			}
			held = append(held, p)
		}
		token = page.Meta.NextToken
		if since == "" || token == "" {
			break
		}
		if len(held) >= maxHeld {
			if err := r.deliver(ctx, held, ""); err != nil {
				return err
			}
			held = nil
		}
	}
	if !newerID(newest, r.cursor) {
		newest = ""
	}
	return r.deliver(ctx, held, newest)
}

// deliver gives posts to the sink oldest first, each once, in batches;
// each batch moves the cursor to its newest post, the last one to cursor
// ("" moves nothing).
func (r *run) deliver(ctx context.Context, posts []koe.Post, cursor string) error {
	slices.SortFunc(posts, func(a, b koe.Post) int {
		switch {
		case newerID(a.ExternalID, b.ExternalID):
			return 1
		case newerID(b.ExternalID, a.ExternalID):
			return -1
		}
		return 0
	})
	posts = slices.CompactFunc(posts, func(a, b koe.Post) bool { return a.ExternalID == b.ExternalID })
	if len(posts) == 0 && cursor == "" {
		return nil
	}
	for {
		n := min(len(posts), koe.MaxIngestBatch)
		batch, rest := posts[:n], posts[n:]
		at := cursor
		if len(rest) > 0 && cursor != "" {
			at = batch[n-1].ExternalID
		}
		if !newerID(at, r.cursor) {
			at = ""
		}
		if err := r.sink.Deliver(ctx, batch, at); err != nil {
			return err
		}
		if at != "" {
			r.cursor = at
		}
		if posts = rest; len(posts) == 0 {
			return nil
		}
	}
}

// search asks for one page after since (none: the newest), continuing at
// token, waiting out X's rate limit.
func (r *run) search(ctx context.Context, since, token string) (*searchResponse, error) {
	q := url.Values{}
	q.Set("query", r.query)
	q.Set("max_results", "100")
	if since != "" {
		q.Set("since_id", since)
	}
	if token != "" {
		q.Set("next_token", token)
	}
	q.Set("expansions", "author_id,attachments.media_keys")
	q.Set("tweet.fields", "created_at,lang,entities,attachments,note_tweet")
	q.Set("user.fields", "name,username,profile_image_url")
	q.Set("media.fields", "url,preview_image_url,type,alt_text")
	u := r.base + "/2/tweets/search/recent?" + q.Encode()
	for {
		if err := r.awaitBudget(ctx); err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("X search: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+r.bearer)
		req.Header.Set("Accept", "application/json")
		resp, err := r.opts.Client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("X search: %w", err)
		}
		body, err := ingest.ReadBody(resp.Body)
		resp.Body.Close()
		r.noteRateLimit(resp.Header)
		if err != nil {
			return nil, fmt.Errorf("X search: %w", err)
		}
		status := resp.StatusCode
		if status == http.StatusOK {
			return decodeSearch(body)
		}
		msg, params := decodeProblem(body, fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)))
		switch {
		case status == http.StatusTooManyRequests:
			if err := r.waitTooMany(ctx, msg); err != nil {
				return nil, err
			}
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, fmt.Errorf("X refused the bearer token (%d): %s: %w", status, msg, ingest.ErrNeedsOrganizer)
		case status == http.StatusPaymentRequired:
			return nil, fmt.Errorf("X wants payment for searching (402), the app's plan or credits do not cover it: %s: %w", msg, ingest.ErrNeedsOrganizer)
		case status == http.StatusBadRequest && since != "" && slices.Contains(params, "since_id"):
			return nil, fmt.Errorf("%w: %s", errStaleCursor, msg)
		case status == http.StatusBadRequest:
			return nil, fmt.Errorf("X refused the search %q: %s: %w", r.query, msg, ingest.ErrNeedsOrganizer)
		default:
			return nil, fmt.Errorf("X search answered %d: %s", status, msg)
		}
	}
}

// noteRateLimit keeps X's rate-limit headers (x-rate-limit-*, unlike
// Mastodon's X-RateLimit-*) and how far koe's clock is from X's.
func (r *run) noteRateLimit(h http.Header) {
	now := r.opts.Now()
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		// Date is in whole seconds, cut down: the skew found is at least
		// the real one, so waits end after X's reset, never before.
		r.skew = now.Sub(d)
	}
	limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 || remaining < 0 {
		return
	}
	r.rl = &koe.RateLimit{Limit: limit, Remaining: remaining, Reset: time.Unix(reset, 0)}
	if left := min(r.untilReset(), window); left > r.longestWindow {
		r.longestWindow = left
	}
}

// untilReset is how long until X's budget is full again, by koe's clock.
func (r *run) untilReset() time.Duration {
	if r.rl == nil {
		return 0
	}
	return r.rl.Reset.Add(r.skew).Sub(r.opts.Now())
}

// interval is the time between polls: PollEvery, but no shorter than
// X's window over its limit, nor than what spreads the remaining budget
// evenly until the reset.
func (r *run) interval() time.Duration {
	d := r.opts.PollEvery
	if r.rl == nil {
		return max(d, window/defaultLimit)
	}
	d = max(d, r.longestWindow/time.Duration(r.rl.Limit))
	if left := min(r.untilReset(), window); left > 0 && r.rl.Remaining > 0 {
		d = max(d, left/time.Duration(r.rl.Remaining))
	}
	return d
}

// awaitBudget waits for X's reset when the budget is spent.
func (r *run) awaitBudget(ctx context.Context) error {
	if r.rl == nil || r.rl.Remaining > 0 {
		return nil
	}
	d := min(r.untilReset(), window)
	if d <= 0 {
		return nil
	}
	r.report("waiting", nil)
	if err := ingest.Wait(ctx, d); err != nil {
		return err
	}
	r.report("polling", nil)
	return nil
}

// waitTooMany waits after a 429 until X's reset: at least Retry, at most
// X's window.
func (r *run) waitTooMany(ctx context.Context, msg string) error {
	d := window / defaultLimit
	if r.rl != nil {
		d = r.untilReset()
	}
	d = min(max(d, r.opts.Retry), window)
	r.report("waiting", fmt.Errorf("X rate limit (429 %s): waiting %s", msg, d.Round(time.Second)))
	if err := ingest.Wait(ctx, d); err != nil {
		return err
	}
	r.report("polling", nil)
	return nil
}

func (r *run) report(state string, err error) {
	st := ingest.Status{State: state, Err: err}
	if r.rl != nil {
		rl := *r.rl
		st.RateLimit = &rl
	}
	r.sink.Report(st)
}
