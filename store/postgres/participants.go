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
		INSERT INTO participants (event_id, display_name, oidc_issuer, oidc_subject, created_at)
		SELECT id, $1::text, $2::text, $3::text, $4::timestamptz FROM events WHERE id = $5
		RETURNING id`,
		p.DisplayName, nullString(p.OIDCIssuer), nullString(p.OIDCSubject), now, p.EventID,
	).Scan(&id)
	if isUnique(err, "participants_identity") {
		return koe.Errorf(koe.ECONFLICT, "this identity is a participant of the event already")
	}
	if err != nil {
		return s.fail(notFound(err, "event"))
	}
	p.ID, p.CreatedAt = id, now
	return nil
}

const participantColumns = `id, event_id, display_name, coalesce(oidc_issuer, ''), coalesce(oidc_subject, ''), created_at`

func (s *Store) participant(ctx context.Context, where string, args ...any) (*koe.Participant, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var p koe.Participant
	err := s.pool.QueryRow(ctx, `SELECT `+participantColumns+` FROM participants WHERE `+where, args...).
		Scan(&p.ID, &p.EventID, &p.DisplayName, &p.OIDCIssuer, &p.OIDCSubject, &p.CreatedAt)
	if err != nil {
		return nil, s.fail(notFound(err, "participant"))
	}
	utc(&p.CreatedAt)
	return &p, nil
}

// Participant implements koe.Store.
func (s *Store) Participant(ctx context.Context, eventID, id int64) (*koe.Participant, error) {
	return s.participant(ctx, `event_id = $1 AND id = $2`, eventID, id)
}

// ParticipantByIdentity implements koe.Store.
func (s *Store) ParticipantByIdentity(ctx context.Context, eventID int64, issuer, subject string) (*koe.Participant, error) {
	return s.participant(ctx, `event_id = $1 AND oidc_issuer = $2 AND oidc_subject = $3`, eventID, issuer, subject)
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
