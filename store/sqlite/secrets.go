package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// Secret implements koe.Store.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var value []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load secret %s: %w", name, err)
	}

	fresh, err := gen()
	if err != nil {
		return nil, fmt.Errorf("generate secret %s: %w", name, err)
	}
	// Another caller, or another process, may have stored one meanwhile:
	// the first one stored wins and everybody reads it back.
	err = s.writer.do(ctx, func(tx *txn) error {
		_, err := tx.Exec(`
			INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`,
			name, fresh, micros(s.stamp()))
		if err != nil {
			return fmt.Errorf("store secret %s: %w", name, err)
		}
		if err := tx.QueryRow(`SELECT value FROM secrets WHERE name = ?`, name).Scan(&value); err != nil {
			return fmt.Errorf("load secret %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return value, nil
}

// CreateToken implements koe.Store.
func (s *Store) CreateToken(ctx context.Context, t *koe.Token) error {
	var (
		id  int64
		now time.Time
	)
	err := s.writer.do(ctx, func(tx *txn) error {
		now = s.stamp()
		err := tx.QueryRow(`
			INSERT INTO tokens (hash, role, label, created_at) VALUES (?, ?, ?, ?)
			RETURNING id`,
			t.Hash, t.Role, t.Label, micros(now),
		).Scan(&id)
		if isUnique(err, "tokens.hash") {
			return koe.Errorf(koe.ECONFLICT, "token already exists")
		}
		if err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.ID, t.CreatedAt = id, now
	return nil
}

// TokenByHash implements koe.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*koe.Token, error) {
	var t koe.Token
	err := s.read.QueryRowContext(ctx,
		`SELECT id, hash, role, label, created_at FROM tokens WHERE hash = ?`, hash,
	).Scan(&t.ID, &t.Hash, &t.Role, &t.Label, timeDest{&t.CreatedAt})
	if err != nil {
		return nil, notFound(err, "token")
	}
	return &t, nil
}

// CountTokens implements koe.Store.
func (s *Store) CountTokens(ctx context.Context, role koe.Role) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE role = ?`, role).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}
