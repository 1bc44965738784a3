package act

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// How a session was signed in (koe.Session.Method).
const (
	MethodPassword   = "password"
	MethodOwnerToken = "owner_token"
	MethodSetup      = "setup"
	MethodInvitation = "invitation"
)

// Client is who is on the other end of a request that signs in.
type Client struct {
	Addr      string
	UserAgent string
	// Host is the host the request was made to (its Host header), and
	// TLS whether it came over TLS: without KOE_PUBLIC_URL they make the
	// passkeys' relying party.
	Host string
	TLS  bool
}

// SignInRequest signs a browser in: with a login and password, with a
// passkey, or with the owner token.
type SignInRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	// Token is the owner token (KOE_OWNER_TOKEN), for break-glass access.
	Token string `json:"token"`
	// Passkey is a passkey's assertion: a sign-in with a passkey alone
	// (BeginPasskeySignIn), or the second factor a password sign-in asked
	// for.
	Passkey *PasskeyAssertion `json:"passkey"`
}

// SignedIn is a new session and whose it is.
type SignedIn struct {
	Session IssuedSession `json:"-"`
	// Account is the account signed in; nil for the owner token.
	Account *koe.Account `json:"account"`
	Admin   bool         `json:"admin"`
	// SecondFactor, when set, means the password was right but no
	// session was opened: the account requires a passkey too, and this
	// is the ceremony to answer.
	SecondFactor *SecondFactor `json:"-"`
}

// wrongPassword is the one answer to a failed password sign-in, whether
// the login exists or not.
var wrongPassword = koe.Errorf(koe.EUNAUTHORIZED, "wrong login or password")

// SignIn checks a login and password, or the owner token, and opens a
// session. Attempts are limited per address (signin.ip) and per login
// (signin.account); each failure for a login doubles the wait before the
// next one is checked (backoff). An unknown login costs the same work
// and gets the same answer as a wrong password.
func (a *Actions) SignIn(ctx context.Context, in SignInRequest, c Client) (*SignedIn, error) {
	if err := a.limiter.Allow(ctx, "signin.ip", c.Addr); err != nil {
		return nil, err
	}
	if in.Passkey != nil {
		if in.Token != "" || in.Login != "" || in.Password != "" {
			return nil, koe.Errorf(koe.EINVALID, "give either a passkey, a login and password, or a token")
		}
		return a.passkeySignIn(ctx, *in.Passkey, c)
	}
	if in.Token == "" && in.Login == "" {
		return nil, koe.Errorf(koe.EINVALID, "give a login and password, or the owner token")
	}
	if in.Token != "" {
		if in.Login != "" || in.Password != "" {
			return nil, koe.Errorf(koe.EINVALID, "give either a token or a login and password")
		}
		tok := strings.TrimSpace(in.Token)
		if a.ownerToken == "" || !auth.Equal(tok, a.ownerToken) {
			return nil, a.invalid(ctx, c.Addr, "invalid token")
		}
		return a.openSession(ctx, 0, ownerTokenMethod(a.ownerToken), c, nil)
	}
	login, err := koe.NormalizeLogin(in.Login)
	if err != nil {
		return nil, koe.Errorf(koe.EINVALID, "login: %s", koe.ErrorMessage(err))
	}
	if in.Password == "" || len(in.Password) > auth.MaxPasswordLen {
		return nil, koe.Errorf(koe.EINVALID, "password must be 1–%d bytes", auth.MaxPasswordLen)
	}
	if err := a.limiter.Allow(ctx, "signin.account", login); err != nil {
		return nil, err
	}
	if err := a.backoff.wait(login); err != nil {
		return nil, err
	}
	acct, err := a.store.AccountBy(ctx, login, "", "")
	if err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
		return nil, err
	}
	hash := ""
	if acct != nil && !acct.Disabled {
		hash = acct.PasswordHash
	}
	ok, err := a.passwords.Verify(ctx, hash, in.Password)
	if err != nil {
		return nil, err
	}
	if !ok {
		a.backoff.failed(login)
		return nil, wrongPassword
	}
	a.backoff.succeeded(login)
	if acct.PasskeyRequired {
		return a.secondFactor(ctx, acct, c)
	}
	return a.openSession(ctx, acct.ID, MethodPassword, c, acct)
}

// openSession stores a new session for the account (0: the owner token)
// and returns it.
func (a *Actions) openSession(ctx context.Context, accountID int64, method string, c Client, acct *koe.Account) (*SignedIn, error) {
	now := a.now()
	secret := auth.NewSecret(auth.SessionPrefix)
	ss := &koe.Session{Hash: auth.Hash(secret), AccountID: accountID, Method: method,
		UserAgent: clip(c.UserAgent, maxUserAgent), Addr: c.Addr, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(a.sessions.Max)}
	via := koe.ViaSession
	if accountID == 0 {
		via = koe.ViaOwnerToken
	}
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: koe.Actor{Kind: koe.ActorStaff, ID: accountID, Via: via, Addr: c.Addr}, At: now})
	if err := a.store.CreateSession(octx, ss); err != nil {
		return nil, err
	}
	return &SignedIn{Session: IssuedSession{Secret: secret, Expires: ss.ExpiresAt}, Account: acct, Admin: acct == nil || acct.Admin}, nil
}

// SignOut ends the caller's session.
func (a *Actions) SignOut(ctx context.Context) error {
	p := koe.PrincipalFrom(ctx)
	if p.SessionID == 0 {
		return nil // nothing to end: the browser's cookie goes anyway
	}
	_, err := a.store.RevokeSessions(a.staffOrigin(ctx, p), p.AccountID, p.SessionID, 0)
	return err
}

// staffOrigin returns ctx recording p, a member of staff, as acting now.
func (a *Actions) staffOrigin(ctx context.Context, p koe.Principal) context.Context {
	return koe.WithOrigin(ctx, koe.Origin{Actor: p.ActorAs(koe.RoleOwner), At: a.now()})
}

// SessionInfo is one of an account's sessions as its owner sees it.
type SessionInfo struct {
	*koe.Session
	// Current is the session this request came with.
	Current bool `json:"current"`
}

// Sessions lists the caller's live sessions.
func (a *Actions) Sessions(ctx context.Context) ([]SessionInfo, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	list, err := a.store.Sessions(ctx, p.AccountID, a.now())
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(list))
	for _, ss := range list {
		if p.AccountID == 0 && ss.Method != ownerTokenMethod(a.ownerToken) {
			continue // the owner token's sessions of an old value: ended
		}
		out = append(out, SessionInfo{Session: ss, Current: ss.ID == p.SessionID})
	}
	return out, nil
}

// RevokeSession ends one of the caller's sessions (id 0: all of them,
// this one too: "sign out everywhere") and returns how many it ended.
func (a *Actions) RevokeSession(ctx context.Context, id int64) (int, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return 0, err
	}
	n, err := a.store.RevokeSessions(a.staffOrigin(ctx, p), p.AccountID, id, 0)
	if err == nil && n == 0 && id != 0 {
		return 0, koe.Errorf(koe.ENOTFOUND, "no such live session of yours")
	}
	return n, err
}

// signedIn returns the principal in ctx if it came with a browser
// session: EUNAUTHORIZED when it is no staff at all, EFORBIDDEN for a
// token (API or owner token), which cannot manage sessions and accounts.
func signedIn(ctx context.Context) (koe.Principal, error) {
	p := koe.PrincipalFrom(ctx)
	switch {
	case p.SessionID != 0:
		return p, nil
	case p.IsStaff():
		return p, koe.Errorf(koe.EFORBIDDEN, "this needs a browser session: a token cannot do it")
	default:
		return p, koe.Errorf(koe.EUNAUTHORIZED, "sign in first")
	}
}

// ownAccount returns the principal in ctx if it came with a browser
// session of an account (not of the owner token, which has none).
func ownAccount(ctx context.Context) (koe.Principal, error) {
	p, err := signedIn(ctx)
	if err == nil && p.AccountID == 0 {
		err = koe.Errorf(koe.EFORBIDDEN, "the owner token has no account: sign in with one")
	}
	return p, err
}

// backoff makes a login that keeps failing wait: after n failures in a
// row, 2^(n-3) seconds before the next attempt is checked (the first three
// are free, for typos), at most a minute. It is per process; the shared
// signin.account limit bounds the attempts across replicas.
type backoff struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

func newBackoff(now func() time.Time) *backoff {
	return &backoff{now: now, m: map[string]*failures{}}
}

const (
	freeFailures = 3
	maxBackoff   = time.Minute
	// backoffForget drops a login's failures after this long without one.
	backoffForget = 15 * time.Minute
)

func (b *backoff) delay(n int) time.Duration {
	if n < freeFailures {
		return 0
	}
	return min(time.Second<<(n-freeFailures), maxBackoff)
}

// wait refuses an attempt that comes before the login's wait is over.
func (b *backoff) wait(login string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.m[login]
	if f == nil {
		return nil
	}
	now := b.now()
	if now.Sub(f.last) > backoffForget {
		delete(b.m, login)
		return nil
	}
	if left := f.last.Add(b.delay(f.n)).Sub(now); left > 0 {
		return &koe.Error{Code: koe.ERATELIMIT, RetryAfter: left,
			Message: "too many failed sign-ins for this login: wait a moment before trying again"}
	}
	return nil
}

func (b *backoff) failed(login string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for l, f := range b.m { // keep the map small
		if now.Sub(f.last) > backoffForget {
			delete(b.m, l)
		}
	}
	f := b.m[login]
	if f == nil {
		f = &failures{}
		b.m[login] = f
	}
	f.n++
	f.last = now
}

func (b *backoff) succeeded(login string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, login)
}

// SetupStatus says whether koe still needs its first admin, and which
// OpenID provider staff may sign in with.
type SetupStatus struct {
	Needed bool `json:"needed"`
	// OIDC names the OpenID provider staff may sign in with (the button
	// says "Sign in with <OIDC>"); absent when none is configured.
	OIDC string `json:"oidc,omitempty"`
}

// Setup reports whether koe still needs its first admin.
func (a *Actions) Setup(ctx context.Context) (*SetupStatus, error) {
	n, err := a.store.CountAdmins(ctx)
	if err != nil {
		return nil, err
	}
	st := &SetupStatus{Needed: n == 0}
	if a.oidc != nil {
		st.OIDC = a.oidc.Name
	}
	return st, nil
}

// SetupToken returns the one-time setup token while koe has no admin
// ("" once it has one), making it when needed: what koe serve prints at
// start, as a link.
func (a *Actions) SetupToken(ctx context.Context) (string, time.Time, error) {
	if n, err := a.store.CountAdmins(ctx); err != nil || n > 0 {
		return "", time.Time{}, err
	}
	now := a.now()
	return a.store.SetupToken(ctx, now, func() (string, time.Time) {
		return auth.NewSecret(auth.SetupPrefix), now.Add(setupTokenTTL)
	})
}

// setupTokenTTL is how long a setup link works.
const setupTokenTTL = 24 * time.Hour

// NewAccount is an account as it is created, with its password.
type NewAccount struct {
	Login       string `json:"login"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	// Admin makes an admin (only an admin may).
	Admin bool `json:"admin"`
}

// SetupRequest makes the first admin with the setup token.
type SetupRequest struct {
	Token string `json:"token"`
	NewAccount
}

// CompleteSetup makes the first admin with the setup token and signs it in.
func (a *Actions) CompleteSetup(ctx context.Context, in SetupRequest, c Client) (*SignedIn, error) {
	if err := a.limiter.Allow(ctx, "signin.ip", c.Addr); err != nil {
		return nil, err
	}
	if in.Token == "" {
		return nil, koe.Errorf(koe.EINVALID, "token is required: the part of the setup link after #")
	}
	if !auth.HasPrefix(in.Token, auth.SetupPrefix) {
		return nil, a.invalid(ctx, c.Addr, "this setup link is not valid")
	}
	acct, err := a.newAccount(ctx, in.NewAccount)
	if err != nil {
		return nil, err
	}
	now := a.now()
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: koe.Actor{Kind: koe.ActorSystem}, At: now})
	if err := a.store.CreateFirstAdmin(octx, acct, in.Token, now); err != nil {
		if koe.ErrorCode(err) == koe.ENOTFOUND {
			return nil, a.invalid(ctx, c.Addr, koe.ErrorMessage(err))
		}
		return nil, err
	}
	return a.openSession(ctx, acct.ID, MethodSetup, c, acct)
}

// newAccount validates what an account is created from and hashes its
// password.
func (a *Actions) newAccount(ctx context.Context, in NewAccount) (*koe.Account, error) {
	acct := &koe.Account{Admin: in.Admin}
	var err error
	if acct.Login, err = koe.NormalizeLogin(in.Login); err != nil {
		return nil, koe.Errorf(koe.EINVALID, "login: %s", koe.ErrorMessage(err))
	}
	if acct.DisplayName, err = koe.CleanLine("display_name", in.DisplayName, 1, koe.MaxDisplayNameLen); err != nil {
		return nil, err
	}
	if acct.Email, err = cleanEmail(in.Email); err != nil {
		return nil, err
	}
	if err := auth.CheckNewPassword(in.Password, acct.Login, acct.DisplayName, acct.Email, localPart(acct.Email)); err != nil {
		return nil, err
	}
	if acct.PasswordHash, err = a.passwords.Hash(ctx, in.Password); err != nil {
		return nil, err
	}
	return acct, nil
}

// cleanEmail checks an e-mail address loosely (one @, something either
// side, no spaces) and lowercases it; "" is none.
func cleanEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	at := strings.LastIndexByte(s, '@')
	if len(s) > 254 || at < 1 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n<>\"") || !strings.Contains(s[at:], ".") {
		return "", koe.Errorf(koe.EINVALID, "email must be an address like name@example.com")
	}
	return s, nil
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}
