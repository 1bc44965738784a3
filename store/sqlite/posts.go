package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// Sources.

const sourceColumns = `id, event_id, kind, name, enabled, moderation, config, secret, cursor, health,
	version, created_at, updated_at`

func scanSource(row scanner) (*koe.Source, error) {
	var (
		src            koe.Source
		config, health string
	)
	err := row.Scan(&src.ID, &src.EventID, &src.Kind, &src.Name, &src.Enabled, &src.Moderation, &config,
		&src.Config.Secret, &src.Cursor, &health, &src.Version, timeDest{&src.CreatedAt}, timeDest{&src.UpdatedAt})
	if err != nil {
		return nil, err
	}
	secret := src.Config.Secret
	if err := json.Unmarshal([]byte(config), &src.Config); err != nil {
		return nil, fmt.Errorf("source %d config: %w", src.ID, err)
	}
	if err := json.Unmarshal([]byte(health), &src.Health); err != nil {
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

const selectSource = `SELECT ` + sourceColumns + ` FROM sources WHERE (event_id = ?1 OR ?1 = 0) AND id = ?2`

// CreateSource implements koe.Store.
func (s *Store) CreateSource(ctx context.Context, src *koe.Source) error {
	config, err := sourceConfig(src)
	if err != nil {
		return err
	}
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Source
	err = s.writer.do(ctx, func(tx *txn) error {
		now := micros(s.stamp())
		var err error
		// Selecting from events makes a missing event insert nothing.
		created, err = scanSource(tx.QueryRow(`
			INSERT INTO sources (event_id, kind, name, enabled, moderation, config, secret, version, created_at, updated_at)
			SELECT id, ?, ?, ?, ?, ?, ?, 1, ?, ? FROM events WHERE id = ?
			RETURNING `+sourceColumns,
			src.Kind, src.Name, src.Enabled, src.Moderation, config, src.Config.Secret, now, now, src.EventID))
		if err != nil {
			return notFound(err, "event")
		}
		return tx.record(o, created.Change(koe.SourceCreated, nil))
	})
	if err != nil {
		return err
	}
	*src = *created
	return nil
}

// UpdateSource implements koe.Store.
func (s *Store) UpdateSource(ctx context.Context, eventID, id int64, u koe.SourceUpdate) (*koe.Source, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Source
	err := s.writer.do(ctx, func(tx *txn) error {
		src, err := scanSource(tx.QueryRow(`SELECT `+sourceColumns+` FROM sources WHERE event_id = ? AND id = ?`, eventID, id))
		if err != nil {
			return notFound(err, "source")
		}
		before := *src
		if !u.Apply(src) {
			updated = src
			return nil
		}
		config, err := sourceConfig(src)
		if err != nil {
			return err
		}
		updated, err = scanSource(tx.QueryRow(`
			UPDATE sources SET name = ?, enabled = ?, moderation = ?, config = ?, secret = ?,
				version = version + 1, updated_at = ?
			WHERE id = ?
			RETURNING `+sourceColumns,
			src.Name, src.Enabled, src.Moderation, config, src.Config.Secret, micros(s.stamp()), id))
		if err != nil {
			return fmt.Errorf("update source: %w", err)
		}
		return tx.record(o, updated.Change(koe.SourceUpdated, &before))
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// DeleteSource implements koe.Store.
func (s *Store) DeleteSource(ctx context.Context, eventID, id int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		src, err := scanSource(tx.QueryRow(`DELETE FROM sources WHERE event_id = ? AND id = ? RETURNING `+sourceColumns, eventID, id))
		if err != nil {
			return notFound(err, "source")
		}
		return tx.record(o, src.Change(koe.SourceDeleted, nil))
	})
}

// Source implements koe.Store.
func (s *Store) Source(ctx context.Context, eventID, id int64) (*koe.Source, error) {
	src, err := scanSource(s.read.QueryRowContext(ctx, selectSource, eventID, id))
	if err != nil {
		return nil, notFound(err, "source")
	}
	return src, nil
}

// Sources implements koe.Store.
func (s *Store) Sources(ctx context.Context, eventID int64) ([]*koe.Source, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE event_id = ?1 OR ?1 = 0 ORDER BY id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	sources, err := collect(rows, scanSource)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return sources, nil
}

// SaveSourceHealth implements koe.Store.
func (s *Store) SaveSourceHealth(ctx context.Context, id int64, h koe.SourceHealth) error {
	health, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode source health: %w", err)
	}
	return s.writer.do(ctx, func(tx *txn) error {
		res, err := tx.Exec(`UPDATE sources SET health = ? WHERE id = ?`, string(health), id)
		if err != nil {
			return fmt.Errorf("save source health: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound(sql.ErrNoRows, "source")
		}
		return nil
	})
}

// Posts.

const postColumns = `id, event_id, source_id, platform, external_id, ref, author_handle, author_name, author_avatar,
	text, lang, posted_at, url, media, status, hidden, featured_at, reasons, score, engaged, version, created_at`

func scanPost(row scanner) (*koe.Post, error) {
	var (
		p                       koe.Post
		media, reasons, engaged string
		score                   sql.NullString
	)
	err := row.Scan(&p.ID, &p.EventID, &p.SourceID, &p.Platform, &p.ExternalID, &p.Ref, &p.AuthorHandle,
		&p.AuthorName, &p.AuthorAvatar, &p.Text, &p.Lang, timeDest{&p.PostedAt}, &p.URL, &media, &p.Status,
		&p.Hidden, nullTimeDest{&p.FeaturedAt}, &reasons, &score, &engaged, &p.Version, timeDest{&p.CreatedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(media), &p.Media); err != nil {
		return nil, fmt.Errorf("post %d media: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(engaged), &p.Engaged); err != nil {
		return nil, fmt.Errorf("post %d engaged: %w", p.ID, err)
	}
	postLists(&p)
	p.Reasons = []byte(reasons)
	if score.Valid {
		p.Score = []byte(score.String)
	}
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

const selectPost = `SELECT ` + postColumns + ` FROM posts WHERE event_id = ? AND id = ?`

func loadPost(tx *txn, eventID, id int64) (*koe.Post, error) {
	p, err := scanPost(tx.QueryRow(selectPost, eventID, id))
	if err != nil {
		return nil, notFound(err, "post")
	}
	return p, nil
}

// KnownPosts implements koe.Store.
func (s *Store) KnownPosts(ctx context.Context, eventID int64, platform koe.SourceKind, ids []string) ([]string, error) {
	known := []string{}
	if len(ids) == 0 {
		return known, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("encode post ids: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT external_id FROM posts
		WHERE event_id = ? AND platform = ? AND external_id IN (SELECT value FROM json_each(?))`,
		eventID, platform, string(list))
	if err != nil {
		return nil, fmt.Errorf("known posts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("known posts: %w", err)
		}
		known = append(known, id)
	}
	return known, rows.Err()
}

// IngestPosts implements koe.Store.
func (s *Store) IngestPosts(ctx context.Context, sourceID int64, posts []koe.IngestedPost, cursor string) ([]*koe.Post, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		stored []*koe.Post
		// reviews holds the stored posts' reviews as stored, by index.
		reviews map[int]*koe.Review
		indexes []int
	)
	err := s.writer.do(ctx, func(tx *txn) error {
		stored, reviews, indexes = nil, map[int]*koe.Review{}, nil
		var eventID int64
		var kind koe.SourceKind
		if err := tx.QueryRow(`SELECT event_id, kind FROM sources WHERE id = ?`, sourceID).Scan(&eventID, &kind); err != nil {
			return notFound(err, "source")
		}
		now := s.stamp()
		for i, in := range posts {
			p, err := s.insertPost(tx, in.Post, eventID, sourceID, kind, now)
			if err != nil {
				return err
			}
			if p == nil {
				continue // the event has it already
			}
			if err := tx.record(o, p.Change(koe.PostCreated)); err != nil {
				return err
			}
			if in.Review != nil {
				rev := *in.Review
				postReview(&rev, p)
				if err := insertReview(tx, o, &rev, now); err != nil {
					return err
				}
				reviews[i] = &rev
			}
			stored, indexes = append(stored, p), append(indexes, i)
		}
		if cursor == "" {
			return nil
		}
		if _, err := tx.Exec(`UPDATE sources SET cursor = ? WHERE id = ?`, cursor, sourceID); err != nil {
			return fmt.Errorf("save cursor: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
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
// it already (nil, nil).
func (s *Store) insertPost(tx *txn, in *koe.Post, eventID, sourceID int64, kind koe.SourceKind, now time.Time) (*koe.Post, error) {
	p := *in
	p.ID, p.EventID, p.SourceID, p.Version, p.CreatedAt = 0, eventID, sourceID, 1, now
	p.Hidden, p.FeaturedAt = false, nil
	if p.Platform == "" {
		p.Platform = kind
	}
	if p.Status == "" {
		p.Status = koe.StatusApproved
	}
	p.PostedAt = *truncTime(&p.PostedAt)
	postLists(&p)
	media, err := jsonText(p.Media)
	if err != nil {
		return nil, err
	}
	engaged, err := jsonText(p.Engaged)
	if err != nil {
		return nil, err
	}
	var score sql.NullString
	if p.Score != nil {
		score = sql.NullString{String: string(p.Score), Valid: true}
	}
	err = tx.QueryRow(`
		INSERT INTO posts (event_id, source_id, platform, external_id, ref, author_handle, author_name, author_avatar,
			text, lang, posted_at, url, media, status, hidden, reasons, score, engaged, version, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 1, ?)
		ON CONFLICT (event_id, platform, external_id) DO NOTHING
		RETURNING id`,
		eventID, sourceID, p.Platform, p.ExternalID, p.Ref, p.AuthorHandle, p.AuthorName, p.AuthorAvatar,
		p.Text, p.Lang, micros(p.PostedAt), p.URL, media, p.Status, string(p.Reasons), score, engaged, micros(now),
	).Scan(&p.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("insert post: %w", err)
	}
	return &p, nil
}

// Post implements koe.Store.
func (s *Store) Post(ctx context.Context, eventID, id int64) (*koe.Post, error) {
	p, err := scanPost(s.read.QueryRowContext(ctx, selectPost, eventID, id))
	if err != nil {
		return nil, notFound(err, "post")
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
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+postColumns+` FROM posts
		WHERE event_id = ?1 AND (status = ?2 OR ?2 = '') AND (id < ?3 OR ?3 = 0)
		ORDER BY id DESC LIMIT ?4`,
		q.EventID, q.Status, q.Before, limit)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	posts, err := collect(rows, scanPost)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	return posts, nil
}

// FeaturedPost implements koe.Store.
func (s *Store) FeaturedPost(ctx context.Context, eventID int64) (*koe.Post, error) {
	p, err := scanPost(s.read.QueryRowContext(ctx,
		`SELECT `+postColumns+` FROM posts WHERE event_id = ? AND featured_at IS NOT NULL`, eventID))
	if err != nil {
		return nil, notFound(err, "featured post")
	}
	return p, nil
}

// UpdatePost implements koe.Store.
func (s *Store) UpdatePost(ctx context.Context, eventID, id int64, u koe.PostUpdate, now time.Time) (*koe.Post, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Post
	err := s.writer.do(ctx, func(tx *txn) error {
		var err error
		updated, err = s.updatePost(tx, o, eventID, id, u, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// updatePost applies u to a post at now inside a write, with the
// featuring rules, and records the changes. The writer runs one write at
// a time, so the event's featured post read here is the one it replaces.
func (s *Store) updatePost(tx *txn, o koe.Origin, eventID, id int64, u koe.PostUpdate, now time.Time) (*koe.Post, error) {
	p, err := loadPost(tx, eventID, id)
	if err != nil {
		return nil, err
	}
	wasFeatured := p.Featured()
	changed, err := u.Apply(p, now.UTC().Truncate(time.Microsecond))
	if err != nil || !changed {
		return p, err
	}
	var changes []koe.Change
	if p.Featured() && !wasFeatured {
		// The unique index allows one featured post: the other goes first.
		rows, err := tx.Query(`
			UPDATE posts SET featured_at = NULL, version = version + 1
			WHERE event_id = ? AND featured_at IS NOT NULL AND id <> ?
			RETURNING `+postColumns, eventID, id)
		if err != nil {
			return nil, fmt.Errorf("unfeature post: %w", err)
		}
		others, err := collect(rows, scanPost)
		if err != nil {
			return nil, fmt.Errorf("unfeature post: %w", err)
		}
		for _, other := range others {
			changes = append(changes, other.Change(koe.PostUpdated))
		}
	}
	engaged, err := jsonText(p.Engaged)
	if err != nil {
		return nil, err
	}
	updated, err := scanPost(tx.QueryRow(`
		UPDATE posts SET status = ?, hidden = ?, featured_at = ?, engaged = ?, version = version + 1
		WHERE id = ?
		RETURNING `+postColumns,
		p.Status, p.Hidden, nullMicros(p.FeaturedAt), engaged, id))
	if err != nil {
		return nil, fmt.Errorf("update post: %w", err)
	}
	changes = append(changes, updated.Change(koe.PostUpdated))
	switch {
	case updated.Featured() && !wasFeatured:
		changes = append(changes, koe.FeaturedChange(eventID, updated))
	case !updated.Featured() && wasFeatured:
		changes = append(changes, koe.FeaturedChange(eventID, nil))
	}
	return updated, tx.record(o, changes...)
}
