package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCCallbackPath is where an OpenID provider sends the browser back to
// koe; the redirect URL registered at the provider is the public URL
// followed by it.
const OIDCCallbackPath = "/api/v1/session/oidc/callback"

// OIDCLoginTTL is how long a sign-in started at the provider may take.
const OIDCLoginTTL = 10 * time.Minute

// Bounds of what a provider's ID token may carry into koe.
const (
	maxGroups    = 1000
	maxGroupLen  = 256
	maxClaimLen  = 512
	maxReturnLen = 512
)

// Errors of the OpenID Connect client, for the caller to tell apart (with
// errors.Is); their messages name the reason, for the logs only.
var (
	// ErrOIDCUnavailable: the provider's discovery document or keys could
	// not be had (it may be down); trying again later may work.
	ErrOIDCUnavailable = errors.New("OpenID provider unavailable")
	// ErrOIDCDenied: the provider, or the person at it, refused the
	// sign-in (error=access_denied, or they cancelled).
	ErrOIDCDenied = errors.New("sign-in refused at the OpenID provider")
	// ErrOIDCInvalid: anything else that makes the callback worthless: a
	// missing or mismatched state, an expired login, a failed exchange, an
	// ID token that does not verify.
	ErrOIDCInvalid = errors.New("OpenID sign-in failed")
	// ErrOIDCNotAllowed: the policy refuses the person (domain, groups).
	ErrOIDCNotAllowed = errors.New("not allowed by the OpenID sign-in policy")
)

// OIDCConfig configures sign-in with one OpenID provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery is at
	// Issuer/.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback URL registered at the provider; ""
	// builds it from the origin of each sign-in's request.
	RedirectURL string
	// Scopes asked for besides openid; nil means email and profile.
	Scopes []string
	// GroupsClaim is the ID token claim that holds the person's groups
	// ("" means "groups").
	GroupsClaim string
	// HTTPClient talks to the provider; nil means one with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock ID tokens and logins are checked against; nil
	// means time.Now.
	Now func() time.Time
}

// OIDC is the OpenID Connect client: it starts sign-ins (authorization
// code with PKCE S256, state and nonce) and turns the provider's callback
// into a verified Identity. The provider is discovered on first use and
// again after a failure, so that koe starts while the provider is down.
type OIDC struct {
	cfg OIDCConfig

	mu       sync.Mutex
	ready    *oidcProvider
	lastFail time.Time
	lastErr  error
}

type oidcProvider struct {
	oauth    oauth2.Config // without RedirectURL
	verifier *oidc.IDTokenVerifier
}

// discoveryRetry is the shortest time between two discovery attempts
// after one failed: a provider that is down is not asked at every click.
const discoveryRetry = 2 * time.Second

// NewOIDC checks cfg and returns the client; it does not reach the
// provider yet.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("OIDC issuer %q is not an absolute URL", cfg.Issuer)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil, fmt.Errorf("OIDC issuer %q must be https (http only on loopback, for tests)", cfg.Issuer)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("OIDC needs a client id (KOE_OIDC_CLIENT_ID)")
	}
	if cfg.RedirectURL != "" {
		if r, err := url.Parse(cfg.RedirectURL); err != nil || r.Host == "" || r.Scheme != "http" && r.Scheme != "https" {
			return nil, fmt.Errorf("OIDC redirect URL %q is not an absolute http(s) URL", cfg.RedirectURL)
		}
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"email", "profile"}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &OIDC{cfg: cfg}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Issuer is the provider's issuer URL.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

// RedirectURL is the callback URL for a request from origin
// ("scheme://host"): the configured one, or origin's.
func (o *OIDC) RedirectURL(origin string) string {
	if o.cfg.RedirectURL != "" {
		return o.cfg.RedirectURL
	}
	return strings.TrimRight(origin, "/") + OIDCCallbackPath
}

func (o *OIDC) client(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTPClient), o.cfg.HTTPClient)
}

// provider discovers the provider once; after a failure it tries again,
// at most every discoveryRetry.
func (o *OIDC) provider(ctx context.Context) (*oidcProvider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ready != nil {
		return o.ready, nil
	}
	now := time.Now() // the real clock: this paces the network
	if o.lastErr != nil && now.Sub(o.lastFail) < discoveryRetry {
		return nil, o.lastErr
	}
	// The key set keeps the client's context (for later key fetches), not
	// the request's, which ends with the request.
	p, err := oidc.NewProvider(o.client(context.WithoutCancel(ctx)), o.cfg.Issuer)
	if err != nil {
		o.lastFail, o.lastErr = now, fmt.Errorf("%w: discovery at %s: %v", ErrOIDCUnavailable, o.cfg.Issuer, err)
		return nil, o.lastErr
	}
	o.ready = &oidcProvider{
		oauth: oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
			Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...)},
		// go-oidc checks the issuer, the audience (our client id), the
		// expiry and the signature, refetching the provider's keys when a
		// token names one it does not know (key rotation).
		verifier: p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now}),
	}
	o.lastErr = nil
	return o.ready, nil
}

// OIDCLogin is one sign-in in progress: what koe keeps in the browser (a
// sealed cookie) between sending it to the provider and its return.
type OIDCLogin struct {
	State       string `json:"s"`
	Nonce       string `json:"n"`
	Verifier    string `json:"v"` // PKCE
	RedirectURL string `json:"r"`
	// ReturnTo is the local path to go to once signed in.
	ReturnTo string `json:"t"`
	// Expires is when the login stops being accepted (Unix seconds).
	Expires int64 `json:"e"`
	// JoinEvent is the event a participant signs in to join, 0 for a
	// staff sign-in; DisplayName the name they chose to join under.
	JoinEvent   int64  `json:"j,omitempty"`
	DisplayName string `json:"d,omitempty"`
}

// Begin starts a sign-in: the provider URL to send the browser to, and
// the login to keep until it comes back to redirectURL.
func (o *OIDC) Begin(ctx context.Context, redirectURL, returnTo string) (string, *OIDCLogin, error) {
	p, err := o.provider(ctx)
	if err != nil {
		return "", nil, err
	}
	login := &OIDCLogin{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		RedirectURL: redirectURL, ReturnTo: returnTo, Expires: o.cfg.Now().Add(OIDCLoginTTL).Unix()}
	cfg := p.oauth
	cfg.RedirectURL = redirectURL
	return cfg.AuthCodeURL(login.State, oauth2.S256ChallengeOption(login.Verifier), oidc.Nonce(login.Nonce)), login, nil
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Identity is who the provider says signed in, from a verified ID token.
type Identity struct {
	Issuer            string   `json:"issuer"`
	Subject           string   `json:"subject"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Groups            []string `json:"groups"`
}

// OIDCCallback is what the provider's redirect brings back.
type OIDCCallback struct {
	Code  string
	State string
	// Error is the provider's error code (error=access_denied…), "" for
	// none.
	Error string
}

// ParseOIDCCallback reads the callback's query parameters, refusing
// repeated or oversized ones.
func ParseOIDCCallback(q url.Values) (OIDCCallback, error) {
	var cb OIDCCallback
	for name, dst := range map[string]*string{"code": &cb.Code, "state": &cb.State, "error": &cb.Error} {
		vs := q[name]
		if len(vs) > 1 {
			return cb, fmt.Errorf("%w: %s given %d times", ErrOIDCInvalid, name, len(vs))
		}
		if len(vs) == 1 {
			if len(vs[0]) > 2048 {
				return cb, fmt.Errorf("%w: %s too long", ErrOIDCInvalid, name)
			}
			*dst = vs[0]
		}
	}
	return cb, nil
}

// Finish turns the provider's callback for login into a verified
// identity: the state must be the login's, the login not expired; the
// code is exchanged (with the PKCE verifier) and the ID token verified
// (issuer, audience, expiry, signature, and the login's nonce). The
// result is the provider's word, before any policy: participants'
// sign-in can reuse it with a policy of its own.
func (o *OIDC) Finish(ctx context.Context, login *OIDCLogin, cb OIDCCallback) (*Identity, error) {
	if cb.Error != "" {
		if cb.Error == "access_denied" || cb.Error == "login_required" || cb.Error == "consent_required" || cb.Error == "interaction_required" {
			return nil, fmt.Errorf("%w: %s", ErrOIDCDenied, clipClaim(cb.Error))
		}
		return nil, fmt.Errorf("%w: the provider answered error=%s", ErrOIDCInvalid, clipClaim(cb.Error))
	}
	if login == nil {
		return nil, fmt.Errorf("%w: no login in progress in this browser (cookie missing or invalid)", ErrOIDCInvalid)
	}
	if cb.State == "" || subtle.ConstantTimeCompare([]byte(cb.State), []byte(login.State)) != 1 {
		return nil, fmt.Errorf("%w: state does not match this browser's login", ErrOIDCInvalid)
	}
	if o.cfg.Now().Unix() >= login.Expires {
		return nil, fmt.Errorf("%w: the login expired (more than %s at the provider)", ErrOIDCInvalid, OIDCLoginTTL)
	}
	if cb.Code == "" {
		return nil, fmt.Errorf("%w: no code in the callback", ErrOIDCInvalid)
	}
	p, err := o.provider(ctx)
	if err != nil {
		return nil, err
	}
	cfg := p.oauth
	cfg.RedirectURL = login.RedirectURL
	cctx := o.client(ctx)
	tok, err := cfg.Exchange(cctx, cb.Code, oauth2.VerifierOption(login.Verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: code exchange: %v", ErrOIDCInvalid, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", ErrOIDCInvalid)
	}
	return o.Verify(cctx, raw, login.Nonce)
}

// Verify checks a raw ID token (issuer, audience, expiry, signature) and
// its nonce, and reads its claims.
func (o *OIDC) Verify(ctx context.Context, raw, nonce string) (*Identity, error) {
	p, err := o.provider(ctx)
	if err != nil {
		return nil, err
	}
	idt, err := p.verifier.Verify(o.client(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: ID token: %v", ErrOIDCInvalid, err)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: ID token nonce does not match the login's", ErrOIDCInvalid)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", ErrOIDCInvalid, err)
	}
	id := &Identity{Issuer: idt.Issuer, Subject: idt.Subject}
	if id.Subject == "" || len(id.Subject) > 255 {
		return nil, fmt.Errorf("%w: ID token subject is empty or longer than 255 bytes", ErrOIDCInvalid)
	}
	id.Email = strings.ToLower(strings.TrimSpace(claimString(claims["email"])))
	id.EmailVerified = claimBool(claims["email_verified"])
	id.Name = claimString(claims["name"])
	id.PreferredUsername = claimString(claims["preferred_username"])
	id.Groups = claimGroups(claims[o.cfg.GroupsClaim])
	return id, nil
}

// claimString reads a string claim, "" when absent, of another type or
// longer than a claim may be.
func claimString(v any) string {
	s, _ := v.(string)
	if len(s) > maxClaimLen {
		return ""
	}
	return s
}

func clipClaim(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return fmt.Sprintf("%q", s)
}

// claimBool reads a boolean claim; some providers send "true".
func claimBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

// claimGroups reads a groups claim: an array of strings (or one string).
// Other values are ignored; at most maxGroups are kept.
func claimGroups(v any) []string {
	var out []string
	add := func(x any) {
		if s, ok := x.(string); ok && s != "" && len(s) <= maxGroupLen && len(out) < maxGroups {
			out = append(out, s)
		}
	}
	switch g := v.(type) {
	case []any:
		for _, x := range g {
			add(x)
		}
	case string:
		add(g)
	}
	return out
}

// OIDCPolicy decides who may sign in with the provider and who is an
// instance admin. Empty lists impose nothing.
type OIDCPolicy struct {
	// AllowedDomains are e-mail domains: the verified e-mail must be at
	// one of them.
	AllowedDomains []string
	// AllowedGroups: the person must be in one of them (or of
	// AdminGroups).
	AllowedGroups []string
	// AdminGroups make their members instance admins, and everyone else
	// not, at every sign-in. Empty leaves admin to koe's accounts page.
	AdminGroups []string
}

// Decision is what the policy makes of an identity.
type Decision struct {
	// Admin is whether the person is an admin; meaningful only when
	// SetAdmin is true.
	Admin    bool
	SetAdmin bool
}

// Decide applies the policy to a verified identity: ErrOIDCNotAllowed
// (with the reason) if the person may not sign in.
func (p OIDCPolicy) Decide(id *Identity) (Decision, error) {
	if len(p.AllowedDomains) > 0 {
		at := strings.LastIndexByte(id.Email, '@')
		if !id.EmailVerified || at < 1 {
			return Decision{}, fmt.Errorf("%w: no verified e-mail address, and only some domains may sign in", ErrOIDCNotAllowed)
		}
		if !slices.ContainsFunc(p.AllowedDomains, func(d string) bool { return strings.EqualFold(d, id.Email[at+1:]) }) {
			return Decision{}, fmt.Errorf("%w: e-mail domain %q is not allowed", ErrOIDCNotAllowed, id.Email[at+1:])
		}
	}
	in := func(groups []string) bool {
		return slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(groups, g) })
	}
	admin := len(p.AdminGroups) > 0 && in(p.AdminGroups)
	if len(p.AllowedGroups) > 0 && !admin && !in(p.AllowedGroups) {
		return Decision{}, fmt.Errorf("%w: in none of the allowed groups", ErrOIDCNotAllowed)
	}
	return Decision{Admin: admin, SetAdmin: len(p.AdminGroups) > 0}, nil
}

// Login sealing. The login cookie is "o1." and the login as JSON,
// encrypted with AES-256-GCM under a key kept in the store's secrets (so
// that any replica opens what another sealed), bound to its prefix.

// OIDCLoginPrefix marks a sealed login.
const OIDCLoginPrefix = "o1."

// maxSealedLogin bounds a sealed login read from a cookie.
const maxSealedLogin = 3000

// OIDCLogins seals and opens logins.
type OIDCLogins struct {
	key func(ctx context.Context) ([]byte, error)

	mu   sync.Mutex
	aead cipher.AEAD
}

// NewOIDCLogins returns a sealer whose key is got from key (see
// koe.SecretStore.Secret) on first use.
func NewOIDCLogins(key func(ctx context.Context) ([]byte, error)) *OIDCLogins {
	return &OIDCLogins{key: key}
}

func (s *OIDCLogins) cipher(ctx context.Context) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	key, err := s.key(ctx)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return s.aead, nil
}

// Seal returns the login sealed for a cookie.
func (s *OIDCLogins) Seal(ctx context.Context, l *OIDCLogin) (string, error) {
	if len(l.ReturnTo) > maxReturnLen {
		return "", errors.New("return path too long")
	}
	a, err := s.cipher(ctx)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	return OIDCLoginPrefix + base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, plain, []byte(OIDCLoginPrefix))), nil
}

// Open returns the login a cookie holds; ok is false for anything
// forged, altered or malformed. Expiry is Finish's to check (and to
// name as the reason). err is only for a store that cannot give the key.
func (s *OIDCLogins) Open(ctx context.Context, sealed string) (l *OIDCLogin, ok bool, err error) {
	rest, found := strings.CutPrefix(sealed, OIDCLoginPrefix)
	if !found || len(sealed) > maxSealedLogin {
		return nil, false, nil
	}
	b, derr := base64.RawURLEncoding.Strict().DecodeString(rest)
	if derr != nil {
		return nil, false, nil
	}
	a, err := s.cipher(ctx)
	if err != nil {
		return nil, false, err
	}
	n := a.NonceSize()
	if len(b) < n+a.Overhead() {
		return nil, false, nil
	}
	plain, oerr := a.Open(nil, b[:n], b[n:], []byte(OIDCLoginPrefix))
	if oerr != nil {
		return nil, false, nil
	}
	l = &OIDCLogin{}
	if json.Unmarshal(plain, l) != nil || l.State == "" || l.Nonce == "" || l.Verifier == "" || l.RedirectURL == "" {
		return nil, false, nil
	}
	return l, true, nil
}
