package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// CreateReply implements koe.Store.
func (s *Store) CreateReply(ctx context.Context, r *koe.Reply, rev *koe.Review) (*koe.Question, error) {
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
		if r.Status == "" {
			r.Status = koe.StatusApproved
		}
		err = tx.QueryRow(`
			INSERT INTO replies (event_id, talk_id, question_id, participant_id, staff,
				author_name, body, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			r.EventID, r.TalkID, r.QuestionID, author, r.Staff, r.AuthorName, r.Body, r.Status, micros(now),
		).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert reply: %w", err)
		}
		created := *r
		created.ID, created.CreatedAt = id, now
		if q, err = s.replied(tx, o, &created); err != nil {
			return err
		}
		if rev == nil {
			return nil
		}
		rev.Kind, rev.SubjectID, rev.QuestionID = koe.ReviewReply, id, r.QuestionID
		return insertReview(tx, o, rev, now)
	})
	if err != nil {
		return nil, err
	}
	r.ID, r.CreatedAt = id, now
	return q, nil
}

// replied records reply r, just written or just decided, and counts it
// on its question when it is approved; it returns the question.
func (s *Store) replied(tx *txn, o koe.Origin, r *koe.Reply) (*koe.Question, error) {
	if r.Status == koe.StatusApproved {
		_, err := tx.Exec(`
			UPDATE questions SET reply_count = reply_count + 1, version = version + 1, updated_at = ?
			WHERE id = ?`,
			micros(s.stamp()), r.QuestionID)
		if err != nil {
			return nil, fmt.Errorf("count reply: %w", err)
		}
	}
	q, err := loadQuestion(tx, r.EventID, r.TalkID, r.QuestionID)
	if err != nil {
		return nil, err
	}
	changes := []koe.Change{r.Change(koe.ReplyCreated, q)}
	if r.Status == koe.StatusApproved {
		changes = append(changes, q.Change(koe.QuestionUpdated))
	}
	return q, tx.record(o, changes...)
}

// Replies implements koe.Store.
func (s *Store) Replies(ctx context.Context, eventID, talkID, questionID int64, all bool) ([]*koe.Reply, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+replyColumns+` FROM replies
		WHERE event_id = ? AND talk_id = ? AND question_id = ? AND (status = 'approved' OR ?)
		ORDER BY id`,
		eventID, talkID, questionID, all)
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

// TalkQuestions implements koe.Store.
func (s *Store) TalkQuestions(ctx context.Context, eventID, talkID int64, all bool, limit int) ([]*koe.Question, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+questionColumns+` FROM questions q
		WHERE q.event_id = ?2 AND q.talk_id = ?3 AND (?4 OR q.status = 'approved' AND q.hidden = 0)
		ORDER BY q.id LIMIT ?5`,
		0, eventID, talkID, all, limit)
	if err != nil {
		return nil, fmt.Errorf("talk questions: %w", err)
	}
	qs, err := collect(rows, scanQuestion)
	if err != nil {
		return nil, fmt.Errorf("talk questions: %w", err)
	}
	return qs, nil
}

// TalkReplies implements koe.Store.
func (s *Store) TalkReplies(ctx context.Context, eventID, talkID int64, all bool) ([]*koe.Reply, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+replyColumns+` FROM replies WHERE event_id = ? AND talk_id = ? AND (status = 'approved' OR ?) ORDER BY id`,
		eventID, talkID, all)
	if err != nil {
		return nil, fmt.Errorf("talk replies: %w", err)
	}
	replies, err := collect(rows, scanReply)
	if err != nil {
		return nil, fmt.Errorf("talk replies: %w", err)
	}
	return replies, nil
}

const replyColumns = `id, event_id, talk_id, question_id, participant_id, staff, author_name, body, status, created_at`

func scanReply(row scanner) (*koe.Reply, error) {
	var r koe.Reply
	var author sql.NullInt64
	err := row.Scan(&r.ID, &r.EventID, &r.TalkID, &r.QuestionID, &author, &r.Staff,
		&r.AuthorName, &r.Body, &r.Status, timeDest{&r.CreatedAt})
	if err != nil {
		return nil, err
	}
	r.ParticipantID = author.Int64
	return &r, nil
}
