package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// RecordAudit implements koe.AuditStore.
func (s *Store) RecordAudit(ctx context.Context, changes []koe.Change) error {
	if len(changes) == 0 {
		return nil
	}
	return s.writer.do(ctx, func(tx *txn) error {
		for _, c := range changes {
			_, err := tx.Exec(`
				INSERT INTO audit (tx, id, type, event_id, talk_id, at, actor_kind, actor_id, actor_via, actor_addr, visibility, data, before)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (tx, id) DO NOTHING`,
				c.Pos.Tx, c.Pos.ID, string(c.Type), c.EventID, c.TalkID, micros(c.At),
				string(c.Actor.Kind), c.Actor.ID, c.Actor.Via, c.Actor.Addr, string(c.Visibility),
				string(c.Data), nullString(string(c.Before)))
			if err != nil {
				return fmt.Errorf("record audit: %w", err)
			}
		}
		return nil
	})
}

// Audit implements koe.AuditStore.
func (s *Store) Audit(ctx context.Context, q koe.AuditQuery) ([]koe.Change, error) {
	var where []string
	var args []any
	if q.EventID != 0 {
		where, args = append(where, "event_id = ?"), append(args, q.EventID)
	}
	if q.Actor != nil {
		where, args = append(where, "actor_kind = ? AND actor_id = ?"), append(args, string(q.Actor.Kind), q.Actor.ID)
	}
	if q.TypePrefix != "" {
		// substr, not LIKE: a prefix may hold LIKE's wildcards.
		where, args = append(where, "substr(type, 1, ?) = ?"), append(args, len(q.TypePrefix), q.TypePrefix)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, micros(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, micros(q.Until))
	}
	if q.Before != (koe.OutboxPos{}) {
		where, args = append(where, "(tx, id) < (?, ?)"), append(args, q.Before.Tx, q.Before.ID)
	}
	query := `SELECT tx, id, ` + changeColumns + ` FROM audit`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, query+" ORDER BY tx DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	var entries []koe.Change
	for rows.Next() {
		var pos koe.OutboxPos
		c, err := scanChange(rows, &pos.Tx, &pos.ID)
		if err != nil {
			return nil, fmt.Errorf("read audit: %w", err)
		}
		c.Pos = pos
		entries = append(entries, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	return entries, nil
}

// PruneAudit implements koe.AuditStore.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.writer.do(ctx, func(tx *txn) error {
		r, err := tx.Exec(`DELETE FROM audit WHERE at < ?`, micros(before))
		if err != nil {
			return fmt.Errorf("prune audit: %w", err)
		}
		n, err = r.RowsAffected()
		return err
	})
	return n, err
}
