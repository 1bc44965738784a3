package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/likes"
)

// The outbox: every write records its changes with record, in its own
// savepoint, so a write that fails records nothing. SQLite has one writer,
// so ids grow in commit order and a position is just the id.

const insertChange = `
	INSERT INTO outbox (type, event_id, talk_id, at, actor_kind, actor_id, actor_via, actor_addr, visibility, data, before)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// record adds changes made on behalf of o to the outbox.
func (tx *txn) record(o koe.Origin, changes ...koe.Change) error {
	for _, c := range changes {
		_, err := tx.Stmt(tx.store.record).Exec(string(c.Type), c.EventID, c.TalkID, micros(o.At),
			string(o.Actor.Kind), o.Actor.ID, o.Actor.Via, o.Actor.Addr, string(c.Visibility), string(c.Data), nullString(string(c.Before)))
		if err != nil {
			return fmt.Errorf("record %s: %w", c.Type, err)
		}
		tx.recorded = append(tx.recorded, c.Type)
	}
	return nil
}

// addLikes notes the count a like left; the writer records each
// question's last count of a batch (see recordLikes).
func (tx *txn) addLikes(eventID, talkID int64, c koe.LikeCount, at time.Time) {
	if tx.likes == nil {
		tx.likes = make(map[int64]likes.Count)
	}
	n := likes.Count{EventID: eventID, TalkID: talkID, Count: c, At: at}
	if cur, ok := tx.likes[c.ID]; ok {
		n = likes.Merge(cur, n)
	}
	tx.likes[c.ID] = n
}

// recordLikes records the like counts whose turn has come (see package
// likes): the batch's own, and those that waited; the others wait. It
// returns the questions it recorded, for the log once the batch commits.
func (tx *txn) recordLikes(log *likes.Log, now time.Time, all bool) ([]int64, error) {
	ids := make([]int64, 0, len(tx.likes))
	for id := range tx.likes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var due []likes.Count
	for _, id := range ids {
		c := tx.likes[id]
		if waiting, ok := log.Take(id); ok {
			c = likes.Merge(waiting, c)
		}
		if all || log.Turn(id, now) {
			due = append(due, c)
		} else {
			log.Wait(c)
		}
	}
	due = append(due, log.Due(now, all)...)
	recorded := make([]int64, 0, len(due))
	for _, c := range due {
		if err := tx.record(c.Origin(), c.Change()); err != nil {
			return nil, err
		}
		recorded = append(recorded, c.Count.ID)
	}
	return recorded, nil
}

// committed runs after a batch that recorded changes is durable: the
// commit hook, then every reader waiting in OutboxWritten wakes.
func (s *Store) committed(recorded []koe.ChangeType) {
	if s.onCommit != nil {
		s.onCommit(recorded)
	}
	s.wmu.Lock()
	close(s.written)
	s.written = make(chan struct{})
	s.wmu.Unlock()
}

// OutboxWritten implements koe.Outbox.
func (s *Store) OutboxWritten() <-chan struct{} {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.written
}

// changeColumns are a change's columns after its position, in the outbox
// and the audit log alike; scanChange reads them.
const changeColumns = `type, event_id, talk_id, at, actor_kind, actor_id, actor_via, actor_addr, visibility, data, COALESCE(before, '')`

const readChanges = `SELECT id, ` + changeColumns + ` FROM outbox WHERE id > ? ORDER BY id LIMIT ?`

// scanChange reads a row of pos (the destinations of the position's
// columns) followed by changeColumns.
func scanChange(row scanner, pos ...any) (koe.Change, error) {
	var c koe.Change
	var typ, kind, vis, data, before string
	dest := append(pos, &typ, &c.EventID, &c.TalkID, timeDest{&c.At}, &kind, &c.Actor.ID, &c.Actor.Via, &c.Actor.Addr, &vis, &data, &before)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	c.Type, c.Actor.Kind, c.Visibility, c.Data = koe.ChangeType(typ), koe.ActorKind(kind), koe.Visibility(vis), []byte(data)
	if before != "" {
		c.Before = []byte(before)
	}
	return c, nil
}

// Changes implements koe.Outbox.
func (s *Store) Changes(ctx context.Context, after koe.OutboxPos, limit int) ([]koe.Change, bool, error) {
	rows, err := s.changes.QueryContext(ctx, after.ID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var changes []koe.Change
	for rows.Next() {
		var id int64
		c, err := scanChange(rows, &id)
		if err != nil {
			return nil, false, fmt.Errorf("read outbox: %w", err)
		}
		c.Pos.ID = id
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read outbox: %w", err)
	}
	if len(changes) > limit {
		return changes[:limit], true, nil
	}
	return changes, false, nil
}

// OutboxHead implements koe.Outbox.
func (s *Store) OutboxHead(ctx context.Context) (koe.OutboxPos, error) {
	var head koe.OutboxPos
	// sqlite_sequence keeps the last id even when pruning emptied the table.
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)`).Scan(&head.ID)
	if err != nil {
		return head, fmt.Errorf("outbox head: %w", err)
	}
	return head, nil
}

// OutboxCursor implements koe.Outbox.
func (s *Store) OutboxCursor(ctx context.Context, consumer string) (koe.OutboxPos, bool, error) {
	var pos koe.OutboxPos
	err := s.read.QueryRowContext(ctx, `SELECT tx, id FROM outbox_cursors WHERE consumer = ?`, consumer).Scan(&pos.Tx, &pos.ID)
	if err == sql.ErrNoRows {
		return pos, false, nil
	}
	if err != nil {
		return pos, false, fmt.Errorf("load outbox cursor %s: %w", consumer, err)
	}
	return pos, true, nil
}

// SaveOutboxCursor implements koe.Outbox.
func (s *Store) SaveOutboxCursor(ctx context.Context, consumer string, pos koe.OutboxPos) error {
	return s.writer.do(ctx, func(tx *txn) error {
		_, err := tx.Exec(`
			INSERT INTO outbox_cursors (consumer, tx, id, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (consumer) DO UPDATE SET tx = excluded.tx, id = excluded.id, updated_at = excluded.updated_at`,
			consumer, pos.Tx, pos.ID, micros(s.stamp()))
		if err != nil {
			return fmt.Errorf("save outbox cursor %s: %w", consumer, err)
		}
		return nil
	})
}

// pruneChunk bounds one pruning write, so that pruning a big backlog never
// holds the writer (and every caller waiting on it) for long.
const pruneChunk = 5000

// PruneOutbox implements koe.Outbox.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time, upTo koe.OutboxPos) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.writer.do(ctx, func(tx *txn) error {
			r, err := tx.Exec(`
				DELETE FROM outbox WHERE id IN (
					SELECT id FROM outbox WHERE id <= ? AND at < ? ORDER BY id LIMIT ?)`,
				upTo.ID, micros(before), pruneChunk)
			if err != nil {
				return fmt.Errorf("prune outbox: %w", err)
			}
			n, err = r.RowsAffected()
			return err
		})
		total += n
		if err != nil || n < pruneChunk {
			return total, err
		}
	}
}

// Lead implements koe.Outbox: one process uses a SQLite file, so the lease
// only keeps the callers of this process apart.
func (s *Store) Lead(ctx context.Context, name string) (context.Context, func(), error) {
	s.leaseMu.Lock()
	lease := s.leases[name]
	if lease == nil {
		lease = make(chan struct{}, 1)
		s.leases[name] = lease
	}
	s.leaseMu.Unlock()
	select {
	case lease <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	held, cancel := context.WithCancel(context.Background())
	var once sync.Once
	release := func() {
		once.Do(func() {
			cancel()
			<-lease
		})
	}
	return held, release, nil
}
