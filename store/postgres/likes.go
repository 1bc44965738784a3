package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/batch"
	"github.com/koehq/koe/internal/likes"
)

// Likes are most of the writes, and each commit waits for a WAL flush while
// it holds its question's row lock: one transaction per like would cap a
// question at one like per flush, and the server at a few thousand. So, as
// store/sqlite does, likes are committed in groups by one goroutine: the
// likes waiting at a moment go in one transaction, sent in one round trip
// (a pgx batch is one implicit transaction, ending with a single Sync), and
// are answered once it has committed. Alone, a like waits for nobody.
//
// A group is two statements, whatever its size. The first locks the rows of
// its questions, in ascending id order so that the groups of several
// processes never deadlock (every other write locks one question at most).
// Every write to a question's likes takes that lock, in every process, so
// groups take turns on a question and each sees the ones before. The
// second, which starts once the locks are held and so reads everything
// committed before, applies the group's likes in their order: it works out
// for each like whether it changes its participant's state and the
// question's count and version just after it, then inserts and deletes the
// like rows that changed and updates each question once. The count always
// equals the number of rows, and each like's answer is what it would have
// been alone. (Locking in a statement of its own matters: a statement reads
// the database as it was when it began, so one that also waited for the
// locks could miss a like row committed meanwhile.)
//
// Per like, the server's work is then a few index lookups and the change of
// one row; the statements, the commit and its flush are paid once a group.
const maxLikeBatch = 256

const lockQuestions = `SELECT id FROM questions WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`

// applyLikes applies a group of likes, given as arrays, one element per
// like in the order they are applied: event, talk, question, participant,
// asked state, time. It returns one row per like, in that order: whether
// its question is in the talk, hidden, whether the participant is of the
// event, and, for a like that applies, the question's likes and version
// just after it and whether it changed anything.
const applyLikes = `
	WITH op AS (
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
			$5::boolean[], $6::timestamptz[])
			WITH ORDINALITY AS op (event_id, talk_id, question_id, participant_id, liked, at, ord)
	), target AS (
		-- Each lookup is a subquery run per like, so that it is an index
		-- lookup whatever the planner thinks of the tables' sizes.
		SELECT op.*, q.id IS NOT NULL AS found, COALESCE(q.hidden, false) AS hidden,
			q.likes AS base_likes, q.version AS base_version,
			(SELECT true FROM participants p
				WHERE p.id = op.participant_id AND p.event_id = op.event_id) IS NOT NULL AS participant_found,
			(SELECT true FROM likes l
				WHERE l.question_id = op.question_id AND l.participant_id = op.participant_id) IS NOT NULL AS had
		FROM op
		LEFT JOIN LATERAL (
			SELECT q.id, q.hidden OR q.status <> 'approved' AS hidden, q.likes, q.version FROM questions q
			WHERE q.id = op.question_id AND q.event_id = op.event_id AND q.talk_id = op.talk_id
			OFFSET 0
		) q ON true
	), step AS (
		-- The likes that apply, each changing its participant's state if
		-- that differs from the state left by the one before.
		SELECT t.ord, t.question_id, t.participant_id, t.liked, t.at, t.had,
			t.liked <> COALESCE(lag(t.liked) OVER (PARTITION BY t.question_id, t.participant_id ORDER BY t.ord), t.had) AS changed
		FROM target t
		WHERE t.found AND NOT t.hidden AND t.participant_found
	), counted AS (
		SELECT s.ord, s.changed,
			sum(CASE WHEN NOT s.changed THEN 0 WHEN s.liked THEN 1 ELSE -1 END)
				OVER (PARTITION BY s.question_id ORDER BY s.ord) AS delta,
			count(*) FILTER (WHERE s.changed) OVER (PARTITION BY s.question_id ORDER BY s.ord) AS changes
		FROM step s
	), final AS (
		-- The last change of each participant that changed: its state
		-- after the group, which needs a row inserted or deleted unless it
		-- was already the state before.
		SELECT DISTINCT ON (question_id, participant_id) question_id, participant_id, liked, had, at
		FROM step
		WHERE changed
		ORDER BY question_id, participant_id, ord DESC
	), inserted AS (
		INSERT INTO likes (question_id, participant_id, created_at)
		SELECT question_id, participant_id, at FROM final WHERE liked AND NOT had
	), deleted AS (
		DELETE FROM likes l USING final f
		WHERE l.question_id = f.question_id AND l.participant_id = f.participant_id
			AND f.had AND NOT f.liked
	), bumped AS (
		UPDATE questions q
		SET likes = q.likes + t.delta, version = q.version + t.changes,
			updated_at = GREATEST(q.updated_at, t.at)
		FROM (
			SELECT question_id,
				sum(CASE WHEN NOT changed THEN 0 WHEN liked THEN 1 ELSE -1 END) AS delta,
				count(*) FILTER (WHERE changed) AS changes,
				max(at) FILTER (WHERE changed) AS at,
				min(at) FILTER (WHERE changed) AS first
			FROM step
			GROUP BY question_id
			HAVING bool_or(changed)
		) t
		WHERE q.id = t.question_id
		RETURNING q.id, q.event_id, q.talk_id, q.likes, q.version, t.first
	), recorded AS (
		-- One change per question whose turn has come ($7, see package
		-- likes): the count the group left (koe.LikeCount, encoded as koe
		-- encodes it), at the earliest of its likes.
		INSERT INTO outbox (type, event_id, talk_id, at, actor_kind, actor_id, visibility, data)
		SELECT 'question.likes', b.event_id, b.talk_id, b.first, 'participant', 0, 'public',
			format('{"id":%s,"likes":%s,"version":%s}', b.id, b.likes, b.version)
		FROM bumped b
		WHERE b.id = ANY($7::bigint[])
		ORDER BY b.id
	)
	-- base_likes and base_version are the question's as this statement
	-- found it: its own changes are not visible here.
	SELECT t.found, t.hidden, t.participant_found,
		COALESCE(t.base_likes + c.delta, 0), COALESCE(t.base_version + c.changes, 0), COALESCE(c.changed, false)
	FROM target t
	LEFT JOIN counted c ON c.ord = t.ord
	ORDER BY t.ord`

// SetLike implements koe.Store.
func (s *Store) SetLike(ctx context.Context, eventID, talkID, questionID, participantID int64, like bool) (*koe.LikeResult, error) {
	op := &likeOp{
		eventID: eventID, talkID: talkID, questionID: questionID, participantID: participantID,
		at:   koe.OriginFrom(ctx, s.now).At.UTC().Truncate(time.Microsecond),
		res:  koe.LikeResult{QuestionID: questionID, Liked: like},
		done: make(chan struct{}),
	}
	if err := s.likes.do(ctx, op); err != nil {
		return nil, s.fail(err)
	}
	switch {
	case !op.found:
		return nil, koe.Errorf(koe.ENOTFOUND, "question not found")
	case op.hidden:
		return nil, koe.Errorf(koe.ENOTFOUND, "question not found")
	case !op.participantFound:
		return nil, koe.Errorf(koe.ENOTFOUND, "participant not found")
	}
	return &op.res, nil
}

// A likeOp is one caller's like or unlike, and its outcome.
type likeOp struct {
	eventID, talkID, questionID, participantID int64
	at                                         time.Time // when the like was asked for

	res                             koe.LikeResult // Liked is the asked state
	found, hidden, participantFound bool
	err                             error
	done                            chan struct{} // closed once the outcome is known
}

// likeWriter commits likes in groups; see the top of this file.
type likeWriter struct {
	s       *Store
	ops     chan *likeOp
	quit    chan struct{}
	stopped chan struct{}
	// log holds the counts that wait for their turn in the outbox (see
	// package likes); owned by run.
	log *likes.Log
}

func startLikeWriter(s *Store) *likeWriter {
	w := &likeWriter{s: s, ops: make(chan *likeOp), quit: make(chan struct{}), stopped: make(chan struct{}), log: likes.NewLog()}
	go w.run()
	return w
}

// do hands op to the writer and waits for its outcome. ctx bounds only the
// wait for a place in a group: after that the like may commit with the
// others, so the caller must learn its outcome.
func (w *likeWriter) do(ctx context.Context, op *likeOp) error {
	select {
	case w.ops <- op:
		<-op.done
		return op.err
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errClosed()
	}
}

// close stops the writer once the likes already handed over are done.
func (w *likeWriter) close() {
	close(w.quit)
	<-w.stopped
}

func (w *likeWriter) run() {
	defer close(w.stopped)
	group := make([]*likeOp, 0, maxLikeBatch)
	for {
		select {
		case op := <-w.ops:
			group = batch.Gather(w.ops, append(group[:0], op), maxLikeBatch)
			w.commit(group)
		case <-w.log.C():
			w.recordWaiting(false)
		case <-w.quit:
			// Callers racing with close may still have handed over a like.
			if group = batch.Gather(w.ops, group[:0], maxLikeBatch); len(group) > 0 {
				w.commit(group)
			}
			w.recordWaiting(true)
			return
		}
	}
}

// commit runs batch in one transaction and answers every caller. If the
// server refused a statement, the whole transaction was rolled back: then
// each like runs again alone, so that only its own caller sees its failure.
// Any other failure leaves the outcome unknown (the commit may have been
// lost on its way back), and every caller gets it.
func (w *likeWriter) commit(batch []*likeOp) {
	// Not a caller's context: one caller giving up must not abort a
	// transaction that holds the likes of others.
	ctx, cancel := w.s.bound(context.Background())
	defer cancel()
	slices.SortStableFunc(batch, func(a, b *likeOp) int { return cmp.Compare(a.questionID, b.questionID) })
	now := time.Now()
	// The group's questions whose turn has come get their count recorded
	// by the group's own statement.
	var turn []int64
	for i, op := range batch {
		if (i == 0 || batch[i-1].questionID != op.questionID) && w.log.Turn(op.questionID, now) {
			turn = append(turn, op.questionID)
		}
	}
	err := w.exec(ctx, batch, turn)
	var refused *pgconn.PgError
	if len(batch) > 1 && errors.As(err, &refused) && !isUnavailable(err) {
		turn = nil
		for _, op := range batch {
			op.err = w.exec(ctx, []*likeOp{op}, nil)
		}
	} else {
		for _, op := range batch {
			op.err = err
		}
	}
	// Each question the group changed: its count after the group (that of
	// its last like, changed or not) is recorded now, or waits.
	var recorded []int64
	for start := 0; start < len(batch); {
		end, changed, first := start, false, time.Time{}
		var last *likeOp
		for ; end < len(batch) && batch[end].questionID == batch[start].questionID; end++ {
			if op := batch[end]; op.err == nil {
				last = op
				if op.res.Changed {
					changed = true
					if first.IsZero() {
						first = op.at
					}
				}
			}
		}
		start = end
		if !changed {
			continue
		}
		c := likes.Count{EventID: last.eventID, TalkID: last.talkID, At: first,
			Count: koe.LikeCount{ID: last.questionID, Likes: last.res.Likes, Version: last.res.Version}}
		if waiting, ok := w.log.Take(last.questionID); ok {
			c = likes.Merge(waiting, c)
		}
		if slices.Contains(turn, last.questionID) {
			recorded = append(recorded, last.questionID)
		} else {
			w.log.Wait(c)
		}
	}
	if len(recorded) > 0 {
		w.s.committed(koe.QuestionLikes)
	}
	w.log.Recorded(recorded, now)
	for _, op := range batch {
		close(op.done)
	}
}

// recordWaiting records the waiting counts whose turn has come (all of
// them when closing), in a transaction of their own.
func (w *likeWriter) recordWaiting(all bool) {
	now := time.Now()
	due := w.log.Due(now, all)
	if len(due) == 0 {
		w.log.Arm(now)
		return
	}
	ids := make([]int64, len(due))
	err := w.s.inTx(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		for i, c := range due {
			ids[i] = c.Count.ID
			if err := record(ctx, tx, c.Origin(), c.Change()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		slog.Warn("like counts not recorded in the outbox; trying again", "error", err)
		for _, c := range due {
			w.log.Wait(c)
		}
		ids = nil
	} else {
		w.s.committed(koe.QuestionLikes)
	}
	w.log.Recorded(ids, now)
}

// exec runs batch, sorted by question, as one transaction in one round
// trip, recording the counts of the questions turn.
func (w *likeWriter) exec(ctx context.Context, batch []*likeOp, turn []int64) error {
	var (
		questions                 []int64 // distinct, ascending
		events, talks, qs, people = make([]int64, len(batch)), make([]int64, len(batch)), make([]int64, len(batch)), make([]int64, len(batch))
		liked                     = make([]bool, len(batch))
		at                        = make([]time.Time, len(batch))
	)
	for i, op := range batch {
		if n := len(questions); n == 0 || questions[n-1] != op.questionID {
			questions = append(questions, op.questionID)
		}
		events[i], talks[i], qs[i], people[i] = op.eventID, op.talkID, op.questionID, op.participantID
		liked[i], at[i] = op.res.Liked, op.at
	}
	var b pgx.Batch
	b.Queue(lockQuestions, questions)
	b.Queue(applyLikes, events, talks, qs, people, liked, at, turn)
	if len(turn) > 0 {
		b.Queue(`SELECT pg_notify('` + outboxChannel + `', '')`)
	}
	br := w.s.likePool.SendBatch(ctx, &b)
	err := func() error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		i := 0
		for ; rows.Next(); i++ {
			if i == len(batch) {
				return fmt.Errorf("apply likes: more rows than likes")
			}
			op := batch[i]
			if err := rows.Scan(&op.found, &op.hidden, &op.participantFound,
				&op.res.Likes, &op.res.Version, &op.res.Changed); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if i != len(batch) {
			return fmt.Errorf("apply likes: %d rows for %d likes", i, len(batch))
		}
		return nil
	}()
	// Close reads up to the end of the implicit transaction: only then is
	// the group committed, or known to have failed.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}
