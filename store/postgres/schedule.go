package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// ApplySchedule implements koe.Store.
func (s *Store) ApplySchedule(ctx context.Context, eventID int64, p *koe.SchedulePlan) error {
	o := koe.OriginFrom(ctx, s.now)
	created := make([]*koe.Talk, len(p.Create))
	var types []koe.ChangeType
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		types = types[:0]
		for _, id := range p.Delete {
			if err := s.deleteTalk(ctx, tx, o, eventID, id); err != nil {
				return err
			}
			types = append(types, koe.TalkDeleted)
		}
		for _, c := range p.Update {
			_, changed, err := s.updateTalk(ctx, tx, o, eventID, c.TalkID, c.Update)
			if err != nil {
				return err
			}
			if changed {
				types = append(types, koe.TalkUpdated)
			}
		}
		for i, t := range p.Create {
			if t.EventID != eventID {
				return koe.Errorf(koe.EINVALID, "a created talk must be of event %d", eventID)
			}
			c, err := s.insertTalk(ctx, tx, o, t)
			if err != nil {
				return err
			}
			created[i] = c
			types = append(types, koe.TalkCreated)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(types) > 0 {
		s.committed(types...)
	}
	for i, c := range created {
		*p.Create[i] = *c
	}
	return nil
}

// deleteTalk removes a talk nobody asked anything in, with its reaction
// totals and audience peaks, and records TalkDeleted.
func (s *Store) deleteTalk(ctx context.Context, tx pgx.Tx, o koe.Origin, eventID, talkID int64) error {
	t, err := scanTalk(tx.QueryRow(ctx, selectTalk+` FOR UPDATE`, eventID, talkID))
	if err != nil {
		return notFound(err, "talk")
	}
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM questions WHERE talk_id = $1)
		OR EXISTS (SELECT 1 FROM polls WHERE talk_id = $1)
		OR EXISTS (SELECT 1 FROM reviews WHERE talk_id = $1)`, talkID).Scan(&used); err != nil {
		return fmt.Errorf("delete talk: %w", err)
	}
	if used {
		return koe.Errorf(koe.ECONFLICT, "talk %d has questions, polls or reviews: it cannot be deleted", talkID)
	}
	for _, q := range []string{
		`DELETE FROM talk_reactions WHERE talk_id = $1`,
		`DELETE FROM presence_peaks WHERE talk_id = $1`,
		`DELETE FROM talks WHERE id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, talkID); err != nil {
			return fmt.Errorf("delete talk: %w", err)
		}
	}
	return record(ctx, tx, o, t.Change(koe.TalkDeleted))
}

const scheduleSourceColumns = `event_id, url, refresh_minutes, etag, last_modified, checked_at, changed_at, error, created_at`

func scanScheduleSource(row pgx.Row) (*koe.ScheduleSource, error) {
	var src koe.ScheduleSource
	err := row.Scan(&src.EventID, &src.URL, &src.RefreshMinutes, &src.ETag, &src.LastModified,
		&src.CheckedAt, &src.ChangedAt, &src.Error, &src.CreatedAt)
	if err != nil {
		return nil, err
	}
	src.CheckedAt, src.ChangedAt = utcPtr(src.CheckedAt), utcPtr(src.ChangedAt)
	utc(&src.CreatedAt)
	return &src, nil
}

// ScheduleSource implements koe.Store.
func (s *Store) ScheduleSource(ctx context.Context, eventID int64) (*koe.ScheduleSource, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	src, err := scanScheduleSource(s.pool.QueryRow(ctx,
		`SELECT `+scheduleSourceColumns+` FROM schedule_sources WHERE event_id = $1`, eventID))
	if err != nil {
		return nil, s.fail(notFound(err, "schedule source"))
	}
	return src, nil
}

// ScheduleSources implements koe.Store.
func (s *Store) ScheduleSources(ctx context.Context) ([]*koe.ScheduleSource, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+scheduleSourceColumns+` FROM schedule_sources ORDER BY event_id`)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list schedule sources: %w", err))
	}
	list, err := collect(rows, scanScheduleSource)
	return list, s.fail(err)
}

// SaveScheduleSource implements koe.Store.
func (s *Store) SaveScheduleSource(ctx context.Context, src *koe.ScheduleSource) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	saved, err := scanScheduleSource(s.pool.QueryRow(ctx, `
		INSERT INTO schedule_sources (`+scheduleSourceColumns+`)
		SELECT id, $1, $2, $3, $4, $5, $6, $7, $8 FROM events WHERE id = $9
		ON CONFLICT (event_id) DO UPDATE SET url = excluded.url, refresh_minutes = excluded.refresh_minutes,
			etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at,
			changed_at = excluded.changed_at, error = excluded.error
		RETURNING `+scheduleSourceColumns,
		src.URL, src.RefreshMinutes, src.ETag, src.LastModified, truncTime(src.CheckedAt), truncTime(src.ChangedAt),
		src.Error, s.stamp(), src.EventID))
	if err != nil {
		return s.fail(notFound(err, "event"))
	}
	*src = *saved
	return nil
}

// DeleteScheduleSource implements koe.Store.
func (s *Store) DeleteScheduleSource(ctx context.Context, eventID int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM schedule_sources WHERE event_id = $1`, eventID)
	return s.fail(err)
}

// TalkCounts implements koe.Store.
func (s *Store) TalkCounts(ctx context.Context, eventID int64) (map[int64]koe.TalkCounts, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT talk_id, count(*),
			count(*) FILTER (WHERE shown), count(*) FILTER (WHERE shown AND answered),
			coalesce(sum(likes) FILTER (WHERE shown), 0), coalesce(sum(reply_count) FILTER (WHERE shown), 0)
		FROM (SELECT talk_id, likes, answered, reply_count, status = 'approved' AND NOT hidden AS shown
			FROM questions WHERE event_id = $1) q
		GROUP BY talk_id`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("talk counts: %w", err))
	}
	defer rows.Close()
	counts := map[int64]koe.TalkCounts{}
	for rows.Next() {
		var id int64
		var c koe.TalkCounts
		if err := rows.Scan(&id, &c.Questions, &c.Shown, &c.Answered, &c.Likes, &c.Replies); err != nil {
			return nil, s.fail(fmt.Errorf("talk counts: %w", err))
		}
		counts[id] = c
	}
	return counts, s.fail(rows.Err())
}

// ParticipantsJoined implements koe.Store.
func (s *Store) ParticipantsJoined(ctx context.Context, eventID int64, every time.Duration) ([]koe.Bucket, error) {
	return s.buckets(ctx, `SELECT date_bin(make_interval(secs => $1::bigint / 1e6), created_at, 'epoch') AS b, count(*)
		FROM participants WHERE event_id = $2 GROUP BY b ORDER BY b`, every.Microseconds(), eventID)
}

// QuestionsAsked implements koe.Store.
func (s *Store) QuestionsAsked(ctx context.Context, eventID, talkID int64, every time.Duration) ([]koe.Bucket, error) {
	return s.buckets(ctx, `SELECT date_bin(make_interval(secs => $1::bigint / 1e6), created_at, 'epoch') AS b, count(*)
		FROM questions WHERE event_id = $2 AND (talk_id = $3 OR $3 = 0) GROUP BY b ORDER BY b`, every.Microseconds(), eventID, talkID)
}

// buckets reads (interval start, count) rows.
func (s *Store) buckets(ctx context.Context, query string, args ...any) ([]koe.Bucket, error) {
	if args[0].(int64) <= 0 {
		return nil, koe.Errorf(koe.EINVALID, "an interval must be positive")
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.fail(fmt.Errorf("buckets: %w", err))
	}
	defer rows.Close()
	list := []koe.Bucket{}
	for rows.Next() {
		var b koe.Bucket
		if err := rows.Scan(&b.At, &b.Count); err != nil {
			return nil, s.fail(fmt.Errorf("buckets: %w", err))
		}
		utc(&b.At)
		list = append(list, b)
	}
	return list, s.fail(rows.Err())
}

// ReviewOutcomes implements koe.Store.
func (s *Store) ReviewOutcomes(ctx context.Context, eventID int64) (map[koe.ReviewState]int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM reviews WHERE event_id = $1 GROUP BY state`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("review outcomes: %w", err))
	}
	defer rows.Close()
	counts := map[koe.ReviewState]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, s.fail(fmt.Errorf("review outcomes: %w", err))
		}
		counts[koe.ReviewState(state)] = n
	}
	return counts, s.fail(rows.Err())
}

// TopQuestions implements koe.Store.
func (s *Store) TopQuestions(ctx context.Context, eventID, talkID int64, limit int) ([]*koe.Question, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+questionColumns+` FROM questions q
		WHERE q.event_id = $2 AND (q.talk_id = $3 OR $3 = 0) AND q.status = 'approved' AND NOT q.hidden
		ORDER BY q.likes DESC, q.id LIMIT $4`, int64(0), eventID, talkID, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("top questions: %w", err))
	}
	list, err := collect(rows, scanQuestion)
	return list, s.fail(err)
}

// RecordPresence implements koe.Store.
func (s *Store) RecordPresence(ctx context.Context, eventID, talkID int64, minute time.Time, n int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO presence_peaks (event_id, talk_id, minute, peak)
		SELECT event_id, id, $1, $2 FROM talks WHERE event_id = $3 AND id = $4
		ON CONFLICT (event_id, talk_id, minute) DO UPDATE SET peak = greatest(presence_peaks.peak, excluded.peak)`,
		minute.UTC(), n, eventID, talkID)
	return s.fail(err)
}

// PresencePeaks implements koe.Store.
func (s *Store) PresencePeaks(ctx context.Context, eventID int64) ([]koe.PresencePeak, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT talk_id, minute, peak FROM presence_peaks
		WHERE event_id = $1 ORDER BY minute, talk_id`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("presence peaks: %w", err))
	}
	defer rows.Close()
	list := []koe.PresencePeak{}
	for rows.Next() {
		var p koe.PresencePeak
		if err := rows.Scan(&p.TalkID, &p.Minute, &p.Peak); err != nil {
			return nil, s.fail(fmt.Errorf("presence peaks: %w", err))
		}
		utc(&p.Minute)
		list = append(list, p)
	}
	return list, s.fail(rows.Err())
}
