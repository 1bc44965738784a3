package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// requirePasskey refuses to make a passkey the second factor of an
// account that has none (it could not sign in with its password any
// more). The caller holds the account's row lock, which DeletePasskey
// takes too.
func requirePasskey(ctx context.Context, tx pgx.Tx, accountID int64) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM passkeys WHERE account_id = $1`, accountID).Scan(&n); err != nil {
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
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT handle FROM passkey_users WHERE account_id = $1`, accountID).Scan(&handle)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load passkey handle: %w", err)
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1`, accountID).Scan(&one); err != nil {
			return notFound(err, "account")
		}
		// Two replicas making one at once: the first one stays.
		if _, err := tx.Exec(ctx, `INSERT INTO passkey_users (account_id, handle) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING`,
			accountID, gen()); err != nil {
			return fmt.Errorf("store passkey handle: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT handle FROM passkey_users WHERE account_id = $1`, accountID).Scan(&handle)
	})
	return handle, s.fail(err)
}

// AccountByPasskeyHandle implements koe.AccountStore.
func (s *Store) AccountByPasskeyHandle(ctx context.Context, handle []byte) (*koe.Account, error) {
	return s.oneAccount(ctx, `WHERE id = (SELECT account_id FROM passkey_users WHERE handle = $1)`, handle)
}

const passkeyColumns = `id, account_id, credential_id, rp_id, credential, name, sign_count, created_at, last_used_at`

func scanPasskey(row pgx.Row) (*koe.Passkey, error) {
	var pk koe.Passkey
	var cred string
	var count int64
	err := row.Scan(&pk.ID, &pk.AccountID, &pk.CredentialID, &pk.RPID, &cred, &pk.Name, &count, &pk.CreatedAt, &pk.LastUsedAt)
	if err != nil {
		return nil, err
	}
	utc(&pk.CreatedAt)
	pk.LastUsedAt = utcPtr(pk.LastUsedAt)
	pk.Credential, pk.SignCount = []byte(cred), uint32(count)
	return &pk, nil
}

// CreatePasskey implements koe.AccountStore.
func (s *Store) CreatePasskey(ctx context.Context, pk *koe.Passkey) error {
	var created koe.Passkey
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		created = *pk
		created.CreatedAt, created.LastUsedAt = s.stamp(), nil
		err := tx.QueryRow(ctx, `
			INSERT INTO passkeys (account_id, credential_id, rp_id, credential, name, sign_count, created_at)
			SELECT id, $1, $2, $3, $4, $5, $6 FROM accounts WHERE id = $7
			RETURNING id`,
			created.CredentialID, created.RPID, string(created.Credential), created.Name, int64(created.SignCount),
			created.CreatedAt, created.AccountID,
		).Scan(&created.ID)
		if isUnique(err, "passkeys_credential_id_key") {
			return koe.Errorf(koe.ECONFLICT, "this passkey is registered already")
		}
		if err != nil {
			return notFound(err, "account")
		}
		return rec(created.Change(koe.PasskeyCreated, nil))
	})
	if err != nil {
		return err
	}
	*pk = created
	return nil
}

// Passkeys implements koe.AccountStore.
func (s *Store) Passkeys(ctx context.Context, accountID int64) ([]*koe.Passkey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list passkeys: %w", err))
	}
	list, err := collect(rows, scanPasskey)
	return list, s.fail(err)
}

// RenamePasskey implements koe.AccountStore.
func (s *Store) RenamePasskey(ctx context.Context, accountID, id int64, name string) (*koe.Passkey, error) {
	var renamed *koe.Passkey
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		before, err := scanPasskey(tx.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = $1 AND id = $2 FOR UPDATE`, accountID, id))
		if err != nil {
			return notFound(err, "passkey")
		}
		pk := *before
		if renamed = &pk; pk.Name == name {
			return nil
		}
		pk.Name = name
		if _, err := tx.Exec(ctx, `UPDATE passkeys SET name = $1 WHERE id = $2`, name, id); err != nil {
			return fmt.Errorf("rename passkey: %w", err)
		}
		return rec(pk.Change(koe.PasskeyUpdated, before))
	})
	if err != nil {
		return nil, err
	}
	return renamed, nil
}

// UsePasskey implements koe.AccountStore.
func (s *Store) UsePasskey(ctx context.Context, id int64, signCount uint32, credential []byte, at time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n := int64(signCount)
	tag, err := s.pool.Exec(ctx, `
		UPDATE passkeys SET sign_count = $1, credential = $2, last_used_at = $3
		WHERE id = $4 AND (sign_count < $1 OR sign_count = 0 AND $1 = 0)`,
		n, string(credential), at, id)
	if err != nil {
		return s.fail(fmt.Errorf("use passkey: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return koe.Errorf(koe.ECONFLICT, "this passkey's signature counter did not advance: it may have been cloned")
	}
	return nil
}

// DeletePasskey implements koe.AccountStore. The account's row is locked
// first, as UpdateAccount does, so that turning PasskeyRequired on and
// deleting the last passkey cannot both happen.
func (s *Store) DeletePasskey(ctx context.Context, accountID, id int64) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, accountID))
		if err != nil {
			return notFound(err, "passkey")
		}
		pk, err := scanPasskey(tx.QueryRow(ctx, `DELETE FROM passkeys WHERE account_id = $1 AND id = $2 RETURNING `+passkeyColumns, accountID, id))
		if err != nil {
			return notFound(err, "passkey")
		}
		if err := rec(pk.Change(koe.PasskeyDeleted, pk)); err != nil {
			return err
		}
		if !a.PasskeyRequired {
			return nil
		}
		var left int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM passkeys WHERE account_id = $1`, accountID).Scan(&left); err != nil {
			return fmt.Errorf("count passkeys: %w", err)
		}
		if left > 0 {
			return nil
		}
		// The last one gone, a password alone signs in again.
		before := *a
		a.PasskeyRequired, a.UpdatedAt = false, s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE accounts SET passkey_required = false, updated_at = $1 WHERE id = $2`, a.UpdatedAt, accountID); err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		return rec(a.Change(koe.AccountUpdated, &before))
	})
}

const ceremonyColumns = `id, hash, kind, account_id, session, created_at, expires_at`

func scanCeremony(row pgx.Row) (*koe.PasskeyCeremony, error) {
	var c koe.PasskeyCeremony
	var session string
	if err := row.Scan(&c.ID, &c.Hash, &c.Kind, &c.AccountID, &session, &c.CreatedAt, &c.ExpiresAt); err != nil {
		return nil, err
	}
	utc(&c.CreatedAt)
	utc(&c.ExpiresAt)
	c.Session = []byte(session)
	return &c, nil
}

// CreatePasskeyCeremony implements koe.AccountStore.
func (s *Store) CreatePasskeyCeremony(ctx context.Context, c *koe.PasskeyCeremony, now time.Time) error {
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM passkey_ceremonies WHERE expires_at <= $1`, now); err != nil {
			return fmt.Errorf("prune passkey ceremonies: %w", err)
		}
		c.CreatedAt = s.stamp()
		return tx.QueryRow(ctx, `
			INSERT INTO passkey_ceremonies (hash, kind, account_id, session, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING id`,
			c.Hash, c.Kind, c.AccountID, string(c.Session), c.CreatedAt, c.ExpiresAt,
		).Scan(&c.ID)
	})
	return s.fail(err)
}

// ConsumePasskeyCeremony implements koe.AccountStore: DELETE … RETURNING
// takes the row once, whichever replica asks first.
func (s *Store) ConsumePasskeyCeremony(ctx context.Context, hash []byte, now time.Time) (*koe.PasskeyCeremony, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	c, err := scanCeremony(s.pool.QueryRow(ctx, `DELETE FROM passkey_ceremonies WHERE hash = $1 RETURNING `+ceremonyColumns, hash))
	if err != nil {
		return nil, s.fail(notFound(err, "passkey ceremony"))
	}
	if !now.Before(c.ExpiresAt) {
		return nil, koe.Errorf(koe.ENOTFOUND, "passkey ceremony not found")
	}
	return c, nil
}
