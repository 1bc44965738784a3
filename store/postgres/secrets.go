package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// Secret implements koe.Store.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const load = `SELECT value FROM secrets WHERE name = $1`
	var value []byte
	err := s.pool.QueryRow(ctx, load, name).Scan(&value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, s.fail(fmt.Errorf("load secret %s: %w", name, err))
	}

	fresh, err := gen()
	if err != nil {
		return nil, fmt.Errorf("generate secret %s: %w", name, err)
	}
	// Another caller, or another process, may have stored one meanwhile:
	// the first one stored wins and everybody reads it back. The INSERT
	// waits for a competing uncommitted one, and the SELECT, a statement of
	// its own, sees whichever committed.
	_, err = s.pool.Exec(ctx, `
		INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`,
		name, fresh, s.stamp())
	if err != nil {
		return nil, s.fail(fmt.Errorf("store secret %s: %w", name, err))
	}
	if err := s.pool.QueryRow(ctx, load, name).Scan(&value); err != nil {
		return nil, s.fail(fmt.Errorf("load secret %s: %w", name, err))
	}
	return value, nil
}

// CreateToken implements koe.Store.
func (s *Store) CreateToken(ctx context.Context, t *koe.Token) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	now := s.stamp()
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO tokens (hash, role, label, created_at) VALUES ($1, $2, $3, $4)
		RETURNING id`,
		t.Hash, t.Role, t.Label, now,
	).Scan(&id)
	if isUnique(err, "tokens_hash_key") {
		return koe.Errorf(koe.ECONFLICT, "token already exists")
	}
	if err != nil {
		return s.fail(fmt.Errorf("insert token: %w", err))
	}
	t.ID, t.CreatedAt = id, now
	return nil
}

// TokenByHash implements koe.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*koe.Token, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t koe.Token
	err := s.pool.QueryRow(ctx,
		`SELECT id, hash, role, label, created_at FROM tokens WHERE hash = $1`, hash,
	).Scan(&t.ID, &t.Hash, &t.Role, &t.Label, &t.CreatedAt)
	if err != nil {
		return nil, s.fail(notFound(err, "token"))
	}
	utc(&t.CreatedAt)
	return &t, nil
}

// CountTokens implements koe.Store.
func (s *Store) CountTokens(ctx context.Context, role koe.Role) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE role = $1`, role).Scan(&n)
	if err != nil {
		return 0, s.fail(fmt.Errorf("count tokens: %w", err))
	}
	return n, nil
}
