package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/koehq/koe"
)

const talkColumns = `id, event_id, title, speaker, track, room, language, starts_at, ends_at, qa_open,
	qa_manual, source_id, removed_from_schedule, moderation, highlighted_question_id, version, created_at, updated_at`

func scanTalk(row scanner) (*koe.Talk, error) {
	var t koe.Talk
	err := row.Scan(&t.ID, &t.EventID, &t.Title, &t.Speaker, &t.Track, &t.Room, &t.Language,
		nullTimeDest{&t.StartsAt}, nullTimeDest{&t.EndsAt}, &t.QAOpen, &t.QAManual, &t.SourceID, &t.RemovedFromSchedule,
		&t.Moderation, &t.HighlightedQuestionID, &t.Version, timeDest{&t.CreatedAt}, timeDest{&t.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

const selectTalk = `SELECT ` + talkColumns + ` FROM talks WHERE event_id = ? AND id = ?`

// CreateTalk implements koe.Store.
func (s *Store) CreateTalk(ctx context.Context, t *koe.Talk) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Talk
	err := s.writer.do(ctx, func(tx *txn) (err error) {
		created, err = s.insertTalk(tx, o, t)
		return err
	})
	if err != nil {
		return err
	}
	*t = *created
	return nil
}

// insertTalk stores t in event t.EventID and records TalkCreated.
func (s *Store) insertTalk(tx *txn, o koe.Origin, t *koe.Talk) (*koe.Talk, error) {
	created := *t
	now := s.stamp()
	created.StartsAt, created.EndsAt = truncTime(t.StartsAt), truncTime(t.EndsAt)
	created.Version, created.HighlightedQuestionID, created.CreatedAt, created.UpdatedAt = 1, 0, now, now
	// Selecting from events makes a missing event insert nothing.
	err := tx.QueryRow(`
		INSERT INTO talks (event_id, title, speaker, track, room, language, starts_at, ends_at, qa_open,
			qa_manual, source_id, removed_from_schedule, moderation, version, created_at, updated_at)
		SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ? FROM events WHERE id = ?
		RETURNING id`,
		t.Title, t.Speaker, t.Track, t.Room, t.Language, nullMicros(t.StartsAt), nullMicros(t.EndsAt), t.QAOpen,
		t.QAManual, t.SourceID, t.RemovedFromSchedule, t.Moderation, micros(now), micros(now), t.EventID,
	).Scan(&created.ID)
	if isUnique(err, "talks.event_id") {
		return nil, koe.Errorf(koe.ECONFLICT, "the event has a talk with source id %q already", t.SourceID)
	}
	if err != nil {
		return nil, notFound(err, "event")
	}
	return &created, tx.record(o, created.Change(koe.TalkCreated))
}

// UpdateTalk implements koe.Store.
func (s *Store) UpdateTalk(ctx context.Context, eventID, talkID int64, u koe.TalkUpdate) (*koe.Talk, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Talk
	err := s.writer.do(ctx, func(tx *txn) (err error) {
		updated, err = s.updateTalk(tx, o, eventID, talkID, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// updateTalk applies u to a talk and records TalkUpdated, when u changes
// anything.
func (s *Store) updateTalk(tx *txn, o koe.Origin, eventID, talkID int64, u koe.TalkUpdate) (*koe.Talk, error) {
	t, err := scanTalk(tx.QueryRow(selectTalk, eventID, talkID))
	if err != nil {
		return nil, notFound(err, "talk")
	}
	before := *t
	if !u.Apply(t) {
		return t, nil
	}
	updated, err := scanTalk(tx.QueryRow(`
		UPDATE talks SET title = ?, speaker = ?, track = ?, room = ?, language = ?, starts_at = ?, ends_at = ?,
			qa_open = ?, qa_manual = ?, removed_from_schedule = ?, moderation = ?, version = version + 1, updated_at = ?
		WHERE id = ?
		RETURNING `+talkColumns,
		t.Title, t.Speaker, t.Track, t.Room, t.Language, nullMicros(t.StartsAt), nullMicros(t.EndsAt),
		t.QAOpen, t.QAManual, t.RemovedFromSchedule, t.Moderation, micros(s.stamp()), talkID))
	if err != nil {
		return nil, fmt.Errorf("update talk: %w", err)
	}
	return updated, tx.record(o, updated.Change(koe.TalkUpdated).WithBefore(&before))
}

// Talk implements koe.Store.
func (s *Store) Talk(ctx context.Context, eventID, talkID int64) (*koe.Talk, error) {
	t, err := scanTalk(s.read.QueryRowContext(ctx, selectTalk, eventID, talkID))
	if err != nil {
		return nil, notFound(err, "talk")
	}
	return t, nil
}

// Talks implements koe.Store.
func (s *Store) Talks(ctx context.Context, eventID int64) ([]*koe.Talk, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+talkColumns+` FROM talks
		WHERE event_id = ?
		ORDER BY starts_at NULLS LAST, id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list talks: %w", err)
	}
	talks, err := collect(rows, scanTalk)
	if err != nil {
		return nil, fmt.Errorf("list talks: %w", err)
	}
	if len(talks) == 0 {
		// An event without talks and no event at all look alike so far.
		if _, err := s.Event(ctx, eventID); err != nil {
			return nil, err
		}
	}
	return talks, nil
}

// SetHighlight implements koe.Store.
func (s *Store) SetHighlight(ctx context.Context, eventID, talkID, questionID int64) (*koe.Talk, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Talk
	err := s.writer.do(ctx, func(tx *txn) error {
		t, err := scanTalk(tx.QueryRow(selectTalk, eventID, talkID))
		if err != nil {
			return notFound(err, "talk")
		}
		if questionID != 0 {
			q, err := loadQuestion(tx, eventID, talkID, questionID)
			if err != nil {
				return err
			}
			if !q.Highlightable() {
				return koe.Errorf(koe.EINVALID, "only a visible, approved question can be highlighted")
			}
		}
		if t.HighlightedQuestionID == questionID {
			updated = t
			return nil
		}
		updated, err = scanTalk(tx.QueryRow(`
			UPDATE talks SET highlighted_question_id = ?, version = version + 1, updated_at = ?
			WHERE id = ?
			RETURNING `+talkColumns,
			questionID, micros(s.stamp()), talkID))
		if err != nil {
			return fmt.Errorf("update talk: %w", err)
		}
		return tx.record(o, updated.Change(koe.TalkUpdated).WithBefore(t))
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// clearHighlight removes questionID from its talk's screen, if it is there,
// and returns the changed talk (nil if the talk did not change).
func (s *Store) clearHighlight(tx *txn, talkID, questionID int64) (*koe.Talk, error) {
	t, err := scanTalk(tx.QueryRow(`
		UPDATE talks SET highlighted_question_id = 0, version = version + 1, updated_at = ?
		WHERE id = ? AND highlighted_question_id = ?
		RETURNING `+talkColumns,
		micros(s.stamp()), talkID, questionID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clear highlight: %w", err)
	}
	return t, nil
}
