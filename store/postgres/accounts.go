package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
	"github.com/koehq/koe/store/internal/setuptoken"
)

const accountColumns = `id, login, COALESCE(email, ''), display_name, admin, disabled, password_hash,
	COALESCE(oidc_issuer, ''), COALESCE(oidc_subject, ''), passkey_required, created_at, updated_at`

func scanAccount(row pgx.Row) (*koe.Account, error) {
	var a koe.Account
	err := row.Scan(&a.ID, &a.Login, &a.Email, &a.DisplayName, &a.Admin, &a.Disabled, &a.PasswordHash,
		&a.OIDCIssuer, &a.OIDCSubject, &a.PasskeyRequired, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, err
	}
	utc(&a.CreatedAt)
	utc(&a.UpdatedAt)
	return &a, nil
}

// nullString stores "" as NULL, for the columns unique when set.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// accountConflict maps a unique violation of accounts to ECONFLICT.
func accountConflict(err error) error {
	switch {
	case isUnique(err, "accounts_login_key"):
		return koe.Errorf(koe.ECONFLICT, "login already taken")
	case isUnique(err, "accounts_email_key"):
		return koe.Errorf(koe.ECONFLICT, "e-mail already taken")
	case isUnique(err, "accounts_oidc_key"):
		return koe.Errorf(koe.ECONFLICT, "this OpenID identity has an account already")
	}
	return nil
}

// write runs fn in a transaction that records changes, and tells the
// commit hook of their types once it has committed.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx, o koe.Origin, rec func(...koe.Change) error) error) error {
	o := koe.OriginFrom(ctx, s.now)
	var types []koe.ChangeType
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		types = types[:0]
		return fn(ctx, tx, o, func(changes ...koe.Change) error {
			for _, c := range changes {
				types = append(types, c.Type)
			}
			return record(ctx, tx, o, changes...)
		})
	})
	if err == nil && len(types) > 0 {
		s.committed(types...)
	}
	return err
}

// CreateAccount implements koe.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *koe.Account) error {
	var created koe.Account
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		created = *a
		return s.createAccount(ctx, tx, rec, &created)
	})
	if err != nil {
		return err
	}
	*a = created
	return nil
}

func (s *Store) createAccount(ctx context.Context, tx pgx.Tx, rec func(...koe.Change) error, a *koe.Account) error {
	now := s.stamp()
	a.CreatedAt, a.UpdatedAt = now, now
	a.PasskeyRequired = false // it has no passkey yet
	err := tx.QueryRow(ctx, `
		INSERT INTO accounts (login, email, display_name, admin, disabled, password_hash,
			oidc_issuer, oidc_subject, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		RETURNING id`,
		a.Login, nullString(a.Email), a.DisplayName, a.Admin, a.Disabled, a.PasswordHash,
		nullString(a.OIDCIssuer), nullString(a.OIDCSubject), now,
	).Scan(&a.ID)
	if c := accountConflict(err); c != nil {
		return c
	}
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	return rec(a.Change(koe.AccountCreated, nil))
}

// Account implements koe.AccountStore.
func (s *Store) Account(ctx context.Context, id int64) (*koe.Account, error) {
	return s.oneAccount(ctx, `WHERE id = $1`, id)
}

// AccountBy implements koe.AccountStore.
func (s *Store) AccountBy(ctx context.Context, login, issuer, subject string) (*koe.Account, error) {
	if login != "" {
		return s.oneAccount(ctx, `WHERE login = $1`, login)
	}
	return s.oneAccount(ctx, `WHERE oidc_issuer = $1 AND oidc_subject = $2`, issuer, subject)
}

func (s *Store) oneAccount(ctx context.Context, where string, args ...any) (*koe.Account, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts `+where, args...))
	if err != nil {
		return nil, s.fail(notFound(err, "account"))
	}
	return a, nil
}

// Accounts implements koe.AccountStore.
func (s *Store) Accounts(ctx context.Context) ([]*koe.Account, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY login`)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list accounts: %w", err))
	}
	list, err := collect(rows, scanAccount)
	return list, s.fail(err)
}

// UpdateAccount implements koe.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, id int64, u koe.AccountUpdate) (*koe.Account, error) {
	var updated *koe.Account
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, id))
		if err != nil {
			return notFound(err, "account")
		}
		before := *a
		if updated = a; !u.Apply(a) {
			return nil
		}
		if a.PasskeyRequired && !before.PasskeyRequired {
			if err := requirePasskey(ctx, tx, id); err != nil {
				return err
			}
		}
		a.UpdatedAt = s.stamp()
		_, err = tx.Exec(ctx, `
			UPDATE accounts SET email = $1, display_name = $2, admin = $3, disabled = $4, password_hash = $5, passkey_required = $6, updated_at = $7
			WHERE id = $8`,
			nullString(a.Email), a.DisplayName, a.Admin, a.Disabled, a.PasswordHash, a.PasskeyRequired, a.UpdatedAt, id)
		if c := accountConflict(err); c != nil {
			return c
		}
		if err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		return rec(a.Change(koe.AccountUpdated, &before))
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// CountAdmins implements koe.AccountStore.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE admin AND NOT disabled`).Scan(&n)
	return n, s.fail(err)
}

// SetupToken implements koe.AccountStore. The row is locked, so that
// replicas starting together agree on one token.
func (s *Store) SetupToken(ctx context.Context, now time.Time, gen func() (string, time.Time)) (string, time.Time, error) {
	var token string
	var expires time.Time
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, setuptoken.Name); err != nil {
			return fmt.Errorf("lock setup token: %w", err)
		}
		var value []byte
		err := tx.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, setuptoken.Name).Scan(&value)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load setup token: %w", err)
		}
		if token, expires = setuptoken.Split(value); token != "" && expires.After(now) {
			return nil
		}
		token, expires = gen()
		_, err = tx.Exec(ctx, `
			INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
			setuptoken.Name, setuptoken.Value(token, expires), s.stamp())
		return err
	})
	return token, expires, s.fail(err)
}

// CreateFirstAdmin implements koe.AccountStore. The setup secret's row is
// locked, so that two replicas given the token at once create one admin.
func (s *Store) CreateFirstAdmin(ctx context.Context, a *koe.Account, token string, now time.Time) error {
	var created koe.Account
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		var value []byte
		err := tx.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1 FOR UPDATE`, setuptoken.Name).Scan(&value)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("load setup token: %w", err)
		}
		var admins int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE admin`).Scan(&admins); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if admins > 0 {
			return koe.Errorf(koe.ECONFLICT, "koe has an admin already: sign in instead")
		}
		if !setuptoken.Valid(value, token, now) {
			return koe.Errorf(koe.ENOTFOUND, "this setup link is not valid (used or expired)")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM secrets WHERE name = $1`, setuptoken.Name); err != nil {
			return fmt.Errorf("use setup token: %w", err)
		}
		created = *a
		created.Admin = true
		return s.createAccount(ctx, tx, rec, &created)
	})
	if err != nil {
		return err
	}
	*a = created
	return nil
}

const sessionColumns = `id, hash, account_id, method, user_agent, addr, created_at, last_seen_at, expires_at, revoked_at, rotate`

func scanSession(row pgx.Row) (*koe.Session, error) {
	var ss koe.Session
	err := row.Scan(&ss.ID, &ss.Hash, &ss.AccountID, &ss.Method, &ss.UserAgent, &ss.Addr,
		&ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt, &ss.RevokedAt, &ss.Rotate)
	if err != nil {
		return nil, err
	}
	utc(&ss.CreatedAt)
	utc(&ss.LastSeenAt)
	utc(&ss.ExpiresAt)
	ss.RevokedAt = utcPtr(ss.RevokedAt)
	return &ss, nil
}

// CreateSession implements koe.AccountStore.
func (s *Store) CreateSession(ctx context.Context, ss *koe.Session) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		return createSession(ctx, tx, rec, ss)
	})
}

func createSession(ctx context.Context, tx pgx.Tx, rec func(...koe.Change) error, ss *koe.Session) error {
	err := tx.QueryRow(ctx, `
		INSERT INTO sessions (hash, account_id, method, user_agent, addr, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		ss.Hash, ss.AccountID, ss.Method, ss.UserAgent, ss.Addr, ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt,
	).Scan(&ss.ID)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return rec(ss.Change(koe.SessionCreated))
}

// RotateSession implements koe.AccountStore.
func (s *Store) RotateSession(ctx context.Context, oldID int64, grace time.Time, ss *koe.Session) (bool, error) {
	var ok bool
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		tag, err := tx.Exec(ctx, `
			UPDATE sessions SET rotate = false, expires_at = LEAST(expires_at, $1)
			WHERE id = $2 AND rotate AND revoked_at IS NULL`, grace, oldID)
		if err != nil {
			return fmt.Errorf("rotate session: %w", err)
		}
		if ok = tag.RowsAffected() > 0; !ok {
			return nil
		}
		return createSession(ctx, tx, rec, ss)
	})
	return ok, err
}

// SessionByHash implements koe.AccountStore.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*koe.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ss, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = $1`, hash))
	if err != nil {
		return nil, s.fail(notFound(err, "session"))
	}
	return ss, nil
}

// TouchSession implements koe.AccountStore.
func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time) error {
	return s.exec(ctx, `UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = $2`, at, id)
}

func (s *Store) exec(ctx context.Context, sql string, args ...any) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, sql, args...)
	return s.fail(err)
}

// RevokeSessions implements koe.AccountStore.
func (s *Store) RevokeSessions(ctx context.Context, accountID, id, keep int64) (int, error) {
	var n int
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		rows, err := tx.Query(ctx, `
			UPDATE sessions SET revoked_at = $1
			WHERE account_id = $2 AND revoked_at IS NULL AND ($3 = 0 OR id = $3) AND id <> $4
			RETURNING `+sessionColumns,
			s.stamp(), accountID, id, keep)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		revoked, err := collect(rows, scanSession)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		n = len(revoked)
		for _, ss := range revoked {
			if err := rec(ss.Change(koe.SessionRevoked)); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// Sessions implements koe.AccountStore.
func (s *Store) Sessions(ctx context.Context, accountID int64, now time.Time) ([]*koe.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+sessionColumns+` FROM sessions
		WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2
		ORDER BY id DESC`, accountID, now)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list sessions: %w", err))
	}
	list, err := collect(rows, scanSession)
	return list, s.fail(err)
}

const membershipColumns = `event_id, account_id, role, talks, created_at`

func scanMembership(row pgx.Row) (*koe.Membership, error) {
	var m koe.Membership
	if err := row.Scan(&m.EventID, &m.AccountID, &m.Role, &m.Talks, &m.CreatedAt); err != nil {
		return nil, err
	}
	utc(&m.CreatedAt)
	if m.Talks == nil {
		m.Talks = []int64{}
	}
	return &m, nil
}

func idList(xs []int64) []int64 {
	if xs == nil {
		return []int64{}
	}
	return xs
}

// SetMembership implements koe.AccountStore.
func (s *Store) SetMembership(ctx context.Context, m *koe.Membership) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		return s.setMembership(ctx, tx, rec, m)
	})
}

func (s *Store) setMembership(ctx context.Context, tx pgx.Tx, rec func(...koe.Change) error, m *koe.Membership) error {
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM events WHERE id = $1`, m.EventID).Scan(&one); err != nil {
		return notFound(err, "event")
	}
	if err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, m.AccountID).Scan(&one); err != nil {
		return notFound(err, "account")
	}
	before, err := scanMembership(tx.QueryRow(ctx, `SELECT `+membershipColumns+` FROM memberships WHERE event_id = $1 AND account_id = $2`, m.EventID, m.AccountID))
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("load membership: %w", err)
	}
	m.CreatedAt, m.Talks = s.stamp(), idList(m.Talks)
	if before != nil {
		m.CreatedAt = before.CreatedAt
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO memberships (event_id, account_id, role, talks, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (event_id, account_id) DO UPDATE SET role = excluded.role, talks = excluded.talks`,
		m.EventID, m.AccountID, string(m.Role), m.Talks, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("set membership: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE sessions SET rotate = true WHERE account_id = $1 AND revoked_at IS NULL`, m.AccountID); err != nil {
		return fmt.Errorf("rotate sessions: %w", err)
	}
	return rec(m.Change(koe.StaffSet, before))
}

// RemoveMembership implements koe.AccountStore.
func (s *Store) RemoveMembership(ctx context.Context, eventID, accountID int64) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		m, err := scanMembership(tx.QueryRow(ctx, `
			DELETE FROM memberships WHERE event_id = $1 AND account_id = $2
			RETURNING `+membershipColumns, eventID, accountID))
		if err != nil {
			return notFound(err, "membership")
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET rotate = true WHERE account_id = $1 AND revoked_at IS NULL`, accountID); err != nil {
			return fmt.Errorf("rotate sessions: %w", err)
		}
		return rec(m.Change(koe.StaffRemoved, m))
	})
}

// Membership implements koe.AccountStore.
func (s *Store) Membership(ctx context.Context, eventID, accountID int64) (*koe.Membership, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	m, err := scanMembership(s.pool.QueryRow(ctx, `SELECT `+membershipColumns+` FROM memberships WHERE event_id = $1 AND account_id = $2`, eventID, accountID))
	if err != nil {
		return nil, s.fail(notFound(err, "membership"))
	}
	return m, nil
}

// Memberships implements koe.AccountStore.
func (s *Store) Memberships(ctx context.Context, eventID, accountID int64) ([]*koe.Membership, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	query, arg := `SELECT `+membershipColumns+` FROM memberships WHERE event_id = $1 ORDER BY account_id`, eventID
	if eventID == 0 {
		query, arg = `SELECT `+membershipColumns+` FROM memberships WHERE account_id = $1 ORDER BY event_id`, accountID
	}
	rows, err := s.pool.Query(ctx, query, arg)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list memberships: %w", err))
	}
	list, err := collect(rows, scanMembership)
	return list, s.fail(err)
}

const invitationColumns = `id, hash, event_id, role, talks, created_by, created_at, expires_at, used_at, used_by`

func scanInvitation(row pgx.Row) (*koe.Invitation, error) {
	var inv koe.Invitation
	err := row.Scan(&inv.ID, &inv.Hash, &inv.EventID, &inv.Role, &inv.Talks, &inv.CreatedBy,
		&inv.CreatedAt, &inv.ExpiresAt, &inv.UsedAt, &inv.UsedBy)
	if err != nil {
		return nil, err
	}
	utc(&inv.CreatedAt)
	utc(&inv.ExpiresAt)
	inv.UsedAt = utcPtr(inv.UsedAt)
	inv.Talks = idList(inv.Talks)
	return &inv, nil
}

// CreateInvitation implements koe.AccountStore.
func (s *Store) CreateInvitation(ctx context.Context, inv *koe.Invitation) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		inv.CreatedAt, inv.Talks = s.stamp(), idList(inv.Talks)
		inv.ExpiresAt = inv.ExpiresAt.UTC().Truncate(time.Microsecond)
		err := tx.QueryRow(ctx, `
			INSERT INTO invitations (hash, event_id, role, talks, created_by, created_at, expires_at)
			SELECT $1, id, $2, $3, $4, $5, $6 FROM events WHERE id = $7
			RETURNING id`,
			inv.Hash, string(inv.Role), inv.Talks, inv.CreatedBy, inv.CreatedAt, inv.ExpiresAt, inv.EventID,
		).Scan(&inv.ID)
		if err != nil {
			return notFound(err, "event")
		}
		return rec(inv.Change(koe.InvitationCreated))
	})
}

// AcceptInvitation implements koe.AccountStore.
func (s *Store) AcceptInvitation(ctx context.Context, hash []byte, a *koe.Account, now time.Time) (*koe.Membership, error) {
	var m *koe.Membership
	account := *a
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		account = *a
		if account.ID == 0 {
			if err := s.createAccount(ctx, tx, rec, &account); err != nil {
				return err
			}
		}
		inv, err := scanInvitation(tx.QueryRow(ctx, `
			UPDATE invitations SET used_at = $1, used_by = $2
			WHERE hash = $3 AND used_at IS NULL AND expires_at > $1
			RETURNING `+invitationColumns,
			now, account.ID, hash))
		if err != nil {
			return notFound(err, "invitation")
		}
		m = &koe.Membership{EventID: inv.EventID, AccountID: account.ID, Role: inv.Role, Talks: inv.Talks}
		if err := rec(inv.Change(koe.InvitationAccepted)); err != nil {
			return err
		}
		return s.setMembership(ctx, tx, rec, m)
	})
	if err != nil {
		return nil, err
	}
	*a = account
	return m, nil
}

// InvitationByHash implements koe.AccountStore.
func (s *Store) InvitationByHash(ctx context.Context, hash []byte) (*koe.Invitation, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	inv, err := scanInvitation(s.pool.QueryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE hash = $1`, hash))
	if err != nil {
		return nil, s.fail(notFound(err, "invitation"))
	}
	return inv, nil
}

// Invitations implements koe.AccountStore.
func (s *Store) Invitations(ctx context.Context, eventID int64) ([]*koe.Invitation, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE event_id = $1 ORDER BY id DESC`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list invitations: %w", err))
	}
	list, err := collect(rows, scanInvitation)
	return list, s.fail(err)
}

// RevokeInvitation implements koe.AccountStore.
func (s *Store) RevokeInvitation(ctx context.Context, eventID, id int64) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		inv, err := scanInvitation(tx.QueryRow(ctx, `
			DELETE FROM invitations WHERE event_id = $1 AND id = $2 AND used_at IS NULL
			RETURNING `+invitationColumns, eventID, id))
		if err != nil {
			return notFound(err, "invitation")
		}
		return rec(inv.Change(koe.InvitationRevoked))
	})
}

const apiTokenColumns = `id, account_id, name, hash, events, roles, created_at, expires_at, last_used_at, revoked_at`

func scanAPIToken(row pgx.Row) (*koe.APIToken, error) {
	var t koe.APIToken
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Hash, &t.Events, &t.Roles,
		&t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt)
	if err != nil {
		return nil, err
	}
	utc(&t.CreatedAt)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = utcPtr(t.ExpiresAt), utcPtr(t.LastUsedAt), utcPtr(t.RevokedAt)
	t.Events = idList(t.Events)
	return &t, nil
}

// CreateAPIToken implements koe.AccountStore.
func (s *Store) CreateAPIToken(ctx context.Context, t *koe.APIToken) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		t.CreatedAt, t.Events, t.ExpiresAt = s.stamp(), idList(t.Events), truncTime(t.ExpiresAt)
		err := tx.QueryRow(ctx, `
			INSERT INTO api_tokens (account_id, name, hash, events, roles, created_at, expires_at)
			SELECT id, $1, $2, $3, $4, $5, $6 FROM accounts WHERE id = $7
			RETURNING id`,
			t.Name, t.Hash, t.Events, t.Roles, t.CreatedAt, t.ExpiresAt, t.AccountID,
		).Scan(&t.ID)
		if err != nil {
			return notFound(err, "account")
		}
		return rec(t.Change(koe.TokenCreated))
	})
}

// APITokenByHash implements koe.AccountStore.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (*koe.APIToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t, err := scanAPIToken(s.pool.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, s.fail(notFound(err, "token"))
	}
	return t, nil
}

// APITokens implements koe.AccountStore.
func (s *Store) APITokens(ctx context.Context, accountID int64) ([]*koe.APIToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE account_id = $1 ORDER BY id DESC`, accountID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list tokens: %w", err))
	}
	list, err := collect(rows, scanAPIToken)
	return list, s.fail(err)
}

// TouchAPIToken implements koe.AccountStore.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return s.exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, at, id)
}

// RevokeAPIToken implements koe.AccountStore.
func (s *Store) RevokeAPIToken(ctx context.Context, accountID, id int64, at time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx pgx.Tx, _ koe.Origin, rec func(...koe.Change) error) error {
		t, err := scanAPIToken(tx.QueryRow(ctx, `
			UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL
			RETURNING `+apiTokenColumns, at, accountID, id))
		if err != nil {
			return notFound(err, "token")
		}
		return rec(t.Change(koe.TokenRevoked))
	})
}

// PruneSignIns implements koe.AccountStore.
func (s *Store) PruneSignIns(ctx context.Context, before time.Time, idle time.Duration) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1 OR last_seen_at < $2`, before, before.Add(-idle))
		if err != nil {
			return err
		}
		b, err := tx.Exec(ctx, `DELETE FROM invitations WHERE expires_at < $1 OR used_at < $1`, before)
		if err != nil {
			return err
		}
		n = a.RowsAffected() + b.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, s.fail(fmt.Errorf("prune sign-ins: %w", err))
	}
	return n, nil
}
