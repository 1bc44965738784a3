package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/koehq/koe"
)

// likeStmts are SetLike's statements, prepared once when the store opens:
// likes are most of the writes, and parsing SQL would otherwise be about
// half of the CPU each one costs the writer.
type likeStmts struct {
	check, insert, remove, bump, count *sql.Stmt
}

func prepareLikes(ctx context.Context, db *sql.DB) (*likeStmts, error) {
	var l likeStmts
	var err error
	prepare := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		return st
	}
	l.check = prepare(`
		SELECT q.hidden OR q.status <> 'approved',
			EXISTS (SELECT 1 FROM participants p WHERE p.event_id = q.event_id AND p.id = ?)
		FROM questions q WHERE q.event_id = ? AND q.talk_id = ? AND q.id = ?`)
	l.insert = prepare(`
		INSERT INTO likes (question_id, participant_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`)
	l.remove = prepare(`DELETE FROM likes WHERE question_id = ? AND participant_id = ?`)
	l.bump = prepare(`
		UPDATE questions SET likes = likes + ?, version = version + 1, updated_at = ?
		WHERE id = ?
		RETURNING likes, version`)
	l.count = prepare(`SELECT likes, version FROM questions WHERE id = ?`)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("prepare likes: %w", err), l.close())
	}
	return &l, nil
}

func (l *likeStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{l.check, l.insert, l.remove, l.bump, l.count} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// SetLike implements koe.Store. The like row and the question's count change
// in the same transaction, and only when the row did, so the count always
// equals the number of rows however many likes race. The batch records the
// question's count once, however many of its likes it holds.
func (s *Store) SetLike(ctx context.Context, eventID, talkID, questionID, participantID int64, like bool) (*koe.LikeResult, error) {
	res := koe.LikeResult{QuestionID: questionID, Liked: like}
	at := koe.OriginFrom(ctx, s.now).At
	err := s.writer.do(ctx, func(tx *txn) error {
		var hidden, participantFound bool
		err := tx.Stmt(s.likes.check).QueryRow(participantID, eventID, talkID, questionID).
			Scan(&hidden, &participantFound)
		switch {
		case err != nil:
			return notFound(err, "question")
		case hidden:
			return koe.Errorf(koe.ENOTFOUND, "question not found")
		case !participantFound:
			return koe.Errorf(koe.ENOTFOUND, "participant not found")
		}

		now := micros(s.stamp())
		var r sql.Result
		delta := 1
		if like {
			r, err = tx.Stmt(s.likes.insert).Exec(questionID, participantID, now)
		} else {
			delta = -1
			r, err = tx.Stmt(s.likes.remove).Exec(questionID, participantID)
		}
		if err != nil {
			return fmt.Errorf("set like: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("set like: %w", err)
		}
		res.Changed = n == 1

		if !res.Changed {
			if err := tx.Stmt(s.likes.count).QueryRow(questionID).Scan(&res.Likes, &res.Version); err != nil {
				return fmt.Errorf("count likes: %w", err)
			}
			return nil
		}
		if err := tx.Stmt(s.likes.bump).QueryRow(delta, now, questionID).Scan(&res.Likes, &res.Version); err != nil {
			return fmt.Errorf("count likes: %w", err)
		}
		tx.addLikes(eventID, talkID, koe.LikeCount{ID: questionID, Likes: res.Likes, Version: res.Version}, at)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}
