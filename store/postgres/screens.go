package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

const screenLinkColumns = `id, event_id, kind, label, secret, created_at`

func scanScreenLink(row pgx.Row) (*koe.ScreenLink, error) {
	var l koe.ScreenLink
	if err := row.Scan(&l.ID, &l.EventID, &l.Kind, &l.Label, &l.Secret, &l.CreatedAt); err != nil {
		return nil, err
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return &l, nil
}

// CreateScreenLink implements koe.Store.
func (s *Store) CreateScreenLink(ctx context.Context, l *koe.ScreenLink) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.ScreenLink
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// The event's row lock orders the creations that count its links.
		if err := lockEvent(ctx, tx, l.EventID, "event"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM screen_links WHERE event_id = $1`, l.EventID).Scan(&n); err != nil {
			return fmt.Errorf("count screen links: %w", err)
		}
		if n >= koe.MaxScreenLinks {
			return koe.Errorf(koe.ECONFLICT, "an event has at most %d screen links: delete one first", koe.MaxScreenLinks)
		}
		var err error
		created, err = scanScreenLink(tx.QueryRow(ctx, `
			INSERT INTO screen_links (event_id, kind, label, secret, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING `+screenLinkColumns,
			l.EventID, l.Kind, l.Label, l.Secret, s.stamp()))
		if isUnique(err, "screen_links_secret_key") {
			return secretTaken()
		}
		if err != nil {
			return fmt.Errorf("create screen link: %w", err)
		}
		return record(ctx, tx, o, created.Change(koe.ScreenLinkCreated))
	})
	if err != nil {
		return err
	}
	s.committed(koe.ScreenLinkCreated)
	*l = *created
	return nil
}

// ScreenLinks implements koe.Store.
func (s *Store) ScreenLinks(ctx context.Context, eventID int64) ([]*koe.ScreenLink, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+screenLinkColumns+` FROM screen_links WHERE event_id = $1 ORDER BY id`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("screen links: %w", err))
	}
	links, err := collect(rows, scanScreenLink)
	if err != nil {
		return nil, s.fail(fmt.Errorf("screen links: %w", err))
	}
	return links, nil
}

// ScreenLinkBySecret implements koe.Store.
func (s *Store) ScreenLinkBySecret(ctx context.Context, secret string) (*koe.ScreenLink, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	l, err := scanScreenLink(s.pool.QueryRow(ctx, `SELECT `+screenLinkColumns+` FROM screen_links WHERE secret = $1`, secret))
	if err != nil {
		return nil, s.fail(notFound(err, "screen link"))
	}
	return l, nil
}

// SetScreenLinkSecret implements koe.Store.
func (s *Store) SetScreenLinkSecret(ctx context.Context, eventID, linkID int64, secret string) (*koe.ScreenLink, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.ScreenLink
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		updated, err = scanScreenLink(tx.QueryRow(ctx, `UPDATE screen_links SET secret = $1 WHERE event_id = $2 AND id = $3 RETURNING `+screenLinkColumns,
			secret, eventID, linkID))
		if isUnique(err, "screen_links_secret_key") {
			return secretTaken()
		}
		if err != nil {
			return notFound(err, "screen link")
		}
		return record(ctx, tx, o, updated.Change(koe.ScreenLinkRotated))
	})
	if err != nil {
		return nil, err
	}
	s.committed(koe.ScreenLinkRotated)
	return updated, nil
}

// DeleteScreenLink implements koe.Store.
func (s *Store) DeleteScreenLink(ctx context.Context, eventID, linkID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		l, err := scanScreenLink(tx.QueryRow(ctx, `DELETE FROM screen_links WHERE event_id = $1 AND id = $2 RETURNING `+screenLinkColumns, eventID, linkID))
		if err != nil {
			return notFound(err, "screen link")
		}
		return record(ctx, tx, o, l.Change(koe.ScreenLinkDeleted))
	})
	if err != nil {
		return err
	}
	s.committed(koe.ScreenLinkDeleted)
	return nil
}

// AddReactions implements koe.Store: one statement adds every emoji's
// taps, so replicas adding at once each add theirs; it takes the rows in
// the emoji's order, so that two of them never wait for each other.
func (s *Store) AddReactions(ctx context.Context, eventID, talkID int64, counts map[string]int64) error {
	emoji := slices.Sorted(maps.Keys(counts))
	ns := make([]int64, len(emoji))
	for i, e := range emoji {
		ns[i] = counts[e]
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO talk_reactions (talk_id, emoji, count)
		SELECT t.id, r.emoji, r.n FROM talks t, unnest($3::text[], $4::bigint[]) AS r (emoji, n)
		WHERE t.event_id = $1 AND t.id = $2
		ON CONFLICT (talk_id, emoji) DO UPDATE SET count = talk_reactions.count + excluded.count`,
		eventID, talkID, emoji, ns)
	if err != nil {
		return s.fail(fmt.Errorf("add reactions: %w", err))
	}
	if tag.RowsAffected() == 0 && len(counts) > 0 {
		return koe.Errorf(koe.ENOTFOUND, "talk not found")
	}
	return nil
}

// Reactions implements koe.Store.
func (s *Store) Reactions(ctx context.Context, eventID, talkID int64) (map[string]int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT r.emoji, r.count FROM talk_reactions r JOIN talks t ON t.id = r.talk_id
		WHERE t.event_id = $1 AND r.talk_id = $2`, eventID, talkID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("reactions: %w", err))
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var emoji string
		var n int64
		if err := rows.Scan(&emoji, &n); err != nil {
			return nil, s.fail(fmt.Errorf("reactions: %w", err))
		}
		counts[emoji] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(fmt.Errorf("reactions: %w", err))
	}
	return counts, nil
}

// secretTaken answers a secret another link has: never for secrets koe
// made (32 random bytes).
func secretTaken() error { return koe.Errorf(koe.ECONFLICT, "another screen link has this secret") }
