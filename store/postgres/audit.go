package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// RecordAudit implements koe.AuditStore.
func (s *Store) RecordAudit(ctx context.Context, changes []koe.Change) error {
	if len(changes) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for _, c := range changes {
			var before *string
			if c.Before != nil {
				b := string(c.Before)
				before = &b
			}
			batch.Queue(`
				INSERT INTO audit (tx, id, type, event_id, talk_id, at, actor_kind, actor_id, actor_via, actor_addr, visibility, data, before)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
				ON CONFLICT (tx, id) DO NOTHING`,
				c.Pos.Tx, c.Pos.ID, string(c.Type), c.EventID, c.TalkID, c.At,
				string(c.Actor.Kind), c.Actor.ID, c.Actor.Via, c.Actor.Addr, string(c.Visibility), string(c.Data), before)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("record audit: %w", err)
		}
		return nil
	})
}

// Audit implements koe.AuditStore.
func (s *Store) Audit(ctx context.Context, q koe.AuditQuery) ([]koe.Change, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.EventID != 0 {
		where = append(where, "o.event_id = "+arg(q.EventID))
	}
	if q.Actor != nil {
		where = append(where, "o.actor_kind = "+arg(string(q.Actor.Kind))+" AND o.actor_id = "+arg(q.Actor.ID))
	}
	if q.TypePrefix != "" {
		// starts_with, not LIKE: a prefix may hold LIKE's wildcards.
		where = append(where, "starts_with(o.type, "+arg(q.TypePrefix)+")")
	}
	if !q.Since.IsZero() {
		where = append(where, "o.at >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "o.at < "+arg(q.Until))
	}
	if q.Before != (koe.OutboxPos{}) {
		where = append(where, "(o.tx, o.id) < ("+arg(q.Before.Tx)+", "+arg(q.Before.ID)+")")
	}
	query := `SELECT o.tx, o.id, ` + changeColumns + ` FROM audit o`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query += " ORDER BY o.tx DESC, o.id DESC LIMIT " + arg(limit)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.fail(fmt.Errorf("read audit: %w", err))
	}
	defer rows.Close()
	var entries []koe.Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, s.fail(fmt.Errorf("read audit: %w", err))
		}
		entries = append(entries, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(fmt.Errorf("read audit: %w", err))
	}
	return entries, nil
}

// PruneAudit implements koe.AuditStore.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit WHERE at < $1`, before)
	if err != nil {
		return 0, s.fail(fmt.Errorf("prune audit: %w", err))
	}
	return tag.RowsAffected(), nil
}
