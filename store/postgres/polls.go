package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

const pollColumns = `id, event_id, talk_id, kind, question, options, multiple, results_mode, revealed, state, version,
	created_at, opened_at, closed_at`

func scanPoll(row pgx.Row) (*koe.Poll, error) {
	var p koe.Poll
	var options []byte
	err := row.Scan(&p.ID, &p.EventID, &p.TalkID, &p.Kind, &p.Question, &options, &p.Multiple, &p.Results, &p.Revealed,
		&p.State, &p.Version, &p.CreatedAt, &p.OpenedAt, &p.ClosedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(options, &p.Options); err != nil {
		return nil, fmt.Errorf("poll %d options: %w", p.ID, err)
	}
	utc(&p.CreatedAt)
	p.OpenedAt, p.ClosedAt = utcPtr(p.OpenedAt), utcPtr(p.ClosedAt)
	return &p, nil
}

func optionsJSON(opts []koe.PollOption) string {
	if opts == nil {
		opts = []koe.PollOption{}
	}
	raw, _ := json.Marshal(opts) // plain strings: cannot fail
	return string(raw)
}

const selectPoll = `SELECT ` + pollColumns + ` FROM polls WHERE event_id = $1 AND talk_id = $2 AND id = $3`

// CreatePoll implements koe.Store.
func (s *Store) CreatePoll(ctx context.Context, p *koe.Poll) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Poll
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// The talk's row lock orders the creations that count its polls.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM talks WHERE event_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			p.EventID, p.TalkID).Scan(&one); err != nil {
			return notFound(err, "talk")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM polls WHERE talk_id = $1`, p.TalkID).Scan(&n); err != nil {
			return fmt.Errorf("count polls: %w", err)
		}
		if n >= koe.MaxPollsPerTalk {
			return koe.Errorf(koe.ECONFLICT, "a talk has at most %d polls: delete one first", koe.MaxPollsPerTalk)
		}
		var err error
		created, err = scanPoll(tx.QueryRow(ctx, `
			INSERT INTO polls (event_id, talk_id, kind, question, options, multiple, results_mode, revealed, state,
				version, created_at)
			VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, false, 'draft', 1, $8)
			RETURNING `+pollColumns,
			p.EventID, p.TalkID, string(p.Kind), p.Question, optionsJSON(p.Options), p.Multiple, string(p.Results), s.stamp()))
		if err != nil {
			return fmt.Errorf("create poll: %w", err)
		}
		return record(ctx, tx, o, created.Change(koe.PollCreated, nil))
	})
	if err != nil {
		return err
	}
	s.committed(koe.PollCreated)
	*p = *created
	return nil
}

// Polls implements koe.Store.
func (s *Store) Polls(ctx context.Context, eventID, talkID int64) ([]*koe.Poll, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+pollColumns+` FROM polls WHERE event_id = $1 AND talk_id = $2 ORDER BY id`,
		eventID, talkID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("polls: %w", err))
	}
	polls, err := collect(rows, scanPoll)
	if err != nil {
		return nil, s.fail(fmt.Errorf("polls: %w", err))
	}
	return polls, nil
}

// Poll implements koe.Store.
func (s *Store) Poll(ctx context.Context, eventID, talkID, pollID int64) (*koe.Poll, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanPoll(s.pool.QueryRow(ctx, selectPoll, eventID, talkID, pollID))
	if err != nil {
		return nil, s.fail(notFound(err, "poll"))
	}
	return p, nil
}

// UpdatePoll implements koe.Store.
func (s *Store) UpdatePoll(ctx context.Context, eventID, talkID, pollID int64, u koe.PollUpdate) (*koe.Poll, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		updated *koe.Poll
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		changes = nil
		// The talk's row lock orders the openings of its polls, so that
		// only one is ever open.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM talks WHERE event_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			eventID, talkID).Scan(&one); err != nil {
			return notFound(err, "talk")
		}
		before, err := scanPoll(tx.QueryRow(ctx, selectPoll+` FOR UPDATE`, eventID, talkID, pollID))
		if err != nil {
			return notFound(err, "poll")
		}
		if u.Defines() {
			var counted bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM poll_votes WHERE poll_id = $1)`, pollID).Scan(&counted); err != nil {
				return fmt.Errorf("poll votes: %w", err)
			}
			if counted {
				return koe.Errorf(koe.ECONFLICT, "people have voted: the question and options can no longer change")
			}
		}
		now := s.stamp()
		p, cs, err := koe.ApplyPollUpdate(before, u, now)
		if err != nil {
			return err
		}
		if p == nil {
			updated = before
			return nil
		}
		if p.State == koe.PollOpen && before.State != koe.PollOpen {
			closed, err := closeOpenPolls(ctx, tx, talkID, pollID, now)
			if err != nil {
				return err
			}
			changes = closed
		}
		changes = append(changes, cs...)
		if err := writePoll(ctx, tx, p); err != nil {
			return err
		}
		updated = p
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return nil, err
	}
	s.committed(typesOf(changes)...)
	return updated, nil
}

func writePoll(ctx context.Context, tx pgx.Tx, p *koe.Poll) error {
	_, err := tx.Exec(ctx, `
		UPDATE polls SET question = $1, options = $2::jsonb, multiple = $3, results_mode = $4, revealed = $5, state = $6,
			version = $7, opened_at = $8, closed_at = $9
		WHERE id = $10`,
		p.Question, optionsJSON(p.Options), p.Multiple, string(p.Results), p.Revealed, string(p.State), p.Version,
		p.OpenedAt, p.ClosedAt, p.ID)
	if err != nil {
		return fmt.Errorf("update poll: %w", err)
	}
	return nil
}

// closeOpenPolls closes the talk's open polls other than pollID.
func closeOpenPolls(ctx context.Context, tx pgx.Tx, talkID, pollID int64, now time.Time) ([]koe.Change, error) {
	rows, err := tx.Query(ctx, `SELECT `+pollColumns+` FROM polls WHERE talk_id = $1 AND state = 'open' AND id <> $2 FOR UPDATE`,
		talkID, pollID)
	if err != nil {
		return nil, fmt.Errorf("open polls: %w", err)
	}
	open, err := collect(rows, scanPoll)
	if err != nil {
		return nil, fmt.Errorf("open polls: %w", err)
	}
	closed := koe.PollClosed
	var changes []koe.Change
	for _, before := range open {
		p, c, err := koe.ApplyPollUpdate(before, koe.PollUpdate{State: &closed}, now)
		if err != nil {
			return nil, err
		}
		if err := writePoll(ctx, tx, p); err != nil {
			return nil, err
		}
		changes = append(changes, c...)
	}
	return changes, nil
}

// DeletePoll implements koe.Store.
func (s *Store) DeletePoll(ctx context.Context, eventID, talkID, pollID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		p, err := scanPoll(tx.QueryRow(ctx, selectPoll+` FOR UPDATE`, eventID, talkID, pollID))
		if err != nil {
			return notFound(err, "poll")
		}
		for _, q := range []string{
			`DELETE FROM poll_tallies WHERE poll_id = $1`,
			`DELETE FROM poll_votes WHERE poll_id = $1`,
			`DELETE FROM poll_versions WHERE poll_id = $1`,
			`DELETE FROM polls WHERE id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, pollID); err != nil {
				return fmt.Errorf("delete poll: %w", err)
			}
		}
		return record(ctx, tx, o, p.Change(koe.PollDeleted, nil))
	})
	if err != nil {
		return err
	}
	s.committed(koe.PollDeleted)
	return nil
}

// bumpVersion adds one to the counter of the participant's shard (of
// 32): the row lock orders that participant's votes, and only theirs and
// their shard's.
const bumpVersion = `INSERT INTO poll_versions (poll_id, shard, n) VALUES ($1, $2 % 32, 1)
	ON CONFLICT (poll_id, shard) DO UPDATE SET n = poll_versions.n + 1`

// CastVote implements koe.Store. The poll's row is share-locked while it
// is open: votes do not wait for one another, a close waits for the votes
// begun before it, and a vote after it finds it closed.
func (s *Store) CastVote(ctx context.Context, v *koe.Vote, rev *koe.Review) error {
	o := koe.OriginFrom(ctx, s.now)
	cast := *v
	var changes []koe.Change
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		changes = nil
		var state koe.PollState
		err := tx.QueryRow(ctx, `SELECT state FROM polls WHERE id = $1 AND event_id = $2 AND talk_id = $3 FOR SHARE`,
			v.PollID, v.EventID, v.TalkID).Scan(&state)
		if err != nil {
			return notFound(err, "poll")
		}
		if state != koe.PollOpen {
			return koe.Errorf(koe.ECONFLICT, "this poll is not open")
		}
		now := s.stamp()
		keys, _ := json.Marshal(v.Keys) // strings: cannot fail
		b := &pgx.Batch{}
		b.Queue(bumpVersion, v.PollID, v.ParticipantID)
		b.Queue(`DELETE FROM poll_tallies WHERE poll_id = $1 AND participant_id = $2`, v.PollID, v.ParticipantID)
		b.Queue(`DELETE FROM poll_votes WHERE poll_id = $1 AND participant_id = $2`, v.PollID, v.ParticipantID)
		b.Queue(`INSERT INTO poll_votes (poll_id, participant_id, keys, text, status, updated_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6)
			RETURNING id`, v.PollID, v.ParticipantID, string(keys), v.Text, string(v.Status), now).QueryRow(func(row pgx.Row) error {
			return row.Scan(&cast.ID)
		})
		if v.Status == koe.StatusApproved {
			queueCount(b, v.PollID, v.ParticipantID, v.Keys)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("cast vote: %w", err)
		}
		cast.UpdatedAt = now
		if rev == nil {
			return nil
		}
		rev.Kind, rev.SubjectID = koe.ReviewAnswer, cast.ID
		c, err := insertReview(ctx, tx, rev, now)
		if err != nil {
			return err
		}
		changes = []koe.Change{c}
		return record(ctx, tx, o, changes...)
	})
	if err != nil {
		return err
	}
	s.committed(typesOf(changes)...)
	*v = cast
	return nil
}

// queueCount queues the writing of a vote's tallies.
func queueCount(b *pgx.Batch, pollID, participantID int64, keys []string) {
	b.Queue(`INSERT INTO poll_tallies (poll_id, participant_id, key)
		SELECT $1, $2, k FROM unnest($3::text[]) AS k ON CONFLICT DO NOTHING`, pollID, participantID, keys)
}

// setAnswer gives a word-cloud answer the status its review decided:
// approved counts its words, anything else takes them away. An answer its
// author has replaced since is gone, and nothing changes.
func setAnswer(ctx context.Context, tx pgx.Tx, voteID int64, status koe.Status) error {
	var pollID, participantID int64
	var keys []string
	err := tx.QueryRow(ctx, `SELECT poll_id, participant_id, keys FROM poll_votes WHERE id = $1`, voteID).Scan(&pollID, &participantID, &keys)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	b := &pgx.Batch{}
	b.Queue(bumpVersion, pollID, participantID)
	b.Queue(`UPDATE poll_votes SET status = $1 WHERE id = $2`, string(status), voteID)
	b.Queue(`DELETE FROM poll_tallies WHERE poll_id = $1 AND participant_id = $2`, pollID, participantID)
	if status == koe.StatusApproved {
		queueCount(b, pollID, participantID, keys)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return nil
}

// MyVote implements koe.Store.
func (s *Store) MyVote(ctx context.Context, pollID, participantID int64) (*koe.Vote, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v := koe.Vote{PollID: pollID, ParticipantID: participantID}
	err := s.pool.QueryRow(ctx, `SELECT id, keys, text, status, updated_at FROM poll_votes WHERE poll_id = $1 AND participant_id = $2`,
		pollID, participantID).Scan(&v.ID, &v.Keys, &v.Text, &v.Status, &v.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fail(fmt.Errorf("my vote: %w", err))
	}
	v.UpdatedAt = v.UpdatedAt.UTC()
	return &v, nil
}

// PollResults implements koe.Store.
func (s *Store) PollResults(ctx context.Context, pollID int64) (map[string]int64, int64, int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		version, voters int64
		raw             []byte
	)
	// One statement: one snapshot, so the counts are those of the version
	// (a later snapshot sees every vote an earlier one saw, and more).
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT COALESCE(sum(n), 0) FROM poll_versions WHERE poll_id = p.id),
			(SELECT count(DISTINCT participant_id) FROM poll_tallies WHERE poll_id = p.id),
			(SELECT COALESCE(jsonb_object_agg(key, n), '{}') FROM
				(SELECT key, count(*) AS n FROM poll_tallies WHERE poll_id = p.id GROUP BY key) c)
		FROM polls p WHERE p.id = $1`, pollID).Scan(&version, &voters, &raw)
	if err != nil {
		return nil, 0, 0, s.fail(notFound(err, "poll"))
	}
	counts := map[string]int64{}
	if err := json.Unmarshal(raw, &counts); err != nil {
		return nil, 0, 0, fmt.Errorf("poll results: %w", err)
	}
	return counts, voters, version, nil
}
