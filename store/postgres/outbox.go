package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/koehq/koe"
)

// The outbox (docs/architecture.md, "The outbox and its order"). Every
// write records its changes in its own transaction with record, which
// also NOTIFYs outboxChannel: PostgreSQL delivers the notification when
// the transaction commits, to every process listening.

const outboxChannel = "koe_outbox"

// recordChanges inserts changes made on behalf of o, and notifies the
// outbox's readers at commit, in one statement.
const recordChanges = `
	WITH ins AS (
		INSERT INTO outbox (type, event_id, talk_id, at, actor_kind, actor_id, actor_via, actor_addr, visibility, data, before)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[],
			$5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
		RETURNING 1
	)
	SELECT pg_notify('` + outboxChannel + `', '') FROM (SELECT 1 FROM ins LIMIT 1) AS one`

// record adds changes to the outbox within tx.
func record(ctx context.Context, tx pgx.Tx, o koe.Origin, changes ...koe.Change) error {
	n := len(changes)
	types, events, talks := make([]string, n), make([]int64, n), make([]int64, n)
	ats, kinds, actors := make([]time.Time, n), make([]string, n), make([]int64, n)
	vias, addrs := make([]string, n), make([]string, n)
	vis, data, before := make([]string, n), make([]string, n), make([]*string, n)
	for i, c := range changes {
		types[i], events[i], talks[i] = string(c.Type), c.EventID, c.TalkID
		ats[i], kinds[i], actors[i] = o.At, string(o.Actor.Kind), o.Actor.ID
		vias[i], addrs[i] = o.Actor.Via, o.Actor.Addr
		vis[i], data[i] = string(c.Visibility), string(c.Data)
		if c.Before != nil {
			b := string(c.Before)
			before[i] = &b
		}
	}
	if _, err := tx.Exec(ctx, recordChanges, types, events, talks, ats, kinds, actors, vias, addrs, vis, data, before); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	return nil
}

// changeColumns are a change's columns after its position, in the outbox
// (aliased o) and the audit log alike; scanChange reads them.
const changeColumns = `o.type, o.event_id, o.talk_id, o.at, o.actor_kind, o.actor_id, o.actor_via, o.actor_addr,
	o.visibility, o.data, COALESCE(o.before, '')`

// scanChange reads a row of its position, changeColumns, then extra.
func scanChange(row pgx.Row, extra ...any) (koe.Change, error) {
	var c koe.Change
	var typ, kind, vis, data, before string
	dest := append([]any{&c.Pos.Tx, &c.Pos.ID, &typ, &c.EventID, &c.TalkID, &c.At, &kind, &c.Actor.ID, &c.Actor.Via, &c.Actor.Addr, &vis, &data, &before}, extra...)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	utc(&c.At)
	c.Type, c.Actor.Kind, c.Visibility, c.Data = koe.ChangeType(typ), koe.ActorKind(kind), koe.Visibility(vis), []byte(data)
	if before != "" {
		c.Before = []byte(before)
	}
	return c, nil
}

// readChanges reads the changes after a position, each with whether it
// lies beyond the horizon: the oldest transaction still running. Rows of
// transactions older than that are final; the others sort after them.
const readChanges = `
	WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)
	SELECT o.txid, o.id, ` + changeColumns + `, o.txid >= h.xmin
	FROM outbox o, h
	WHERE (o.txid, o.id) > ($1, $2)
	ORDER BY o.txid, o.id
	LIMIT $3`

// Changes implements koe.Outbox.
func (s *Store) Changes(ctx context.Context, after koe.OutboxPos, limit int) ([]koe.Change, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, readChanges, after.Tx, after.ID, limit+1)
	if err != nil {
		return nil, false, s.fail(fmt.Errorf("read outbox: %w", err))
	}
	defer rows.Close()
	var changes []koe.Change
	more := false
	for rows.Next() {
		var beyond bool
		c, err := scanChange(rows, &beyond)
		if err != nil {
			return nil, false, s.fail(fmt.Errorf("read outbox: %w", err))
		}
		if beyond || len(changes) == limit {
			more = true
			break
		}
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, s.fail(fmt.Errorf("read outbox: %w", err))
	}
	return changes, more, nil
}

// OutboxHead implements koe.Outbox: just before the horizon. Every
// transaction older than it has ended, and every one still running or
// still to come is at the horizon or after it.
func (s *Store) OutboxHead(ctx context.Context) (koe.OutboxPos, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var horizon int64
	err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&horizon)
	if err != nil {
		return koe.OutboxPos{}, s.fail(fmt.Errorf("outbox head: %w", err))
	}
	return koe.OutboxPos{Tx: horizon - 1, ID: math.MaxInt64}, nil
}

// OutboxCursor implements koe.Outbox.
func (s *Store) OutboxCursor(ctx context.Context, consumer string) (koe.OutboxPos, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var pos koe.OutboxPos
	err := s.pool.QueryRow(ctx, `SELECT tx, id FROM outbox_cursors WHERE consumer = $1`, consumer).Scan(&pos.Tx, &pos.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return pos, false, nil
	}
	if err != nil {
		return pos, false, s.fail(fmt.Errorf("load outbox cursor %s: %w", consumer, err))
	}
	return pos, true, nil
}

// SaveOutboxCursor implements koe.Outbox.
func (s *Store) SaveOutboxCursor(ctx context.Context, consumer string, pos koe.OutboxPos) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `
		INSERT INTO outbox_cursors (consumer, tx, id, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (consumer) DO UPDATE SET tx = excluded.tx, id = excluded.id, updated_at = excluded.updated_at`,
		consumer, pos.Tx, pos.ID, s.stamp())
	if err != nil {
		return s.fail(fmt.Errorf("save outbox cursor %s: %w", consumer, err))
	}
	return nil
}

// PruneOutbox implements koe.Outbox.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time, upTo koe.OutboxPos) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE (txid, id) <= ($1, $2) AND at < $3`, upTo.Tx, upTo.ID, before)
	if err != nil {
		return 0, s.fail(fmt.Errorf("prune outbox: %w", err))
	}
	return tag.RowsAffected(), nil
}

// OutboxWritten implements koe.Outbox.
func (s *Store) OutboxWritten() <-chan struct{} {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.written
}

// committed runs after a write that recorded changes has committed.
func (s *Store) committed(types ...koe.ChangeType) {
	if s.onCommit != nil {
		s.onCommit(types)
	}
}

func (s *Store) wake() {
	s.wmu.Lock()
	close(s.written)
	s.written = make(chan struct{})
	s.wmu.Unlock()
}

// listen follows outboxChannel on a connection of its own until the store
// closes, and wakes the outbox's readers at each notification. A lost
// connection wakes them too (a notification may have been missed), and is
// made again after a second.
func (s *Store) listen(ctx context.Context) {
	defer close(s.listening)
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.wake()
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection ends up listening: it never goes back to the pool.
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		return err
	}
	s.wake() // changes may have been recorded before LISTEN took effect
	for {
		if _, err := pc.WaitForNotification(ctx); err != nil {
			return err
		}
		s.wake()
	}
}

// leaseKey is the advisory lock key of a lease name.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("koe lease " + name))
	return int64(h.Sum64())
}

// leaseCheck is how often a held lease's connection is checked: when it is
// lost, so is the lock, and another process may take the lease.
const leaseCheck = time.Second

// Lead implements koe.Outbox with a session advisory lock, held on a
// connection of its own for as long as the lease is held. When the
// process dies its connection closes and PostgreSQL frees the lock.
func (s *Store) Lead(ctx context.Context, name string) (context.Context, func(), error) {
	key := leaseKey(name)
	for {
		conn, err := s.tryLock(ctx, key)
		if err != nil && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if conn != nil {
			held, cancel := context.WithCancel(context.Background())
			var once sync.Once
			done := make(chan struct{})
			release := func() {
				once.Do(func() {
					cancel()
					<-done
				})
			}
			go s.holdLease(held, cancel, conn, key, done)
			return held, release, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(leaseCheck):
		}
	}
}

// tryLock takes the lock on a connection of the pool, or returns nil if
// another session holds it.
func (s *Store) tryLock(ctx context.Context, key int64) (*pgxpool.Conn, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		conn.Hijack().Close(context.Background())
		return nil, err
	}
	if !got {
		conn.Release()
		return nil, nil
	}
	return conn, nil
}

// holdLease checks the lease's connection until held ends or the
// connection fails, then gives the lock up.
func (s *Store) holdLease(held context.Context, lost context.CancelFunc, conn *pgxpool.Conn, key int64, done chan struct{}) {
	defer close(done)
	defer lost()
	t := time.NewTicker(leaseCheck)
	defer t.Stop()
	for {
		select {
		case <-held.Done():
			ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
			_, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key)
			cancel()
			if err != nil {
				conn.Hijack().Close(context.Background())
				return
			}
			conn.Release()
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(held, pingTimeout)
			err := conn.Ping(ctx)
			cancel()
			if err != nil && held.Err() == nil {
				// The lock went with the connection, or soon will.
				conn.Hijack().Close(context.Background())
				return
			}
		}
	}
}
