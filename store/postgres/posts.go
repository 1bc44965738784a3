package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// Locks: a write of posts locks the event's row (FOR NO KEY UPDATE, which
// inserts of its talks and questions do not wait for) before any post,
// so that the writes of one event's feed queue up: two featurings cannot
// each see the other's post unfeatured, and two deliveries of the same
// posts in different orders cannot deadlock on the unique key. An ingest
// locks its source first, for its cursor; nothing locks a source after
// an event.

// Sources.

const sourceColumns = `id, event_id, kind, name, enabled, moderation, config, secret, cursor, health,
	version, created_at, updated_at`

func scanSource(row pgx.Row) (*koe.Source, error) {
	var (
		src            koe.Source
		config, health []byte
	)
	err := row.Scan(&src.ID, &src.EventID, &src.Kind, &src.Name, &src.Enabled, &src.Moderation, &config,
		&src.Config.Secret, &src.Cursor, &health, &src.Version, &src.CreatedAt, &src.UpdatedAt)
	if err != nil {
		return nil, err
	}
	utc(&src.CreatedAt)
	utc(&src.UpdatedAt)
	secret := src.Config.Secret
	if err := json.Unmarshal(config, &src.Config); err != nil {
		return nil, fmt.Errorf("source %d config: %w", src.ID, err)
	}
	if err := json.Unmarshal(health, &src.Health); err != nil {
		return nil, fmt.Errorf("source %d health: %w", src.ID, err)
	}
	src.Config.Secret, src.Config.SecretSet = secret, secret != ""
	if src.Config.Hashtags == nil {
		src.Config.Hashtags = []string{}
	}
	if src.Config.Keywords == nil {
		src.Config.Keywords = []string{}
	}
	return &src, nil
}

// sourceConfig is the JSON kept of a source's configuration: the secret
// has a column of its own (SourceConfig never encodes it).
func sourceConfig(s *koe.Source) (string, error) {
	b, err := json.Marshal(s.Config)
	if err != nil {
		return "", fmt.Errorf("encode source config: %w", err)
	}
	return string(b), nil
}

const selectSource = `SELECT ` + sourceColumns + ` FROM sources WHERE (event_id = $1 OR $1 = 0) AND id = $2`

// CreateSource implements koe.Store.
func (s *Store) CreateSource(ctx context.Context, src *koe.Source) error {
	config, err := sourceConfig(src)
	if err != nil {
		return err
	}
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Source
	err = s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := s.stamp()
		var err error
		// Selecting from events makes a missing event insert nothing.
		created, err = scanSource(tx.QueryRow(ctx, `
			INSERT INTO sources (event_id, kind, name, enabled, moderation, config, secret, version, created_at, updated_at)
			SELECT id, $1::text, $2::text, $3::boolean, $4::text, $5::jsonb, $6::text, 1, $7::timestamptz, $7::timestamptz
			FROM events WHERE id = $8
			RETURNING `+sourceColumns,
			string(src.Kind), src.Name, src.Enabled, string(src.Moderation), config, src.Config.Secret, now, src.EventID))
		if err != nil {
			return notFound(err, "event")
		}
		return record(ctx, tx, o, created.Change(koe.SourceCreated, nil))
	})
	if err != nil {
		return err
	}
	s.committed(koe.SourceCreated)
	*src = *created
	return nil
}

// UpdateSource implements koe.Store.
func (s *Store) UpdateSource(ctx context.Context, eventID, id int64, u koe.SourceUpdate) (*koe.Source, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Source
	changed := false
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		src, err := scanSource(tx.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE event_id = $1 AND id = $2 FOR NO KEY UPDATE`, eventID, id))
		if err != nil {
			return notFound(err, "source")
		}
		before := *src
		if changed = u.Apply(src); !changed {
			updated = src
			return nil
		}
		config, err := sourceConfig(src)
		if err != nil {
			return err
		}
		updated, err = scanSource(tx.QueryRow(ctx, `
			UPDATE sources SET name = $1, enabled = $2, moderation = $3, config = $4::jsonb, secret = $5,
				version = version + 1, updated_at = $6
			WHERE id = $7
			RETURNING `+sourceColumns,
			src.Name, src.Enabled, string(src.Moderation), config, src.Config.Secret, s.stamp(), id))
		if err != nil {
			return fmt.Errorf("update source: %w", err)
		}
		return record(ctx, tx, o, updated.Change(koe.SourceUpdated, &before))
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.committed(koe.SourceUpdated)
	}
	return updated, nil
}

// DeleteSource implements koe.Store.
func (s *Store) DeleteSource(ctx context.Context, eventID, id int64) error {
	o := koe.OriginFrom(ctx, s.now)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		src, err := scanSource(tx.QueryRow(ctx, `DELETE FROM sources WHERE event_id = $1 AND id = $2 RETURNING `+sourceColumns, eventID, id))
		if err != nil {
			return notFound(err, "source")
		}
		return record(ctx, tx, o, src.Change(koe.SourceDeleted, nil))
	})
	if err == nil {
		s.committed(koe.SourceDeleted)
	}
	return err
}

// Source implements koe.Store.
func (s *Store) Source(ctx context.Context, eventID, id int64) (*koe.Source, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	src, err := scanSource(s.pool.QueryRow(ctx, selectSource, eventID, id))
	if err != nil {
		return nil, s.fail(notFound(err, "source"))
	}
	return src, nil
}

// Sources implements koe.Store.
func (s *Store) Sources(ctx context.Context, eventID int64) ([]*koe.Source, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sourceColumns+` FROM sources WHERE event_id = $1 OR $1 = 0 ORDER BY id`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list sources: %w", err))
	}
	sources, err := collect(rows, scanSource)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list sources: %w", err))
	}
	return sources, nil
}

// SaveSourceHealth implements koe.Store.
func (s *Store) SaveSourceHealth(ctx context.Context, id int64, h koe.SourceHealth) error {
	health, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode source health: %w", err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE sources SET health = $1::jsonb WHERE id = $2`, string(health), id)
	if err != nil {
		return s.fail(fmt.Errorf("save source health: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return koe.Errorf(koe.ENOTFOUND, "source not found")
	}
	return nil
}

// Posts.

const postColumns = `id, event_id, source_id, platform, external_id, ref, author_handle, author_name, author_avatar,
	text, lang, posted_at, url, media, status, hidden, featured_at, reasons, score, engaged, version, created_at`

func scanPost(row pgx.Row) (*koe.Post, error) {
	var (
		p                              koe.Post
		media, reasons, score, engaged []byte
	)
	err := row.Scan(&p.ID, &p.EventID, &p.SourceID, &p.Platform, &p.ExternalID, &p.Ref, &p.AuthorHandle,
		&p.AuthorName, &p.AuthorAvatar, &p.Text, &p.Lang, &p.PostedAt, &p.URL, &media, &p.Status,
		&p.Hidden, &p.FeaturedAt, &reasons, &score, &engaged, &p.Version, &p.CreatedAt)
	if err != nil {
		return nil, err
	}
	utc(&p.PostedAt)
	utc(&p.CreatedAt)
	p.FeaturedAt = utcPtr(p.FeaturedAt)
	if err := json.Unmarshal(media, &p.Media); err != nil {
		return nil, fmt.Errorf("post %d media: %w", p.ID, err)
	}
	if err := json.Unmarshal(engaged, &p.Engaged); err != nil {
		return nil, fmt.Errorf("post %d engaged: %w", p.ID, err)
	}
	p.Reasons, p.Score = reasons, score
	postLists(&p)
	return &p, nil
}

// postLists makes p's lists [] rather than null, so that its JSON keeps
// one shape.
func postLists(p *koe.Post) {
	if p.Media == nil {
		p.Media = []koe.PostMedia{}
	}
	if p.Engaged == nil {
		p.Engaged = []string{}
	}
	if len(p.Reasons) == 0 {
		p.Reasons = json.RawMessage(`[]`)
	}
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode post: %w", err)
	}
	return string(b), nil
}

const selectPost = `SELECT ` + postColumns + ` FROM posts WHERE event_id = $1 AND id = $2`

// KnownPosts implements koe.Store.
func (s *Store) KnownPosts(ctx context.Context, eventID int64, platform koe.SourceKind, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return []string{}, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT external_id FROM posts WHERE event_id = $1 AND platform = $2 AND external_id = ANY($3::text[])`,
		eventID, string(platform), ids)
	if err != nil {
		return nil, s.fail(fmt.Errorf("known posts: %w", err))
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail(fmt.Errorf("known posts: %w", err))
	}
	if known == nil {
		known = []string{}
	}
	return known, nil
}

// lockEvent locks the event's row (FOR NO KEY UPDATE) for a write of its
// posts (see the top of this file) or of its Slack connection.
func lockEvent(ctx context.Context, tx pgx.Tx, eventID int64, what string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, eventID).Scan(&one)
	if err != nil {
		return notFound(err, what)
	}
	return nil
}

// IngestPosts implements koe.Store.
func (s *Store) IngestPosts(ctx context.Context, sourceID int64, posts []koe.IngestedPost, cursor string) ([]*koe.Post, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		stored  []*koe.Post
		reviews map[int]*koe.Review // the stored posts' reviews, by index
		indexes []int
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		stored, reviews, indexes, changes = nil, map[int]*koe.Review{}, nil, nil
		var eventID int64
		var kind koe.SourceKind
		err := tx.QueryRow(ctx, `SELECT event_id, kind FROM sources WHERE id = $1 FOR NO KEY UPDATE`, sourceID).Scan(&eventID, &kind)
		if err != nil {
			return notFound(err, "source")
		}
		if err := lockEvent(ctx, tx, eventID, "source"); err != nil {
			return err
		}
		now := s.stamp()
		for i, in := range posts {
			p, err := insertPost(ctx, tx, in.Post, eventID, sourceID, kind, now)
			if err != nil {
				return err
			}
			if p == nil {
				continue // the event has it already
			}
			changes = append(changes, p.Change(koe.PostCreated))
			if in.Review != nil {
				rev := *in.Review
				postReview(&rev, p)
				c, err := insertReview(ctx, tx, &rev, now)
				if err != nil {
					return err
				}
				changes = append(changes, c)
				reviews[i] = &rev
			}
			stored, indexes = append(stored, p), append(indexes, i)
		}
		if cursor != "" {
			if _, err := tx.Exec(ctx, `UPDATE sources SET cursor = $1 WHERE id = $2`, cursor, sourceID); err != nil {
				return fmt.Errorf("save cursor: %w", err)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		s.committed(typesOf(changes)...)
	}
	for j, i := range indexes {
		*posts[i].Post = *stored[j]
		if rev := reviews[i]; rev != nil {
			*posts[i].Review = *rev
		}
	}
	if stored == nil {
		stored = []*koe.Post{}
	}
	return stored, nil
}

// postReview makes rev the review of p: of no talk, question or
// participant.
func postReview(rev *koe.Review, p *koe.Post) {
	rev.EventID, rev.Kind, rev.SubjectID = p.EventID, koe.ReviewPost, p.ID
	rev.TalkID, rev.QuestionID, rev.ParticipantID = 0, 0, 0
	if rev.AuthorName == "" {
		rev.AuthorName = p.AuthorHandle
	}
	if rev.Body == "" {
		rev.Body = p.Text
	}
}

// insertPost stores in as a new post of the event, unless the event has
// it already (nil, nil): of two transactions inserting one post, the
// second waits for the first and then inserts nothing.
func insertPost(ctx context.Context, tx pgx.Tx, in *koe.Post, eventID, sourceID int64, kind koe.SourceKind, now time.Time) (*koe.Post, error) {
	p := *in
	if p.Platform == "" {
		p.Platform = kind
	}
	if p.Status == "" {
		p.Status = koe.StatusApproved
	}
	p.PostedAt = *truncTime(&p.PostedAt) // PostgreSQL would round it
	postLists(&p)
	media, err := jsonText(p.Media)
	if err != nil {
		return nil, err
	}
	engaged, err := jsonText(p.Engaged)
	if err != nil {
		return nil, err
	}
	var score any
	if p.Score != nil {
		score = string(p.Score)
	}
	created, err := scanPost(tx.QueryRow(ctx, `
		INSERT INTO posts (event_id, source_id, platform, external_id, ref, author_handle, author_name, author_avatar,
			text, lang, posted_at, url, media, status, hidden, reasons, score, engaged, version, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, false, $15::jsonb, $16::jsonb,
			$17::jsonb, 1, $18)
		ON CONFLICT (event_id, platform, external_id) DO NOTHING
		RETURNING `+postColumns,
		eventID, sourceID, string(p.Platform), p.ExternalID, p.Ref, p.AuthorHandle, p.AuthorName, p.AuthorAvatar,
		p.Text, p.Lang, p.PostedAt, p.URL, media, string(p.Status), string(p.Reasons), score, engaged, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("insert post: %w", err)
	}
	return created, nil
}

// Post implements koe.Store.
func (s *Store) Post(ctx context.Context, eventID, id int64) (*koe.Post, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanPost(s.pool.QueryRow(ctx, selectPost, eventID, id))
	if err != nil {
		return nil, s.fail(notFound(err, "post"))
	}
	return p, nil
}

// defaultPosts is the page size of a PostQuery without a limit.
const defaultPosts = 100

// Posts implements koe.Store.
func (s *Store) Posts(ctx context.Context, q koe.PostQuery) ([]*koe.Post, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultPosts
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+postColumns+` FROM posts
		WHERE event_id = $1 AND (status = $2 OR $2 = '') AND (id < $3 OR $3 = 0)
		ORDER BY id DESC LIMIT $4`,
		q.EventID, string(q.Status), q.Before, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list posts: %w", err))
	}
	posts, err := collect(rows, scanPost)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list posts: %w", err))
	}
	return posts, nil
}

// FeaturedPost implements koe.Store.
func (s *Store) FeaturedPost(ctx context.Context, eventID int64) (*koe.Post, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanPost(s.pool.QueryRow(ctx,
		`SELECT `+postColumns+` FROM posts WHERE event_id = $1 AND featured_at IS NOT NULL`, eventID))
	if err != nil {
		return nil, s.fail(notFound(err, "featured post"))
	}
	return p, nil
}

// UpdatePost implements koe.Store.
func (s *Store) UpdatePost(ctx context.Context, eventID, id int64, u koe.PostUpdate, now time.Time) (*koe.Post, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		updated *koe.Post
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if updated, changes, err = updatePost(ctx, tx, eventID, id, u, now); err != nil || len(changes) == 0 {
			return err
		}
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		s.committed(typesOf(changes)...)
	}
	return updated, nil
}

// updatePost applies u to a post at now in tx, with the featuring rules,
// and returns the changes to record (none when u changes nothing).
func updatePost(ctx context.Context, tx pgx.Tx, eventID, id int64, u koe.PostUpdate, now time.Time) (*koe.Post, []koe.Change, error) {
	if err := lockEvent(ctx, tx, eventID, "post"); err != nil {
		return nil, nil, err
	}
	p, err := scanPost(tx.QueryRow(ctx, selectPost+` FOR NO KEY UPDATE`, eventID, id))
	if err != nil {
		return nil, nil, notFound(err, "post")
	}
	wasFeatured := p.Featured()
	changed, err := u.Apply(p, now.UTC().Truncate(time.Microsecond))
	if err != nil || !changed {
		return p, nil, err
	}
	var changes []koe.Change
	if p.Featured() && !wasFeatured {
		// The unique index allows one featured post: the other goes first.
		rows, err := tx.Query(ctx, `
			UPDATE posts SET featured_at = NULL, version = version + 1
			WHERE event_id = $1 AND featured_at IS NOT NULL AND id <> $2
			RETURNING `+postColumns, eventID, id)
		if err != nil {
			return nil, nil, fmt.Errorf("unfeature post: %w", err)
		}
		others, err := collect(rows, scanPost)
		if err != nil {
			return nil, nil, fmt.Errorf("unfeature post: %w", err)
		}
		for _, other := range others {
			changes = append(changes, other.Change(koe.PostUpdated))
		}
	}
	engaged, err := jsonText(p.Engaged)
	if err != nil {
		return nil, nil, err
	}
	updated, err := scanPost(tx.QueryRow(ctx, `
		UPDATE posts SET status = $1, hidden = $2, featured_at = $3, engaged = $4::jsonb, version = version + 1
		WHERE id = $5
		RETURNING `+postColumns,
		string(p.Status), p.Hidden, p.FeaturedAt, engaged, id))
	if err != nil {
		return nil, nil, fmt.Errorf("update post: %w", err)
	}
	changes = append(changes, updated.Change(koe.PostUpdated))
	switch {
	case updated.Featured() && !wasFeatured:
		changes = append(changes, koe.FeaturedChange(eventID, updated))
	case !updated.Featured() && wasFeatured:
		changes = append(changes, koe.FeaturedChange(eventID, nil))
	}
	return updated, changes, nil
}
