package bluesky

import (
	"container/list"
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/koehq/koe"
)

const (
	profilesPerCall = 25 // getProfiles' limit
	// profileTimeout bounds the lookups of one delivery: posts are not
	// held back for profiles.
	profileTimeout = 3 * time.Second
	// profilePause is how long lookups stop after one failed: the posts
	// meanwhile show their author's DID.
	profilePause = 30 * time.Second
)

// profileCache keeps authors' profiles, at most max of them, each for ttl.
type profileCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List // of *cached, least recently stored first
	byDID map[string]*list.Element
	// pausedUntil is when lookups start again after a failure.
	pausedUntil time.Time
}

type cached struct {
	p       profile
	expires time.Time
}

func newProfileCache(max int, ttl time.Duration) *profileCache {
	return &profileCache{max: max, ttl: ttl, order: list.New(), byDID: make(map[string]*list.Element)}
}

func (c *profileCache) get(did string, now time.Time) (profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byDID[did]
	if !ok || now.After(e.Value.(*cached).expires) {
		return profile{}, false
	}
	return e.Value.(*cached).p, true
}

func (c *profileCache) put(p profile, now time.Time) {
	if !strings.HasPrefix(p.DID, "did:") {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byDID[p.DID]; ok {
		c.order.Remove(e)
	}
	c.byDID[p.DID] = c.order.PushBack(&cached{p: p, expires: now.Add(c.ttl)})
	for c.order.Len() > c.max {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.byDID, oldest.Value.(*cached).p.DID)
	}
}

// fillAuthors sets the author of posts that have only their DID (from
// the Jetstream), looking up the profiles it does not hold. A post whose
// profile cannot be had keeps its DID as handle; the error says why.
func (s *Source) fillAuthors(ctx context.Context, posts []koe.Post) error {
	now := s.opts.Now()
	var missing []string
	for _, p := range posts {
		if did := p.AuthorHandle; strings.HasPrefix(did, "did:") {
			if _, ok := s.profiles.get(did, now); !ok && !contains(missing, did) {
				missing = append(missing, did)
			}
		}
	}
	var err error
	if len(missing) > 0 && s.profilesPaused(now) {
		missing = nil
	}
	if len(missing) > 0 {
		ctx, cancel := context.WithTimeout(ctx, profileTimeout)
		for len(missing) > 0 && err == nil {
			n := min(len(missing), profilesPerCall)
			err = s.lookUp(ctx, missing[:n], now)
			missing = missing[n:]
		}
		cancel()
		if err != nil {
			s.profiles.mu.Lock()
			s.profiles.pausedUntil = now.Add(profilePause)
			s.profiles.mu.Unlock()
			err = fmt.Errorf("bluesky: profiles (posts show DIDs meanwhile): %w", err)
		}
	}
	for i := range posts {
		p := &posts[i]
		if strings.HasPrefix(p.AuthorHandle, "did:") {
			if prof, ok := s.profiles.get(p.AuthorHandle, now); ok {
				setAuthor(p, prof)
			}
		}
	}
	return err
}

func (s *Source) profilesPaused(now time.Time) bool {
	s.profiles.mu.Lock()
	defer s.profiles.mu.Unlock()
	return now.Before(s.profiles.pausedUntil)
}

func (s *Source) lookUp(ctx context.Context, dids []string, now time.Time) error {
	var out struct {
		Profiles []profile `json:"profiles"`
	}
	params := url.Values{"actors": dids}
	get := func(token, _ string) error {
		return s.call(ctx, "app.bsky.actor.getProfiles", params, nil, token, &out)
	}
	var err error
	if s.secret != "" {
		err = s.authed(ctx, get)
	} else {
		err = get("", "")
	}
	if err != nil {
		return err
	}
	for _, p := range out.Profiles {
		if contains(dids, p.DID) {
			s.profiles.put(p, now)
		}
	}
	for _, did := range dids {
		if _, ok := s.profiles.get(did, now); !ok {
			s.profiles.put(profile{DID: did}, now) // an account without a profile: not asked again soon
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
