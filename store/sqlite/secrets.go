package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Secret implements koe.SecretStore.
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
