package act

import (
	"context"
	"strconv"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/realtime"
)

// SourceInput is a source as an owner creates or changes it: every field
// optional in a change (nil stays), Secret "" clearing the credential.
type SourceInput struct {
	Kind       *string `json:"kind"`
	Name       *string `json:"name"`
	Enabled    *bool   `json:"enabled"`
	Moderation *string `json:"moderation"`
	Config     *struct {
		Instance  *string   `json:"instance"`
		Jetstream *string   `json:"jetstream"`
		Hashtags  *[]string `json:"hashtags"`
		Keywords  *[]string `json:"keywords"`
		Handle    *string   `json:"handle"`
	} `json:"config"`
	Secret *string `json:"secret"`
}

// update is in as a koe.SourceUpdate.
func (in SourceInput) update() koe.SourceUpdate {
	u := koe.SourceUpdate{Name: in.Name, Enabled: in.Enabled, Secret: in.Secret}
	if in.Moderation != nil {
		m := koe.ModerationMode(*in.Moderation)
		u.Moderation = &m
	}
	if c := in.Config; c != nil {
		u.Instance, u.Jetstream, u.Hashtags, u.Keywords, u.Handle = c.Instance, c.Jetstream, c.Hashtags, c.Keywords, c.Handle
	}
	return u
}

// SourceView is a source as staff see it: never its secret; for a
// webhook, where to send and, once (when it is created or its secret
// renewed), the signing secret.
type SourceView struct {
	*koe.Source
	WebhookURL string `json:"webhook_url,omitempty"`
	Secret     string `json:"secret,omitempty"`
}

func view(s *koe.Source) *SourceView {
	v := &SourceView{Source: s}
	if s.Kind == koe.SourceWebhook {
		v.WebhookURL = "/api/v1/ingest/" + itoa(s.ID)
	}
	return v
}

// Sources lists an event's sources with their health.
func (a *Actions) Sources(ctx context.Context, eventID int64) ([]*SourceView, error) {
	if _, _, err := a.begin(ctx, Moderate, eventID); err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	list, err := a.store.Sources(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]*SourceView, len(list))
	for i, s := range list {
		out[i] = view(s)
	}
	return out, nil
}

// Source returns one of an event's sources with its health.
func (a *Actions) Source(ctx context.Context, eventID, id int64) (*SourceView, error) {
	if _, _, err := a.begin(ctx, Moderate, eventID); err != nil {
		return nil, err
	}
	s, err := a.store.Source(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	return view(s), nil
}

// CreateSource adds a source to an event; a webhook source gets a new
// signing secret, shown in the answer only.
func (a *Actions) CreateSource(ctx context.Context, eventID int64, in SourceInput) (*SourceView, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	if in.Kind == nil {
		return nil, koe.Invalid("kind", koe.ReasonEmpty, 0, "kind must be \"mastodon\", \"bluesky\", \"x\" or \"webhook\"")
	}
	s := &koe.Source{EventID: eventID, Kind: koe.SourceKind(*in.Kind), Enabled: true}
	in.update().Apply(s)
	if s.Kind == koe.SourceWebhook {
		if in.Secret != nil {
			return nil, koe.Invalid("secret", koe.ReasonFormat, 0, "a webhook's signing secret is made by koe and shown once")
		}
		s.Config.Secret = auth.NewSecret("koewh_")
	}
	if err := a.checkSource(ctx, s); err != nil {
		return nil, err
	}
	existing, err := a.store.Sources(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= koe.MaxSources {
		return nil, koe.Errorf(koe.EINVALID, "an event has at most %d sources", koe.MaxSources)
	}
	if err := a.store.CreateSource(ctx, s); err != nil {
		return nil, err
	}
	v := view(s)
	if s.Kind == koe.SourceWebhook {
		v.Secret = s.Config.Secret
	}
	return v, nil
}

// checkSource validates s, and that koe can build its platform's client.
func (a *Actions) checkSource(ctx context.Context, s *koe.Source) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Kind == koe.SourceWebhook {
		return nil
	}
	build := a.platforms[s.Kind]
	if build == nil {
		return koe.Errorf(koe.EINVALID, "this koe cannot follow %s", s.Kind)
	}
	if _, err := build(s, ingest.Options{}); err != nil {
		if koe.ErrorCode(err) != "" {
			return err
		}
		return koe.Errorf(koe.EINVALID, "%v", err)
	}
	return nil
}

// UpdateSource changes a source; the runner restarts it with the new
// configuration, from its cursor.
func (a *Actions) UpdateSource(ctx context.Context, eventID, id int64, in SourceInput) (*SourceView, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	if in.Kind != nil {
		return nil, koe.Invalid("kind", koe.ReasonFormat, 0, "a source's kind cannot change: add another source")
	}
	s, err := a.store.Source(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	u := in.update()
	if s.Kind == koe.SourceWebhook && u.Secret != nil {
		return nil, koe.Invalid("secret", koe.ReasonFormat, 0, "a webhook's secret is koe's: renew it with POST …/secret")
	}
	if !u.Apply(s) {
		return view(s), nil
	}
	if err := a.checkSource(ctx, s); err != nil {
		return nil, err
	}
	s, err = a.store.UpdateSource(ctx, eventID, id, u)
	if err != nil {
		return nil, err
	}
	return view(s), nil
}

// RenewSourceSecret gives a webhook source a new signing secret (the
// old one stops working at once) and returns it, once.
func (a *Actions) RenewSourceSecret(ctx context.Context, eventID, id int64) (*SourceView, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	s, err := a.store.Source(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	if s.Kind != koe.SourceWebhook {
		return nil, koe.Errorf(koe.EINVALID, "only a webhook source has a signing secret koe makes; change the others' secret with PATCH")
	}
	secret := auth.NewSecret("koewh_")
	if s, err = a.store.UpdateSource(ctx, eventID, id, koe.SourceUpdate{Secret: &secret}); err != nil {
		return nil, err
	}
	v := view(s)
	v.Secret = secret
	return v, nil
}

// DeleteSource removes a source; its posts stay.
func (a *Actions) DeleteSource(ctx context.Context, eventID, id int64) error {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return err
	}
	return a.store.DeleteSource(ctx, eventID, id)
}

// PostList is one page of an event's posts, and the position of the feed
// stream read before it.
type PostList struct {
	Posts  []*koe.Post    `json:"posts"`
	Stream StreamPosition `json:"stream"`
}

// PostListQuery is a post list as a client asks for it, unparsed.
type PostListQuery struct {
	Status, Before, Limit string
}

// MaxPostPage bounds one post list.
const MaxPostPage = 100

// Posts lists an event's posts, newest first.
func (a *Actions) Posts(ctx context.Context, eventID int64, in PostListQuery) (*PostList, error) {
	if _, _, err := a.begin(ctx, Moderate, eventID); err != nil {
		return nil, err
	}
	q, err := parsePostQuery(in)
	if err != nil {
		return nil, err
	}
	q.EventID = eventID
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	pos := StreamPosition{Topic: realtime.FeedTopic, Cursor: a.hub.Cursor(realtime.FeedStream(eventID))}
	posts, err := a.store.Posts(ctx, q)
	if err != nil {
		return nil, err
	}
	return &PostList{Posts: posts, Stream: pos}, nil
}

// parsePostQuery reads a post list's parameters.
func parsePostQuery(in PostListQuery) (koe.PostQuery, error) {
	q := koe.PostQuery{Limit: 50}
	switch koe.Status(in.Status) {
	case "", koe.StatusApproved, koe.StatusPending, koe.StatusRejected:
		q.Status = koe.Status(in.Status)
	default:
		return q, koe.Invalid("status", koe.ReasonFormat, 0, "status must be approved, pending or rejected")
	}
	var err error
	q.Before, q.Limit, err = parsePage(in.Before, in.Limit, q.Limit, MaxPostPage)
	return q, err
}

// parsePage reads a list's paging parameters: before, the id of the last
// item of the page before ("" for none), and limit, at most most ("" for
// def).
func parsePage(before, limit string, def, most int) (int64, int, error) {
	var id int64
	if before != "" {
		var err error
		if id, err = ParseID("before", before); err != nil {
			return 0, 0, err
		}
	}
	if limit == "" {
		return id, def, nil
	}
	n, err := strconv.Atoi(limit)
	if err != nil || n < 1 || n > most || strconv.Itoa(n) != limit {
		return 0, 0, koe.Invalid("limit", koe.ReasonFormat, most, "limit must be between 1 and %d", most)
	}
	return id, n, nil
}

// Post returns one of an event's posts.
func (a *Actions) Post(ctx context.Context, eventID, id int64) (*koe.Post, error) {
	if _, _, err := a.begin(ctx, Moderate, eventID); err != nil {
		return nil, err
	}
	return a.store.Post(ctx, eventID, id)
}

// PostPatch is what an operator changes of a post.
type PostPatch struct {
	Hidden   *bool `json:"hidden"`
	Featured *bool `json:"featured"`
}

// UpdatePost hides, shows, features or unfeatures a post; featuring one
// takes the event's other featured post off the screen.
func (a *Actions) UpdatePost(ctx context.Context, eventID, id int64, in PostPatch) (*koe.Post, error) {
	ctx, _, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	return a.store.UpdatePost(ctx, eventID, id, koe.PostUpdate{Hidden: in.Hidden, Featured: in.Featured}, a.now())
}

// Featured returns what the event's screen shows of the feed: its
// featured post (without staff's fields), nil for none.
func (a *Actions) Featured(ctx context.Context, eventID int64) (*koe.Featured, error) {
	if _, _, err := a.begin(ctx, Read, eventID); err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	p, err := a.store.FeaturedPost(ctx, eventID)
	switch {
	case koe.ErrorCode(err) == koe.ENOTFOUND:
		return &koe.Featured{}, nil
	case err != nil:
		return nil, err
	}
	return &koe.Featured{Post: p.PublicView()}, nil
}

// EngageTimeout bounds an action back on a platform.
const EngageTimeout = 10 * time.Second

// EngagePost does an action back on the post's platform (favourite or
// boost on Mastodon, like or repost on Bluesky) with the credential of
// the source that brought it, and records it on the post.
func (a *Actions) EngagePost(ctx context.Context, eventID, id int64, action string) (*koe.Post, error) {
	ctx, _, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	p, err := a.store.Post(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	s, err := a.store.Source(ctx, eventID, p.SourceID)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return nil, koe.Errorf(koe.EINVALID, "the source that brought this post was deleted")
	} else if err != nil {
		return nil, err
	}
	var engager ingest.Engager
	if build := a.platforms[s.Kind]; build != nil {
		src, err := build(s, a.ingestOpts)
		if err != nil {
			return nil, koe.Errorf(koe.EINVALID, "%v", err)
		}
		engager, _ = src.(ingest.Engager)
	}
	if engager == nil {
		return nil, koe.Errorf(koe.EINVALID, "koe cannot act on %s posts", s.Kind)
	}
	ectx, cancel := context.WithTimeout(ctx, EngageTimeout)
	err = engager.Engage(ectx, p, action)
	cancel()
	if err != nil {
		if koe.ErrorCode(err) == "" {
			err = koe.Errorf(koe.EUNAVAILABLE, "%s did not take it: %v", s.Kind, err)
		}
		return nil, err
	}
	return a.store.UpdatePost(ctx, eventID, id, koe.PostUpdate{Engaged: action}, a.now())
}
