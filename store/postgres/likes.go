package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// A like or unlike is two statements sent together in one round trip, as
// one implicit transaction (a pgx batch ends with a single Sync).
//
// The first locks the question's row. Every like of the question takes the
// same lock, so they run one after the other and each sees the one before.
// The second statement, which starts after the lock is held and so reads
// everything committed before, changes the like row and, only if that row
// changed, the question's count and version: the count always equals the
// number of rows. (In one statement, an unlike could miss a like row
// committed while it waited for the lock: a statement reads the database as
// it was when the statement began.)
const lockQuestion = `SELECT 1 FROM questions WHERE id = $1 FOR NO KEY UPDATE`

// setLikeSQL returns the second statement, for a like or an unlike. Its
// parameters: event $1, talk $2, question $3, participant $4, time $5. Its
// row: hidden, participant found, likes, version, changed; no row if the
// question is not in the talk.
func setLikeSQL(like bool) string {
	change := `
		INSERT INTO likes (question_id, participant_id, created_at)
		SELECT id, $4, $5::timestamptz FROM target WHERE NOT hidden AND participant_found
		ON CONFLICT DO NOTHING
		RETURNING question_id`
	delta := `+ 1`
	if !like {
		change = `
		DELETE FROM likes
		WHERE question_id = (SELECT id FROM target WHERE NOT hidden AND participant_found)
			AND participant_id = $4
		RETURNING question_id`
		delta = `- 1`
	}
	return `
	WITH target AS (
		SELECT q.id, q.hidden, q.likes, q.version,
			EXISTS (SELECT 1 FROM participants p WHERE p.event_id = $1 AND p.id = $4) AS participant_found
		FROM questions q
		WHERE q.event_id = $1 AND q.talk_id = $2 AND q.id = $3
	), changed AS (` + change + `
	), bumped AS (
		UPDATE questions SET likes = likes ` + delta + `, version = version + 1,
			updated_at = GREATEST(updated_at, $5::timestamptz)
		WHERE id = (SELECT question_id FROM changed)
		RETURNING likes, version
	)
	SELECT t.hidden, t.participant_found,
		COALESCE(b.likes, t.likes), COALESCE(b.version, t.version), b.version IS NOT NULL
	FROM target t LEFT JOIN bumped b ON true`
}

var (
	likeSQL   = setLikeSQL(true)
	unlikeSQL = setLikeSQL(false)
)

// SetLike implements koe.Store.
func (s *Store) SetLike(ctx context.Context, eventID, talkID, questionID, participantID int64, like bool) (*koe.LikeResult, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	query := likeSQL
	if !like {
		query = unlikeSQL
	}
	var b pgx.Batch
	b.Queue(lockQuestion, questionID)
	b.Queue(query, eventID, talkID, questionID, participantID, s.stamp())
	br := s.pool.SendBatch(ctx, &b)

	res := koe.LikeResult{QuestionID: questionID, Liked: like}
	var hidden, participantFound bool
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&hidden, &participantFound, &res.Likes, &res.Version, &res.Changed)
	}
	// Close reads up to the end of the implicit transaction: only then is
	// the change committed, or known to have failed.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, s.fail(notFound(err, "question"))
	case hidden:
		return nil, koe.Errorf(koe.ENOTFOUND, "question not found")
	case !participantFound:
		return nil, koe.Errorf(koe.ENOTFOUND, "participant not found")
	}
	return &res, nil
}
