package bluesky

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
)

const (
	searchLimit = 100
	// searchPages bounds one query's pages in a round: a gap of more
	// posts than that is filled only in part.
	searchPages = 10
	// searchLag is how far before the newest indexedAt seen a round asks
	// from: search indexes a post a little after its indexedAt.
	searchLag    = time.Minute
	maxRateWait  = 15 * time.Minute
	searchMethod = "app.bsky.feed.searchPosts"
)

// search polls searchPosts for every hashtag and keyword until ctx ends
// or a refusal only the organiser can mend, which it returns.
func (s *Source) search(ctx context.Context, pos position, found chan<- searchBatch, notes chan<- note) error {
	since := pos.Since
	if since == "" && pos.TimeUS > 0 {
		since = time.UnixMicro(pos.TimeUS).UTC().Format(time.RFC3339Nano)
	}
	for {
		newest, posts, err := s.searchRound(ctx, since)
		if len(posts) > 0 || newest != since {
			select {
			case found <- searchBatch{posts: posts, since: newest}:
			case <-ctx.Done():
				return ctx.Err()
			}
			since = newest
		}
		wait := s.opts.PollEvery
		if err != nil {
			if errors.Is(err, ingest.ErrNeedsOrganizer) || ctx.Err() != nil {
				return err
			}
			if e := asXRPC(err); e != nil && e.Status == http.StatusTooManyRequests && e.RateLimit != nil {
				wait = min(max(e.RateLimit.Reset.Sub(s.opts.Now()), wait), maxRateWait)
			}
			select {
			case notes <- note{err: err}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := ingest.Wait(ctx, wait); err != nil {
			return err
		}
	}
}

// searchRound asks each query for what was indexed from since on, and
// returns the newest indexedAt seen with the posts that match. Without
// since it only learns where search is: the stream brings what is new.
// After an error it returns what it found with since unchanged, so the
// next round asks again.
func (s *Source) searchRound(ctx context.Context, since string) (string, []koe.Post, error) {
	from := ""
	if t, err := time.Parse(time.RFC3339Nano, since); err == nil {
		from = t.Add(-searchLag).UTC().Format(time.RFC3339Nano)
	}
	newest := since
	var posts []koe.Post
	for _, q := range s.queries {
		page := ""
		for range searchPages {
			params := url.Values{"q": {q}, "sort": {"latest"}, "limit": {strconv.Itoa(searchLimit)}}
			if from != "" {
				params.Set("since", from)
			}
			if page != "" {
				params.Set("cursor", page)
			}
			var out struct {
				Cursor string     `json:"cursor"`
				Posts  []postView `json:"posts"`
			}
			err := s.authed(ctx, func(token, _ string) error {
				return s.call(ctx, searchMethod, params, nil, token, &out)
			})
			if err != nil {
				return since, posts, err
			}
			for _, v := range out.Posts {
				if later(v.IndexedAt, newest) {
					newest = v.IndexedAt
				}
				if from == "" {
					continue
				}
				if p, ok := viewPost(v, s.match); ok {
					s.profiles.put(v.Author, s.opts.Now())
					posts = append(posts, p)
				}
			}
			if from == "" || out.Cursor == "" || len(out.Posts) < searchLimit {
				break
			}
			page = out.Cursor
		}
	}
	return newest, posts, nil
}
