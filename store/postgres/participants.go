package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// CreateParticipant implements koe.Store.
func (s *Store) CreateParticipant(ctx context.Context, p *koe.Participant) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	now := s.stamp()
	var id int64
	// Selecting from events makes a missing event insert nothing.
	err := s.pool.QueryRow(ctx, `
		INSERT INTO participants (event_id, display_name, created_at)
		SELECT id, $1::text, $2::timestamptz FROM events WHERE id = $3
		RETURNING id`,
		p.DisplayName, now, p.EventID,
	).Scan(&id)
	if err != nil {
		return s.fail(notFound(err, "event"))
	}
	p.ID, p.CreatedAt = id, now
	return nil
}

// Participant implements koe.Store.
func (s *Store) Participant(ctx context.Context, eventID, id int64) (*koe.Participant, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var p koe.Participant
	err := s.pool.QueryRow(ctx, `
		SELECT id, event_id, display_name, created_at FROM participants
		WHERE event_id = $1 AND id = $2`, eventID, id,
	).Scan(&p.ID, &p.EventID, &p.DisplayName, &p.CreatedAt)
	if err != nil {
		return nil, s.fail(notFound(err, "participant"))
	}
	utc(&p.CreatedAt)
	return &p, nil
}

// checkParticipant returns ENOTFOUND unless participant id belongs to the
// event: ids from another event must not act here.
func checkParticipant(ctx context.Context, tx pgx.Tx, eventID, id int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM participants WHERE event_id = $1 AND id = $2`, eventID, id).Scan(&one)
	if err != nil {
		return notFound(err, "participant")
	}
	return nil
}
