package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// requirePasskey refuses to make a passkey the second factor of an
// account that has none (it could not sign in with its password any more).
func requirePasskey(tx *txn, accountID int64) error {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM passkeys WHERE account_id = ?`, accountID).Scan(&n); err != nil {
		return fmt.Errorf("count passkeys: %w", err)
	}
	if n == 0 {
		return koe.Errorf(koe.ECONFLICT, "register a passkey first: passkey_required needs at least one")
	}
	return nil
}

// PasskeyHandle implements koe.AccountStore.
func (s *Store) PasskeyHandle(ctx context.Context, accountID int64, gen func() []byte) ([]byte, error) {
	var handle []byte
	err := s.read.QueryRowContext(ctx, `SELECT handle FROM passkey_users WHERE account_id = ?`, accountID).Scan(&handle)
	if err == nil {
		return handle, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load passkey handle: %w", err)
	}
	err = s.writer.do(ctx, func(tx *txn) error {
		var one int
		if err := tx.QueryRow(`SELECT 1 FROM accounts WHERE id = ?`, accountID).Scan(&one); err != nil {
			return notFound(err, "account")
		}
		if _, err := tx.Exec(`INSERT INTO passkey_users (account_id, handle) VALUES (?, ?) ON CONFLICT (account_id) DO NOTHING`,
			accountID, gen()); err != nil {
			return fmt.Errorf("store passkey handle: %w", err)
		}
		return tx.QueryRow(`SELECT handle FROM passkey_users WHERE account_id = ?`, accountID).Scan(&handle)
	})
	return handle, err
}

// AccountByPasskeyHandle implements koe.AccountStore.
func (s *Store) AccountByPasskeyHandle(ctx context.Context, handle []byte) (*koe.Account, error) {
	a, err := scanAccount(s.read.QueryRowContext(ctx, `
		SELECT `+accountColumns+` FROM accounts
		WHERE id = (SELECT account_id FROM passkey_users WHERE handle = ?)`, handle))
	if err != nil {
		return nil, notFound(err, "account")
	}
	return a, nil
}

const passkeyColumns = `id, account_id, credential_id, rp_id, credential, name, sign_count, created_at, last_used_at`

func scanPasskey(row scanner) (*koe.Passkey, error) {
	var pk koe.Passkey
	var cred string
	var count int64
	err := row.Scan(&pk.ID, &pk.AccountID, &pk.CredentialID, &pk.RPID, &cred, &pk.Name, &count,
		timeDest{&pk.CreatedAt}, nullTimeDest{&pk.LastUsedAt})
	if err != nil {
		return nil, err
	}
	pk.Credential, pk.SignCount = []byte(cred), uint32(count)
	return &pk, nil
}

// CreatePasskey implements koe.AccountStore.
func (s *Store) CreatePasskey(ctx context.Context, pk *koe.Passkey) error {
	o := koe.OriginFrom(ctx, s.now)
	created := *pk
	err := s.writer.do(ctx, func(tx *txn) error {
		created = *pk
		created.CreatedAt, created.LastUsedAt = s.stamp(), nil
		err := tx.QueryRow(`
			INSERT INTO passkeys (account_id, credential_id, rp_id, credential, name, sign_count, created_at)
			SELECT id, ?, ?, ?, ?, ?, ? FROM accounts WHERE id = ?
			RETURNING id`,
			created.CredentialID, created.RPID, string(created.Credential), created.Name, int64(created.SignCount),
			micros(created.CreatedAt), created.AccountID,
		).Scan(&created.ID)
		if isUnique(err, "passkeys.credential_id") {
			return koe.Errorf(koe.ECONFLICT, "this passkey is registered already")
		}
		if err != nil {
			return notFound(err, "account")
		}
		return tx.record(o, created.Change(koe.PasskeyCreated, nil))
	})
	if err != nil {
		return err
	}
	*pk = created
	return nil
}

// Passkeys implements koe.AccountStore.
func (s *Store) Passkeys(ctx context.Context, accountID int64) ([]*koe.Passkey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return collect(rows, scanPasskey)
}

// RenamePasskey implements koe.AccountStore.
func (s *Store) RenamePasskey(ctx context.Context, accountID, id int64, name string) (*koe.Passkey, error) {
	o := koe.OriginFrom(ctx, s.now)
	var renamed *koe.Passkey
	err := s.writer.do(ctx, func(tx *txn) error {
		before, err := scanPasskey(tx.QueryRow(`SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = ? AND id = ?`, accountID, id))
		if err != nil {
			return notFound(err, "passkey")
		}
		pk := *before
		if renamed = &pk; pk.Name == name {
			return nil
		}
		pk.Name = name
		if _, err := tx.Exec(`UPDATE passkeys SET name = ? WHERE id = ?`, name, id); err != nil {
			return fmt.Errorf("rename passkey: %w", err)
		}
		return tx.record(o, pk.Change(koe.PasskeyUpdated, before))
	})
	if err != nil {
		return nil, err
	}
	return renamed, nil
}

// UsePasskey implements koe.AccountStore.
func (s *Store) UsePasskey(ctx context.Context, id int64, signCount uint32, credential []byte, at time.Time) error {
	return s.writer.do(ctx, func(tx *txn) error {
		r, err := tx.Exec(`
			UPDATE passkeys SET sign_count = ?, credential = ?, last_used_at = ?
			WHERE id = ? AND (sign_count < ? OR sign_count = 0 AND ? = 0)`,
			int64(signCount), string(credential), micros(at), id, int64(signCount), int64(signCount))
		if err != nil {
			return fmt.Errorf("use passkey: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return koe.Errorf(koe.ECONFLICT, "this passkey's signature counter did not advance: it may have been cloned")
		}
		return nil
	})
}

// DeletePasskey implements koe.AccountStore.
func (s *Store) DeletePasskey(ctx context.Context, accountID, id int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		pk, err := scanPasskey(tx.QueryRow(`DELETE FROM passkeys WHERE account_id = ? AND id = ? RETURNING `+passkeyColumns, accountID, id))
		if err != nil {
			return notFound(err, "passkey")
		}
		if err := tx.record(o, pk.Change(koe.PasskeyDeleted, pk)); err != nil {
			return err
		}
		// The last one gone, a password alone signs in again.
		a, err := scanAccount(tx.QueryRow(`
			SELECT `+accountColumns+` FROM accounts
			WHERE id = ? AND passkey_required = 1 AND NOT EXISTS (SELECT 1 FROM passkeys WHERE account_id = ?)`, accountID, accountID))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load account: %w", err)
		}
		before := *a
		a.PasskeyRequired, a.UpdatedAt = false, s.stamp()
		if _, err := tx.Exec(`UPDATE accounts SET passkey_required = 0, updated_at = ? WHERE id = ?`, micros(a.UpdatedAt), accountID); err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		return tx.record(o, a.Change(koe.AccountUpdated, &before))
	})
}

const ceremonyColumns = `id, hash, kind, account_id, session, created_at, expires_at`

func scanCeremony(row scanner) (*koe.PasskeyCeremony, error) {
	var c koe.PasskeyCeremony
	var session string
	err := row.Scan(&c.ID, &c.Hash, &c.Kind, &c.AccountID, &session, timeDest{&c.CreatedAt}, timeDest{&c.ExpiresAt})
	if err != nil {
		return nil, err
	}
	c.Session = []byte(session)
	return &c, nil
}

// CreatePasskeyCeremony implements koe.AccountStore.
func (s *Store) CreatePasskeyCeremony(ctx context.Context, c *koe.PasskeyCeremony, now time.Time) error {
	return s.writer.do(ctx, func(tx *txn) error {
		if _, err := tx.Exec(`DELETE FROM passkey_ceremonies WHERE expires_at <= ?`, micros(now)); err != nil {
			return fmt.Errorf("prune passkey ceremonies: %w", err)
		}
		c.CreatedAt = s.stamp()
		return tx.QueryRow(`
			INSERT INTO passkey_ceremonies (hash, kind, account_id, session, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			RETURNING id`,
			c.Hash, c.Kind, c.AccountID, string(c.Session), micros(c.CreatedAt), micros(c.ExpiresAt),
		).Scan(&c.ID)
	})
}

// ConsumePasskeyCeremony implements koe.AccountStore.
func (s *Store) ConsumePasskeyCeremony(ctx context.Context, hash []byte, now time.Time) (*koe.PasskeyCeremony, error) {
	var c *koe.PasskeyCeremony
	err := s.writer.do(ctx, func(tx *txn) error {
		var err error
		c, err = scanCeremony(tx.QueryRow(`DELETE FROM passkey_ceremonies WHERE hash = ? RETURNING `+ceremonyColumns, hash))
		if err != nil {
			return notFound(err, "passkey ceremony")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !now.Before(c.ExpiresAt) {
		return nil, koe.Errorf(koe.ENOTFOUND, "passkey ceremony not found")
	}
	return c, nil
}
