// Package mastodon follows hashtags on a Mastodon instance for koe's
// social feed: it polls the hashtag timeline (several tags in one with
// any[]) and, with a user access token, streams each hashtag over
// Server-Sent Events, polling once before every (re)connection so that
// nothing published meanwhile is lost. The cursor is the newest status id
// delivered. It also favourites and boosts for operators (Engage).
package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
)

// pageLimit is the most statuses Mastodon gives in one timeline page.
const pageLimit = 40

// maxRateWait bounds a wait for a rate limit's reset: a Reset further
// away is a skewed clock or a broken header, and koe asks again then.
const maxRateWait = 15 * time.Minute

// Source follows a Mastodon source's hashtags.
type Source struct {
	base  string // the instance's URL, without a trailing slash
	host  string
	tags  []string
	token string
	opts  ingest.Options
}

var (
	_ ingest.Source  = (*Source)(nil)
	_ ingest.Engager = (*Source)(nil)
)

// New makes the client of src (a mastodon source: Config.Instance, its
// Hashtags, Config.Secret an optional user access token).
func New(src *koe.Source, opts ingest.Options) (*Source, error) {
	base := strings.TrimRight(src.Config.Instance, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("mastodon: instance %q is not an http(s) URL", src.Config.Instance)
	}
	var tags []string
	for _, t := range src.Config.Hashtags {
		if t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#")); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil, errors.New("mastodon: a source needs at least one hashtag")
	}
	return &Source{base: base, host: u.Host, tags: tags, token: src.Config.Secret, opts: opts.Defaults()}, nil
}

// Run follows the hashtags from cursor until ctx ends or a failure
// (ingest.Source).
func (s *Source) Run(ctx context.Context, cursor string, sink ingest.Sink) error {
	if !validID(cursor) {
		cursor = ""
	}
	r := &run{src: s, sink: sink, cursor: cursor, seen: map[string]bool{}}
	if s.token == "" {
		return r.poll(ctx)
	}
	return r.stream(ctx)
}

// run is one Run's state, owned by the goroutine that called Run: only it
// delivers, reports and moves the cursor.
type run struct {
	src    *Source
	sink   ingest.Sink
	cursor string
	state  string
	limit  *koe.RateLimit
	// seen holds the ids delivered lately, so that a status both polled
	// and streamed (or streamed for two of its hashtags) is delivered
	// once; order (oldest first) keeps it to maxSeen.
	seen  map[string]bool
	order []string
}

// maxSeen is how many delivered ids a run remembers.
const maxSeen = 1000

func (r *run) report(state string, err error) {
	r.state = state
	st := ingest.Status{State: state, Err: err}
	if r.limit != nil {
		rl := *r.limit
		st.RateLimit = &rl
	}
	r.sink.Report(st)
}

// poll asks the timeline every PollEvery.
func (r *run) poll(ctx context.Context) error {
	r.report("polling", nil)
	for {
		if err := r.forward(ctx); err != nil {
			return err
		}
		if err := ingest.Wait(ctx, r.src.opts.PollEvery); err != nil {
			return err
		}
	}
}

// forward delivers what the timeline holds after the cursor, page by page
// oldest first; with no cursor yet, its newest page.
func (r *run) forward(ctx context.Context) error {
	for {
		q := url.Values{}
		for _, t := range r.src.tags[1:] {
			q.Add("any[]", t)
		}
		q.Set("limit", fmt.Sprint(pageLimit))
		if r.cursor != "" {
			q.Set("min_id", r.cursor)
		}
		page, err := r.timeline(ctx, q)
		if err != nil {
			r.report(r.state, err)
			return err
		}
		full := len(page) >= pageLimit
		before := r.cursor
		if before == "" && len(page) == 0 {
			// The hashtag has no posts yet: every one from now on is
			// new, however many come before the next poll.
			if err := r.sink.Deliver(ctx, nil, "0"); err != nil {
				return fmt.Errorf("mastodon: delivering: %w", err)
			}
			r.cursor = "0"
			return nil
		}
		if err := r.deliver(ctx, page); err != nil {
			return err
		}
		// A first page starts the cursor; a page that does not move it
		// (an instance ignoring min_id) would repeat forever.
		if !full || before == "" || r.cursor == before {
			return nil
		}
	}
}

// deliver gives sink the statuses of page it has not had, oldest first,
// with the newest id as the cursor (never an older one than it holds).
func (r *run) deliver(ctx context.Context, page []status) error {
	page = slices.DeleteFunc(page, func(st status) bool { return !validID(st.ID) || r.seen[st.ID] })
	if len(page) == 0 {
		return nil
	}
	slices.SortFunc(page, func(a, b status) int {
		switch {
		case idLess(a.ID, b.ID):
			return -1
		case idLess(b.ID, a.ID):
			return 1
		}
		return 0
	})
	page = slices.CompactFunc(page, func(a, b status) bool { return a.ID == b.ID })
	posts := make([]koe.Post, 0, len(page))
	for _, st := range page {
		posts = append(posts, toPost(st, r.src.host))
	}
	cursor := r.cursor
	if newest := page[len(page)-1].ID; cursor == "" || idLess(cursor, newest) {
		cursor = newest
	}
	if err := r.sink.Deliver(ctx, posts, cursor); err != nil {
		return fmt.Errorf("mastodon: delivering: %w", err)
	}
	r.cursor = cursor
	for _, st := range page {
		r.seen[st.ID] = true
		r.order = append(r.order, st.ID)
	}
	if len(r.order) > maxSeen {
		for _, id := range r.order[:len(r.order)-maxSeen] {
			delete(r.seen, id)
		}
		r.order = slices.Delete(r.order, 0, len(r.order)-maxSeen)
	}
	return nil
}

// timeline gets one page of the hashtag timeline: the first tag in the
// path, the others in q's any[].
func (r *run) timeline(ctx context.Context, q url.Values) ([]status, error) {
	u := r.src.base + "/api/v1/timelines/tag/" + url.PathEscape(r.src.tags[0]) + "?" + q.Encode()
	body, status, err := r.request(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	switch {
	case status == http.StatusOK:
	case status == http.StatusNotFound:
		// The instance knows no such tag yet: no posts.
		return nil, nil
	case r.src.token != "" && (status == http.StatusUnauthorized || status == http.StatusForbidden):
		return nil, fmt.Errorf("mastodon: %s: the instance refused the access token (%s): %w", r.src.host, platformMessage(body, status), ingest.ErrNeedsOrganizer)
	case r.src.token == "" && (status == http.StatusUnauthorized || status == http.StatusForbidden ||
		(status == http.StatusUnprocessableEntity && strings.Contains(platformMessage(body, status), "authenticated"))):
		return nil, fmt.Errorf("mastodon: %s does not serve its hashtag timeline publicly (%s); add a user access token of an account there: %w", r.src.host, platformMessage(body, status), ingest.ErrNeedsOrganizer)
	default:
		return nil, fmt.Errorf("mastodon: GET %s: %d %s", r.src.host, status, platformMessage(body, status))
	}
	page, err := decodeStatuses(body)
	if err != nil {
		return nil, fmt.Errorf("mastodon: %s: a timeline that is not JSON statuses: %w", r.src.host, err)
	}
	return page, nil
}

// request makes an API request with the run's token, keeping within the
// instance's rate limit: it waits for the reset when the budget is spent
// and after a 429 (reporting "waiting"), then asks again.
func (r *run) request(ctx context.Context, method, u string) ([]byte, int, error) {
	for {
		if err := r.waitBudget(ctx); err != nil {
			return nil, 0, err
		}
		body, resp, err := r.src.do(ctx, method, u)
		if err != nil {
			return nil, 0, err
		}
		if rl := ingest.RateLimitFrom(resp.Header); rl != nil {
			changed := r.limit == nil || *r.limit != *rl
			r.limit = rl
			if changed && resp.StatusCode != http.StatusTooManyRequests {
				r.report(r.state, nil)
			}
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			return body, resp.StatusCode, nil
		}
		wait := r.src.opts.Retry
		if r.limit != nil {
			wait = max(wait, min(r.limit.Reset.Sub(r.src.opts.Now()), maxRateWait))
		}
		if err := r.waitFor(ctx, wait); err != nil {
			return nil, 0, err
		}
	}
}

// waitBudget waits for the reset when the last response said no request
// is left.
func (r *run) waitBudget(ctx context.Context) error {
	if r.limit == nil || r.limit.Remaining > 0 {
		return nil
	}
	wait := min(r.limit.Reset.Sub(r.src.opts.Now()), maxRateWait)
	if wait <= 0 {
		return nil
	}
	return r.waitFor(ctx, wait)
}

// waitFor reports "waiting" for d, then the state before.
func (r *run) waitFor(ctx context.Context, d time.Duration) error {
	before := r.state
	r.report("waiting", nil)
	if err := ingest.Wait(ctx, d); err != nil {
		return err
	}
	// The budget is renewed at the reset; the next response tells anew.
	if r.limit != nil && r.limit.Remaining == 0 {
		r.limit.Remaining = r.limit.Limit
	}
	r.report(before, nil)
	return nil
}

// do makes one request with the source's token and reads its body.
func (s *Source) do(ctx context.Context, method, u string) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("mastodon: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("mastodon: %s %s: %w", method, s.host, err)
	}
	defer resp.Body.Close()
	body, err := ingest.ReadBody(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("mastodon: %s %s: reading: %w", method, s.host, err)
	}
	return body, resp, nil
}

// platformMessage is the "error" of Mastodon's JSON error body, else the
// HTTP status text.
func platformMessage(body []byte, status int) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return http.StatusText(status)
}
