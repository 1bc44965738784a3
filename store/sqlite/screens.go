package sqlite

import (
	"context"
	"fmt"

	"github.com/koehq/koe"
)

const screenLinkColumns = `id, event_id, kind, label, secret, created_at`

func scanScreenLink(row scanner) (*koe.ScreenLink, error) {
	var l koe.ScreenLink
	if err := row.Scan(&l.ID, &l.EventID, &l.Kind, &l.Label, &l.Secret, timeDest{&l.CreatedAt}); err != nil {
		return nil, err
	}
	return &l, nil
}

// CreateScreenLink implements koe.Store.
func (s *Store) CreateScreenLink(ctx context.Context, l *koe.ScreenLink) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.ScreenLink
	err := s.writer.do(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM screen_links WHERE event_id = ?`, l.EventID).Scan(&n); err != nil {
			return fmt.Errorf("count screen links: %w", err)
		}
		if n >= koe.MaxScreenLinks {
			return koe.Errorf(koe.ECONFLICT, "an event has at most %d screen links: delete one first", koe.MaxScreenLinks)
		}
		var err error
		created, err = scanScreenLink(tx.QueryRow(`
			INSERT INTO screen_links (event_id, kind, label, secret, created_at)
			SELECT id, ?, ?, ?, ? FROM events WHERE id = ?
			RETURNING `+screenLinkColumns,
			l.Kind, l.Label, l.Secret, micros(s.stamp()), l.EventID))
		if isUnique(err, "screen_links.secret") {
			return secretTaken()
		}
		if err != nil {
			return notFound(err, "event")
		}
		return tx.record(o, created.Change(koe.ScreenLinkCreated))
	})
	if err != nil {
		return err
	}
	*l = *created
	return nil
}

// ScreenLinks implements koe.Store.
func (s *Store) ScreenLinks(ctx context.Context, eventID int64) ([]*koe.ScreenLink, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+screenLinkColumns+` FROM screen_links WHERE event_id = ? ORDER BY id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("screen links: %w", err)
	}
	defer rows.Close()
	links := []*koe.ScreenLink{}
	for rows.Next() {
		l, err := scanScreenLink(rows)
		if err != nil {
			return nil, fmt.Errorf("screen links: %w", err)
		}
		links = append(links, l)
	}
	return links, rows.Err()
}

// ScreenLinkBySecret implements koe.Store.
func (s *Store) ScreenLinkBySecret(ctx context.Context, secret string) (*koe.ScreenLink, error) {
	l, err := scanScreenLink(s.read.QueryRowContext(ctx, `SELECT `+screenLinkColumns+` FROM screen_links WHERE secret = ?`, secret))
	if err != nil {
		return nil, notFound(err, "screen link")
	}
	return l, nil
}

// SetScreenLinkSecret implements koe.Store.
func (s *Store) SetScreenLinkSecret(ctx context.Context, eventID, linkID int64, secret string) (*koe.ScreenLink, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.ScreenLink
	err := s.writer.do(ctx, func(tx *txn) error {
		var err error
		updated, err = scanScreenLink(tx.QueryRow(`UPDATE screen_links SET secret = ? WHERE event_id = ? AND id = ? RETURNING `+screenLinkColumns,
			secret, eventID, linkID))
		if isUnique(err, "screen_links.secret") {
			return secretTaken()
		}
		if err != nil {
			return notFound(err, "screen link")
		}
		return tx.record(o, updated.Change(koe.ScreenLinkRotated))
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// DeleteScreenLink implements koe.Store.
func (s *Store) DeleteScreenLink(ctx context.Context, eventID, linkID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		l, err := scanScreenLink(tx.QueryRow(`DELETE FROM screen_links WHERE event_id = ? AND id = ? RETURNING `+screenLinkColumns, eventID, linkID))
		if err != nil {
			return notFound(err, "screen link")
		}
		return tx.record(o, l.Change(koe.ScreenLinkDeleted))
	})
}

// AddReactions implements koe.Store.
func (s *Store) AddReactions(ctx context.Context, eventID, talkID int64, counts map[string]int64) error {
	return s.writer.do(ctx, func(tx *txn) error {
		var id int64
		if err := tx.QueryRow(`SELECT id FROM talks WHERE event_id = ? AND id = ?`, eventID, talkID).Scan(&id); err != nil {
			return notFound(err, "talk")
		}
		for emoji, n := range counts {
			if _, err := tx.Exec(`INSERT INTO talk_reactions (talk_id, emoji, count) VALUES (?1, ?2, ?3)
				ON CONFLICT (talk_id, emoji) DO UPDATE SET count = count + ?3`, talkID, emoji, n); err != nil {
				return fmt.Errorf("add reactions: %w", err)
			}
		}
		return nil
	})
}

// Reactions implements koe.Store.
func (s *Store) Reactions(ctx context.Context, eventID, talkID int64) (map[string]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT r.emoji, r.count FROM talk_reactions r JOIN talks t ON t.id = r.talk_id
		WHERE t.event_id = ? AND r.talk_id = ?`, eventID, talkID)
	if err != nil {
		return nil, fmt.Errorf("reactions: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var emoji string
		var n int64
		if err := rows.Scan(&emoji, &n); err != nil {
			return nil, fmt.Errorf("reactions: %w", err)
		}
		counts[emoji] = n
	}
	return counts, rows.Err()
}

// secretTaken answers a secret another link has: never for secrets koe
// made (32 random bytes).
func secretTaken() error { return koe.Errorf(koe.ECONFLICT, "another screen link has this secret") }
