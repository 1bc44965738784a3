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
			INSERT INTO participants (event_id, display_name, oidc_issuer, oidc_subject, created_at)
			SELECT id, ?, ?, ?, ? FROM events WHERE id = ?
			RETURNING id`,
			p.DisplayName, nullString(p.OIDCIssuer), nullString(p.OIDCSubject), micros(now), p.EventID,
		).Scan(&id)
		if isUnique(err, "participants.event_id") {
			return koe.Errorf(koe.ECONFLICT, "this identity is a participant of the event already")
		}
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

const participantColumns = `id, event_id, display_name, coalesce(oidc_issuer, ''), coalesce(oidc_subject, ''), created_at`

func (s *Store) participant(ctx context.Context, where string, args ...any) (*koe.Participant, error) {
	var p koe.Participant
	err := s.read.QueryRowContext(ctx, `SELECT `+participantColumns+` FROM participants WHERE `+where, args...).
		Scan(&p.ID, &p.EventID, &p.DisplayName, &p.OIDCIssuer, &p.OIDCSubject, timeDest{&p.CreatedAt})
	if err != nil {
		return nil, notFound(err, "participant")
	}
	return &p, nil
}

// Participant implements koe.Store.
func (s *Store) Participant(ctx context.Context, eventID, id int64) (*koe.Participant, error) {
	return s.participant(ctx, `event_id = ? AND id = ?`, eventID, id)
}

// ParticipantByIdentity implements koe.Store.
func (s *Store) ParticipantByIdentity(ctx context.Context, eventID int64, issuer, subject string) (*koe.Participant, error) {
	return s.participant(ctx, `event_id = ? AND oidc_issuer = ? AND oidc_subject = ?`, eventID, issuer, subject)
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
