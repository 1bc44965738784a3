package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/store/internal/setuptoken"
)

const accountColumns = `id, login, COALESCE(email, ''), display_name, admin, disabled, password_hash,
	COALESCE(oidc_issuer, ''), COALESCE(oidc_subject, ''), passkey_required, created_at, updated_at`

func scanAccount(row scanner) (*koe.Account, error) {
	var a koe.Account
	err := row.Scan(&a.ID, &a.Login, &a.Email, &a.DisplayName, &a.Admin, &a.Disabled, &a.PasswordHash,
		&a.OIDCIssuer, &a.OIDCSubject, &a.PasskeyRequired, timeDest{&a.CreatedAt}, timeDest{&a.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// nullString stores "" as NULL, for the columns unique when set.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// accountConflict maps a unique violation of accounts to ECONFLICT.
func accountConflict(err error) error {
	switch {
	case isUnique(err, "accounts.login"):
		return koe.Errorf(koe.ECONFLICT, "login already taken")
	case isUnique(err, "accounts.email"):
		return koe.Errorf(koe.ECONFLICT, "e-mail already taken")
	case isUnique(err, "accounts.oidc_issuer"):
		return koe.Errorf(koe.ECONFLICT, "this OpenID identity has an account already")
	}
	return nil
}

// CreateAccount implements koe.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *koe.Account) error {
	o := koe.OriginFrom(ctx, s.now)
	created := *a
	err := s.writer.do(ctx, func(tx *txn) error {
		created = *a
		return s.createAccount(tx, o, &created)
	})
	if err != nil {
		return err
	}
	*a = created
	return nil
}

func (s *Store) createAccount(tx *txn, o koe.Origin, a *koe.Account) error {
	now := s.stamp()
	a.CreatedAt, a.UpdatedAt = now, now
	a.PasskeyRequired = false // it has no passkey yet
	err := tx.QueryRow(`
		INSERT INTO accounts (login, email, display_name, admin, disabled, password_hash,
			oidc_issuer, oidc_subject, passkey_required, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		a.Login, nullString(a.Email), a.DisplayName, a.Admin, a.Disabled, a.PasswordHash,
		nullString(a.OIDCIssuer), nullString(a.OIDCSubject), false, micros(now), micros(now),
	).Scan(&a.ID)
	if c := accountConflict(err); c != nil {
		return c
	}
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	return tx.record(o, a.Change(koe.AccountCreated, nil))
}

// Account implements koe.AccountStore.
func (s *Store) Account(ctx context.Context, id int64) (*koe.Account, error) {
	a, err := scanAccount(s.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "account")
	}
	return a, nil
}

// AccountBy implements koe.AccountStore.
func (s *Store) AccountBy(ctx context.Context, login, issuer, subject string) (*koe.Account, error) {
	var row *sql.Row
	if login != "" {
		row = s.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE login = ?`, login)
	} else {
		row = s.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE oidc_issuer = ? AND oidc_subject = ?`, issuer, subject)
	}
	a, err := scanAccount(row)
	if err != nil {
		return nil, notFound(err, "account")
	}
	return a, nil
}

// Accounts implements koe.AccountStore.
func (s *Store) Accounts(ctx context.Context) ([]*koe.Account, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return collect(rows, scanAccount)
}

// UpdateAccount implements koe.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, id int64, u koe.AccountUpdate) (*koe.Account, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Account
	err := s.writer.do(ctx, func(tx *txn) error {
		a, err := scanAccount(tx.QueryRow(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
		if err != nil {
			return notFound(err, "account")
		}
		before := *a
		if !u.Apply(a) {
			updated = a
			return nil
		}
		if a.PasskeyRequired && !before.PasskeyRequired {
			if err := requirePasskey(tx, id); err != nil {
				return err
			}
		}
		a.UpdatedAt = s.stamp()
		_, err = tx.Exec(`
			UPDATE accounts SET email = ?, display_name = ?, admin = ?, disabled = ?, password_hash = ?, passkey_required = ?, updated_at = ?
			WHERE id = ?`,
			nullString(a.Email), a.DisplayName, a.Admin, a.Disabled, a.PasswordHash, a.PasskeyRequired, micros(a.UpdatedAt), id)
		if c := accountConflict(err); c != nil {
			return c
		}
		if err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		updated = a
		return tx.record(o, a.Change(koe.AccountUpdated, &before))
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// CountAdmins implements koe.AccountStore.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE admin = 1 AND disabled = 0`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// SetupToken implements koe.AccountStore.
func (s *Store) SetupToken(ctx context.Context, now time.Time, gen func() (string, time.Time)) (string, time.Time, error) {
	var token string
	var expires time.Time
	err := s.writer.do(ctx, func(tx *txn) error {
		var value []byte
		err := tx.QueryRow(`SELECT value FROM secrets WHERE name = ?`, setuptoken.Name).Scan(&value)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load setup token: %w", err)
		}
		if token, expires = setuptoken.Split(value); token != "" && expires.After(now) {
			return nil
		}
		token, expires = gen()
		_, err = tx.Exec(`
			INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
			setuptoken.Name, setuptoken.Value(token, expires), micros(s.stamp()))
		return err
	})
	return token, expires, err
}

// CreateFirstAdmin implements koe.AccountStore.
func (s *Store) CreateFirstAdmin(ctx context.Context, a *koe.Account, token string, now time.Time) error {
	o := koe.OriginFrom(ctx, s.now)
	created := *a
	err := s.writer.do(ctx, func(tx *txn) error {
		var value []byte
		err := tx.QueryRow(`SELECT value FROM secrets WHERE name = ?`, setuptoken.Name).Scan(&value)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load setup token: %w", err)
		}
		var admins int
		if err := tx.QueryRow(`SELECT count(*) FROM accounts WHERE admin = 1`).Scan(&admins); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if admins > 0 {
			return koe.Errorf(koe.ECONFLICT, "koe has an admin already: sign in instead")
		}
		if !setuptoken.Valid(value, token, now) {
			return koe.Errorf(koe.ENOTFOUND, "this setup link is not valid (used or expired)")
		}
		if _, err := tx.Exec(`DELETE FROM secrets WHERE name = ?`, setuptoken.Name); err != nil {
			return fmt.Errorf("use setup token: %w", err)
		}
		created = *a
		created.Admin = true
		return s.createAccount(tx, o, &created)
	})
	if err != nil {
		return err
	}
	*a = created
	return nil
}

const sessionColumns = `id, hash, account_id, method, user_agent, addr, created_at, last_seen_at, expires_at, revoked_at, rotate`

func scanSession(row scanner) (*koe.Session, error) {
	var ss koe.Session
	err := row.Scan(&ss.ID, &ss.Hash, &ss.AccountID, &ss.Method, &ss.UserAgent, &ss.Addr,
		timeDest{&ss.CreatedAt}, timeDest{&ss.LastSeenAt}, timeDest{&ss.ExpiresAt}, nullTimeDest{&ss.RevokedAt}, &ss.Rotate)
	if err != nil {
		return nil, err
	}
	return &ss, nil
}

// CreateSession implements koe.AccountStore.
func (s *Store) CreateSession(ctx context.Context, ss *koe.Session) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		return s.createSession(tx, o, ss)
	})
}

func (s *Store) createSession(tx *txn, o koe.Origin, ss *koe.Session) error {
	err := tx.QueryRow(`
		INSERT INTO sessions (hash, account_id, method, user_agent, addr, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		ss.Hash, ss.AccountID, ss.Method, ss.UserAgent, ss.Addr,
		micros(ss.CreatedAt), micros(ss.LastSeenAt), micros(ss.ExpiresAt),
	).Scan(&ss.ID)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return tx.record(o, ss.Change(koe.SessionCreated))
}

// RotateSession implements koe.AccountStore.
func (s *Store) RotateSession(ctx context.Context, oldID int64, grace time.Time, ss *koe.Session) (bool, error) {
	o := koe.OriginFrom(ctx, s.now)
	var ok bool
	err := s.writer.do(ctx, func(tx *txn) error {
		r, err := tx.Exec(`
			UPDATE sessions SET rotate = 0, expires_at = min(expires_at, ?)
			WHERE id = ? AND rotate = 1 AND revoked_at IS NULL`, micros(grace), oldID)
		if err != nil {
			return fmt.Errorf("rotate session: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
		ok = true
		return s.createSession(tx, o, ss)
	})
	return ok, err
}

// SessionByHash implements koe.AccountStore.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*koe.Session, error) {
	ss, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "session")
	}
	return ss, nil
}

// TouchSession implements koe.AccountStore.
func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time) error {
	return s.writer.do(ctx, func(tx *txn) error {
		_, err := tx.Exec(`UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?`, micros(at), id)
		return err
	})
}

// RevokeSessions implements koe.AccountStore.
func (s *Store) RevokeSessions(ctx context.Context, accountID, id, keep int64) (int, error) {
	o := koe.OriginFrom(ctx, s.now)
	var n int
	err := s.writer.do(ctx, func(tx *txn) error {
		rows, err := tx.Query(`
			UPDATE sessions SET revoked_at = ?
			WHERE account_id = ? AND revoked_at IS NULL AND (? = 0 OR id = ?) AND id <> ?
			RETURNING `+sessionColumns,
			micros(s.stamp()), accountID, id, id, keep)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		revoked, err := collect(rows, scanSession)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		n = len(revoked)
		for _, ss := range revoked {
			if err := tx.record(o, ss.Change(koe.SessionRevoked)); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// Sessions implements koe.AccountStore.
func (s *Store) Sessions(ctx context.Context, accountID int64, now time.Time) ([]*koe.Session, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+sessionColumns+` FROM sessions
		WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY id DESC`, accountID, micros(now))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return collect(rows, scanSession)
}

func scanMembership(row scanner) (*koe.Membership, error) {
	var m koe.Membership
	var talks string
	if err := row.Scan(&m.EventID, &m.AccountID, &m.Role, &talks, timeDest{&m.CreatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(talks), &m.Talks); err != nil {
		return nil, fmt.Errorf("membership talks: %w", err)
	}
	return &m, nil
}

func idList(xs []int64) string {
	if xs == nil {
		xs = []int64{}
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

// SetMembership implements koe.AccountStore.
func (s *Store) SetMembership(ctx context.Context, m *koe.Membership) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		return s.setMembership(tx, o, m)
	})
}

func (s *Store) setMembership(tx *txn, o koe.Origin, m *koe.Membership) error {
	var exists bool
	if err := tx.QueryRow(`SELECT 1 FROM events WHERE id = ?`, m.EventID).Scan(&exists); err != nil {
		return notFound(err, "event")
	}
	if err := tx.QueryRow(`SELECT 1 FROM accounts WHERE id = ?`, m.AccountID).Scan(&exists); err != nil {
		return notFound(err, "account")
	}
	before, err := scanMembership(tx.QueryRow(`SELECT event_id, account_id, role, talks, created_at FROM memberships WHERE event_id = ? AND account_id = ?`, m.EventID, m.AccountID))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("load membership: %w", err)
	}
	m.CreatedAt = s.stamp()
	if before != nil {
		m.CreatedAt = before.CreatedAt
	}
	if m.Talks == nil {
		m.Talks = []int64{}
	}
	_, err = tx.Exec(`
		INSERT INTO memberships (event_id, account_id, role, talks, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (event_id, account_id) DO UPDATE SET role = excluded.role, talks = excluded.talks`,
		m.EventID, m.AccountID, string(m.Role), idList(m.Talks), micros(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("set membership: %w", err)
	}
	if _, err := tx.Exec(`UPDATE sessions SET rotate = 1 WHERE account_id = ? AND revoked_at IS NULL`, m.AccountID); err != nil {
		return fmt.Errorf("rotate sessions: %w", err)
	}
	return tx.record(o, m.Change(koe.StaffSet, before))
}

// RemoveMembership implements koe.AccountStore.
func (s *Store) RemoveMembership(ctx context.Context, eventID, accountID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		m, err := scanMembership(tx.QueryRow(`
			DELETE FROM memberships WHERE event_id = ? AND account_id = ?
			RETURNING event_id, account_id, role, talks, created_at`, eventID, accountID))
		if err != nil {
			return notFound(err, "membership")
		}
		if _, err := tx.Exec(`UPDATE sessions SET rotate = 1 WHERE account_id = ? AND revoked_at IS NULL`, accountID); err != nil {
			return fmt.Errorf("rotate sessions: %w", err)
		}
		return tx.record(o, m.Change(koe.StaffRemoved, m))
	})
}

// Membership implements koe.AccountStore.
func (s *Store) Membership(ctx context.Context, eventID, accountID int64) (*koe.Membership, error) {
	m, err := scanMembership(s.read.QueryRowContext(ctx, `
		SELECT event_id, account_id, role, talks, created_at FROM memberships
		WHERE event_id = ? AND account_id = ?`, eventID, accountID))
	if err != nil {
		return nil, notFound(err, "membership")
	}
	return m, nil
}

// Memberships implements koe.AccountStore.
func (s *Store) Memberships(ctx context.Context, eventID, accountID int64) ([]*koe.Membership, error) {
	query, arg := `SELECT event_id, account_id, role, talks, created_at FROM memberships WHERE event_id = ? ORDER BY account_id`, eventID
	if eventID == 0 {
		query, arg = `SELECT event_id, account_id, role, talks, created_at FROM memberships WHERE account_id = ? ORDER BY event_id`, accountID
	}
	rows, err := s.read.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	return collect(rows, scanMembership)
}

const invitationColumns = `id, hash, event_id, role, talks, created_by, created_at, expires_at, used_at, used_by`

func scanInvitation(row scanner) (*koe.Invitation, error) {
	var inv koe.Invitation
	var talks string
	err := row.Scan(&inv.ID, &inv.Hash, &inv.EventID, &inv.Role, &talks, &inv.CreatedBy,
		timeDest{&inv.CreatedAt}, timeDest{&inv.ExpiresAt}, nullTimeDest{&inv.UsedAt}, &inv.UsedBy)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(talks), &inv.Talks); err != nil {
		return nil, fmt.Errorf("invitation talks: %w", err)
	}
	return &inv, nil
}

// CreateInvitation implements koe.AccountStore.
func (s *Store) CreateInvitation(ctx context.Context, inv *koe.Invitation) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		inv.CreatedAt = s.stamp()
		if inv.Talks == nil {
			inv.Talks = []int64{}
		}
		err := tx.QueryRow(`
			INSERT INTO invitations (hash, event_id, role, talks, created_by, created_at, expires_at)
			SELECT ?, id, ?, ?, ?, ?, ? FROM events WHERE id = ?
			RETURNING id`,
			inv.Hash, string(inv.Role), idList(inv.Talks), inv.CreatedBy, micros(inv.CreatedAt), micros(inv.ExpiresAt), inv.EventID,
		).Scan(&inv.ID)
		if err != nil {
			return notFound(err, "event")
		}
		return tx.record(o, inv.Change(koe.InvitationCreated))
	})
}

// AcceptInvitation implements koe.AccountStore.
func (s *Store) AcceptInvitation(ctx context.Context, hash []byte, a *koe.Account, now time.Time) (*koe.Membership, error) {
	o := koe.OriginFrom(ctx, s.now)
	var m *koe.Membership
	account := *a
	err := s.writer.do(ctx, func(tx *txn) error {
		account = *a
		if account.ID == 0 {
			if err := s.createAccount(tx, o, &account); err != nil {
				return err
			}
		}
		inv, err := scanInvitation(tx.QueryRow(`
			UPDATE invitations SET used_at = ?, used_by = ?
			WHERE hash = ? AND used_at IS NULL AND expires_at > ?
			RETURNING `+invitationColumns,
			micros(now), account.ID, hash, micros(now)))
		if err != nil {
			return notFound(err, "invitation")
		}
		m = &koe.Membership{EventID: inv.EventID, AccountID: account.ID, Role: inv.Role, Talks: inv.Talks}
		if err := tx.record(o, inv.Change(koe.InvitationAccepted)); err != nil {
			return err
		}
		return s.setMembership(tx, o, m)
	})
	if err != nil {
		return nil, err
	}
	*a = account
	return m, nil
}

// InvitationByHash implements koe.AccountStore.
func (s *Store) InvitationByHash(ctx context.Context, hash []byte) (*koe.Invitation, error) {
	inv, err := scanInvitation(s.read.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "invitation")
	}
	return inv, nil
}

// Invitations implements koe.AccountStore.
func (s *Store) Invitations(ctx context.Context, eventID int64) ([]*koe.Invitation, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE event_id = ? ORDER BY id DESC`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return collect(rows, scanInvitation)
}

// RevokeInvitation implements koe.AccountStore.
func (s *Store) RevokeInvitation(ctx context.Context, eventID, id int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		inv, err := scanInvitation(tx.QueryRow(`
			DELETE FROM invitations WHERE event_id = ? AND id = ? AND used_at IS NULL
			RETURNING `+invitationColumns, eventID, id))
		if err != nil {
			return notFound(err, "invitation")
		}
		return tx.record(o, inv.Change(koe.InvitationRevoked))
	})
}

const apiTokenColumns = `id, account_id, name, hash, events, roles, created_at, expires_at, last_used_at, revoked_at`

func scanAPIToken(row scanner) (*koe.APIToken, error) {
	var t koe.APIToken
	var events, roles string
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Hash, &events, &roles,
		timeDest{&t.CreatedAt}, nullTimeDest{&t.ExpiresAt}, nullTimeDest{&t.LastUsedAt}, nullTimeDest{&t.RevokedAt})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(json.Unmarshal([]byte(events), &t.Events), json.Unmarshal([]byte(roles), &t.Roles)); err != nil {
		return nil, fmt.Errorf("token scopes: %w", err)
	}
	return &t, nil
}

// CreateAPIToken implements koe.AccountStore.
func (s *Store) CreateAPIToken(ctx context.Context, t *koe.APIToken) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		t.CreatedAt = s.stamp()
		roles, _ := json.Marshal(t.Roles)
		err := tx.QueryRow(`
			INSERT INTO api_tokens (account_id, name, hash, events, roles, created_at, expires_at)
			SELECT id, ?, ?, ?, ?, ?, ? FROM accounts WHERE id = ?
			RETURNING id`,
			t.Name, t.Hash, idList(t.Events), string(roles), micros(t.CreatedAt), nullMicros(t.ExpiresAt), t.AccountID,
		).Scan(&t.ID)
		if err != nil {
			return notFound(err, "account")
		}
		return tx.record(o, t.Change(koe.TokenCreated))
	})
}

// APITokenByHash implements koe.AccountStore.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (*koe.APIToken, error) {
	t, err := scanAPIToken(s.read.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "token")
	}
	return t, nil
}

// APITokens implements koe.AccountStore.
func (s *Store) APITokens(ctx context.Context, accountID int64) ([]*koe.APIToken, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE account_id = ? ORDER BY id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return collect(rows, scanAPIToken)
}

// TouchAPIToken implements koe.AccountStore.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return s.writer.do(ctx, func(tx *txn) error {
		_, err := tx.Exec(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
		return err
	})
}

// RevokeAPIToken implements koe.AccountStore.
func (s *Store) RevokeAPIToken(ctx context.Context, accountID, id int64, at time.Time) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		t, err := scanAPIToken(tx.QueryRow(`
			UPDATE api_tokens SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL
			RETURNING `+apiTokenColumns, micros(at), accountID, id))
		if err != nil {
			return notFound(err, "token")
		}
		return tx.record(o, t.Change(koe.TokenRevoked))
	})
}

// PruneSignIns implements koe.AccountStore.
func (s *Store) PruneSignIns(ctx context.Context, before time.Time, idle time.Duration) (int64, error) {
	var n int64
	err := s.writer.do(ctx, func(tx *txn) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ? OR last_seen_at < ?`,
				[]any{micros(before), micros(before), micros(before.Add(-idle))}},
			{`DELETE FROM invitations WHERE expires_at < ? OR used_at < ?`, []any{micros(before), micros(before)}},
		} {
			r, err := tx.Exec(q.sql, q.args...)
			if err != nil {
				return fmt.Errorf("prune sign-ins: %w", err)
			}
			k, err := r.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, err
}
