package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

const banColumns = `id, event_id, participant_id, display_name, reason, created_by, hidden, created_at`

func scanBan(row pgx.Row) (*koe.Ban, error) {
	var b koe.Ban
	err := row.Scan(&b.ID, &b.EventID, &b.ParticipantID, &b.DisplayName, &b.Reason, &b.By, &b.Hidden, &b.CreatedAt)
	if err != nil {
		return nil, err
	}
	utc(&b.CreatedAt)
	return &b, nil
}

// CreateBan implements koe.Store.
func (s *Store) CreateBan(ctx context.Context, b *koe.Ban, hide bool) error {
	o := koe.OriginFrom(ctx, s.now)
	var (
		created *koe.Ban
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		changes = nil
		var name string
		// Locked, so that two bans of one participant queue up here.
		err := tx.QueryRow(ctx, `SELECT display_name FROM participants WHERE event_id = $1 AND id = $2 FOR UPDATE`,
			b.EventID, b.ParticipantID).Scan(&name)
		if err != nil {
			return notFound(err, "participant")
		}
		var one int
		err = tx.QueryRow(ctx, `SELECT 1 FROM bans WHERE event_id = $1 AND participant_id = $2`, b.EventID, b.ParticipantID).Scan(&one)
		if err == nil {
			return koe.Errorf(koe.ECONFLICT, "this participant is banned already")
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("check ban: %w", err)
		}
		hidden := 0
		if hide {
			rows, err := tx.Query(ctx, `SELECT id FROM questions WHERE event_id = $1 AND participant_id = $2 AND NOT hidden ORDER BY id`,
				b.EventID, b.ParticipantID)
			if err != nil {
				return fmt.Errorf("list banned participant's questions: %w", err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return fmt.Errorf("list banned participant's questions: %w", err)
			}
			yes := true
			for _, id := range ids {
				_, cs, err := s.updateQuestion(ctx, tx, b.EventID, 0, id, koe.QuestionUpdate{Hidden: &yes})
				if err != nil {
					return err
				}
				changes = append(changes, cs...)
			}
			hidden = len(ids)
		}
		created, err = scanBan(tx.QueryRow(ctx, `
			INSERT INTO bans (event_id, participant_id, display_name, reason, created_by, hidden, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+banColumns,
			b.EventID, b.ParticipantID, name, b.Reason, b.By, hidden, s.stamp()))
		if err != nil {
			return fmt.Errorf("insert ban: %w", err)
		}
		changes = append(changes, created.Change(koe.BanCreated))
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return err
	}
	s.committed(typesOf(changes)...)
	*b = *created
	return nil
}

// DeleteBan implements koe.Store.
func (s *Store) DeleteBan(ctx context.Context, eventID, banID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		b, err := scanBan(tx.QueryRow(ctx, `DELETE FROM bans WHERE event_id = $1 AND id = $2 RETURNING `+banColumns, eventID, banID))
		if err != nil {
			return notFound(err, "ban")
		}
		return record(ctx, tx, o, b.Change(koe.BanRemoved))
	})
	if err == nil {
		s.committed(koe.BanRemoved)
	}
	return err
}

// Bans implements koe.Store.
func (s *Store) Bans(ctx context.Context, eventID int64) ([]*koe.Ban, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+banColumns+` FROM bans WHERE event_id = $1 ORDER BY id DESC`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list bans: %w", err))
	}
	bans, err := collect(rows, scanBan)
	return bans, s.fail(err)
}

// BannedParticipants implements koe.Store.
func (s *Store) BannedParticipants(ctx context.Context, eventID int64) ([]int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT participant_id FROM bans WHERE event_id = $1`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list bans: %w", err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, s.fail(err)
}

// Samples implements koe.Store.
func (s *Store) Samples(ctx context.Context, eventID int64, limit int) ([]koe.Sample, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT body, decision = 'rejected' FROM reviews
		WHERE event_id = $1 AND decided_account IS NOT NULL
		ORDER BY decided_at DESC LIMIT $2`, eventID, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list samples: %w", err))
	}
	samples, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (koe.Sample, error) {
		var sm koe.Sample
		err := row.Scan(&sm.Body, &sm.Bad)
		return sm, err
	})
	return samples, s.fail(err)
}

// RecentTexts implements koe.Store.
func (s *Store) RecentTexts(ctx context.Context, eventID, participantID int64, since time.Time, limit int) ([]string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT body FROM (
			SELECT body, created_at FROM questions WHERE participant_id = $1 AND event_id = $2 AND created_at >= $3
			UNION ALL
			SELECT body, created_at FROM replies WHERE participant_id = $1 AND event_id = $2 AND created_at >= $3
		) t ORDER BY created_at DESC LIMIT $4`, participantID, eventID, since, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list recent texts: %w", err))
	}
	texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return texts, s.fail(err)
}
