package bluesky

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
)

// Engage implements ingest.Engager: "like" and "repost" with the app
// password's account.
func (s *Source) Engage(ctx context.Context, p *koe.Post, action string) error {
	var collection string
	switch action {
	case "like":
		collection = "app.bsky.feed.like"
	case "repost":
		collection = "app.bsky.feed.repost"
	default:
		return koe.Errorf(koe.EINVALID, "Bluesky posts can be liked or reposted, not %q", action)
	}
	if s.secret == "" {
		return koe.Errorf(koe.EFORBIDDEN, "the Bluesky source has no app password to %s with", action)
	}
	if p.Platform != koe.SourceBluesky || !strings.HasPrefix(p.ExternalID, "at://") || p.Ref == "" {
		return koe.Errorf(koe.EINVALID, "the post is not one from Bluesky")
	}
	err := s.authed(ctx, func(token, did string) error {
		return s.call(ctx, "com.atproto.repo.createRecord", nil, map[string]any{
			"repo":       did,
			"collection": collection,
			"record": map[string]any{
				"$type":     collection,
				"subject":   map[string]string{"uri": p.ExternalID, "cid": p.Ref},
				"createdAt": s.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
			},
		}, token, nil)
	})
	e := asXRPC(err)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ingest.ErrNeedsOrganizer) || (e != nil && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)):
		return koe.Errorf(koe.EFORBIDDEN, "Bluesky refused the app password of %s: %v", s.handle, err)
	default:
		return koe.Errorf(koe.EUNAVAILABLE, "Bluesky did not take the %s: %v", action, err)
	}
}
