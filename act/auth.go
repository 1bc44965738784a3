package act

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// Credentials are what a request presents. The API reads them from its
// headers and cookies; Authenticate turns them into a principal.
type Credentials struct {
	// Bearer is the token of an Authorization header ("" for none): an API
	// token, a participant token, a screen link's secret or the owner
	// token. When present it is the only credential read.
	Bearer string
	// ScreenKey is a screen link's secret given in the URL (the key
	// parameter of a GET), "" for none; when present, the only credential
	// read.
	ScreenKey string
	// BadScheme is set when an Authorization header is present but is not
	// "Bearer <token>".
	BadScheme bool
	// Session is the browser's staff session (the koe_session cookie), ""
	// for none.
	Session string
	// Participant holds the participant tokens a browser keeps, one per
	// event it joined.
	Participant []string
	// Addr is the client's address, for per-address limits and the audit
	// log.
	Addr string
	// UserAgent names the client in the list of one's sessions.
	UserAgent string
}

// Auth is the outcome of authenticating a request.
type Auth struct {
	Principal koe.Principal
	// Renewed is set when the browser's session was rotated (its
	// account's roles changed): the cookie must now carry this one.
	Renewed *IssuedSession
	// Stale is set when the browser presented a session that has ended:
	// the cookie should be cleared.
	Stale bool
}

// IssuedSession is a session secret handed to a browser, for its cookie.
type IssuedSession struct {
	Secret  string
	Expires time.Time
}

// Authenticate returns who c names for a request about eventID (0 when it
// is about no event): staff, the event's participant, both, or nobody. A
// bearer token that is present but invalid is an error (the client
// should learn its token is bad); an invalid cookie is no credential. Both
// count against the address's auth.ip limit when they name nothing koe
// ever issued, so guessing is throttled.
func (a *Actions) Authenticate(ctx context.Context, c Credentials, eventID int64) (Auth, error) {
	out := Auth{Principal: koe.Principal{Addr: c.Addr}}
	if c.BadScheme {
		return out, koe.Errorf(koe.EUNAUTHORIZED, "Authorization must be \"Bearer <token>\"")
	}
	if c.ScreenKey != "" {
		if !strings.HasPrefix(c.ScreenKey, auth.ScreenPrefix) {
			return out, a.invalid(ctx, c.Addr, "key must be a screen link's secret ("+auth.ScreenPrefix+"…)")
		}
		p, err := a.screenViewer(ctx, c.ScreenKey, c.Addr)
		if err != nil {
			return out, err
		}
		p.Addr = c.Addr
		out.Principal = p
		return out, nil
	}
	if c.Bearer != "" {
		p, err := a.bearer(ctx, c.Bearer, c.Addr)
		if err != nil {
			return out, err
		}
		p.Addr = c.Addr
		out.Principal = p
		return out, nil
	}
	if c.Session != "" {
		p, renewed, err := a.session(ctx, c)
		switch {
		case koe.ErrorCode(err) == koe.EUNAUTHORIZED:
			out.Stale = true
		case err != nil:
			return out, err
		default:
			p.Addr = c.Addr
			out.Principal, out.Renewed = p, renewed
		}
	}
	if eventID != 0 {
		for _, tok := range c.Participant {
			if e, id, ok, err := a.tokens.Open(ctx, tok, a.now()); err != nil {
				return out, err
			} else if ok && e == eventID {
				out.Principal.EventID, out.Principal.ParticipantID = e, id
			}
		}
	}
	return out, nil
}

// bearer authenticates a token from an Authorization header.
func (a *Actions) bearer(ctx context.Context, tok, addr string) (koe.Principal, error) {
	switch {
	case strings.HasPrefix(tok, auth.ParticipantPrefix):
		e, id, ok, err := a.tokens.Open(ctx, tok, a.now())
		if err != nil {
			return koe.Principal{}, err
		}
		if !ok {
			return koe.Principal{}, a.invalid(ctx, addr, "invalid or expired participant token: join the event again")
		}
		return koe.Principal{EventID: e, ParticipantID: id}, nil
	case strings.HasPrefix(tok, auth.APITokenPrefix):
		return a.apiToken(ctx, tok, addr)
	case strings.HasPrefix(tok, auth.ScreenPrefix):
		return a.screenViewer(ctx, tok, addr)
	case a.ownerToken != "" && auth.Equal(tok, a.ownerToken):
		return ownerPrincipal(), nil
	}
	return koe.Principal{}, a.invalid(ctx, addr, "invalid token")
}

// ownerPrincipal is the owner token's: an admin without an account.
func ownerPrincipal() koe.Principal {
	return koe.Principal{Admin: true, Everywhere: koe.RoleOwner, Via: koe.ViaOwnerToken}
}

// invalid answers a credential koe never issued, counting the attempt
// against the caller's address.
func (a *Actions) invalid(ctx context.Context, addr, msg string) error {
	if err := a.limiter.Allow(ctx, "auth.ip", addr); err != nil {
		return err
	}
	return koe.Errorf(koe.EUNAUTHORIZED, "%s", msg)
}

// staff returns the principal of an account: its roles in the events it is
// staff of (an admin's in all), limited by token when it acts through an
// API token. ok is false for a disabled account.
func (a *Actions) staff(ctx context.Context, acct *koe.Account, token *koe.APIToken) (koe.Principal, bool, error) {
	p := koe.Principal{AccountID: acct.ID, Via: koe.ViaSession}
	if acct.Disabled {
		return p, false, nil
	}
	ms, err := a.store.Memberships(ctx, 0, acct.ID)
	if err != nil {
		return p, false, err
	}
	held := func(r koe.Role) koe.Role { return r }
	if token != nil {
		p.Via, p.TokenID = koe.ViaAPIToken, token.ID
		held = func(r koe.Role) koe.Role { return token.Within(r) }
	}
	if acct.Admin {
		p.Admin = token == nil || token.Allows(koe.RoleAdmin)
		p.Everywhere = held(koe.RoleOwner)
	}
	for _, m := range ms {
		if token != nil && !token.Covers(m.EventID) {
			continue
		}
		r := held(m.Role)
		if r == "" {
			continue
		}
		if p.Staff == nil {
			p.Staff = map[int64]koe.Role{}
		}
		p.Staff[m.EventID] = r
		if r == koe.RolePresenter && m.Role == koe.RolePresenter && len(m.Talks) > 0 {
			if p.Talks == nil {
				p.Talks = map[int64][]int64{}
			}
			p.Talks[m.EventID] = m.Talks
		}
	}
	if token != nil && len(token.Events) > 0 && p.Everywhere != "" {
		// A token limited to some events holds an admin's role in those
		// only.
		for _, e := range token.Events {
			if p.Staff == nil {
				p.Staff = map[int64]koe.Role{}
			}
			if cur := p.Staff[e]; cur == "" || p.Everywhere.Stronger(cur) {
				p.Staff[e] = p.Everywhere
				delete(p.Talks, e)
			}
		}
		p.Everywhere = ""
	}
	return p, true, nil
}

// apiToken authenticates an account's API token.
func (a *Actions) apiToken(ctx context.Context, tok, addr string) (koe.Principal, error) {
	if !auth.HasPrefix(tok, auth.APITokenPrefix) {
		return koe.Principal{}, a.invalid(ctx, addr, "invalid token")
	}
	t, err := a.store.APITokenByHash(ctx, auth.Hash(tok))
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return koe.Principal{}, a.invalid(ctx, addr, "invalid token")
	}
	if err != nil {
		return koe.Principal{}, err
	}
	now := a.now()
	if t.RevokedAt != nil || t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return koe.Principal{}, koe.Errorf(koe.EUNAUTHORIZED, "this API token has been revoked or has expired")
	}
	acct, err := a.store.Account(ctx, t.AccountID)
	if err != nil {
		return koe.Principal{}, err
	}
	p, ok, err := a.staff(ctx, acct, t)
	if err != nil {
		return p, err
	}
	if !ok {
		return koe.Principal{}, koe.Errorf(koe.EUNAUTHORIZED, "the account of this API token is disabled")
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenTouchEvery {
		if err := a.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			a.log.Warn("could not record an API token's use", "token", t.ID, "error", err)
		}
	}
	return p, nil
}

// How often the last use of a session or token is written: often enough
// to show, rarely enough not to write on every request.
const (
	sessionTouchEvery = 5 * time.Minute
	tokenTouchEvery   = time.Minute
)

// rotationGrace is how long a rotated session stays valid, for the
// requests a browser already has on their way with it.
const rotationGrace = time.Minute

// session authenticates a browser's session cookie. EUNAUTHORIZED means
// the cookie names no live session.
func (a *Actions) session(ctx context.Context, c Credentials) (koe.Principal, *IssuedSession, error) {
	stale := koe.Errorf(koe.EUNAUTHORIZED, "your session has ended: sign in again")
	if !auth.HasPrefix(c.Session, auth.SessionPrefix) {
		return koe.Principal{}, nil, a.unknownSession(ctx, c.Addr)
	}
	ss, err := a.store.SessionByHash(ctx, auth.Hash(c.Session))
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return koe.Principal{}, nil, a.unknownSession(ctx, c.Addr)
	}
	if err != nil {
		return koe.Principal{}, nil, err
	}
	now := a.now()
	if !ss.Live(now, a.sessions.Idle) {
		return koe.Principal{}, nil, stale
	}
	var p koe.Principal
	if ss.AccountID == 0 {
		// The owner token's: valid while this process has the same token.
		if a.ownerToken == "" || ss.Method != ownerTokenMethod(a.ownerToken) {
			return koe.Principal{}, nil, stale
		}
		p = ownerPrincipal()
		p.Via = koe.ViaSession
	} else {
		acct, err := a.store.Account(ctx, ss.AccountID)
		if err != nil {
			return koe.Principal{}, nil, err
		}
		var ok bool
		if p, ok, err = a.staff(ctx, acct, nil); err != nil {
			return p, nil, err
		} else if !ok {
			return koe.Principal{}, nil, stale
		}
	}
	p.SessionID = ss.ID
	if now.Sub(ss.LastSeenAt) >= sessionTouchEvery {
		if err := a.store.TouchSession(ctx, ss.ID, now); err != nil {
			a.log.Warn("could not record a session's use", "session", ss.ID, "error", err)
		}
	}
	if !ss.Rotate {
		return p, nil, nil
	}
	secret := auth.NewSecret(auth.SessionPrefix)
	next := &koe.Session{Hash: auth.Hash(secret), AccountID: ss.AccountID, Method: ss.Method,
		UserAgent: clip(c.UserAgent, maxUserAgent), Addr: c.Addr, CreatedAt: now, LastSeenAt: now, ExpiresAt: ss.ExpiresAt}
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: p.ActorAs(koe.RoleOwner), At: now})
	ok, err := a.store.RotateSession(octx, ss.ID, now.Add(rotationGrace), next)
	if err != nil || !ok { // a request beside this one rotated it: keep the old one a moment
		return p, nil, err
	}
	p.SessionID = next.ID
	return p, &IssuedSession{Secret: secret, Expires: next.ExpiresAt}, nil
}

// unknownSession answers a session cookie koe never issued: counted like
// an invalid token, and otherwise no credential.
func (a *Actions) unknownSession(ctx context.Context, addr string) error {
	if err := a.limiter.Allow(ctx, "auth.ip", addr); err != nil {
		return err
	}
	return koe.Errorf(koe.EUNAUTHORIZED, "unknown session")
}

// ownerTokenMethod is how a session signed in with the owner token names
// its method: with the token's fingerprint, so that when KOE_OWNER_TOKEN
// changes the sessions of the old value end too.
func ownerTokenMethod(token string) string {
	return MethodOwnerToken + ":" + hex.EncodeToString(auth.Hash("koe owner token fingerprint\x00" + token)[:6])
}

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// maxUserAgent bounds the user agent kept with a session.
const maxUserAgent = 200

// participantOf returns the participant of the event that c's
// participant tokens name, 0 for none.
func (a *Actions) participantOf(ctx context.Context, c Credentials, eventID int64) int64 {
	for _, tok := range append([]string{c.Bearer}, c.Participant...) {
		if e, id, ok, err := a.tokens.Open(ctx, tok, a.now()); err == nil && ok && e == eventID {
			return id
		}
	}
	return 0
}

// TokenEvent returns the event a participant token is for, 0 if it is not
// a valid one: browsers keep one token per event they joined.
func (a *Actions) TokenEvent(ctx context.Context, tok string) int64 {
	e, _, ok, err := a.tokens.Open(ctx, tok, a.now())
	if err != nil || !ok {
		return 0
	}
	return e
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
