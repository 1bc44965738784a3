package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

const talkColumns = `id, event_id, title, speaker, track, room, language, starts_at, ends_at, qa_open,
	qa_manual, source_id, removed_from_schedule, moderation, highlighted_question_id, version, created_at, updated_at`

func scanTalk(row pgx.Row) (*koe.Talk, error) {
	var t koe.Talk
	err := row.Scan(&t.ID, &t.EventID, &t.Title, &t.Speaker, &t.Track, &t.Room, &t.Language,
		&t.StartsAt, &t.EndsAt, &t.QAOpen, &t.QAManual, &t.SourceID, &t.RemovedFromSchedule,
		&t.Moderation, &t.HighlightedQuestionID, &t.Version, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return nil, err
	}
	t.StartsAt, t.EndsAt = utcPtr(t.StartsAt), utcPtr(t.EndsAt)
	utc(&t.CreatedAt)
	utc(&t.UpdatedAt)
	return &t, nil
}

const selectTalk = `SELECT ` + talkColumns + ` FROM talks WHERE event_id = $1 AND id = $2`

// CreateTalk implements koe.Store.
func (s *Store) CreateTalk(ctx context.Context, t *koe.Talk) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Talk
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) (err error) {
		created, err = s.insertTalk(ctx, tx, o, t)
		return err
	})
	if err != nil {
		return err
	}
	s.committed(koe.TalkCreated)
	*t = *created
	return nil
}

// insertTalk stores t in event t.EventID and records TalkCreated.
func (s *Store) insertTalk(ctx context.Context, tx pgx.Tx, o koe.Origin, t *koe.Talk) (*koe.Talk, error) {
	created := *t
	now := s.stamp()
	created.StartsAt, created.EndsAt = truncTime(t.StartsAt), truncTime(t.EndsAt)
	created.Version, created.HighlightedQuestionID, created.CreatedAt, created.UpdatedAt = 1, 0, now, now
	// Selecting from events makes a missing event insert nothing.
	err := tx.QueryRow(ctx, `
		INSERT INTO talks (event_id, title, speaker, track, room, language, starts_at, ends_at, qa_open,
			qa_manual, source_id, removed_from_schedule, moderation, version, created_at, updated_at)
		SELECT id, $1::text, $2::text, $3::text, $10::text, $11::text, $4::timestamptz, $5::timestamptz, $6::boolean,
			$12::boolean, $13::text, $14::boolean, $9::text, 1, $7::timestamptz, $7::timestamptz
		FROM events WHERE id = $8
		RETURNING id`,
		t.Title, t.Speaker, t.Track, created.StartsAt, created.EndsAt, t.QAOpen, now, t.EventID, string(t.Moderation),
		t.Room, t.Language, t.QAManual, t.SourceID, t.RemovedFromSchedule,
	).Scan(&created.ID)
	if isUnique(err, "talks_source") {
		return nil, koe.Errorf(koe.ECONFLICT, "the event has a talk with source id %q already", t.SourceID)
	}
	if err != nil {
		return nil, notFound(err, "event")
	}
	return &created, record(ctx, tx, o, created.Change(koe.TalkCreated))
}

// UpdateTalk implements koe.Store.
func (s *Store) UpdateTalk(ctx context.Context, eventID, talkID int64, u koe.TalkUpdate) (*koe.Talk, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Talk
	changed := false
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) (err error) {
		updated, changed, err = s.updateTalk(ctx, tx, o, eventID, talkID, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.committed(koe.TalkUpdated)
	}
	return updated, nil
}

// updateTalk applies u to a talk and records TalkUpdated, when u changes
// anything.
func (s *Store) updateTalk(ctx context.Context, tx pgx.Tx, o koe.Origin, eventID, talkID int64, u koe.TalkUpdate) (*koe.Talk, bool, error) {
	t, err := scanTalk(tx.QueryRow(ctx, selectTalk+` FOR NO KEY UPDATE`, eventID, talkID))
	if err != nil {
		return nil, false, notFound(err, "talk")
	}
	before := *t
	if !u.Apply(t) {
		return t, false, nil
	}
	updated, err := scanTalk(tx.QueryRow(ctx, `
		UPDATE talks SET title = $1, speaker = $2, track = $3, starts_at = $4, ends_at = $5,
			qa_open = $6, moderation = $9, room = $10, language = $11, qa_manual = $12, removed_from_schedule = $13,
			version = version + 1, updated_at = $7
		WHERE id = $8
		RETURNING `+talkColumns,
		t.Title, t.Speaker, t.Track, truncTime(t.StartsAt), truncTime(t.EndsAt),
		t.QAOpen, s.stamp(), talkID, string(t.Moderation), t.Room, t.Language, t.QAManual, t.RemovedFromSchedule))
	if err != nil {
		return nil, false, fmt.Errorf("update talk: %w", err)
	}
	return updated, true, record(ctx, tx, o, updated.Change(koe.TalkUpdated).WithBefore(&before))
}

// Talk implements koe.Store.
func (s *Store) Talk(ctx context.Context, eventID, talkID int64) (*koe.Talk, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t, err := scanTalk(s.pool.QueryRow(ctx, selectTalk, eventID, talkID))
	if err != nil {
		return nil, s.fail(notFound(err, "talk"))
	}
	return t, nil
}

// Talks implements koe.Store.
func (s *Store) Talks(ctx context.Context, eventID int64) ([]*koe.Talk, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+talkColumns+` FROM talks
		WHERE event_id = $1
		ORDER BY starts_at NULLS LAST, id`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list talks: %w", err))
	}
	talks, err := collect(rows, scanTalk)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list talks: %w", err))
	}
	if len(talks) == 0 {
		// An event without talks and no event at all look alike so far.
		if _, err := s.Event(ctx, eventID); err != nil {
			return nil, err
		}
	}
	return talks, nil
}

// SetHighlight implements koe.Store. The question is locked against changes
// until the talk is updated, so that it cannot be hidden in between: hiding
// it either comes first (and is seen here) or waits and then clears the
// highlight set here. Locks are taken question first, then talk, as
// UpdateQuestion takes them.
func (s *Store) SetHighlight(ctx context.Context, eventID, talkID, questionID int64) (*koe.Talk, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Talk
	changed := false
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if questionID != 0 {
			q, err := scanQuestion(tx.QueryRow(ctx, selectQuestion+` FOR SHARE OF q`, 0, eventID, talkID, questionID))
			if err != nil {
				return notFound(err, "question")
			}
			if !q.Highlightable() {
				return koe.Errorf(koe.EINVALID, "only a visible, approved question can be highlighted")
			}
		}
		t, err := scanTalk(tx.QueryRow(ctx, selectTalk+` FOR NO KEY UPDATE`, eventID, talkID))
		if err != nil {
			return notFound(err, "talk")
		}
		if changed = t.HighlightedQuestionID != questionID; !changed {
			updated = t
			return nil
		}
		updated, err = scanTalk(tx.QueryRow(ctx, `
			UPDATE talks SET highlighted_question_id = $1, version = version + 1, updated_at = $2
			WHERE id = $3
			RETURNING `+talkColumns,
			questionID, s.stamp(), talkID))
		if err != nil {
			return fmt.Errorf("update talk: %w", err)
		}
		return record(ctx, tx, o, updated.Change(koe.TalkUpdated).WithBefore(t))
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.committed(koe.TalkUpdated)
	}
	return updated, nil
}

// clearHighlight removes questionID from its talk's screen, if it is there,
// and returns the changed talk (nil if the talk did not change).
func (s *Store) clearHighlight(ctx context.Context, tx pgx.Tx, talkID, questionID int64) (*koe.Talk, error) {
	t, err := scanTalk(tx.QueryRow(ctx, `
		UPDATE talks SET highlighted_question_id = 0, version = version + 1, updated_at = $1
		WHERE id = $2 AND highlighted_question_id = $3
		RETURNING `+talkColumns,
		s.stamp(), talkID, questionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clear highlight: %w", err)
	}
	return t, nil
}
