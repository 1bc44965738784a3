package sqlite

import (
	"context"
	"time"

	"github.com/koehq/koe"
)

// CreateParticipant implements koe.Store.
func (s *Store) CreateParticipant(ctx context.Context, p *koe.Participant) error {
	var (
		id  int64
		now time.Time
	)
	err := s.writer.do(ctx, func(tx *txn) error {
		now = s.stamp()
		// Selecting from events makes a missing event insert nothing.
		err := tx.QueryRow(`
			INSERT INTO participants (event_id, display_name, created_at)
			SELECT id, ?, ? FROM events WHERE id = ?
			RETURNING id`,
			p.DisplayName, micros(now), p.EventID,
		).Scan(&id)
		if err != nil {
			return notFound(err, "event")
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.ID, p.CreatedAt = id, now
	return nil
}

// Participant implements koe.Store.
func (s *Store) Participant(ctx context.Context, eventID, id int64) (*koe.Participant, error) {
	var p koe.Participant
	err := s.read.QueryRowContext(ctx, `
		SELECT id, event_id, display_name, created_at FROM participants
		WHERE event_id = ? AND id = ?`, eventID, id,
	).Scan(&p.ID, &p.EventID, &p.DisplayName, timeDest{&p.CreatedAt})
	if err != nil {
		return nil, notFound(err, "participant")
	}
	return &p, nil
}

// checkParticipant returns ENOTFOUND unless participant id belongs to the
// event: ids from another event must not act here.
func checkParticipant(tx *txn, eventID, id int64) error {
	var exists bool
	err := tx.QueryRow(`SELECT 1 FROM participants WHERE event_id = ? AND id = ?`, eventID, id).Scan(&exists)
	if err != nil {
		return notFound(err, "participant")
	}
	return nil
}
