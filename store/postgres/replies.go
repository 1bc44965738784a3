package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// CreateReply implements koe.Store.
func (s *Store) CreateReply(ctx context.Context, r *koe.Reply, rev *koe.Review) (*koe.Question, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		id      int64
		now     time.Time
		q       *koe.Question
		changes []koe.Change
	)
	if r.Status == "" {
		r.Status = koe.StatusApproved
	}
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
				author_name, body, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING id`,
			r.EventID, r.TalkID, r.QuestionID, author, r.Staff, r.AuthorName, r.Body, string(r.Status), now,
		).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert reply: %w", err)
		}
		created := *r
		created.ID, created.CreatedAt = id, now
		delta := 0
		if r.Status == koe.StatusApproved {
			delta = 1
		}
		if q, changes, err = s.replied(ctx, tx, &created, koe.ReplyCreated, delta); err != nil {
			return err
		}
		if rev != nil {
			rev.Kind, rev.SubjectID, rev.QuestionID = koe.ReviewReply, id, r.QuestionID
			c, err := insertReview(ctx, tx, rev, now)
			if err != nil {
				return err
			}
			changes = append(changes, c)
		}
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return nil, err
	}
	s.committed(typesOf(changes)...)
	r.ID, r.CreatedAt = id, now
	return q, nil
}

// replied counts reply r, just written (typ ReplyCreated) or decided
// (ReplyUpdated), on its question by delta (-1, 0 or 1), and returns the
// question and the changes to record.
func (s *Store) replied(ctx context.Context, tx pgx.Tx, r *koe.Reply, typ koe.ChangeType, delta int) (*koe.Question, []koe.Change, error) {
	q, err := scanQuestion(tx.QueryRow(ctx, `
		UPDATE questions q SET reply_count = reply_count + $1,
			version = version + CASE WHEN $1 = 0 THEN 0 ELSE 1 END,
			updated_at = CASE WHEN $1 = 0 THEN updated_at ELSE $2 END
		WHERE id = $3
		RETURNING `+questionReturning,
		delta, s.stamp(), r.QuestionID))
	if err != nil {
		return nil, nil, fmt.Errorf("count reply: %w", err)
	}
	changes := []koe.Change{r.Change(typ, q)}
	if delta != 0 {
		changes = append(changes, q.Change(koe.QuestionUpdated))
	}
	return q, changes, nil
}

const replyColumns = `id, event_id, talk_id, question_id, participant_id, staff, author_name, body, status, created_at`

// Replies implements koe.Store.
func (s *Store) Replies(ctx context.Context, eventID, talkID, questionID int64, all bool) ([]*koe.Reply, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+replyColumns+` FROM replies
		WHERE event_id = $1 AND talk_id = $2 AND question_id = $3 AND (status = 'approved' OR $4)
		ORDER BY id`,
		eventID, talkID, questionID, all)
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

// TalkQuestions implements koe.Store.
func (s *Store) TalkQuestions(ctx context.Context, eventID, talkID int64, all bool, limit int) ([]*koe.Question, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+questionColumns+` FROM questions q
		WHERE q.event_id = $2 AND q.talk_id = $3 AND ($4 OR q.status = 'approved' AND NOT q.hidden)
		ORDER BY q.id LIMIT $5`,
		0, eventID, talkID, all, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("talk questions: %w", err))
	}
	qs, err := collect(rows, scanQuestion)
	if err != nil {
		return nil, s.fail(fmt.Errorf("talk questions: %w", err))
	}
	return qs, nil
}

// TalkReplies implements koe.Store.
func (s *Store) TalkReplies(ctx context.Context, eventID, talkID int64, all bool) ([]*koe.Reply, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+replyColumns+` FROM replies WHERE event_id = $1 AND talk_id = $2 AND (status = 'approved' OR $3) ORDER BY id`,
		eventID, talkID, all)
	if err != nil {
		return nil, s.fail(fmt.Errorf("talk replies: %w", err))
	}
	replies, err := collect(rows, scanReply)
	if err != nil {
		return nil, s.fail(fmt.Errorf("talk replies: %w", err))
	}
	return replies, nil
}

func scanReply(row pgx.Row) (*koe.Reply, error) {
	var r koe.Reply
	var author *int64
	err := row.Scan(&r.ID, &r.EventID, &r.TalkID, &r.QuestionID, &author, &r.Staff,
		&r.AuthorName, &r.Body, &r.Status, &r.CreatedAt)
	if err != nil {
		return nil, err
	}
	if author != nil {
		r.ParticipantID = *author
	}
	utc(&r.CreatedAt)
	return &r, nil
}
