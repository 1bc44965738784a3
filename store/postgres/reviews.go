package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// reviewColumns ends with whether the author is banned now.
// A review of a post has no talk, question or participant: NULL, read as 0.
const reviewColumns = `r.id, r.event_id, COALESCE(r.talk_id, 0), r.kind, r.subject_id, COALESCE(r.question_id, 0),
	COALESCE(r.participant_id, 0),
	r.author_name, r.body, r.state, r.reasons, r.score, r.claim_account, r.claim_name, r.claim_until,
	r.decision, r.decided_account, r.decided_by, r.decided_at, r.prior_state, r.version, r.created_at,
	EXISTS (SELECT 1 FROM bans b WHERE b.event_id = r.event_id AND b.participant_id = r.participant_id)`

func scanReview(row pgx.Row) (*koe.Review, error) {
	var (
		r                                     koe.Review
		reasons, score                        []byte
		claimName, decision, decidedBy, prior *string
		claimAccount, decidedAcct             *int64
		claimUntil, decidedAt                 *time.Time
	)
	err := row.Scan(&r.ID, &r.EventID, &r.TalkID, &r.Kind, &r.SubjectID, &r.QuestionID, &r.ParticipantID,
		&r.AuthorName, &r.Body, &r.State, &reasons, &score, &claimAccount, &claimName, &claimUntil,
		&decision, &decidedAcct, &decidedBy, &decidedAt, &prior, &r.Version, &r.CreatedAt, &r.Banned)
	if err != nil {
		return nil, err
	}
	utc(&r.CreatedAt)
	r.Reasons, r.Score = reasons, score
	if claimUntil != nil {
		r.Claim = &koe.ReviewClaim{AccountID: deref(claimAccount), Name: derefs(claimName), Until: claimUntil.UTC()}
	}
	if decidedAt != nil {
		at := decidedAt.UTC()
		r.Decision = &koe.ReviewDecision{Decision: koe.ReviewState(derefs(decision)), AccountID: deref(decidedAcct),
			By: derefs(decidedBy), At: at, Prior: koe.ReviewState(derefs(prior))}
		if decidedAcct != nil { // koe's own decisions cannot be undone
			r.Decision.UndoUntil = at.Add(koe.UndoWindow)
		}
	}
	return &r, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func derefs(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

const selectReview = `SELECT ` + reviewColumns + ` FROM reviews r WHERE r.event_id = $1 AND r.id = $2`

// insertReview stores rev (kind, subject and question set by the caller)
// in the transaction of its subject, and returns its change to record.
func insertReview(ctx context.Context, tx pgx.Tx, rev *koe.Review, now time.Time) (koe.Change, error) {
	var decision, decidedBy *string
	var decidedAt *time.Time
	if d := rev.Decision; d != nil {
		dec := string(d.Decision)
		decision, decidedBy, decidedAt = &dec, &d.By, &now
	}
	var score any
	if rev.Score != nil {
		score = string(rev.Score)
	}
	created, err := scanReview(tx.QueryRow(ctx, `
		WITH r AS (
			INSERT INTO reviews (event_id, talk_id, kind, subject_id, question_id, participant_id, author_name,
				body, state, reasons, score, decision, decided_by, decided_at, version, created_at)
			VALUES ($1, NULLIF($2::bigint, 0), $3, $4, NULLIF($5::bigint, 0), NULLIF($6::bigint, 0), $7, $8, $9,
				$10::jsonb, $11::jsonb, $12, $13, $14, 1, $15)
			RETURNING *
		)
		SELECT `+reviewColumns+` FROM r`,
		rev.EventID, rev.TalkID, string(rev.Kind), rev.SubjectID, rev.QuestionID, rev.ParticipantID, rev.AuthorName,
		rev.Body, string(rev.State), string(rev.Reasons), score, decision, decidedBy, decidedAt, now))
	if err != nil {
		return koe.Change{}, fmt.Errorf("insert review: %w", err)
	}
	*rev = *created
	return created.Change(koe.ReviewCreated), nil
}

// Review implements koe.Store.
func (s *Store) Review(ctx context.Context, eventID, id int64) (*koe.Review, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	r, err := scanReview(s.pool.QueryRow(ctx, selectReview, eventID, id))
	if err != nil {
		return nil, s.fail(notFound(err, "review"))
	}
	return r, nil
}

// Reviews implements koe.Store.
func (s *Store) Reviews(ctx context.Context, q koe.ReviewQuery) ([]*koe.Review, error) {
	query := `SELECT ` + reviewColumns + ` FROM reviews r WHERE r.event_id = $1 AND (r.talk_id = $2 OR $2 = 0) AND `
	if q.Open {
		query += `r.state IN ('pending', 'flagged') ORDER BY r.id`
	} else {
		query += `r.decided_at IS NOT NULL ORDER BY r.decided_at DESC, r.id DESC`
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query+` LIMIT $3`, q.EventID, q.TalkID, q.Limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list reviews: %w", err))
	}
	reviews, err := collect(rows, scanReview)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list reviews: %w", err))
	}
	return reviews, nil
}

// ReviewCounts implements koe.Store.
func (s *Store) ReviewCounts(ctx context.Context, eventID, talkID int64, since time.Time) (koe.ReviewCounts, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var c koe.ReviewCounts
	err := s.pool.QueryRow(ctx, `
		SELECT
			count(*) FILTER (WHERE state = 'pending'),
			count(*) FILTER (WHERE state = 'flagged'),
			count(*) FILTER (WHERE decided_at >= $3 AND decided_account IS NOT NULL)
		FROM reviews
		WHERE (event_id = $1 OR $1 = 0) AND (talk_id = $2 OR $2 = 0)
			AND (state IN ('pending', 'flagged') OR decided_at >= $3)`,
		eventID, talkID, since).Scan(&c.Pending, &c.Flagged, &c.DecidedLastMinute)
	if err != nil {
		return c, s.fail(fmt.Errorf("count reviews: %w", err))
	}
	return c, nil
}

// lockReview reads a review for an update: the row stays locked until the
// transaction ends, so of racing decisions the second reads the first's
// outcome.
func lockReview(ctx context.Context, tx pgx.Tx, eventID, id int64) (*koe.Review, error) {
	r, err := scanReview(tx.QueryRow(ctx, selectReview+` FOR UPDATE OF r`, eventID, id))
	if err != nil {
		return nil, notFound(err, "review")
	}
	return r, nil
}

// reviewTx runs fn on a locked review and records the changes it returns
// with the review's own (typ), read after fn; a nil review from
// fn and an error leave the review returned as it was.
func (s *Store) reviewTx(ctx context.Context, eventID, id int64, typ koe.ChangeType, fn func(ctx context.Context, tx pgx.Tx, r *koe.Review) ([]koe.Change, error)) (*koe.Review, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		out     *koe.Review
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r, err := lockReview(ctx, tx, eventID, id)
		if err != nil {
			return err
		}
		out = r
		changes, err = fn(ctx, tx, r)
		if err != nil || changes == nil {
			return err
		}
		if out, err = scanReview(tx.QueryRow(ctx, selectReview, eventID, id)); err != nil {
			return fmt.Errorf("load review: %w", err)
		}
		changes = append(changes, out.Change(typ))
		return record(ctx, tx, o, changes...)
	})
	if len(changes) > 0 && err == nil {
		s.committed(typesOf(changes)...)
	}
	return out, err
}

// ClaimReview implements koe.Store.
func (s *Store) ClaimReview(ctx context.Context, eventID, id, accountID int64, c *koe.ReviewClaim, now time.Time) (*koe.Review, error) {
	return s.reviewTx(ctx, eventID, id, koe.ReviewClaimed, func(ctx context.Context, tx pgx.Tx, r *koe.Review) ([]koe.Change, error) {
		held := r.Claim.Live(now) && r.Claim.AccountID != accountID
		switch {
		case c == nil && (r.Claim == nil || r.Claim.AccountID != accountID):
			return nil, nil // nothing of ours to release
		case c != nil && !r.State.Open():
			return nil, koe.Errorf(koe.ECONFLICT, "this item was decided already")
		case c != nil && held:
			return nil, koe.Errorf(koe.ECONFLICT, "%s is reviewing this item", r.Claim.Name)
		}
		var (
			acct  *int64
			name  *string
			until *time.Time
		)
		if c != nil {
			acct, name, until = &accountID, &c.Name, &c.Until
		}
		_, err := tx.Exec(ctx, `UPDATE reviews SET claim_account = $1, claim_name = $2, claim_until = $3,
			version = version + 1 WHERE id = $4`, acct, name, until, id)
		if err != nil {
			return nil, fmt.Errorf("claim review: %w", err)
		}
		return []koe.Change{}, nil
	})
}

// DecideReview implements koe.Store.
func (s *Store) DecideReview(ctx context.Context, eventID, id int64, d koe.ReviewDecision, body *string) (*koe.Review, error) {
	return s.reviewTx(ctx, eventID, id, koe.ReviewUpdated, func(ctx context.Context, tx pgx.Tx, r *koe.Review) ([]koe.Change, error) {
		if !r.State.Open() {
			return nil, koe.AlreadyDecided(r)
		}
		_, err := tx.Exec(ctx, `
			UPDATE reviews SET state = $1, decision = $1, decided_account = $2, decided_by = $3, decided_at = $4,
				prior_state = state, claim_account = NULL, claim_name = NULL, claim_until = NULL,
				version = version + 1
			WHERE id = $5`,
			string(d.Decision), d.AccountID, d.By, s.stamp(), id)
		if err != nil {
			return nil, fmt.Errorf("decide review: %w", err)
		}
		return s.setSubject(ctx, tx, r, d.Decision.SubjectStatus(), body)
	})
}

// UndoReview implements koe.Store.
func (s *Store) UndoReview(ctx context.Context, eventID, id, accountID int64, now time.Time) (*koe.Review, error) {
	return s.reviewTx(ctx, eventID, id, koe.ReviewUpdated, func(ctx context.Context, tx pgx.Tx, r *koe.Review) ([]koe.Change, error) {
		if err := koe.Undoable(r, accountID, now); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `
			UPDATE reviews SET state = prior_state, decision = NULL, decided_account = NULL, decided_by = NULL,
				decided_at = NULL, prior_state = NULL, version = version + 1
			WHERE id = $1`, id)
		if err != nil {
			return nil, fmt.Errorf("undo review: %w", err)
		}
		return s.setSubject(ctx, tx, r, r.Decision.Prior.SubjectStatus(), nil)
	})
}

// setSubject gives r's question, reply, post or poll answer status (and body, when not
// nil, to a question or reply: a post's text is its author's, on its
// platform), and returns the changes to record.
func (s *Store) setSubject(ctx context.Context, tx pgx.Tx, r *koe.Review, status koe.Status, body *string) ([]koe.Change, error) {
	var (
		changes []koe.Change
		err     error
	)
	switch r.Kind {
	case koe.ReviewQuestion:
		_, changes, err = s.updateQuestion(ctx, tx, r.EventID, r.TalkID, r.SubjectID, koe.QuestionUpdate{Status: &status, Body: body})
	case koe.ReviewPost:
		_, changes, err = updatePost(ctx, tx, r.EventID, r.SubjectID, koe.PostUpdate{Status: &status}, s.stamp())
	case koe.ReviewAnswer:
		err = setAnswer(ctx, tx, r.SubjectID, status)
	default:
		return s.setReply(ctx, tx, r, status, body)
	}
	if changes == nil {
		changes = []koe.Change{} // the review's own change is still recorded
	}
	return changes, err
}

// setReply gives r's reply status (and body, when not nil), and returns
// the changes to record.
func (s *Store) setReply(ctx context.Context, tx pgx.Tx, r *koe.Review, status koe.Status, body *string) ([]koe.Change, error) {
	rep, err := scanReply(tx.QueryRow(ctx, `SELECT `+replyColumns+` FROM replies WHERE event_id = $1 AND id = $2 FOR UPDATE`,
		r.EventID, r.SubjectID))
	if err != nil {
		return nil, notFound(err, "reply")
	}
	delta := koe.ReplyCountDelta(rep.Status, status)
	if body != nil {
		rep.Body = *body
	}
	rep.Status = status
	if _, err := tx.Exec(ctx, `UPDATE replies SET status = $1, body = $2 WHERE id = $3`, string(status), rep.Body, rep.ID); err != nil {
		return nil, fmt.Errorf("update reply: %w", err)
	}
	_, changes, err := s.replied(ctx, tx, rep, koe.ReplyUpdated, delta)
	return changes, err
}
