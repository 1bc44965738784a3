package act

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// MethodOIDC is a session signed in with the OpenID provider.
const MethodOIDC = "oidc"

// OIDCConfig turns on staff sign-in with an OpenID provider
// (docs/architecture.md, "Signing in").
type OIDCConfig struct {
	// Name is what the sign-in button names the provider ("Sign in with
	// <Name>").
	Name string
	// Client talks to the provider.
	Client *auth.OIDC
	// Policy decides who may sign in and who is an admin.
	Policy auth.OIDCPolicy
}

// DefaultOIDCName names a provider KOE_OIDC_NAME does not name.
const DefaultOIDCName = "OpenID Connect"

// DefaultReturnPath is where a sign-in with the provider ends by default.
const DefaultReturnPath = "/admin"

// What a failed sign-in with the provider comes back as
// (/admin?signin_error=<code>).
const (
	OIDCDenied     = "oidc_denied"      // refused or cancelled at the provider
	OIDCNotAllowed = "oidc_not_allowed" // the domain or group policy
	OIDCDisabled   = "oidc_disabled"    // the account is disabled
	OIDCFailed     = "oidc_failed"      // anything else
)

// OIDCError is a failed sign-in with the provider: Code is one of
// OIDCDenied, OIDCNotAllowed, OIDCDisabled, OIDCFailed, for the browser;
// Err is the reason, for the log only.
type OIDCError struct {
	Code string
	Err  error
	// Join is set when the sign-in was a participant's joining an event:
	// the error is shown on the join page, not the staff sign-in page.
	Join bool
}

func (e *OIDCError) Error() string { return e.Code + ": " + e.Err.Error() }
func (e *OIDCError) Unwrap() error { return e.Err }

// OIDCStarted is a sign-in sent to the provider.
type OIDCStarted struct {
	// URL is the provider's authorization URL to send the browser to.
	URL string
	// Login is the sealed login for the koe_oidc cookie, until Expires.
	Login   string
	Expires time.Time
}

// OIDCEnabled reports whether sign-in with a provider is configured.
func (a *Actions) OIDCEnabled() bool { return a.oidc != nil }

// OIDCStart begins a sign-in with the provider for a browser that wants
// to end up at returnTo (a local path; anything else means
// DefaultReturnPath). origin ("scheme://host" of the request) makes the
// redirect URL when KOE_PUBLIC_URL does not. ENOTFOUND when OIDC is not
// configured; EUNAVAILABLE while the provider cannot be discovered.
func (a *Actions) OIDCStart(ctx context.Context, returnTo, origin string) (*OIDCStarted, error) {
	if a.oidc == nil {
		return nil, koe.Errorf(koe.ENOTFOUND, "sign-in with OpenID Connect is not configured")
	}
	return a.beginOIDC(ctx, origin, LocalPath(returnTo), 0, "")
}

// beginOIDC sends a sign-in to the provider, for staff (joinEvent 0) or
// for a participant joining that event as name, and seals its login for
// the koe_oidc cookie.
func (a *Actions) beginOIDC(ctx context.Context, origin, returnTo string, joinEvent int64, name string) (*OIDCStarted, error) {
	authURL, login, err := a.oidc.Client.Begin(ctx, a.oidc.Client.RedirectURL(origin), returnTo)
	if err != nil {
		a.log.Warn("OpenID provider unavailable", "issuer", a.oidc.Client.Issuer(), "error", err)
		return nil, koe.Errorf(koe.EUNAVAILABLE, "the OpenID provider cannot be reached: try again in a moment")
	}
	login.JoinEvent, login.DisplayName = joinEvent, name
	sealed, err := a.oidcLogins.Seal(ctx, login)
	if err != nil {
		return nil, err
	}
	return &OIDCStarted{URL: authURL, Login: sealed, Expires: time.Unix(login.Expires, 0)}, nil
}

// LocalPath returns p if it is a path on this site, DefaultReturnPath
// otherwise: one leading "/", not "//" or "/\" (which browsers read as
// another host), no backslash, no control characters or spaces (which
// browsers drop or rewrite), at most 512 bytes. So a crafted link cannot
// make a sign-in end on another site.
func LocalPath(p string) string {
	if p == "" || len(p) > 512 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return DefaultReturnPath
	}
	for _, r := range p {
		if r < 0x21 || r == 0x7f || unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return DefaultReturnPath
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return DefaultReturnPath
	}
	return p
}

// OIDCCallbackRequest is the provider's redirect back to koe.
type OIDCCallbackRequest struct {
	// Query is the callback URL's query (code, state or error).
	Query url.Values
	// Login is the koe_oidc cookie, "" for none.
	Login string
}

// OIDCSignedIn is a sign-in with the provider that succeeded: a staff
// session, or a participant who joined an event (Joined).
type OIDCSignedIn struct {
	*SignedIn
	Joined *Joined
	// ReturnTo is the local path the browser goes to now.
	ReturnTo string
}

// OIDCCallback finishes a sign-in with the provider: the state must be
// that of this browser's login (the koe_oidc cookie), the code is
// exchanged and the ID token verified, the policy applied; the account
// with the provider's identity (issuer, subject) is found or created, its
// admin right set from the admin groups, and a session opened. Every
// failure is an *OIDCError, and is logged with its reason. Attempts count
// against signin.ip.
func (a *Actions) OIDCCallback(ctx context.Context, in OIDCCallbackRequest, c Client) (*OIDCSignedIn, error) {
	si, join, err := a.oidcCallback(ctx, in, c)
	if err != nil {
		var oe *OIDCError
		if !errors.As(err, &oe) {
			oe = &OIDCError{Code: OIDCFailed, Err: err}
		}
		oe.Join = join
		a.log.Info("OpenID sign-in refused", "signin_error", oe.Code, "reason", oe.Err.Error(), "addr", c.Addr)
		return nil, oe
	}
	return si, nil
}

// oidcCallback is OIDCCallback; join reports whether the login was a
// participant's.
func (a *Actions) oidcCallback(ctx context.Context, in OIDCCallbackRequest, c Client) (_ *OIDCSignedIn, join bool, _ error) {
	if a.oidc == nil {
		return nil, false, errors.New("sign-in with OpenID Connect is not configured")
	}
	if err := a.limiter.Allow(ctx, "signin.ip", c.Addr); err != nil {
		return nil, false, err
	}
	id, login, err := a.OIDCIdentity(ctx, in)
	join = login != nil && login.JoinEvent != 0
	if err != nil {
		if errors.Is(err, auth.ErrOIDCDenied) {
			return nil, join, &OIDCError{Code: OIDCDenied, Err: err}
		}
		return nil, join, err
	}
	if join {
		j, err := a.joinSignedIn(ctx, login, id, c)
		if err != nil {
			return nil, true, err
		}
		return &OIDCSignedIn{Joined: j, ReturnTo: login.ReturnTo}, true, nil
	}
	si, err := a.staffSignedIn(ctx, id, c)
	if err != nil {
		return nil, false, err
	}
	return &OIDCSignedIn{SignedIn: si, ReturnTo: login.ReturnTo}, false, nil
}

// staffSignedIn applies the staff policy to a verified identity and opens
// the session of its account.
func (a *Actions) staffSignedIn(ctx context.Context, id *auth.Identity, c Client) (*SignedIn, error) {
	d, err := a.oidc.Policy.Decide(id)
	if err != nil {
		return nil, &OIDCError{Code: OIDCNotAllowed, Err: err}
	}
	acct, err := a.oidcAccount(ctx, id, d)
	if err != nil {
		return nil, err
	}
	if acct.Disabled {
		return nil, &OIDCError{Code: OIDCDisabled, Err: errors.New("account " + acct.Login + " is disabled")}
	}
	if d.SetAdmin && acct.Admin != d.Admin {
		if acct, err = a.oidcSetAdmin(ctx, acct, d.Admin); err != nil {
			return nil, err
		}
	}
	return a.openSession(ctx, acct.ID, MethodOIDC, c, acct)
}

// JoinOIDCStart begins a participant's sign-in with the provider to join
// the event with the join code (as name, "" for anonymous), for an event
// that asks for it (ParticipantSignIn). ENOTFOUND when OIDC is not
// configured or no event has the code; EINVALID for a malformed code or
// name; ECONFLICT when the event does not ask participants to sign in.
func (a *Actions) JoinOIDCStart(ctx context.Context, code, name, origin string) (*OIDCStarted, error) {
	if a.oidc == nil {
		return nil, koe.Errorf(koe.ENOTFOUND, "sign-in with OpenID Connect is not configured")
	}
	e, name, err := a.joinTarget(ctx, JoinRequest{Code: code, DisplayName: name})
	if err != nil {
		return nil, err
	}
	if !e.Settings.ParticipantSignIn {
		return nil, koe.Errorf(koe.ECONFLICT, "this event does not ask participants to sign in: join with its code")
	}
	return a.beginOIDC(ctx, origin, "/e/"+strconv.FormatInt(e.ID, 10), e.ID, name)
}

// joinSignedIn makes the person the provider vouched for a participant of
// the login's event, or finds the participant they already are: one
// person, one participant, on every device. No staff policy applies: the
// event asked for a sign-in, the provider decides who has an account. The
// name the provider knows is not used: participants choose theirs.
func (a *Actions) joinSignedIn(ctx context.Context, login *auth.OIDCLogin, id *auth.Identity, c Client) (*Joined, error) {
	e, err := a.store.Event(ctx, login.JoinEvent)
	if err != nil {
		return nil, err
	}
	p, err := a.store.ParticipantByIdentity(ctx, e.ID, id.Issuer, id.Subject)
	existing := err == nil
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		if err := a.limiter.Allow(ctx, "join.ip", c.Addr); err != nil {
			return nil, err
		}
		p = &koe.Participant{EventID: e.ID, DisplayName: login.DisplayName, OIDCIssuer: id.Issuer, OIDCSubject: id.Subject}
		err = a.store.CreateParticipant(ctx, p)
		if koe.ErrorCode(err) == koe.ECONFLICT { // the same person, on two devices at once
			p, err = a.store.ParticipantByIdentity(ctx, e.ID, id.Issuer, id.Subject)
		}
	}
	if err != nil {
		return nil, err
	}
	tok, err := a.tokens.Issue(ctx, e.ID, p.ID, a.now())
	if err != nil {
		return nil, err
	}
	return &Joined{Event: e, Participant: p, Token: tok, Existing: existing}, nil
}

// OIDCIdentity turns a callback into the provider's verified identity
// (the login's state, nonce and PKCE verifier checked), before any
// policy: staff and participants' sign-ins share it. The login is
// returned when it could be opened, even with an error.
func (a *Actions) OIDCIdentity(ctx context.Context, in OIDCCallbackRequest) (*auth.Identity, *auth.OIDCLogin, error) {
	cb, err := auth.ParseOIDCCallback(in.Query)
	if err != nil {
		return nil, nil, err
	}
	var login *auth.OIDCLogin
	if in.Login != "" {
		l, ok, err := a.oidcLogins.Open(ctx, in.Login)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			login = l
		}
	}
	id, err := a.oidc.Client.Finish(ctx, login, cb)
	if err != nil {
		return nil, login, err
	}
	return id, login, nil
}

// oidcAccount finds the account of the identity, or creates it. An
// account is never found by its e-mail: a provider that vouched for an
// address could otherwise take over the password account that has it.
func (a *Actions) oidcAccount(ctx context.Context, id *auth.Identity, d auth.Decision) (*koe.Account, error) {
	acct, err := a.store.AccountBy(ctx, "", id.Issuer, id.Subject)
	if koe.ErrorCode(err) != koe.ENOTFOUND {
		return acct, err
	}
	email := ""
	if id.EmailVerified {
		if e, err := cleanEmail(id.Email); err == nil {
			email = e
		}
	}
	if email != "" {
		all, err := a.store.Accounts(ctx)
		if err != nil {
			return nil, err
		}
		for _, other := range all {
			if strings.EqualFold(other.Email, email) {
				email = "" // taken: the new account goes without
				break
			}
		}
	}
	base := oidcLoginBase(id)
	name := oidcDisplayName(id, base)
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: koe.Actor{Kind: koe.ActorSystem}, At: a.now()})
	for n := 1; n <= maxLoginTries; {
		login := base
		if n > 1 {
			login = base + "-" + strconv.Itoa(n)
		}
		if _, err := a.store.AccountBy(ctx, login, "", ""); err == nil {
			n++
			continue
		} else if koe.ErrorCode(err) != koe.ENOTFOUND {
			return nil, err
		}
		acct := &koe.Account{Login: login, DisplayName: name, Email: email, Admin: d.SetAdmin && d.Admin,
			OIDCIssuer: id.Issuer, OIDCSubject: id.Subject}
		err := a.store.CreateAccount(octx, acct)
		if err == nil {
			return acct, nil
		}
		if koe.ErrorCode(err) != koe.ECONFLICT {
			return nil, err
		}
		// Taken in the meantime: the identity (the same person signing in
		// twice at once), the e-mail or the login.
		if acct, err := a.store.AccountBy(ctx, "", id.Issuer, id.Subject); err == nil {
			return acct, nil
		}
		if email != "" {
			email = ""
			continue
		}
		n++
	}
	return nil, errors.New("no free login for " + base)
}

// maxLoginTries bounds the logins tried for a new account (base,
// base-2, …).
const maxLoginTries = 50

// oidcLoginBase makes a login from the provider's preferred_username, or
// the e-mail's local part, or "user": normalised, spaces made dashes,
// short enough for a "-NN" suffix.
func oidcLoginBase(id *auth.Identity) string {
	for _, s := range []string{id.PreferredUsername, localPart(id.Email)} {
		s = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return '-'
			}
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, strings.TrimSpace(s))
		if r := []rune(s); len(r) > koe.MaxLoginLen-4 {
			s = string(r[:koe.MaxLoginLen-4])
		}
		if login, err := koe.NormalizeLogin(s); err == nil {
			return login
		}
	}
	return "user"
}

// oidcDisplayName is the provider's name for the person, if koe can show
// it, else the login.
func oidcDisplayName(id *auth.Identity, login string) string {
	name := id.Name
	if r := []rune(name); len(r) > koe.MaxDisplayNameLen {
		name = string(r[:koe.MaxDisplayNameLen])
	}
	if s, err := koe.CleanLine("display_name", name, 1, koe.MaxDisplayNameLen); err == nil {
		return s
	}
	if r := []rune(login); len(r) > koe.MaxDisplayNameLen {
		login = string(r[:koe.MaxDisplayNameLen])
	}
	return login
}

// oidcSetAdmin makes the account an admin or not, as the admin groups
// say: the provider's groups decide, at every sign-in, and the change is
// recorded (koe acting) in the audit log.
func (a *Actions) oidcSetAdmin(ctx context.Context, acct *koe.Account, admin bool) (*koe.Account, error) {
	if !admin {
		if n, err := a.store.CountAdmins(ctx); err == nil && n <= 1 {
			a.log.Warn("the last admin left the OpenID admin groups and is no longer an admin; sign in with KOE_OWNER_TOKEN to make another", "account", acct.ID)
		}
	}
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: koe.Actor{Kind: koe.ActorSystem}, At: a.now()})
	return a.store.UpdateAccount(octx, acct.ID, koe.AccountUpdate{Admin: &admin})
}
