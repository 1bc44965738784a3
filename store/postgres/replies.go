package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// Locked, so that counts and versions of concurrent replies and
		// likes add up.
		var one int
		err := tx.QueryRow(ctx, `
			SELECT 1 FROM questions WHERE event_id = $1 AND talk_id = $2 AND id = $3
			FOR NO KEY UPDATE`,
			r.EventID, r.TalkID, r.QuestionID).Scan(&one)
		if err != nil {
			return notFound(err, "question")
		}
		// Staff replies have no participant.
		var author *int64
		if r.ParticipantID != 0 {
			if err := checkParticipant(ctx, tx, r.EventID, r.ParticipantID); err != nil {
				return err
			}
			author = &r.ParticipantID
		}
		now = s.stamp()
		err = tx.QueryRow(ctx, `
			INSERT INTO replies (event_id, talk_id, question_id, participant_id, staff,
				author_name, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING id`,
			r.EventID, r.TalkID, r.QuestionID, author, r.Staff, r.AuthorName, r.Body, now,
		).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert reply: %w", err)
		}
		q, err = scanQuestion(tx.QueryRow(ctx, `
			UPDATE questions q SET reply_count = reply_count + 1, version = version + 1, updated_at = $1
			WHERE id = $2
			RETURNING `+questionReturning,
			now, r.QuestionID))
		if err != nil {
			return fmt.Errorf("count reply: %w", err)
		}
		created := *r
		created.ID, created.CreatedAt = id, now
		return record(ctx, tx, o, created.Change(q), q.Change(koe.QuestionUpdated))
	})
	if err == nil {
		s.committed(koe.ReplyCreated, koe.QuestionUpdated)
	}
	if err != nil {
		return nil, err
	}
	r.ID, r.CreatedAt = id, now
	return q, nil
}

// Replies implements koe.Store.
func (s *Store) Replies(ctx context.Context, eventID, talkID, questionID int64) ([]*koe.Reply, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT id, event_id, talk_id, question_id, participant_id, staff, author_name, body, created_at
		FROM replies
		WHERE event_id = $1 AND talk_id = $2 AND question_id = $3
		ORDER BY id`,
		eventID, talkID, questionID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list replies: %w", err))
	}
	replies, err := collect(rows, scanReply)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list replies: %w", err))
	}
	if len(replies) == 0 {
		// No replies yet and no such question look alike so far.
		if _, err := s.Question(ctx, eventID, talkID, questionID, 0); err != nil {
			return nil, err
		}
	}
	return replies, nil
}

func scanReply(row pgx.Row) (*koe.Reply, error) {
	var r koe.Reply
	var author *int64
	err := row.Scan(&r.ID, &r.EventID, &r.TalkID, &r.QuestionID, &author, &r.Staff,
		&r.AuthorName, &r.Body, &r.CreatedAt)
	if err != nil {
		return nil, err
	}
	if author != nil {
		r.ParticipantID = *author
	}
	utc(&r.CreatedAt)
	return &r, nil
}
