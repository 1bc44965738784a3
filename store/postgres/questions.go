package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// questionFields are a question's own columns, without the viewer-relative
// ones.
const questionFields = `q.id, q.event_id, q.talk_id, q.participant_id, q.author_name, q.body,
	q.likes, q.answered, q.answered_at, q.hidden, q.status, q.reply_count, q.version,
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
		&q.Likes, &q.Answered, &q.AnsweredAt, &q.Hidden, &q.Status, &q.ReplyCount, &q.Version,
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
	WHERE q.event_id = $2 AND (q.talk_id = $3 OR $3 = 0) AND q.id = $4`

// CreateQuestion implements koe.Store. It is one statement, which also
// records the change: koe encodes the question with id 0, and the
// statement puts the id it got in place of the 0 (the encoding starts
// with it). The talk's row is locked FOR SHARE while the question goes
// in, so a concurrent close either comes first (and the question is
// refused) or waits for it.
func (s *Store) CreateQuestion(ctx context.Context, q *koe.Question, rev *koe.Review) error {
	o := koe.OriginFrom(ctx, s.now)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	now := s.stamp()
	created := koe.Question{EventID: q.EventID, TalkID: q.TalkID, ParticipantID: q.ParticipantID, Status: q.Status,
		AuthorName: q.AuthorName, Body: q.Body, Version: 1, CreatedAt: now, UpdatedAt: now}
	if created.Status == "" {
		created.Status = koe.StatusApproved
	}
	if rev != nil {
		return s.createReviewedQuestion(ctx, o, q, &created, rev)
	}
	c := created.Change(koe.QuestionCreated)
	rest, ok := strings.CutPrefix(string(c.Data), `{"id":0,`)
	if !ok {
		panic("postgres: a question's encoding does not start with its id") // koe.Question's first field
	}
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
			INSERT INTO questions (event_id, talk_id, participant_id, author_name, body, status,
				version, created_at, updated_at)
			SELECT $1, $2, asker.id, $4::text, $5::text, $13::text, 1, $6::timestamptz, $6::timestamptz
			FROM talk, asker
			WHERE talk.qa_open
			RETURNING id
		), recorded AS (
			INSERT INTO outbox (type, event_id, talk_id, at, actor_kind, actor_id, visibility, data)
			SELECT $7, $1, $2, $8, $9, $10, $11, '{"id":' || inserted.id || ',' || $12 FROM inserted
			RETURNING 1
		)
		SELECT (SELECT qa_open FROM talk), EXISTS (SELECT 1 FROM asker), (SELECT id FROM inserted),
			(SELECT pg_notify('`+outboxChannel+`', '') FROM recorded)`,
		q.EventID, q.TalkID, q.ParticipantID, q.AuthorName, q.Body, now,
		string(c.Type), o.At, string(o.Actor.Kind), o.Actor.ID, string(c.Visibility), rest, string(created.Status),
	).Scan(&open, &asker, &id, nil)
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
	s.committed(koe.QuestionCreated)
	created.ID = *id
	*q = created
	q.Mine = true
	return nil
}

// createReviewedQuestion is CreateQuestion with a review: a transaction
// of several statements, as moderated questions are few.
func (s *Store) createReviewedQuestion(ctx context.Context, o koe.Origin, q, created *koe.Question, rev *koe.Review) error {
	var changes []koe.Change
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var open bool
		err := tx.QueryRow(ctx, `SELECT qa_open FROM talks WHERE event_id = $1 AND id = $2 FOR SHARE`,
			q.EventID, q.TalkID).Scan(&open)
		if err != nil {
			return notFound(err, "talk")
		}
		if !open {
			return koe.Errorf(koe.EQACLOSED, "Q&A for this talk is closed")
		}
		if err := checkParticipant(ctx, tx, q.EventID, q.ParticipantID); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO questions (event_id, talk_id, participant_id, author_name, body, status,
				version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)
			RETURNING id`,
			q.EventID, q.TalkID, q.ParticipantID, q.AuthorName, q.Body, string(created.Status), created.CreatedAt,
		).Scan(&created.ID)
		if err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
		rev.Kind, rev.SubjectID, rev.QuestionID = koe.ReviewQuestion, created.ID, created.ID
		c, err := insertReview(ctx, tx, rev, created.CreatedAt)
		if err != nil {
			return err
		}
		changes = []koe.Change{created.Change(koe.QuestionCreated), c}
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return err
	}
	s.committed(typesOf(changes)...)
	*q = *created
	q.Mine = true
	return nil
}

// typesOf lists the types of changes, for committed.
func typesOf(changes []koe.Change) []koe.ChangeType {
	types := make([]koe.ChangeType, len(changes))
	for i, c := range changes {
		types[i] = c.Type
	}
	return types
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

// listed selects the questions a list shows: the approved ones, and the
// viewer's own ($1) pending and rejected ones.
const listed = `(q.status = 'approved' OR q.participant_id = $1)`

// A questionList is the SQL of one QuestionSort. after returns the
// condition that selects the rows past c, binding its values with arg.
type questionList struct {
	filter, order string
	after         func(c *koe.Cursor, arg func(any) string) string
}

var questionLists = map[koe.QuestionSort]questionList{
	koe.SortTop: {
		filter: `NOT q.hidden AND NOT q.answered AND ` + listed,
		order:  `q.likes DESC, q.id`,
		after: func(c *koe.Cursor, arg func(any) string) string {
			// The first term is implied by the second: it lets an index
			// scan start at the cursor instead of at the top.
			likes, id := arg(c.Key), arg(c.ID)
			return `q.likes <= ` + likes + `::bigint AND (q.likes < ` + likes + `::bigint OR q.id > ` + id + `)`
		},
	},
	koe.SortRecent: {
		filter: `NOT q.hidden AND NOT q.answered AND ` + listed,
		order:  `q.id DESC`,
		after: func(c *koe.Cursor, arg func(any) string) string {
			return `q.id < ` + arg(c.ID)
		},
	},
	koe.SortAnswered: {
		filter: `q.answered AND NOT q.hidden AND ` + listed,
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

// ListMarks implements koe.Store. The likes are probes of their primary
// key; the participant's questions come from questions_by_participant.
func (s *Store) ListMarks(ctx context.Context, talkID, participantID int64, questionIDs []int64) (*koe.ListMarks, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var m koe.ListMarks
	err := s.pool.QueryRow(ctx, `
		SELECT COALESCE((SELECT array_agg(l.question_id) FROM likes l
				WHERE l.participant_id = $1 AND l.question_id = ANY($3::bigint[])), '{}'),
			EXISTS (SELECT 1 FROM questions q
				WHERE q.participant_id = $1 AND q.talk_id = $2 AND q.status <> 'approved' AND NOT q.hidden)`,
		participantID, talkID, questionIDs).Scan(&m.Liked, &m.OwnUnapproved)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list marks: %w", err))
	}
	return &m, nil
}

// OpenQuestionTexts implements koe.Store. The filter is the recent
// list's, so that its index serves it.
func (s *Store) OpenQuestionTexts(ctx context.Context, eventID, talkID int64, limit int) ([]koe.QuestionText, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT q.id, q.body FROM questions q
		WHERE q.talk_id = $1 AND NOT q.hidden AND NOT q.answered AND q.status = 'approved' AND q.event_id = $2
		ORDER BY q.id DESC LIMIT $3`, talkID, eventID, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list question texts: %w", err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (koe.QuestionText, error) {
		var qt koe.QuestionText
		err := row.Scan(&qt.ID, &qt.Body)
		return qt, err
	})
	return out, s.fail(err)
}

// UpdateQuestion implements koe.Store. The question's row is locked first,
// then the talk's, as SetHighlight locks them.
func (s *Store) UpdateQuestion(ctx context.Context, eventID, talkID, questionID int64, u koe.QuestionUpdate) (*koe.UpdatedQuestion, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		change  *koe.UpdatedQuestion
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) (err error) {
		if change, changes, err = s.updateQuestion(ctx, tx, eventID, talkID, questionID, u); err != nil {
			return err
		}
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		s.committed(typesOf(changes)...)
	}
	return change, nil
}

// updateQuestion is UpdateQuestion inside a transaction; it returns the
// changes to record.
func (s *Store) updateQuestion(ctx context.Context, tx pgx.Tx, eventID, talkID, questionID int64, u koe.QuestionUpdate) (*koe.UpdatedQuestion, []koe.Change, error) {
	var change koe.UpdatedQuestion
	q, err := scanQuestion(tx.QueryRow(ctx, selectQuestion+` FOR NO KEY UPDATE OF q`,
		0, eventID, talkID, questionID))
	if err != nil {
		return nil, nil, notFound(err, "question")
	}
	now := s.stamp()
	before := *q
	if !u.Apply(q, now) {
		change.Question = q
		return &change, nil, nil
	}
	change.Question, err = scanQuestion(tx.QueryRow(ctx, `
		UPDATE questions q SET body = $1, answered = $2, answered_at = $3, hidden = $4, status = $5,
			version = version + 1, updated_at = $6
		WHERE id = $7
		RETURNING `+questionReturning,
		q.Body, q.Answered, q.AnsweredAt, q.Hidden, string(q.Status), now, questionID))
	if err != nil {
		return nil, nil, fmt.Errorf("update question: %w", err)
	}
	changes := []koe.Change{change.Question.Change(koe.QuestionUpdated).WithBefore(&before)}
	if !q.Highlightable() {
		if change.Talk, err = s.clearHighlight(ctx, tx, q.TalkID, questionID); err != nil {
			return nil, nil, err
		}
		if change.Talk != nil {
			changes = append(changes, change.Talk.Change(koe.TalkUpdated))
		}
	}
	return &change, changes, nil
}
