package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/koehq/koe"
)

// questionColumns ends with the viewer-relative Mine and LikedByMe, for the
// participant bound to ?1 (0 matches nobody).
const questionColumns = `q.id, q.event_id, q.talk_id, q.participant_id, q.author_name, q.body,
	q.likes, q.answered, q.answered_at, q.hidden, q.status, q.reply_count, q.version,
	q.created_at, q.updated_at,
	q.participant_id = ?1,
	EXISTS (SELECT 1 FROM likes l WHERE l.question_id = q.id AND l.participant_id = ?1)`

func scanQuestion(row scanner) (*koe.Question, error) {
	var q koe.Question
	err := row.Scan(&q.ID, &q.EventID, &q.TalkID, &q.ParticipantID, &q.AuthorName, &q.Body,
		&q.Likes, &q.Answered, nullTimeDest{&q.AnsweredAt}, &q.Hidden, &q.Status, &q.ReplyCount, &q.Version,
		timeDest{&q.CreatedAt}, timeDest{&q.UpdatedAt},
		&q.Mine, &q.LikedByMe)
	if err != nil {
		return nil, err
	}
	return &q, nil
}

const selectQuestion = `SELECT ` + questionColumns + ` FROM questions q
	WHERE q.event_id = ?2 AND (q.talk_id = ?3 OR ?3 = 0) AND q.id = ?4`

// loadQuestion reads a question inside a write, without viewer fields.
func loadQuestion(tx *txn, eventID, talkID, questionID int64) (*koe.Question, error) {
	q, err := scanQuestion(tx.QueryRow(selectQuestion, 0, eventID, talkID, questionID))
	if err != nil {
		return nil, notFound(err, "question")
	}
	return q, nil
}

// CreateQuestion implements koe.Store.
func (s *Store) CreateQuestion(ctx context.Context, q *koe.Question, rev *koe.Review) error {
	o := koe.OriginFrom(ctx, s.now)
	var created koe.Question
	err := s.writer.do(ctx, func(tx *txn) error {
		// Checked in the same transaction as the insert, so a question
		// cannot slip in after the talk was closed.
		var open bool
		err := tx.QueryRow(`SELECT qa_open FROM talks WHERE event_id = ? AND id = ?`,
			q.EventID, q.TalkID).Scan(&open)
		if err != nil {
			return notFound(err, "talk")
		}
		if !open {
			return koe.Errorf(koe.EQACLOSED, "Q&A for this talk is closed")
		}
		if err := checkParticipant(tx, q.EventID, q.ParticipantID); err != nil {
			return err
		}
		now := s.stamp()
		created = koe.Question{
			EventID: q.EventID, TalkID: q.TalkID, ParticipantID: q.ParticipantID, Status: q.Status,
			AuthorName: q.AuthorName, Body: q.Body, Version: 1, CreatedAt: now, UpdatedAt: now,
		}
		if created.Status == "" {
			created.Status = koe.StatusApproved
		}
		err = tx.QueryRow(`
			INSERT INTO questions (event_id, talk_id, participant_id, author_name, body, status,
				version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
			RETURNING id`,
			q.EventID, q.TalkID, q.ParticipantID, q.AuthorName, q.Body, created.Status, micros(now), micros(now),
		).Scan(&created.ID)
		if err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
		if err := tx.record(o, created.Change(koe.QuestionCreated)); err != nil {
			return err
		}
		if rev == nil {
			return nil
		}
		rev.Kind, rev.SubjectID, rev.QuestionID = koe.ReviewQuestion, created.ID, created.ID
		return insertReview(tx, o, rev, now)
	})
	if err != nil {
		return err
	}
	*q = created
	q.Mine = true
	return nil
}

// Question implements koe.Store.
func (s *Store) Question(ctx context.Context, eventID, talkID, questionID, viewer int64) (*koe.Question, error) {
	q, err := scanQuestion(s.read.QueryRowContext(ctx, selectQuestion, viewer, eventID, talkID, questionID))
	if err != nil {
		return nil, notFound(err, "question")
	}
	return q, nil
}

// listed selects the questions a list shows: the approved ones, and the
// viewer's own (?1) pending and rejected ones.
const listed = `(q.status = 'approved' OR q.participant_id = ?1)`

// A questionList is the SQL of one QuestionSort. after selects the rows
// past a cursor, whose key is bound to ?4 and id to ?5.
type questionList struct {
	filter, after, order string
}

var questionLists = map[koe.QuestionSort]questionList{
	koe.SortTop: {
		filter: `q.hidden = 0 AND q.answered = 0 AND ` + listed,
		after:  `(q.likes < ?4 OR (q.likes = ?4 AND q.id > ?5))`,
		order:  `q.likes DESC, q.id`,
	},
	koe.SortRecent: {
		filter: `q.hidden = 0 AND q.answered = 0 AND ` + listed,
		after:  `q.id < ?5`,
		order:  `q.id DESC`,
	},
	koe.SortAnswered: {
		filter: `q.answered = 1 AND q.hidden = 0 AND ` + listed,
		after:  `(q.answered_at, q.id) < (?4, ?5)`,
		order:  `q.answered_at DESC, q.id DESC`,
	},
	koe.SortHidden: {
		filter: `q.hidden = 1`,
		after:  `q.id < ?5`,
		order:  `q.id DESC`,
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

	query := `SELECT ` + questionColumns + ` FROM questions q
		WHERE q.event_id = ?2 AND q.talk_id = ?3 AND ` + list.filter
	var key, afterID int64
	if c := qq.After; c != nil {
		if c.Sort != sort {
			return nil, koe.Errorf(koe.EINVALID, "cursor is not valid for this list")
		}
		key, afterID = c.Key, c.ID
		if sort == koe.SortAnswered {
			key /= int64(time.Microsecond) // the cursor holds nanoseconds
		}
		query += ` AND ` + list.after
	}
	// One row more than the page tells whether there is a next page.
	query += ` ORDER BY ` + list.order + ` LIMIT ?6`

	rows, err := s.read.QueryContext(ctx, query, qq.Viewer, qq.EventID, qq.TalkID, key, afterID, limit+1)
	if err != nil {
		return nil, fmt.Errorf("list questions: %w", err)
	}
	questions, err := collect(rows, scanQuestion)
	if err != nil {
		return nil, fmt.Errorf("list questions: %w", err)
	}
	if len(questions) == 0 {
		// An empty list and a talk outside the event look alike so far.
		if _, err := s.Talk(ctx, qq.EventID, qq.TalkID); err != nil {
			return nil, err
		}
	}
	return koe.NewQuestionPage(sort, questions, limit), nil
}

// listMarks reads a participant's (?1) likes among some questions (?3, a
// JSON array of ids; each a probe of the likes' primary key) and whether
// they have questions in the talk (?2) that only their lists show (the
// participant's questions, by questions_by_participant). A question id of
// 0 says the latter: ids are never 0.
const listMarks = `
	SELECT l.question_id FROM likes l
	WHERE l.participant_id = ?1 AND l.question_id IN (SELECT value FROM json_each(?3))
	UNION ALL
	SELECT 0 WHERE EXISTS (
		SELECT 1 FROM questions q
		WHERE q.participant_id = ?1 AND q.talk_id = ?2 AND q.status <> 'approved' AND q.hidden = 0)`

// ListMarks implements koe.Store.
func (s *Store) ListMarks(ctx context.Context, talkID, participantID int64, questionIDs []int64) (*koe.ListMarks, error) {
	ids := make([]byte, 0, 8*len(questionIDs)+2)
	ids = append(ids, '[')
	for i, id := range questionIDs {
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendInt(ids, id, 10)
	}
	ids = append(ids, ']')
	rows, err := s.marks.QueryContext(ctx, participantID, talkID, string(ids))
	if err != nil {
		return nil, fmt.Errorf("list marks: %w", err)
	}
	defer rows.Close()
	var m koe.ListMarks
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list marks: %w", err)
		}
		if id == 0 {
			m.OwnUnapproved = true
		} else {
			m.Liked = append(m.Liked, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list marks: %w", err)
	}
	return &m, nil
}

// OpenQuestionTexts implements koe.Store. The filter is the recent
// list's, so that its index serves it.
func (s *Store) OpenQuestionTexts(ctx context.Context, eventID, talkID int64, limit int) ([]koe.QuestionText, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT q.id, q.body FROM questions q
		WHERE q.talk_id = ? AND q.hidden = 0 AND q.answered = 0 AND q.status = 'approved' AND q.event_id = ?
		ORDER BY q.id DESC LIMIT ?`, talkID, eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("list question texts: %w", err)
	}
	defer rows.Close()
	var out []koe.QuestionText
	for rows.Next() {
		var qt koe.QuestionText
		if err := rows.Scan(&qt.ID, &qt.Body); err != nil {
			return nil, fmt.Errorf("list question texts: %w", err)
		}
		out = append(out, qt)
	}
	return out, rows.Err()
}

// UpdateQuestion implements koe.Store.
func (s *Store) UpdateQuestion(ctx context.Context, eventID, talkID, questionID int64, u koe.QuestionUpdate) (*koe.UpdatedQuestion, error) {
	o := koe.OriginFrom(ctx, s.now)
	var change *koe.UpdatedQuestion
	err := s.writer.do(ctx, func(tx *txn) (err error) {
		change, err = s.updateQuestion(tx, o, eventID, talkID, questionID, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return change, nil
}

// updateQuestion is UpdateQuestion inside a write.
func (s *Store) updateQuestion(tx *txn, o koe.Origin, eventID, talkID, questionID int64, u koe.QuestionUpdate) (*koe.UpdatedQuestion, error) {
	var change koe.UpdatedQuestion
	q, err := loadQuestion(tx, eventID, talkID, questionID)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	before := *q
	if !u.Apply(q, now) {
		change.Question = q
		return &change, nil
	}
	_, err = tx.Exec(`
		UPDATE questions SET body = ?, answered = ?, answered_at = ?, hidden = ?, status = ?,
			version = version + 1, updated_at = ?
		WHERE id = ?`,
		q.Body, q.Answered, nullMicros(q.AnsweredAt), q.Hidden, q.Status, micros(now), questionID)
	if err != nil {
		return nil, fmt.Errorf("update question: %w", err)
	}
	if change.Question, err = loadQuestion(tx, eventID, talkID, questionID); err != nil {
		return nil, err
	}
	if err := tx.record(o, change.Question.Change(koe.QuestionUpdated).WithBefore(&before)); err != nil {
		return nil, err
	}
	if !q.Highlightable() {
		if change.Talk, err = s.clearHighlight(tx, q.TalkID, questionID); err != nil {
			return nil, err
		}
		if change.Talk != nil {
			if err := tx.record(o, change.Talk.Change(koe.TalkUpdated)); err != nil {
				return nil, err
			}
		}
	}
	return &change, nil
}
