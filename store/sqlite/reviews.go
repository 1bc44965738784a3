package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// reviewColumns ends with whether the author is banned now.
// A review of a post has no talk, question or participant: NULL, read as 0.
const reviewColumns = `r.id, r.event_id, COALESCE(r.talk_id, 0), r.kind, r.subject_id, COALESCE(r.question_id, 0),
	COALESCE(r.participant_id, 0),
	r.author_name, r.body, r.state, r.reasons, r.score, r.claim_account, r.claim_name, r.claim_until,
	r.decision, r.decided_account, r.decided_by, r.decided_at, r.prior_state, r.version, r.created_at,
	EXISTS (SELECT 1 FROM bans b WHERE b.event_id = r.event_id AND b.participant_id = r.participant_id)`

func scanReview(row scanner) (*koe.Review, error) {
	var (
		r                          koe.Review
		reasons                    string
		score, claimName, decision sql.NullString
		decidedBy, prior           sql.NullString
		claimAccount, decidedAcct  sql.NullInt64
		claimUntil, decidedAt      *time.Time
	)
	err := row.Scan(&r.ID, &r.EventID, &r.TalkID, &r.Kind, &r.SubjectID, &r.QuestionID, &r.ParticipantID,
		&r.AuthorName, &r.Body, &r.State, &reasons, &score, &claimAccount, &claimName, nullTimeDest{&claimUntil},
		&decision, &decidedAcct, &decidedBy, nullTimeDest{&decidedAt}, &prior, &r.Version, timeDest{&r.CreatedAt},
		&r.Banned)
	if err != nil {
		return nil, err
	}
	r.Reasons = []byte(reasons)
	if score.Valid {
		r.Score = []byte(score.String)
	}
	if claimUntil != nil {
		r.Claim = &koe.ReviewClaim{AccountID: claimAccount.Int64, Name: claimName.String, Until: *claimUntil}
	}
	if decidedAt != nil {
		r.Decision = &koe.ReviewDecision{Decision: koe.ReviewState(decision.String), AccountID: decidedAcct.Int64,
			By: decidedBy.String, At: *decidedAt, Prior: koe.ReviewState(prior.String)}
		if decidedAcct.Valid { // koe's own decisions cannot be undone
			r.Decision.UndoUntil = decidedAt.Add(koe.UndoWindow)
		}
	}
	return &r, nil
}

const selectReview = `SELECT ` + reviewColumns + ` FROM reviews r WHERE r.event_id = ? AND r.id = ?`

func loadReview(tx *txn, eventID, id int64) (*koe.Review, error) {
	r, err := scanReview(tx.QueryRow(selectReview, eventID, id))
	if err != nil {
		return nil, notFound(err, "review")
	}
	return r, nil
}

// insertReview stores rev (kind, subject and question set by the caller)
// inside the write of its subject.
func insertReview(tx *txn, o koe.Origin, rev *koe.Review, now time.Time) error {
	var decision, decidedBy sql.NullString
	var decidedAt sql.NullInt64
	if d := rev.Decision; d != nil {
		decision = sql.NullString{String: string(d.Decision), Valid: true}
		decidedBy = sql.NullString{String: d.By, Valid: true}
		decidedAt = sql.NullInt64{Int64: micros(now), Valid: true}
	}
	var score sql.NullString
	if rev.Score != nil {
		score = sql.NullString{String: string(rev.Score), Valid: true}
	}
	var id int64
	err := tx.QueryRow(`
		INSERT INTO reviews (event_id, talk_id, kind, subject_id, question_id, participant_id, author_name,
			body, state, reasons, score, decision, decided_by, decided_at, version, created_at)
		VALUES (?, NULLIF(?, 0), ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
		RETURNING id`,
		rev.EventID, rev.TalkID, rev.Kind, rev.SubjectID, rev.QuestionID, rev.ParticipantID, rev.AuthorName,
		rev.Body, rev.State, string(rev.Reasons), score, decision, decidedBy, decidedAt, micros(now)).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert review: %w", err)
	}
	created, err := loadReview(tx, rev.EventID, id)
	if err != nil {
		return err
	}
	*rev = *created
	return tx.record(o, created.Change(koe.ReviewCreated))
}

// Review implements koe.Store.
func (s *Store) Review(ctx context.Context, eventID, id int64) (*koe.Review, error) {
	r, err := scanReview(s.read.QueryRowContext(ctx, selectReview, eventID, id))
	if err != nil {
		return nil, notFound(err, "review")
	}
	return r, nil
}

// Reviews implements koe.Store.
func (s *Store) Reviews(ctx context.Context, q koe.ReviewQuery) ([]*koe.Review, error) {
	query := `SELECT ` + reviewColumns + ` FROM reviews r WHERE r.event_id = ? AND (r.talk_id = ? OR ? = 0) AND `
	if q.Open {
		query += `r.state IN ('pending', 'flagged') ORDER BY r.id`
	} else {
		query += `r.decided_at IS NOT NULL ORDER BY r.decided_at DESC, r.id DESC`
	}
	rows, err := s.read.QueryContext(ctx, query+` LIMIT ?`, q.EventID, q.TalkID, q.TalkID, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	reviews, err := collect(rows, scanReview)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	return reviews, nil
}

// ReviewCounts implements koe.Store.
func (s *Store) ReviewCounts(ctx context.Context, eventID, talkID int64, since time.Time) (koe.ReviewCounts, error) {
	var c koe.ReviewCounts
	err := s.read.QueryRowContext(ctx, `
		SELECT
			(SELECT count(*) FROM reviews WHERE (event_id = ?1 OR ?1 = 0) AND (talk_id = ?2 OR ?2 = 0) AND state = 'pending'),
			(SELECT count(*) FROM reviews WHERE (event_id = ?1 OR ?1 = 0) AND (talk_id = ?2 OR ?2 = 0) AND state = 'flagged'),
			(SELECT count(*) FROM reviews WHERE (event_id = ?1 OR ?1 = 0) AND (talk_id = ?2 OR ?2 = 0) AND decided_at >= ?3
				AND decided_account IS NOT NULL)`,
		eventID, talkID, micros(since)).Scan(&c.Pending, &c.Flagged, &c.DecidedLastMinute)
	if err != nil {
		return c, fmt.Errorf("count reviews: %w", err)
	}
	return c, nil
}

// ClaimReview implements koe.Store.
func (s *Store) ClaimReview(ctx context.Context, eventID, id, accountID int64, c *koe.ReviewClaim, now time.Time) (*koe.Review, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Review
	err := s.writer.do(ctx, func(tx *txn) error {
		r, err := loadReview(tx, eventID, id)
		if err != nil {
			return err
		}
		updated = r
		held := r.Claim.Live(now) && r.Claim.AccountID != accountID
		switch {
		case c == nil && (r.Claim == nil || r.Claim.AccountID != accountID):
			return nil // nothing of ours to release
		case c != nil && !r.State.Open():
			return koe.Errorf(koe.ECONFLICT, "this item was decided already")
		case c != nil && held:
			return koe.Errorf(koe.ECONFLICT, "%s is reviewing this item", r.Claim.Name)
		}
		var acct sql.NullInt64
		var name sql.NullString
		var until sql.NullInt64
		if c != nil {
			acct, name, until = sql.NullInt64{Int64: accountID, Valid: true}, sql.NullString{String: c.Name, Valid: true},
				sql.NullInt64{Int64: micros(c.Until), Valid: true}
		}
		if _, err := tx.Exec(`UPDATE reviews SET claim_account = ?, claim_name = ?, claim_until = ?, version = version + 1
			WHERE id = ?`, acct, name, until, id); err != nil {
			return fmt.Errorf("claim review: %w", err)
		}
		if updated, err = loadReview(tx, eventID, id); err != nil {
			return err
		}
		return tx.record(o, updated.Change(koe.ReviewClaimed))
	})
	return updated, err
}

// DecideReview implements koe.Store. The writer runs one write at a
// time, so the state read here is the state the update changes: of two
// racing decisions the second finds the review decided.
func (s *Store) DecideReview(ctx context.Context, eventID, id int64, d koe.ReviewDecision, body *string) (*koe.Review, error) {
	o := koe.OriginFrom(ctx, s.now)
	var decided *koe.Review
	err := s.writer.do(ctx, func(tx *txn) error {
		r, err := loadReview(tx, eventID, id)
		if err != nil {
			return err
		}
		if !r.State.Open() {
			decided = r
			return koe.AlreadyDecided(r)
		}
		_, err = tx.Exec(`
			UPDATE reviews SET state = ?, decision = ?, decided_account = ?, decided_by = ?, decided_at = ?,
				prior_state = state, claim_account = NULL, claim_name = NULL, claim_until = NULL,
				version = version + 1
			WHERE id = ?`,
			d.Decision, d.Decision, d.AccountID, d.By, micros(s.stamp()), id)
		if err != nil {
			return fmt.Errorf("decide review: %w", err)
		}
		if err := s.setSubject(tx, o, r, d.Decision.SubjectStatus(), body); err != nil {
			return err
		}
		if decided, err = loadReview(tx, eventID, id); err != nil {
			return err
		}
		return tx.record(o, decided.Change(koe.ReviewUpdated))
	})
	return decided, err
}

// UndoReview implements koe.Store.
func (s *Store) UndoReview(ctx context.Context, eventID, id, accountID int64, now time.Time) (*koe.Review, error) {
	o := koe.OriginFrom(ctx, s.now)
	var undone *koe.Review
	err := s.writer.do(ctx, func(tx *txn) error {
		r, err := loadReview(tx, eventID, id)
		if err != nil {
			return err
		}
		if err := koe.Undoable(r, accountID, now); err != nil {
			undone = r
			return err
		}
		_, err = tx.Exec(`
			UPDATE reviews SET state = prior_state, decision = NULL, decided_account = NULL, decided_by = NULL,
				decided_at = NULL, prior_state = NULL, version = version + 1
			WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("undo review: %w", err)
		}
		if err := s.setSubject(tx, o, r, r.Decision.Prior.SubjectStatus(), nil); err != nil {
			return err
		}
		if undone, err = loadReview(tx, eventID, id); err != nil {
			return err
		}
		return tx.record(o, undone.Change(koe.ReviewUpdated))
	})
	return undone, err
}

// setSubject gives r's question, reply, post or poll answer status (and body, when not
// nil, to a question or reply: a post's text is its author's, on its
// platform).
func (s *Store) setSubject(tx *txn, o koe.Origin, r *koe.Review, status koe.Status, body *string) error {
	switch r.Kind {
	case koe.ReviewQuestion:
		_, err := s.updateQuestion(tx, o, r.EventID, r.TalkID, r.SubjectID, koe.QuestionUpdate{Status: &status, Body: body})
		return err
	case koe.ReviewPost:
		_, err := s.updatePost(tx, o, r.EventID, r.SubjectID, koe.PostUpdate{Status: &status}, s.stamp())
		return err
	case koe.ReviewAnswer:
		return s.setAnswerStatus(tx, r.SubjectID, status)
	}
	rep, err := scanReply(tx.QueryRow(`SELECT `+replyColumns+` FROM replies WHERE event_id = ? AND id = ?`, r.EventID, r.SubjectID))
	if err != nil {
		return notFound(err, "reply")
	}
	was := rep.Status
	if body != nil {
		rep.Body = *body
	}
	rep.Status = status
	if _, err := tx.Exec(`UPDATE replies SET status = ?, body = ? WHERE id = ?`, status, rep.Body, rep.ID); err != nil {
		return fmt.Errorf("update reply: %w", err)
	}
	if delta := koe.ReplyCountDelta(was, status); delta != 0 {
		if _, err := tx.Exec(`UPDATE questions SET reply_count = reply_count + ?, version = version + 1, updated_at = ?
			WHERE id = ?`, delta, micros(s.stamp()), rep.QuestionID); err != nil {
			return fmt.Errorf("count reply: %w", err)
		}
	}
	q, err := loadQuestion(tx, rep.EventID, rep.TalkID, rep.QuestionID)
	if err != nil {
		return err
	}
	changes := []koe.Change{rep.Change(koe.ReplyUpdated, q)}
	if was != status && (was == koe.StatusApproved || status == koe.StatusApproved) {
		changes = append(changes, q.Change(koe.QuestionUpdated))
	}
	return tx.record(o, changes...)
}
