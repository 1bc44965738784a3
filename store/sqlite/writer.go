package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/batch"
	"github.com/koehq/koe/internal/likes"
)

// maxBatch bounds how many writes share one transaction, so that a burst
// cannot make a single batch (and the wait of its first caller) unbounded.
const maxBatch = 256

// A writeOp is one caller's write. fn runs inside the batch transaction
// under its own savepoint; done receives its outcome after the commit.
type writeOp struct {
	fn   func(tx *txn) error
	done chan error
}

// txn is a batch's transaction as each write in it sees it: the SQL
// transaction, and the changes the batch's writes have recorded so far
// (see outbox.go). Only the writer goroutine uses it.
type txn struct {
	*sql.Tx
	store *Store
	// recorded lists the types of the changes recorded by the writes that
	// succeeded so far and by the write running now.
	recorded []koe.ChangeType
	// likes holds, per question, the like count the likes of this batch
	// left (see recordLikes).
	likes map[int64]likes.Count
}

// writer is the only goroutine that writes to the database. Each commit
// costs an fsync, so it commits every write waiting at that moment in one
// transaction: under load many callers share one fsync, and a lone write
// waits for nobody.
type writer struct {
	store   *Store
	db      *sql.DB // one connection, used by run alone
	ops     chan *writeOp
	quit    chan struct{}
	stopped chan struct{}
	likes   *likes.Log // owned by run
	closing bool       // the last batch records every waiting like count
}

func startWriter(s *Store, db *sql.DB) *writer {
	w := &writer{
		store:   s,
		db:      db,
		ops:     make(chan *writeOp),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
		likes:   likes.NewLog(),
	}
	go w.run()
	return w
}

// do runs fn in the next batch and returns its result once that batch is
// durable. ctx bounds only the wait for a place in a batch: after that the
// write may commit with the others, so the caller must learn its outcome.
// fn must not publish anything outside its transaction; callers read what
// fn computed only when do returns nil.
func (w *writer) do(ctx context.Context, fn func(tx *txn) error) error {
	op := &writeOp{fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- op:
		return <-op.done
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errClosed
	}
}

// close stops the writer once the writes already handed over are done.
func (w *writer) close() {
	close(w.quit)
	<-w.stopped
}

func (w *writer) run() {
	defer close(w.stopped)
	group := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case op := <-w.ops:
			group = batch.Gather(w.ops, append(group[:0], op), maxBatch)
			w.commit(group)
		case <-w.likes.C():
			w.commit(nil) // record the like counts that have waited their turn
		case <-w.quit:
			// Callers racing with close may still have handed over a write.
			group = batch.Gather(w.ops, group[:0], maxBatch)
			w.closing = true
			w.commit(group)
			return
		}
	}
}

// commit runs batch in one transaction and answers every caller. A failed
// write is rolled back to its savepoint alone; a failed commit fails all.
// Once the batch is durable, the outbox's readers are woken if it
// recorded changes.
func (w *writer) commit(batch []*writeOp) {
	errs := make([]error, len(batch))
	recorded, err := w.exec(batch, errs)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
	}
	if len(recorded) > 0 {
		w.store.committed(recorded)
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

func (w *writer) exec(batch []*writeOp, errs []error) (_ []koe.ChangeType, err error) {
	// Not a caller's context: one caller giving up must not abort a
	// transaction that holds the writes of others.
	sqlTx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback() // the error that matters is err
		}
	}()
	tx := &txn{Tx: sqlTx, store: w.store}
	for i, op := range batch {
		if _, err := tx.Exec("SAVEPOINT op"); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
		before := len(tx.recorded)
		if errs[i] = op.fn(tx); errs[i] != nil {
			tx.recorded = tx.recorded[:before]
			if _, err := tx.Exec("ROLLBACK TO op"); err != nil {
				return nil, fmt.Errorf("rollback to savepoint: %w", err)
			}
		}
		if _, err := tx.Exec("RELEASE op"); err != nil {
			return nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	now := time.Now()
	liked, err := tx.recordLikes(w.likes, now, w.closing)
	if err != nil {
		w.likes.Reset(now)
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		w.likes.Reset(now)
		return nil, fmt.Errorf("commit: %w", err)
	}
	w.likes.Recorded(liked, now)
	return tx.recorded, nil
}

var errClosed = koe.Errorf(koe.EUNAVAILABLE, "store is closed")
