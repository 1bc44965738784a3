package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

const banColumns = `id, event_id, participant_id, display_name, reason, created_by, hidden, created_at`

func scanBan(row scanner) (*koe.Ban, error) {
	var b koe.Ban
	err := row.Scan(&b.ID, &b.EventID, &b.ParticipantID, &b.DisplayName, &b.Reason, &b.By, &b.Hidden, timeDest{&b.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// CreateBan implements koe.Store.
func (s *Store) CreateBan(ctx context.Context, b *koe.Ban, hide bool) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Ban
	err := s.writer.do(ctx, func(tx *txn) error {
		var name string
		err := tx.QueryRow(`SELECT display_name FROM participants WHERE event_id = ? AND id = ?`,
			b.EventID, b.ParticipantID).Scan(&name)
		if err != nil {
			return notFound(err, "participant")
		}
		var exists bool
		if tx.QueryRow(`SELECT 1 FROM bans WHERE event_id = ? AND participant_id = ?`, b.EventID, b.ParticipantID).Scan(&exists) == nil {
			return koe.Errorf(koe.ECONFLICT, "this participant is banned already")
		}
		hidden := 0
		if hide {
			rows, err := tx.Query(`SELECT id FROM questions WHERE event_id = ? AND participant_id = ? AND hidden = 0`,
				b.EventID, b.ParticipantID)
			if err != nil {
				return fmt.Errorf("list banned participant's questions: %w", err)
			}
			ids, err := collectIDs(rows)
			if err != nil {
				return err
			}
			yes := true
			for _, id := range ids {
				if _, err := s.updateQuestion(tx, o, b.EventID, 0, id, koe.QuestionUpdate{Hidden: &yes}); err != nil {
					return err
				}
			}
			hidden = len(ids)
		}
		var id int64
		err = tx.QueryRow(`INSERT INTO bans (event_id, participant_id, display_name, reason, created_by, hidden, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			b.EventID, b.ParticipantID, name, b.Reason, b.By, hidden, micros(s.stamp())).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert ban: %w", err)
		}
		if created, err = scanBan(tx.QueryRow(`SELECT `+banColumns+` FROM bans WHERE id = ?`, id)); err != nil {
			return fmt.Errorf("load ban: %w", err)
		}
		return tx.record(o, created.Change(koe.BanCreated))
	})
	if err != nil {
		return err
	}
	*b = *created
	return nil
}

func collectIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// DeleteBan implements koe.Store.
func (s *Store) DeleteBan(ctx context.Context, eventID, banID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		b, err := scanBan(tx.QueryRow(`DELETE FROM bans WHERE event_id = ? AND id = ? RETURNING `+banColumns, eventID, banID))
		if err != nil {
			return notFound(err, "ban")
		}
		return tx.record(o, b.Change(koe.BanRemoved))
	})
}

// Bans implements koe.Store.
func (s *Store) Bans(ctx context.Context, eventID int64) ([]*koe.Ban, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+banColumns+` FROM bans WHERE event_id = ? ORDER BY id DESC`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	return collect(rows, scanBan)
}

// BannedParticipants implements koe.Store.
func (s *Store) BannedParticipants(ctx context.Context, eventID int64) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT participant_id FROM bans WHERE event_id = ?`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	return collectIDs(rows)
}

// Samples implements koe.Store.
func (s *Store) Samples(ctx context.Context, eventID int64, limit int) ([]koe.Sample, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT body, decision = 'rejected' FROM reviews
		WHERE event_id = ? AND decided_account IS NOT NULL
		ORDER BY decided_at DESC LIMIT ?`, eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("list samples: %w", err)
	}
	defer rows.Close()
	var samples []koe.Sample
	for rows.Next() {
		var sm koe.Sample
		if err := rows.Scan(&sm.Body, &sm.Bad); err != nil {
			return nil, fmt.Errorf("list samples: %w", err)
		}
		samples = append(samples, sm)
	}
	return samples, rows.Err()
}

// RecentTexts implements koe.Store.
func (s *Store) RecentTexts(ctx context.Context, eventID, participantID int64, since time.Time, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT body, created_at FROM questions WHERE participant_id = ?1 AND event_id = ?2 AND created_at >= ?3
		UNION ALL
		SELECT body, created_at FROM replies WHERE participant_id = ?1 AND event_id = ?2 AND created_at >= ?3
		ORDER BY created_at DESC LIMIT ?4`, participantID, eventID, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list recent texts: %w", err)
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var body string
		var at int64
		if err := rows.Scan(&body, &at); err != nil {
			return nil, fmt.Errorf("list recent texts: %w", err)
		}
		texts = append(texts, body)
	}
	return texts, rows.Err()
}
