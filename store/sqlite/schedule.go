package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// ApplySchedule implements koe.Store.
func (s *Store) ApplySchedule(ctx context.Context, eventID int64, p *koe.SchedulePlan) error {
	o := koe.OriginFrom(ctx, s.now)
	created := make([]*koe.Talk, len(p.Create))
	err := s.writer.do(ctx, func(tx *txn) error {
		for _, id := range p.Delete {
			if err := s.deleteTalk(tx, o, eventID, id); err != nil {
				return err
			}
		}
		for _, c := range p.Update {
			if _, err := s.updateTalk(tx, o, eventID, c.TalkID, c.Update); err != nil {
				return err
			}
		}
		for i, t := range p.Create {
			if t.EventID != eventID {
				return koe.Errorf(koe.EINVALID, "a created talk must be of event %d", eventID)
			}
			c, err := s.insertTalk(tx, o, t)
			if err != nil {
				return err
			}
			created[i] = c
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range created {
		*p.Create[i] = *c
	}
	return nil
}

// deleteTalk removes a talk nobody asked anything in, with its reaction
// totals and audience peaks, and records TalkDeleted.
func (s *Store) deleteTalk(tx *txn, o koe.Origin, eventID, talkID int64) error {
	t, err := scanTalk(tx.QueryRow(selectTalk, eventID, talkID))
	if err != nil {
		return notFound(err, "talk")
	}
	var used bool
	if err := tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM questions WHERE talk_id = ?1)
		OR EXISTS (SELECT 1 FROM polls WHERE talk_id = ?1)
		OR EXISTS (SELECT 1 FROM reviews WHERE talk_id = ?1)`, talkID).Scan(&used); err != nil {
		return fmt.Errorf("delete talk: %w", err)
	}
	if used {
		return koe.Errorf(koe.ECONFLICT, "talk %d has questions, polls or reviews: it cannot be deleted", talkID)
	}
	for _, q := range []string{
		`DELETE FROM talk_reactions WHERE talk_id = ?`,
		`DELETE FROM presence_peaks WHERE talk_id = ?`,
		`DELETE FROM talks WHERE id = ?`,
	} {
		if _, err := tx.Exec(q, talkID); err != nil {
			return fmt.Errorf("delete talk: %w", err)
		}
	}
	return tx.record(o, t.Change(koe.TalkDeleted))
}

const scheduleSourceColumns = `event_id, url, refresh_minutes, etag, last_modified, checked_at, changed_at, error, created_at`

func scanScheduleSource(row scanner) (*koe.ScheduleSource, error) {
	var src koe.ScheduleSource
	err := row.Scan(&src.EventID, &src.URL, &src.RefreshMinutes, &src.ETag, &src.LastModified,
		nullTimeDest{&src.CheckedAt}, nullTimeDest{&src.ChangedAt}, &src.Error, timeDest{&src.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &src, nil
}

// ScheduleSource implements koe.Store.
func (s *Store) ScheduleSource(ctx context.Context, eventID int64) (*koe.ScheduleSource, error) {
	src, err := scanScheduleSource(s.read.QueryRowContext(ctx,
		`SELECT `+scheduleSourceColumns+` FROM schedule_sources WHERE event_id = ?`, eventID))
	if err != nil {
		return nil, notFound(err, "schedule source")
	}
	return src, nil
}

// ScheduleSources implements koe.Store.
func (s *Store) ScheduleSources(ctx context.Context) ([]*koe.ScheduleSource, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+scheduleSourceColumns+` FROM schedule_sources ORDER BY event_id`)
	if err != nil {
		return nil, fmt.Errorf("list schedule sources: %w", err)
	}
	return collect(rows, scanScheduleSource)
}

// SaveScheduleSource implements koe.Store.
func (s *Store) SaveScheduleSource(ctx context.Context, src *koe.ScheduleSource) error {
	var saved *koe.ScheduleSource
	err := s.writer.do(ctx, func(tx *txn) (err error) {
		saved, err = scanScheduleSource(tx.QueryRow(`
			INSERT INTO schedule_sources (`+scheduleSourceColumns+`)
			SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM events WHERE id = ?
			ON CONFLICT (event_id) DO UPDATE SET url = excluded.url, refresh_minutes = excluded.refresh_minutes,
				etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at,
				changed_at = excluded.changed_at, error = excluded.error
			RETURNING `+scheduleSourceColumns,
			src.URL, src.RefreshMinutes, src.ETag, src.LastModified, nullMicros(src.CheckedAt), nullMicros(src.ChangedAt),
			src.Error, micros(s.stamp()), src.EventID))
		if err != nil {
			return notFound(err, "event")
		}
		return nil
	})
	if err != nil {
		return err
	}
	*src = *saved
	return nil
}

// DeleteScheduleSource implements koe.Store.
func (s *Store) DeleteScheduleSource(ctx context.Context, eventID int64) error {
	return s.writer.do(ctx, func(tx *txn) error {
		_, err := tx.Exec(`DELETE FROM schedule_sources WHERE event_id = ?`, eventID)
		return err
	})
}

// TalkCounts implements koe.Store.
func (s *Store) TalkCounts(ctx context.Context, eventID int64) (map[int64]koe.TalkCounts, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT talk_id, count(*),
			coalesce(sum(shown), 0), coalesce(sum(shown AND answered), 0),
			coalesce(sum(CASE WHEN shown THEN likes END), 0), coalesce(sum(CASE WHEN shown THEN reply_count END), 0)
		FROM (SELECT talk_id, likes, answered, reply_count, status = 'approved' AND hidden = 0 AS shown
			FROM questions WHERE event_id = ?)
		GROUP BY talk_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("talk counts: %w", err)
	}
	defer rows.Close()
	counts := map[int64]koe.TalkCounts{}
	for rows.Next() {
		var id int64
		var c koe.TalkCounts
		if err := rows.Scan(&id, &c.Questions, &c.Shown, &c.Answered, &c.Likes, &c.Replies); err != nil {
			return nil, fmt.Errorf("talk counts: %w", err)
		}
		counts[id] = c
	}
	return counts, rows.Err()
}

// ParticipantsJoined implements koe.Store.
func (s *Store) ParticipantsJoined(ctx context.Context, eventID int64, every time.Duration) ([]koe.Bucket, error) {
	return s.buckets(ctx, `SELECT created_at / ?1 * ?1 AS b, count(*) FROM participants
		WHERE event_id = ?2 GROUP BY b ORDER BY b`, every.Microseconds(), eventID)
}

// QuestionsAsked implements koe.Store.
func (s *Store) QuestionsAsked(ctx context.Context, eventID, talkID int64, every time.Duration) ([]koe.Bucket, error) {
	return s.buckets(ctx, `SELECT created_at / ?1 * ?1 AS b, count(*) FROM questions
		WHERE event_id = ?2 AND (talk_id = ?3 OR ?3 = 0) GROUP BY b ORDER BY b`, every.Microseconds(), eventID, talkID)
}

// buckets reads (interval start in microseconds, count) rows.
func (s *Store) buckets(ctx context.Context, query string, args ...any) ([]koe.Bucket, error) {
	if args[0].(int64) <= 0 {
		return nil, koe.Errorf(koe.EINVALID, "an interval must be positive")
	}
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("buckets: %w", err)
	}
	defer rows.Close()
	list := []koe.Bucket{}
	for rows.Next() {
		var b koe.Bucket
		if err := rows.Scan(timeDest{&b.At}, &b.Count); err != nil {
			return nil, fmt.Errorf("buckets: %w", err)
		}
		list = append(list, b)
	}
	return list, rows.Err()
}

// ReviewOutcomes implements koe.Store.
func (s *Store) ReviewOutcomes(ctx context.Context, eventID int64) (map[koe.ReviewState]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT state, count(*) FROM reviews WHERE event_id = ? GROUP BY state`, eventID)
	if err != nil {
		return nil, fmt.Errorf("review outcomes: %w", err)
	}
	defer rows.Close()
	counts := map[koe.ReviewState]int64{}
	for rows.Next() {
		var state koe.ReviewState
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("review outcomes: %w", err)
		}
		counts[state] = n
	}
	return counts, rows.Err()
}

// TopQuestions implements koe.Store.
func (s *Store) TopQuestions(ctx context.Context, eventID, talkID int64, limit int) ([]*koe.Question, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+questionColumns+` FROM questions q
		WHERE q.event_id = ?2 AND (q.talk_id = ?3 OR ?3 = 0) AND q.status = 'approved' AND q.hidden = 0
		ORDER BY q.likes DESC, q.id LIMIT ?4`, 0, eventID, talkID, limit)
	if err != nil {
		return nil, fmt.Errorf("top questions: %w", err)
	}
	return collect(rows, scanQuestion)
}

// RecordPresence implements koe.Store.
func (s *Store) RecordPresence(ctx context.Context, eventID, talkID int64, minute time.Time, n int64) error {
	return s.writer.do(ctx, func(tx *txn) error {
		_, err := tx.Exec(`INSERT INTO presence_peaks (event_id, talk_id, minute, peak)
			SELECT event_id, id, ?, ? FROM talks WHERE event_id = ? AND id = ?
			ON CONFLICT (event_id, talk_id, minute) DO UPDATE SET peak = max(peak, excluded.peak)`,
			micros(minute), n, eventID, talkID)
		return err
	})
}

// PresencePeaks implements koe.Store.
func (s *Store) PresencePeaks(ctx context.Context, eventID int64) ([]koe.PresencePeak, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT talk_id, minute, peak FROM presence_peaks
		WHERE event_id = ? ORDER BY minute, talk_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("presence peaks: %w", err)
	}
	defer rows.Close()
	list := []koe.PresencePeak{}
	for rows.Next() {
		var p koe.PresencePeak
		if err := rows.Scan(&p.TalkID, timeDest{&p.Minute}, &p.Peak); err != nil {
			return nil, fmt.Errorf("presence peaks: %w", err)
		}
		list = append(list, p)
	}
	return list, rows.Err()
}
