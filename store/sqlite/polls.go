package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

const pollColumns = `id, event_id, talk_id, kind, question, options, multiple, results_mode, revealed, state, version,
	created_at, opened_at, closed_at`

func scanPoll(row scanner) (*koe.Poll, error) {
	var p koe.Poll
	var options string
	err := row.Scan(&p.ID, &p.EventID, &p.TalkID, &p.Kind, &p.Question, &options, &p.Multiple, &p.Results, &p.Revealed,
		&p.State, &p.Version, timeDest{&p.CreatedAt}, nullTimeDest{&p.OpenedAt}, nullTimeDest{&p.ClosedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(options), &p.Options); err != nil {
		return nil, fmt.Errorf("poll %d options: %w", p.ID, err)
	}
	return &p, nil
}

func loadPoll(tx *txn, eventID, talkID, pollID int64) (*koe.Poll, error) {
	p, err := scanPoll(tx.QueryRow(`SELECT `+pollColumns+` FROM polls WHERE event_id = ? AND talk_id = ? AND id = ?`,
		eventID, talkID, pollID))
	if err != nil {
		return nil, notFound(err, "poll")
	}
	return p, nil
}

// voteStmts are CastVote's statements and the poll read every vote makes,
// prepared once when the store opens: parsing them was a quarter of what
// a vote cost (bench polls).
type voteStmts struct {
	bump, dropTallies, dropVote, insertVote, insertTally *sql.Stmt // the writer's
	poll                                                 *sql.Stmt // the readers'
}

const selectPoll = `SELECT ` + pollColumns + ` FROM polls WHERE event_id = ? AND talk_id = ? AND id = ?`

func prepareVotes(ctx context.Context, wdb, rdb *sql.DB) (*voteStmts, error) {
	var v voteStmts
	var err error
	prepare := func(db *sql.DB, query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		return st
	}
	v.bump = prepare(wdb, `UPDATE polls SET tally_version = tally_version + 1
		WHERE id = ? AND event_id = ? AND talk_id = ? AND state = 'open'`)
	v.dropTallies = prepare(wdb, `DELETE FROM poll_tallies WHERE poll_id = ? AND participant_id = ?`)
	v.dropVote = prepare(wdb, `DELETE FROM poll_votes WHERE poll_id = ? AND participant_id = ?`)
	v.insertVote = prepare(wdb, `INSERT INTO poll_votes (poll_id, participant_id, keys, text, status, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
	v.insertTally = prepare(wdb, `INSERT INTO poll_tallies (poll_id, participant_id, key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	v.poll = prepare(rdb, selectPoll)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("prepare votes: %w", err), v.close())
	}
	return &v, nil
}

func (v *voteStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{v.bump, v.dropTallies, v.dropVote, v.insertVote, v.insertTally, v.poll} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

func optionsJSON(opts []koe.PollOption) string {
	if opts == nil {
		opts = []koe.PollOption{}
	}
	raw, _ := json.Marshal(opts) // plain strings: cannot fail
	return string(raw)
}

// CreatePoll implements koe.Store.
func (s *Store) CreatePoll(ctx context.Context, p *koe.Poll) error {
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Poll
	err := s.writer.do(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM polls WHERE talk_id = ?`, p.TalkID).Scan(&n); err != nil {
			return fmt.Errorf("count polls: %w", err)
		}
		if n >= koe.MaxPollsPerTalk {
			return koe.Errorf(koe.ECONFLICT, "a talk has at most %d polls: delete one first", koe.MaxPollsPerTalk)
		}
		var err error
		created, err = scanPoll(tx.QueryRow(`
			INSERT INTO polls (event_id, talk_id, kind, question, options, multiple, results_mode, revealed, state,
				version, tally_version, created_at)
			SELECT event_id, id, ?, ?, ?, ?, ?, 0, 'draft', 1, 0, ? FROM talks WHERE event_id = ? AND id = ?
			RETURNING `+pollColumns,
			p.Kind, p.Question, optionsJSON(p.Options), p.Multiple, p.Results, micros(s.stamp()), p.EventID, p.TalkID))
		if err != nil {
			return notFound(err, "talk")
		}
		return tx.record(o, created.Change(koe.PollCreated, nil))
	})
	if err != nil {
		return err
	}
	*p = *created
	return nil
}

// Polls implements koe.Store.
func (s *Store) Polls(ctx context.Context, eventID, talkID int64) ([]*koe.Poll, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+pollColumns+` FROM polls WHERE event_id = ? AND talk_id = ? ORDER BY id`,
		eventID, talkID)
	if err != nil {
		return nil, fmt.Errorf("polls: %w", err)
	}
	polls, err := collect(rows, scanPoll)
	if err != nil {
		return nil, fmt.Errorf("polls: %w", err)
	}
	return polls, nil
}

// Poll implements koe.Store.
func (s *Store) Poll(ctx context.Context, eventID, talkID, pollID int64) (*koe.Poll, error) {
	p, err := scanPoll(s.votes.poll.QueryRowContext(ctx, eventID, talkID, pollID))
	if err != nil {
		return nil, notFound(err, "poll")
	}
	return p, nil
}

// UpdatePoll implements koe.Store.
func (s *Store) UpdatePoll(ctx context.Context, eventID, talkID, pollID int64, u koe.PollUpdate) (*koe.Poll, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Poll
	err := s.writer.do(ctx, func(tx *txn) error {
		before, err := loadPoll(tx, eventID, talkID, pollID)
		if err != nil {
			return err
		}
		if u.Defines() {
			var counted bool
			if err := tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM poll_votes WHERE poll_id = ?)`, pollID).Scan(&counted); err != nil {
				return fmt.Errorf("poll votes: %w", err)
			}
			if counted {
				return koe.Errorf(koe.ECONFLICT, "people have voted: the question and options can no longer change")
			}
		}
		now := s.stamp()
		p, changes, err := koe.ApplyPollUpdate(before, u, now)
		if err != nil {
			return err
		}
		if p == nil {
			updated = before
			return nil
		}
		if p.State == koe.PollOpen && before.State != koe.PollOpen {
			closed, err := s.closeOpenPolls(tx, o, talkID, pollID, now)
			if err != nil {
				return err
			}
			changes = append(closed, changes...)
		}
		_, err = tx.Exec(`
			UPDATE polls SET question = ?, options = ?, multiple = ?, results_mode = ?, revealed = ?, state = ?,
				version = ?, opened_at = ?, closed_at = ?
			WHERE id = ?`,
			p.Question, optionsJSON(p.Options), p.Multiple, p.Results, p.Revealed, p.State, p.Version,
			nullMicros(p.OpenedAt), nullMicros(p.ClosedAt), p.ID)
		if err != nil {
			return fmt.Errorf("update poll: %w", err)
		}
		updated = p
		return tx.record(o, changes...)
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// closeOpenPolls closes the talk's open polls other than pollID.
func (s *Store) closeOpenPolls(tx *txn, o koe.Origin, talkID, pollID int64, now time.Time) ([]koe.Change, error) {
	rows, err := tx.Query(`SELECT `+pollColumns+` FROM polls WHERE talk_id = ? AND state = 'open' AND id <> ?`, talkID, pollID)
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
		if _, err := tx.Exec(`UPDATE polls SET state = ?, version = ?, closed_at = ? WHERE id = ?`,
			p.State, p.Version, nullMicros(p.ClosedAt), p.ID); err != nil {
			return nil, fmt.Errorf("close poll: %w", err)
		}
		changes = append(changes, c...)
	}
	return changes, nil
}

// DeletePoll implements koe.Store.
func (s *Store) DeletePoll(ctx context.Context, eventID, talkID, pollID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		p, err := loadPoll(tx, eventID, talkID, pollID)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM poll_tallies WHERE poll_id = ?`,
			`DELETE FROM poll_votes WHERE poll_id = ?`,
			`DELETE FROM polls WHERE id = ?`,
		} {
			if _, err := tx.Exec(q, pollID); err != nil {
				return fmt.Errorf("delete poll: %w", err)
			}
		}
		return tx.record(o, p.Change(koe.PollDeleted, nil))
	})
}

// CastVote implements koe.Store.
func (s *Store) CastVote(ctx context.Context, v *koe.Vote, rev *koe.Review) error {
	o := koe.OriginFrom(ctx, s.now)
	cast := *v
	err := s.writer.do(ctx, func(tx *txn) error {
		// The poll's row orders its votes: its tally version is bumped
		// first, and only while it is open.
		r, err := tx.Stmt(s.votes.bump).Exec(v.PollID, v.EventID, v.TalkID)
		if err != nil {
			return fmt.Errorf("poll tally version: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return pollNotOpen(tx, v.PollID)
		}
		for _, st := range []*sql.Stmt{s.votes.dropTallies, s.votes.dropVote} {
			if _, err := tx.Stmt(st).Exec(v.PollID, v.ParticipantID); err != nil {
				return fmt.Errorf("replace vote: %w", err)
			}
		}
		now := s.stamp()
		keys, _ := json.Marshal(v.Keys) // strings: cannot fail
		if err := tx.Stmt(s.votes.insertVote).QueryRow(v.PollID, v.ParticipantID, string(keys), v.Text, v.Status, micros(now)).
			Scan(&cast.ID); err != nil {
			return fmt.Errorf("insert vote: %w", err)
		}
		cast.UpdatedAt = now
		if v.Status == koe.StatusApproved {
			if err := s.countVote(tx, v.PollID, v.ParticipantID, v.Keys); err != nil {
				return err
			}
		}
		if rev == nil {
			return nil
		}
		rev.Kind, rev.SubjectID = koe.ReviewAnswer, cast.ID
		return insertReview(tx, o, rev, now)
	})
	if err != nil {
		return err
	}
	*v = cast
	return nil
}

// pollNotOpen explains why a vote found no open poll.
func pollNotOpen(tx *txn, pollID int64) error {
	var one int
	if err := tx.QueryRow(`SELECT 1 FROM polls WHERE id = ?`, pollID).Scan(&one); err != nil {
		return notFound(err, "poll")
	}
	return koe.Errorf(koe.ECONFLICT, "this poll is not open")
}

// countVote writes a vote's tallies.
func (s *Store) countVote(tx *txn, pollID, participantID int64, keys []string) error {
	insert := tx.Stmt(s.votes.insertTally)
	for _, k := range keys {
		if _, err := insert.Exec(pollID, participantID, k); err != nil {
			return fmt.Errorf("count vote: %w", err)
		}
	}
	return nil
}

// setAnswerStatus gives a word-cloud answer the status its review
// decided: approved counts its words, anything else takes them away. An
// answer its author has replaced since is gone, and nothing changes.
func (s *Store) setAnswerStatus(tx *txn, voteID int64, status koe.Status) error {
	var pollID, participantID int64
	var keys string
	err := tx.QueryRow(`SELECT poll_id, participant_id, keys FROM poll_votes WHERE id = ?`, voteID).Scan(&pollID, &participantID, &keys)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	if _, err := tx.Exec(`UPDATE poll_votes SET status = ? WHERE id = ?`, status, voteID); err != nil {
		return fmt.Errorf("answer status: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM poll_tallies WHERE poll_id = ? AND participant_id = ?`, pollID, participantID); err != nil {
		return fmt.Errorf("answer tallies: %w", err)
	}
	if status == koe.StatusApproved {
		var words []string
		if err := json.Unmarshal([]byte(keys), &words); err != nil {
			return fmt.Errorf("answer %d keys: %w", voteID, err)
		}
		if err := s.countVote(tx, pollID, participantID, words); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`UPDATE polls SET tally_version = tally_version + 1 WHERE id = ?`, pollID); err != nil {
		return fmt.Errorf("poll tally version: %w", err)
	}
	return nil
}

// MyVote implements koe.Store.
func (s *Store) MyVote(ctx context.Context, pollID, participantID int64) (*koe.Vote, error) {
	v := koe.Vote{PollID: pollID, ParticipantID: participantID}
	var keys string
	err := s.read.QueryRowContext(ctx, `SELECT id, keys, text, status, updated_at FROM poll_votes WHERE poll_id = ? AND participant_id = ?`,
		pollID, participantID).Scan(&v.ID, &keys, &v.Text, &v.Status, timeDest{&v.UpdatedAt})
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("my vote: %w", err)
	}
	if err := json.Unmarshal([]byte(keys), &v.Keys); err != nil {
		return nil, fmt.Errorf("vote %d keys: %w", v.ID, err)
	}
	return &v, nil
}

// PollResults implements koe.Store.
func (s *Store) PollResults(ctx context.Context, pollID int64) (map[string]int64, int64, int64, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("poll results: %w", err)
	}
	defer tx.Rollback()
	var version, voters int64
	if err := tx.QueryRowContext(ctx, `SELECT tally_version, (SELECT count(DISTINCT participant_id) FROM poll_tallies WHERE poll_id = ?1)
		FROM polls WHERE id = ?1`, pollID).Scan(&version, &voters); err != nil {
		return nil, 0, 0, notFound(err, "poll")
	}
	rows, err := tx.QueryContext(ctx, `SELECT key, count(*) FROM poll_tallies WHERE poll_id = ? GROUP BY key`, pollID)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("poll results: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, 0, 0, fmt.Errorf("poll results: %w", err)
		}
		counts[k] = n
	}
	return counts, voters, version, rows.Err()
}
