package koe

import (
	"context"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Account is a member of staff: someone who signs in (docs/architecture.md,
// "Staff accounts, sessions and roles"). Accounts are disabled, never
// deleted, so that the audit log keeps who did what.
type Account struct {
	ID int64 `json:"id"`
	// Login is the name one signs in with, normalised by NormalizeLogin.
	Login       string `json:"login"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	// Admin holds every right in every event and manages accounts.
	Admin    bool `json:"admin"`
	Disabled bool `json:"disabled"`
	// PasswordHash is an argon2id PHC string, "" for none.
	PasswordHash string `json:"-"`
	// OIDCIssuer and OIDCSubject name the account at an OpenID provider.
	OIDCIssuer  string `json:"-"`
	OIDCSubject string `json:"-"`
	// PasskeyRequired makes a passkey the second factor of a password
	// sign-in; only an account with a passkey can have it.
	PasskeyRequired bool      `json:"passkey_required"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// AccountUpdate changes the non-nil fields of an account.
type AccountUpdate struct {
	DisplayName  *string
	Email        *string
	Admin        *bool
	Disabled     *bool
	PasswordHash *string
	// PasskeyRequired may be set only while the account has a passkey
	// (ECONFLICT otherwise).
	PasskeyRequired *bool
}

// Apply sets the fields of a that u changes and reports whether anything
// changed.
func (u AccountUpdate) Apply(a *Account) bool {
	before := *a
	set(&a.DisplayName, u.DisplayName)
	set(&a.Email, u.Email)
	set(&a.Admin, u.Admin)
	set(&a.Disabled, u.Disabled)
	set(&a.PasswordHash, u.PasswordHash)
	set(&a.PasskeyRequired, u.PasskeyRequired)
	return *a != before
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// MaxLoginLen bounds login names.
const MaxLoginLen = 64

// NormalizeLogin returns the form a login name is kept and compared in:
// NFKC, case-folded, trimmed, so that "Ａｉｋｏ" and "aiko" are one login.
// EINVALID unless it is 1–64 characters of one line.
func NormalizeLogin(login string) (string, error) {
	s := strings.TrimSpace(norm.NFKC.String(cases.Fold().String(login)))
	s, err := CleanLine("login", s, 1, MaxLoginLen)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(s, " \u3000") {
		return "", Errorf(EINVALID, "login must not contain spaces")
	}
	return s, nil
}

// Session is a signed-in browser (or API client) of an account, or of the
// owner token (AccountID 0).
type Session struct {
	ID        int64  `json:"id"`
	Hash      []byte `json:"-"` // SHA-256 of the secret in the cookie
	AccountID int64  `json:"account_id"`
	// Method is how it was signed in: password, passkey, oidc, owner_token,
	// setup, invitation.
	Method     string     `json:"method"`
	UserAgent  string     `json:"user_agent"`
	Addr       string     `json:"addr"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Rotate is set when the account's roles changed: the session's next
	// request gets a new id.
	Rotate bool `json:"-"`
}

// Live reports whether s may still be used at now, with idle the longest
// it may go unused.
func (s *Session) Live(now time.Time, idle time.Duration) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt) && now.Sub(s.LastSeenAt) < idle
}

// Membership gives an account a role in one event.
type Membership struct {
	EventID   int64 `json:"event_id"`
	AccountID int64 `json:"account_id"`
	Role      Role  `json:"role"`
	// Talks limits a presenter to these talks; empty for all.
	Talks     []int64   `json:"talks"`
	CreatedAt time.Time `json:"created_at"`
}

// EventRoles are the roles a membership may give, strongest first.
var EventRoles = []Role{RoleOwner, RoleModerator, RolePresenter}

// ValidEventRole reports whether r is one of EventRoles.
func ValidEventRole(r Role) bool {
	for _, er := range EventRoles {
		if r == er {
			return true
		}
	}
	return false
}

// Invitation is a single-use link that makes whoever accepts it a member
// of an event in a role.
type Invitation struct {
	ID        int64      `json:"id"`
	Hash      []byte     `json:"-"`
	EventID   int64      `json:"event_id"`
	Role      Role       `json:"role"`
	Talks     []int64    `json:"talks"`
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
	UsedBy    int64      `json:"used_by"`
}

// APIToken lets a program act for an account, within its scopes.
type APIToken struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	Hash      []byte `json:"-"`
	// Events limits the token to these events; empty for all the
	// account's.
	Events []int64 `json:"events"`
	// Roles are the roles the token may act with; in an event it acts
	// with the strongest of them the account holds there.
	Roles      []Role     `json:"roles"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Covers reports whether the token may act in the event.
func (t *APIToken) Covers(eventID int64) bool {
	return len(t.Events) == 0 || slices.Contains(t.Events, eventID)
}

// Allows reports whether the token carries the role.
func (t *APIToken) Allows(r Role) bool { return slices.Contains(t.Roles, r) }

// Within returns the strongest of the token's event roles that held, the
// role its account holds, includes ("" for none): the role the token acts
// with.
func (t *APIToken) Within(held Role) Role {
	var best Role
	for _, r := range t.Roles {
		if held.Stronger(r) && (best == "" || r.Stronger(best)) {
			best = r
		}
	}
	return best
}

// Passkey is a WebAuthn credential an account signs in with
// (docs/architecture.md, "Passkeys").
type Passkey struct {
	ID        int64 `json:"id"`
	AccountID int64 `json:"account_id"`
	// Name is the account's own name for it ("YubiKey 5").
	Name string `json:"name"`
	// CredentialID is the authenticator's id of the credential, unique.
	CredentialID []byte `json:"-"`
	// RPID is the relying party (host name) it was registered for: it
	// signs in there only.
	RPID string `json:"rp_id"`
	// Credential is the credential as go-webauthn's webauthn.Credential
	// encodes it to JSON (public key, flags, authenticator).
	Credential []byte `json:"-"`
	// SignCount is the authenticator's signature counter at the last use
	// (0 for authenticators without one).
	SignCount  uint32     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// MaxPasskeyNameLen bounds passkey names.
const MaxPasskeyNameLen = 64

// The kinds of passkey ceremony.
const (
	// CeremonyRegister adds a passkey to a signed-in account.
	CeremonyRegister = "register"
	// CeremonyLogin signs in with a passkey alone (a discoverable
	// credential: no login asked).
	CeremonyLogin = "login"
	// CeremonySecondFactor completes a password sign-in of an account
	// that requires a passkey.
	CeremonySecondFactor = "second_factor"
)

// PasskeyCeremony is a WebAuthn ceremony begun and not yet finished: its
// challenge waits for the browser's answer. It is used once.
type PasskeyCeremony struct {
	ID int64
	// Hash is the SHA-256 of the secret the browser holds.
	Hash []byte
	Kind string
	// AccountID is the account it is for; 0 for a discoverable login.
	AccountID int64
	// Session is go-webauthn's webauthn.SessionData as JSON.
	Session   []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AccountStore keeps accounts, their sessions, memberships, invitations
// and API tokens. Its writes record changes like the others' (members,
// invitations and tokens are staff actions the audit log keeps).
type AccountStore interface {
	// CreateAccount stores a, setting ID, CreatedAt and UpdatedAt.
	// ECONFLICT if the login, the e-mail or the OpenID identity is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns one account.
	Account(ctx context.Context, id int64) (*Account, error)
	// AccountBy finds an account by its login, or by its OpenID identity
	// when login is "".
	AccountBy(ctx context.Context, login, issuer, subject string) (*Account, error)
	// Accounts lists every account, by login.
	Accounts(ctx context.Context) ([]*Account, error)
	// UpdateAccount applies u (nothing when it changes nothing).
	UpdateAccount(ctx context.Context, id int64, u AccountUpdate) (*Account, error)
	// CountAdmins counts the admin accounts that are not disabled.
	CountAdmins(ctx context.Context) (int, error)
	// PruneSignIns deletes what can no longer sign anyone in: sessions
	// that expired or were revoked before before, or were last seen more
	// than idle before it, and invitations that expired or were used
	// before it. It returns how many rows went.
	PruneSignIns(ctx context.Context, before time.Time, idle time.Duration) (int64, error)
	// SetupToken returns the one-time setup token and its expiry; when
	// there is none, or it has expired at now, it stores a fresh one made
	// by gen first. Every process on the database gets the same token.
	SetupToken(ctx context.Context, now time.Time, gen func() (string, time.Time)) (string, time.Time, error)
	// CreateFirstAdmin uses the setup token, given at now, to store a as
	// the first admin (setting ID, CreatedAt, UpdatedAt, and Admin): one
	// transaction, once, and only while no admin exists. ENOTFOUND for a
	// wrong, used or expired token; ECONFLICT once an admin exists.
	CreateFirstAdmin(ctx context.Context, a *Account, token string, now time.Time) error

	// CreateSession stores s, setting ID.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash finds a session by the hash of its secret, live or
	// not; ENOTFOUND if none.
	SessionByHash(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records that the session was used at at.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// RotateSession replaces a session marked to be rotated with s (setting
	// its ID), in one transaction: the old one stays valid until grace, for
	// the requests already on their way with it, and is no longer marked.
	// ok is false, and nothing is done, when the old session is not marked
	// (any more: a concurrent request rotated it).
	RotateSession(ctx context.Context, oldID int64, grace time.Time, s *Session) (ok bool, err error)
	// RevokeSessions revokes an account's live sessions (accountID 0: the
	// owner token's), only the one with id when id is not 0, all but keep
	// when keep is not 0; it returns how many it revoked.
	RevokeSessions(ctx context.Context, accountID, id, keep int64) (int, error)
	// Sessions lists an account's live sessions at now, newest first.
	Sessions(ctx context.Context, accountID int64, now time.Time) ([]*Session, error)

	// SetMembership gives m.AccountID the role in m.EventID (replacing
	// any), and marks the account's sessions to be rotated. ENOTFOUND if
	// the event or the account does not exist.
	SetMembership(ctx context.Context, m *Membership) error
	// RemoveMembership takes the account out of the event's staff.
	RemoveMembership(ctx context.Context, eventID, accountID int64) error
	// Membership returns the account's membership of the event; ENOTFOUND
	// if it has none.
	Membership(ctx context.Context, eventID, accountID int64) (*Membership, error)
	// Memberships lists an event's staff (eventID not 0) or an account's
	// memberships (eventID 0).
	Memberships(ctx context.Context, eventID, accountID int64) ([]*Membership, error)

	// CreateInvitation stores inv, setting ID and CreatedAt.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// AcceptInvitation uses the invitation whose secret hashes to hash, at
	// now, for the account a, and gives it the invitation's role: one
	// transaction, once. An a without an ID is created in the same
	// transaction (setting its ID, CreatedAt and UpdatedAt). ENOTFOUND for
	// an unknown, used or expired invitation; ECONFLICT as CreateAccount.
	AcceptInvitation(ctx context.Context, hash []byte, a *Account, now time.Time) (*Membership, error)
	// InvitationByHash finds an invitation by the hash of its secret, used
	// or not; ENOTFOUND if none.
	InvitationByHash(ctx context.Context, hash []byte) (*Invitation, error)
	// Invitations lists an event's invitations, newest first.
	Invitations(ctx context.Context, eventID int64) ([]*Invitation, error)
	// RevokeInvitation deletes an unused invitation of the event.
	RevokeInvitation(ctx context.Context, eventID, id int64) error

	// CreateAPIToken stores t, setting ID and CreatedAt.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash finds a token, live or not; ENOTFOUND if none.
	APITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// APITokens lists an account's tokens, newest first.
	APITokens(ctx context.Context, accountID int64) ([]*APIToken, error)
	// TouchAPIToken records that the token was used at at.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	// RevokeAPIToken revokes one of the account's tokens.
	RevokeAPIToken(ctx context.Context, accountID, id int64, at time.Time) error

	// PasskeyHandle returns the account's WebAuthn user handle, storing
	// the one gen makes when it has none yet. ENOTFOUND if there is no
	// such account.
	PasskeyHandle(ctx context.Context, accountID int64, gen func() []byte) ([]byte, error)
	// AccountByPasskeyHandle finds the account whose user handle it is;
	// ENOTFOUND if none.
	AccountByPasskeyHandle(ctx context.Context, handle []byte) (*Account, error)
	// CreatePasskey stores pk, setting ID and CreatedAt. ECONFLICT if its
	// credential id is registered already; ENOTFOUND if the account does
	// not exist.
	CreatePasskey(ctx context.Context, pk *Passkey) error
	// Passkeys lists an account's passkeys, oldest first.
	Passkeys(ctx context.Context, accountID int64) ([]*Passkey, error)
	// RenamePasskey renames one of the account's passkeys.
	RenamePasskey(ctx context.Context, accountID, id int64, name string) (*Passkey, error)
	// UsePasskey records a sign-in with the passkey at at: its new sign
	// count and credential (flags). It is conditional, so that two
	// sign-ins with one counter value cannot both pass: ECONFLICT unless
	// signCount is greater than the stored one (or both are 0, for
	// authenticators without a counter).
	UsePasskey(ctx context.Context, id int64, signCount uint32, credential []byte, at time.Time) error
	// DeletePasskey deletes one of the account's passkeys; deleting its
	// last one turns its PasskeyRequired off, in the same transaction.
	DeletePasskey(ctx context.Context, accountID, id int64) error
	// CreatePasskeyCeremony stores c, setting ID and CreatedAt, and
	// deletes the ceremonies that expired before now.
	CreatePasskeyCeremony(ctx context.Context, c *PasskeyCeremony, now time.Time) error
	// ConsumePasskeyCeremony takes the ceremony whose secret hashes to
	// hash, deleting it in the same statement, so that however many
	// replicas are asked at once it is used once. ENOTFOUND for an
	// unknown, used or (at now) expired ceremony.
	ConsumePasskeyCeremony(ctx context.Context, hash []byte, now time.Time) (*PasskeyCeremony, error)
}
