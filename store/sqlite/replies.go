package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// CreateReply implements koe.Store.
func (s *Store) CreateReply(ctx context.Context, r *koe.Reply) (*koe.Question, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		id  int64
		now time.Time
		q   *koe.Question
	)
	err := s.writer.do(ctx, func(tx *txn) error {
		var exists bool
		err := tx.QueryRow(`SELECT 1 FROM questions WHERE event_id = ? AND talk_id = ? AND id = ?`,
			r.EventID, r.TalkID, r.QuestionID).Scan(&exists)
		if err != nil {
			return notFound(err, "question")
		}
		// Staff replies have no participant.
		author := sql.NullInt64{Int64: r.ParticipantID, Valid: r.ParticipantID != 0}
		if author.Valid {
			if err := checkParticipant(tx, r.EventID, r.ParticipantID); err != nil {
				return err
			}
		}
		now = s.stamp()
		err = tx.QueryRow(`
			INSERT INTO replies (event_id, talk_id, question_id, participant_id, staff,
				author_name, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			r.EventID, r.TalkID, r.QuestionID, author, r.Staff, r.AuthorName, r.Body, micros(now),
		).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert reply: %w", err)
		}
		_, err = tx.Exec(`
			UPDATE questions SET reply_count = reply_count + 1, version = version + 1, updated_at = ?
			WHERE id = ?`,
			micros(now), r.QuestionID)
		if err != nil {
			return fmt.Errorf("count reply: %w", err)
		}
		if q, err = loadQuestion(tx, r.EventID, r.TalkID, r.QuestionID); err != nil {
			return err
		}
		created := *r
		created.ID, created.CreatedAt = id, now
		return tx.record(o, created.Change(q), q.Change(koe.QuestionUpdated))
	})
	if err != nil {
		return nil, err
	}
	r.ID, r.CreatedAt = id, now
	return q, nil
}

// Replies implements koe.Store.
func (s *Store) Replies(ctx context.Context, eventID, talkID, questionID int64) ([]*koe.Reply, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, event_id, talk_id, question_id, participant_id, staff, author_name, body, created_at
		FROM replies
		WHERE event_id = ? AND talk_id = ? AND question_id = ?
		ORDER BY id`,
		eventID, talkID, questionID)
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	replies, err := collect(rows, scanReply)
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	if len(replies) == 0 {
		// No replies yet and no such question look alike so far.
		if _, err := s.Question(ctx, eventID, talkID, questionID, 0); err != nil {
			return nil, err
		}
	}
	return replies, nil
}

func scanReply(row scanner) (*koe.Reply, error) {
	var r koe.Reply
	var author sql.NullInt64
	err := row.Scan(&r.ID, &r.EventID, &r.TalkID, &r.QuestionID, &author, &r.Staff,
		&r.AuthorName, &r.Body, timeDest{&r.CreatedAt})
	if err != nil {
		return nil, err
	}
	r.ParticipantID = author.Int64
	return &r, nil
}
