package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Secret implements koe.SecretStore.
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
