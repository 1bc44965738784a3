package mastodon

import (
	"context"
	"net/http"
	"net/url"

	"github.com/koehq/koe"
)

// Engage favourites or boosts p on the instance with the source's token
// (ingest.Engager).
func (s *Source) Engage(ctx context.Context, p *koe.Post, action string) error {
	var verb string
	switch action {
	case "favourite":
		verb = "favourite"
	case "boost":
		verb = "reblog"
	default:
		return koe.Errorf(koe.EINVALID, "Mastodon has no action %q: favourite or boost", action)
	}
	if s.token == "" {
		return koe.Errorf(koe.EFORBIDDEN, "the Mastodon source has no access token to %s with", action)
	}
	if p.Ref == "" {
		return koe.Errorf(koe.EINVALID, "the post has no status id on %s", s.host)
	}
	body, resp, err := s.do(ctx, http.MethodPost, s.base+"/api/v1/statuses/"+url.PathEscape(p.Ref)+"/"+verb)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return koe.Errorf(koe.EUNAVAILABLE, "%s", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return koe.Errorf(koe.EFORBIDDEN, "%s refused to %s: %s", s.host, action, platformMessage(body, resp.StatusCode))
	default:
		return koe.Errorf(koe.EUNAVAILABLE, "%s could not %s: %d %s", s.host, action, resp.StatusCode, platformMessage(body, resp.StatusCode))
	}
}
