package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// questionFields are a question's own columns, without the viewer-relative
// ones.
const questionFields = `q.id, q.event_id, q.talk_id, q.participant_id, q.author_name, q.body,
	q.likes, q.answered, q.answered_at, q.hidden, q.reply_count, q.version,
	q.created_at, q.updated_at`

// questionColumns ends with the viewer-relative Mine and LikedByMe, for the
// participant bound to $1 (0 matches nobody). LikedByMe is a scalar
// subquery, not EXISTS: the planner may run an EXISTS once for all rows, as
// a hash of all the viewer's likes, which it costs by the rows of the whole
// list rather than of the page.
const questionColumns = questionFields + `,
	q.participant_id = $1,
	(SELECT true FROM likes l WHERE l.question_id = q.id AND l.participant_id = $1) IS NOT NULL`

// questionReturning ends a write's RETURNING clause: the question as seen by
// nobody, as store/sqlite returns it after a write.
const questionReturning = questionFields + `, false, false`

func scanQuestion(row pgx.Row) (*koe.Question, error) {
	var q koe.Question
	err := row.Scan(&q.ID, &q.EventID, &q.TalkID, &q.ParticipantID, &q.AuthorName, &q.Body,
		&q.Likes, &q.Answered, &q.AnsweredAt, &q.Hidden, &q.ReplyCount, &q.Version,
		&q.CreatedAt, &q.UpdatedAt,
		&q.Mine, &q.LikedByMe)
	if err != nil {
		return nil, err
	}
	q.AnsweredAt = utcPtr(q.AnsweredAt)
	utc(&q.CreatedAt)
	utc(&q.UpdatedAt)
	return &q, nil
}

const selectQuestion = `SELECT ` + questionColumns + ` FROM questions q
	WHERE q.event_id = $2 AND q.talk_id = $3 AND q.id = $4`

// CreateQuestion implements koe.Store. It is one statement: the talk's row
// is locked FOR SHARE while the question goes in, so a concurrent close
// either comes first (and the question is refused) or waits for it.
func (s *Store) CreateQuestion(ctx context.Context, q *koe.Question) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	now := s.stamp()
	var (
		open  *bool // nil: no such talk in the event
		asker bool
		id    *int64
	)
	err := s.pool.QueryRow(ctx, `
		WITH talk AS (
			SELECT qa_open FROM talks WHERE event_id = $1 AND id = $2 FOR SHARE
		), asker AS (
			SELECT id FROM participants WHERE event_id = $1 AND id = $3
		), inserted AS (
			INSERT INTO questions (event_id, talk_id, participant_id, author_name, body,
				version, created_at, updated_at)
			SELECT $1, $2, asker.id, $4::text, $5::text, 1, $6::timestamptz, $6::timestamptz
			FROM talk, asker
			WHERE talk.qa_open
			RETURNING id
		)
		SELECT (SELECT qa_open FROM talk), EXISTS (SELECT 1 FROM asker), (SELECT id FROM inserted)`,
		q.EventID, q.TalkID, q.ParticipantID, q.AuthorName, q.Body, now,
	).Scan(&open, &asker, &id)
	switch {
	case err != nil:
		return s.fail(fmt.Errorf("insert question: %w", err))
	case open == nil:
		return koe.Errorf(koe.ENOTFOUND, "talk not found")
	case !*open:
		return koe.Errorf(koe.EQACLOSED, "Q&A for this talk is closed")
	case !asker:
		return koe.Errorf(koe.ENOTFOUND, "participant not found")
	case id == nil:
		return fmt.Errorf("insert question: no row inserted")
	}
	q.ID, q.Version, q.CreatedAt, q.UpdatedAt = *id, 1, now, now
	q.Likes, q.Answered, q.AnsweredAt, q.Hidden, q.ReplyCount = 0, false, nil, false, 0
	q.Mine, q.LikedByMe = true, false
	return nil
}

// Question implements koe.Store.
func (s *Store) Question(ctx context.Context, eventID, talkID, questionID, viewer int64) (*koe.Question, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	q, err := scanQuestion(s.pool.QueryRow(ctx, selectQuestion, viewer, eventID, talkID, questionID))
	if err != nil {
		return nil, s.fail(notFound(err, "question"))
	}
	return q, nil
}

// A questionList is the SQL of one QuestionSort. after returns the
// condition that selects the rows past c, binding its values with arg.
type questionList struct {
	filter, order string
	after         func(c *koe.Cursor, arg func(any) string) string
}

var questionLists = map[koe.QuestionSort]questionList{
	koe.SortTop: {
		filter: `NOT q.hidden AND NOT q.answered`,
		order:  `q.likes DESC, q.id`,
		after: func(c *koe.Cursor, arg func(any) string) string {
			// The first term is implied by the second: it lets an index
			// scan start at the cursor instead of at the top.
			likes, id := arg(c.Key), arg(c.ID)
			return `q.likes <= ` + likes + `::bigint AND (q.likes < ` + likes + `::bigint OR q.id > ` + id + `)`
		},
	},
	koe.SortRecent: {
		filter: `NOT q.hidden AND NOT q.answered`,
		order:  `q.id DESC`,
		after: func(c *koe.Cursor, arg func(any) string) string {
			return `q.id < ` + arg(c.ID)
		},
	},
	koe.SortAnswered: {
		filter: `q.answered AND NOT q.hidden`,
		order:  `q.answered_at DESC, q.id DESC`,
		after: func(c *koe.Cursor, arg func(any) string) string {
			// The cursor holds nanoseconds; the store keeps microseconds.
			at := time.UnixMicro(c.Key / int64(time.Microsecond)).UTC()
			return `(q.answered_at, q.id) < (` + arg(at) + `::timestamptz, ` + arg(c.ID) + `)`
		},
	},
	koe.SortHidden: {
		filter: `q.hidden`,
		order:  `q.id DESC`,
		after: func(c *koe.Cursor, arg func(any) string) string {
			return `q.id < ` + arg(c.ID)
		},
	},
}

// Questions implements koe.Store.
func (s *Store) Questions(ctx context.Context, qq koe.QuestionQuery) (*koe.QuestionPage, error) {
	qq = qq.Normalized()
	sort, limit := qq.Sort, qq.Limit
	list, ok := questionLists[sort]
	if !ok {
		return nil, koe.Errorf(koe.EINVALID, "unknown question sort %q", sort)
	}

	args := []any{qq.Viewer, qq.EventID, qq.TalkID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	query := `SELECT ` + questionColumns + ` FROM questions q
		WHERE q.event_id = $2 AND q.talk_id = $3 AND ` + list.filter
	if c := qq.After; c != nil {
		if c.Sort != sort {
			return nil, koe.Errorf(koe.EINVALID, "cursor is not valid for this list")
		}
		query += ` AND ` + list.after(c, arg)
	}
	// One row more than the page tells whether there is a next page.
	query += ` ORDER BY ` + list.order + ` LIMIT ` + arg(limit+1)

	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list questions: %w", err))
	}
	questions, err := collect(rows, scanQuestion)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list questions: %w", err))
	}
	if len(questions) == 0 {
		// An empty list and a talk outside the event look alike so far.
		if _, err := s.Talk(ctx, qq.EventID, qq.TalkID); err != nil {
			return nil, err
		}
	}
	return koe.NewQuestionPage(sort, questions, limit), nil
}

// UpdateQuestion implements koe.Store. The question's row is locked first,
// then the talk's, as SetHighlight locks them.
func (s *Store) UpdateQuestion(ctx context.Context, eventID, talkID, questionID int64, u koe.QuestionUpdate) (*koe.QuestionChange, error) {
	var change koe.QuestionChange
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		q, err := scanQuestion(tx.QueryRow(ctx, selectQuestion+` FOR NO KEY UPDATE OF q`,
			0, eventID, talkID, questionID))
		if err != nil {
			return notFound(err, "question")
		}
		now := s.stamp()
		if u.Body != nil {
			q.Body = *u.Body
		}
		if u.Answered != nil {
			switch {
			case !*u.Answered:
				q.AnsweredAt = nil
			case !q.Answered:
				q.AnsweredAt = &now
			}
			q.Answered = *u.Answered
		}
		if u.Hidden != nil {
			q.Hidden = *u.Hidden
		}
		change.Question, err = scanQuestion(tx.QueryRow(ctx, `
			UPDATE questions q SET body = $1, answered = $2, answered_at = $3, hidden = $4,
				version = version + 1, updated_at = $5
			WHERE id = $6
			RETURNING `+questionReturning,
			q.Body, q.Answered, q.AnsweredAt, q.Hidden, now, questionID))
		if err != nil {
			return fmt.Errorf("update question: %w", err)
		}
		if q.Hidden {
			// A hidden question must not stay on the big screen.
			if change.Talk, err = s.clearHighlight(ctx, tx, talkID, questionID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &change, nil
}
