package koe

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SourceKind is a platform posts come from (docs/architecture.md, "Social
// feed").
type SourceKind string

const (
	SourceMastodon SourceKind = "mastodon"
	SourceBluesky  SourceKind = "bluesky"
	SourceX        SourceKind = "x"
	// SourceWebhook posts are pushed to koe, signed, by a relay of
	// anything else (a Discord bot, a YouTube chat relay).
	SourceWebhook SourceKind = "webhook"
)

// Source is one place an event's posts come from: a platform and what to
// follow there.
type Source struct {
	ID      int64      `json:"id"`
	EventID int64      `json:"event_id"`
	Kind    SourceKind `json:"kind"`
	// Name labels the source in the staff UI and its metrics.
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Moderation is the mode its posts get: "" takes the event's.
	Moderation ModerationMode `json:"moderation"`
	Config     SourceConfig   `json:"config"`
	// Cursor is the source's position on its platform, saved with the
	// posts it covers; its form is the platform's.
	Cursor  string       `json:"-"`
	Health  SourceHealth `json:"health"`
	Version int64        `json:"version"`
	// CreatedAt and UpdatedAt are of the configuration (health and cursor
	// change neither).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SourceConfig is what a source follows and how it reaches its platform.
type SourceConfig struct {
	// Instance is the platform's base URL: a Mastodon instance
	// (https://mastodon.social), the Bluesky service searched and acted on
	// (default https://bsky.social), X's API (default https://api.x.com).
	Instance string `json:"instance,omitempty"`
	// Jetstream is Bluesky's Jetstream endpoint (default
	// wss://jetstream2.us-east.bsky.network/subscribe).
	Jetstream string `json:"jetstream,omitempty"`
	// Hashtags are followed without their '#', compared case-insensitively.
	Hashtags []string `json:"hashtags"`
	// Keywords, where the platform can search text (Bluesky, X), match
	// posts that contain them.
	Keywords []string `json:"keywords"`
	// Handle is the Bluesky account that the app password (Secret) is of.
	Handle string `json:"handle,omitempty"`
	// Secret is the credential: a Mastodon user token, a Bluesky app
	// password, an X bearer token, the webhook's signing secret. Never
	// sent back: SecretSet tells whether there is one.
	Secret    string `json:"-"`
	SecretSet bool   `json:"secret_set"`
}

// Source limits.
const (
	MaxSourceName   = 80
	MaxSourceTerms  = 10 // hashtags, and keywords
	MaxSourceTerm   = 100
	MaxSourceURL    = 500
	MaxSourceSecret = 2000
	MaxSources      = 20 // per event
)

// Validate checks a source's configuration (not whether its platform
// accepts it: the source's health says that once it runs), normalising
// hashtags (no '#', lower case) and URLs (no trailing slash).
func (s *Source) Validate() error {
	switch s.Kind {
	case SourceMastodon, SourceBluesky, SourceX, SourceWebhook:
	default:
		return Invalid("kind", ReasonFormat, 0, "kind must be \"mastodon\", \"bluesky\", \"x\" or \"webhook\"")
	}
	name, err := CleanLine("name", s.Name, 0, MaxSourceName)
	if err != nil {
		return err
	}
	if name == "" {
		name = string(s.Kind)
	}
	s.Name = name
	if _, err := ParseModerationMode("moderation", string(s.Moderation), true); err != nil {
		return err
	}
	c := &s.Config
	for _, f := range []struct {
		field string
		v     *string
	}{{"config.instance", &c.Instance}, {"config.jetstream", &c.Jetstream}} {
		if *f.v == "" {
			continue
		}
		u, err := url.Parse(*f.v)
		ok := err == nil && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == "" && len(*f.v) <= MaxSourceURL
		switch {
		case !ok:
		case f.field == "config.jetstream":
			ok = u.Scheme == "ws" || u.Scheme == "wss"
		default:
			ok = u.Scheme == "http" || u.Scheme == "https"
		}
		if !ok {
			return Invalid(f.field, ReasonFormat, 0, "%s must be an absolute http(s) (Jetstream: ws(s)) URL of at most %d characters, without credentials, query or fragment", f.field, MaxSourceURL)
		}
		*f.v = strings.TrimRight(*f.v, "/")
	}
	var err2 error
	if c.Hashtags, err2 = cleanTerms("config.hashtags", c.Hashtags, true); err2 != nil {
		return err2
	}
	if c.Keywords, err2 = cleanTerms("config.keywords", c.Keywords, false); err2 != nil {
		return err2
	}
	if len(c.Handle) > MaxSourceTerm || strings.ContainsAny(c.Handle, " \t\r\n") {
		return Invalid("config.handle", ReasonFormat, MaxSourceTerm, "config.handle must be an account handle of at most %d characters", MaxSourceTerm)
	}
	if len(c.Secret) > MaxSourceSecret || !utf8.ValidString(c.Secret) || strings.ContainsAny(c.Secret, "\r\n") {
		return Invalid("secret", ReasonTooLong, MaxSourceSecret, "secret must be one line of at most %d bytes", MaxSourceSecret)
	}
	c.SecretSet = c.Secret != ""
	switch s.Kind {
	case SourceMastodon:
		if c.Instance == "" {
			return Invalid("config.instance", ReasonEmpty, 0, "a Mastodon source needs config.instance, the instance's URL (https://mastodon.social)")
		}
		if len(c.Hashtags) == 0 {
			return Invalid("config.hashtags", ReasonEmpty, 0, "a Mastodon source needs at least one hashtag")
		}
	case SourceBluesky, SourceX:
		if len(c.Hashtags)+len(c.Keywords) == 0 {
			return Invalid("config.hashtags", ReasonEmpty, 0, "a %s source needs at least one hashtag or keyword", s.Kind)
		}
		if s.Kind == SourceX && c.Secret == "" {
			return Invalid("secret", ReasonEmpty, 0, "an X source needs a bearer token as its secret")
		}
		if s.Kind == SourceBluesky && (c.Secret == "") != (c.Handle == "") {
			return Invalid("config.handle", ReasonEmpty, 0, "a Bluesky app password (secret) needs the handle of its account, and a handle needs its app password")
		}
	}
	return nil
}

// cleanTerms validates hashtags or keywords, dropping repeats.
func cleanTerms(field string, terms []string, hashtag bool) ([]string, error) {
	if len(terms) > MaxSourceTerms {
		return nil, Invalid(field, ReasonTooLong, MaxSourceTerms, "%s holds at most %d entries", field, MaxSourceTerms)
	}
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		t, err := CleanLine(field, t, 0, MaxSourceTerm)
		if err != nil {
			return nil, err
		}
		if hashtag {
			t = strings.ToLower(strings.TrimPrefix(t, "#"))
			if t == "" || strings.ContainsAny(t, " \t#") {
				return nil, Invalid(field, ReasonFormat, 0, "%s entries are single words (the hashtag without '#')", field)
			}
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// SourceUpdate changes a source's configuration; nil fields stay.
type SourceUpdate struct {
	Name       *string
	Enabled    *bool
	Moderation *ModerationMode
	Instance   *string
	Jetstream  *string
	Hashtags   *[]string
	Keywords   *[]string
	Handle     *string
	Secret     *string
}

// Apply sets the fields of s that u changes and reports whether anything
// changed; the caller validates s afterwards.
func (u SourceUpdate) Apply(s *Source) bool {
	before, _ := json.Marshal(s)
	beforeSecret := s.Config.Secret
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.Name, u.Name)
	if u.Enabled != nil {
		s.Enabled = *u.Enabled
	}
	if u.Moderation != nil {
		s.Moderation = *u.Moderation
	}
	set(&s.Config.Instance, u.Instance)
	set(&s.Config.Jetstream, u.Jetstream)
	set(&s.Config.Handle, u.Handle)
	set(&s.Config.Secret, u.Secret)
	if u.Hashtags != nil {
		s.Config.Hashtags = *u.Hashtags
	}
	if u.Keywords != nil {
		s.Config.Keywords = *u.Keywords
	}
	s.Config.SecretSet = s.Config.Secret != ""
	after, _ := json.Marshal(s)
	return string(before) != string(after) || beforeSecret != s.Config.Secret
}

// SourceHealth is how a source is doing, as the replica running it last
// saw (at most a few seconds old while it runs).
type SourceHealth struct {
	// State is "stopped" (disabled, or a webhook between deliveries),
	// "starting", "streaming", "polling", "waiting" (rate-limited or
	// retrying after an error) or "failed" (an error that needs the
	// organiser: a revoked token, an instance that refuses).
	State       string     `json:"state"`
	LastPostAt  *time.Time `json:"last_post_at"`
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
	// LagSeconds is how long after its publication the newest post
	// reached koe.
	LagSeconds float64 `json:"lag_seconds"`
	// RateLimit is the platform's budget, when it tells one.
	RateLimit *RateLimit `json:"rate_limit"`
	// Posts counts the posts koe stored from the source since it started
	// running on its current replica.
	Posts     int64     `json:"posts"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RateLimit is a platform's request budget.
type RateLimit struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`
}

// Post is a social post an event's source brought in: one type for every
// platform.
type Post struct {
	ID       int64      `json:"id"`
	EventID  int64      `json:"event_id"`
	SourceID int64      `json:"source_id"`
	Platform SourceKind `json:"platform"`
	// ExternalID is the post's identity on its platform, the same whichever
	// way koe saw it: a Mastodon status's URI (the same on every instance),
	// a Bluesky post's at:// URI, an X post's id, the webhook sender's id.
	// An event keeps one post per (platform, external id).
	ExternalID string `json:"external_id"`
	// Ref is what the platform needs to act on the post (a Mastodon
	// status's id on the source's instance, a Bluesky record's CID).
	Ref          string      `json:"-"`
	AuthorHandle string      `json:"author_handle"`
	AuthorName   string      `json:"author_name"`
	AuthorAvatar string      `json:"author_avatar"`
	Text         string      `json:"text"`
	Lang         string      `json:"lang"`
	PostedAt     time.Time   `json:"posted_at"`
	URL          string      `json:"url"`
	Media        []PostMedia `json:"media"`
	Status       Status      `json:"status"`
	Hidden       bool        `json:"hidden"`
	// FeaturedAt is when the post was put on the screen and the stream
	// overlay; nil when it is not there. An event features one post at a
	// time.
	FeaturedAt *time.Time `json:"featured_at"`
	// Reasons and Score are the moderation pipeline's (as on reviews), for
	// staff.
	Reasons json.RawMessage `json:"reasons"`
	Score   json.RawMessage `json:"score"`
	// Engaged lists what operators did back on the platform ("favourite",
	// "boost", "like", "repost").
	Engaged   []string  `json:"engaged"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

// PostMedia is an image or video attached to a post.
type PostMedia struct {
	Type string `json:"type"` // "image", "video", "gifv", "audio", "unknown"
	URL  string `json:"url"`
	Alt  string `json:"alt"`
}

// Post limits: longer fields are cut, not refused (the platform took them).
const (
	MaxPostText    = 5000
	MaxPostField   = 500 // handles, names, URLs, ids
	MaxPostMedia   = 4
	MaxIngestBatch = 100 // posts per delivery (a webhook request)
)

// Public reports whether p may be shown beyond staff: approved and not
// hidden.
func (p *Post) Public() bool { return p.Status == StatusApproved && !p.Hidden }

// Featured reports whether p is on the screen.
func (p *Post) Featured() bool { return p.FeaturedAt != nil }

// Clean makes a post from a platform fit koe: valid UTF-8 without
// control characters, fields cut to their limits, at most MaxPostMedia
// attachments, a posting time (now when it has none or one in the future,
// which only a skewed clock gives). It reports false for a post koe cannot
// keep: no external id, or no text and no media.
func (p *Post) Clean(now time.Time) bool {
	cut := func(s string, n int) string {
		s = strings.ToValidUTF8(s, "\uFFFD")
		s = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\t' || (r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0)) {
				return r
			}
			return -1
		}, s)
		if len(s) <= n {
			return strings.TrimSpace(s)
		}
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return strings.TrimSpace(s[:n]) + "…"
	}
	p.ExternalID = cut(p.ExternalID, MaxPostField)
	p.Ref = cut(p.Ref, MaxPostField)
	p.AuthorHandle = cut(p.AuthorHandle, MaxPostField)
	p.AuthorName = cut(p.AuthorName, MaxPostField)
	p.AuthorAvatar = cleanURL(cut(p.AuthorAvatar, MaxPostField))
	p.URL = cleanURL(cut(p.URL, MaxPostField))
	p.Lang = cut(p.Lang, 20)
	p.Text = cut(p.Text, MaxPostText)
	if len(p.Media) > MaxPostMedia {
		p.Media = p.Media[:MaxPostMedia]
	}
	media := p.Media[:0]
	for _, m := range p.Media {
		m.URL, m.Alt, m.Type = cleanURL(cut(m.URL, MaxPostField)), cut(m.Alt, MaxPostField), cut(m.Type, 20)
		if m.URL != "" {
			media = append(media, m)
		}
	}
	p.Media = media
	if p.PostedAt.IsZero() || p.PostedAt.After(now) {
		p.PostedAt = now
	}
	return p.ExternalID != "" && (p.Text != "" || len(p.Media) > 0)
}

// cleanURL keeps http(s) URLs only: a post's links are shown to staff as
// links, and a javascript: one must not be.
func cleanURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// PostUpdate is what operators change of a post; nil fields stay.
type PostUpdate struct {
	Hidden   *bool
	Featured *bool
	// Engaged adds an action done back on the platform.
	Engaged string
	// Status is set by moderators' decisions (ModerationStore).
	Status *Status
}

// Apply sets the fields of p that u changes, at now, and reports whether
// anything changed. A post that stops being Public stops being featured;
// featuring one that is not Public is refused (EINVALID).
func (u PostUpdate) Apply(p *Post, now time.Time) (bool, error) {
	before := *p
	if u.Status != nil {
		p.Status = *u.Status
	}
	if u.Hidden != nil {
		p.Hidden = *u.Hidden
	}
	if u.Engaged != "" && !slices.Contains(p.Engaged, u.Engaged) {
		p.Engaged = append(append([]string{}, p.Engaged...), u.Engaged)
	}
	if u.Featured != nil {
		switch {
		case !*u.Featured:
			p.FeaturedAt = nil
		case !p.Public():
			*p = before
			return false, Errorf(EINVALID, "only an approved, visible post can be featured")
		case p.FeaturedAt == nil:
			p.FeaturedAt = &now
		}
	}
	if !p.Public() {
		p.FeaturedAt = nil
	}
	return p.Status != before.Status || p.Hidden != before.Hidden || len(p.Engaged) != len(before.Engaged) ||
		(p.FeaturedAt == nil) != (before.FeaturedAt == nil), nil
}

// Change records p's new state as typ (PostCreated or PostUpdated): for
// staff.
func (p *Post) Change(typ ChangeType) Change {
	return newChange(typ, p.EventID, 0, VisibleStaff, p)
}

// Featured is the payload of PostFeatured: the event's featured post, nil
// when none.
type Featured struct {
	Post *Post `json:"post"`
}

// FeaturedChange records that the event's screen now shows p (nil: none).
func FeaturedChange(eventID int64, p *Post) Change {
	return newChange(PostFeatured, eventID, 0, VisiblePublic, Featured{Post: p.PublicView()})
}

// PublicView is p as the screen and the overlay show it: without staff's
// fields (the pipeline's reasons and scores, what operators did).
func (p *Post) PublicView() *Post {
	if p == nil {
		return nil
	}
	v := *p
	v.Reasons, v.Score, v.Engaged = nil, nil, nil
	return &v
}

// Change records s's configuration as typ (SourceCreated, SourceUpdated,
// SourceDeleted), without its secret: for the audit log.
func (s *Source) Change(typ ChangeType, before *Source) Change {
	c := newChange(typ, s.EventID, 0, VisibleStaff, s)
	if before != nil {
		c = c.WithBefore(before)
	}
	return c
}

// PostQuery selects posts of an event, newest first.
type PostQuery struct {
	EventID int64
	// Status selects one status; "" every one.
	Status Status
	// Before selects posts with a smaller id (paging); 0 from the newest.
	Before int64
	// Limit bounds the page; 0 means 100.
	Limit int
}

// IngestedPost is a post on its way into the store, with its review (nil
// for none).
type IngestedPost struct {
	Post   *Post
	Review *Review
}

// PostStore keeps an event's sources and the posts they bring.
type PostStore interface {
	// CreateSource stores s, setting ID, Version (1), CreatedAt and
	// UpdatedAt; records SourceCreated. ENOTFOUND without the event.
	CreateSource(ctx context.Context, s *Source) error
	// UpdateSource applies u (the caller has validated the result), bumps
	// the version and records SourceUpdated (neither when u changes
	// nothing). A source whose configuration changed keeps its cursor.
	UpdateSource(ctx context.Context, eventID, id int64, u SourceUpdate) (*Source, error)
	// DeleteSource deletes a source (its posts stay); records
	// SourceDeleted.
	DeleteSource(ctx context.Context, eventID, id int64) error
	// Source returns one source of an event (of any event: eventID 0),
	// with its secret, cursor and health.
	Source(ctx context.Context, eventID, id int64) (*Source, error)
	// Sources lists an event's sources (every event's: eventID 0) by id,
	// with their secrets, cursors and health.
	Sources(ctx context.Context, eventID int64) ([]*Source, error)
	// SaveSourceHealth keeps a source's health; no version, no change.
	SaveSourceHealth(ctx context.Context, id int64, h SourceHealth) error
	// KnownPosts returns those of ids that the event has a post of, on
	// the platform, already.
	KnownPosts(ctx context.Context, eventID int64, platform SourceKind, ids []string) ([]string, error)
	// IngestPosts stores a source's posts with their reviews (setting
	// their IDs, Versions and CreatedAt, the review's SubjectID), skipping
	// those whose (platform, external id) the event has already, then sets
	// the source's cursor (unless cursor is ""), in one transaction: a
	// cursor is never saved before the posts it covers. It returns the
	// posts it stored; records PostCreated, and ReviewCreated for each
	// review. ENOTFOUND without the source.
	IngestPosts(ctx context.Context, sourceID int64, posts []IngestedPost, cursor string) ([]*Post, error)
	// Post returns one post of an event.
	Post(ctx context.Context, eventID, id int64) (*Post, error)
	// Posts lists posts as q selects, newest first.
	Posts(ctx context.Context, q PostQuery) ([]*Post, error)
	// UpdatePost applies u at now (PostUpdate.Apply's rules), bumps the
	// version and records PostUpdated (nothing when u changes nothing).
	// Featuring a post unfeatures the event's other one (its PostUpdated
	// too); a change of what the event features records PostFeatured.
	UpdatePost(ctx context.Context, eventID, id int64, u PostUpdate, now time.Time) (*Post, error)
	// FeaturedPost returns the event's featured post; ENOTFOUND for none.
	FeaturedPost(ctx context.Context, eventID int64) (*Post, error)
}
