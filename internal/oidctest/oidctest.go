// Package oidctest runs a real OpenID provider (zitadel/oidc's op
// package) on loopback for koe's tests and browser end-to-end runs: one
// confidential client, users given by the test, a trivial login page
// (type a user's name, no consent step), and signing keys that can be
// rotated. Its storage is in memory and forgets everything on Close.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person who can sign in at the provider.
type User struct {
	Subject           string   `json:"subject"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Groups            []string `json:"groups"`
}

// Config configures a provider.
type Config struct {
	// Addr is the address to listen on; "" means 127.0.0.1:0.
	Addr string
	// ClientID and ClientSecret name the one confidential client
	// (defaults "koe" and "koe-test-secret").
	ClientID     string
	ClientSecret string
	// RedirectURIs are the client's registered redirect URIs (more can be
	// added with AllowRedirect); those with a "*" are globs
	// (http://127.0.0.1:*/api/v1/session/oidc/callback: any port), for a
	// koe whose port is not known yet.
	RedirectURIs []string
	Users        []User
	// IDTokenLifetime is how long ID tokens are valid (default 5 min).
	IDTokenLifetime time.Duration
	// GroupsClaim names the claim the groups go in (default "groups").
	GroupsClaim string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's issuer URL, http://127.0.0.1:port.
	Issuer string
	// ClientID and ClientSecret are the client's credentials.
	ClientID     string
	ClientSecret string

	st  *storage
	srv *http.Server
	ln  net.Listener
}

// Start starts a provider.
func Start(cfg Config) (*Provider, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "koe"
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "koe-test-secret"
	}
	if cfg.IDTokenLifetime <= 0 {
		cfg.IDTokenLifetime = 5 * time.Minute
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	issuer := "http://" + ln.Addr().String()
	st, err := newStorage(cfg, issuer)
	if err != nil {
		ln.Close()
		return nil, err
	}
	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		DefaultLogoutRedirectURI: "/",
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &Provider{Issuer: issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, st: st, ln: ln}
	callback := op.AuthCallbackURL(provider)
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", st.loginPage)
	mux.Handle("POST /login", interceptor.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.login(w, r, callback)
	}))
	mux.Handle("/", provider)
	mux.Handle("POST /oauth/token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.misissue(w, r, provider)
	}))
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// Addr is the address the provider listens on.
func (p *Provider) Addr() string { return p.ln.Addr().String() }

// AllowRedirect registers another redirect URI of the client.
func (p *Provider) AllowRedirect(uri string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	if !slices.Contains(p.st.redirects, uri) {
		p.st.redirects = append(p.st.redirects, uri)
	}
}

// SetUser adds a user, or replaces the one with the same subject (its
// groups, say).
func (p *Provider) SetUser(u User) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.users[u.Subject] = u
}

// RotateKey makes a new signing key: tokens issued from now on are
// signed with it, and the key set publishes it beside the previous one
// (as providers do for a while). The new key's id is returned.
func (p *Provider) RotateKey() (string, error) {
	k, err := newKey()
	if err != nil {
		return "", err
	}
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.keys = []*signingKey{k, p.st.keys[0]}
	return k.id, nil
}

// KeyID is the id of the current signing key.
func (p *Provider) KeyID() string {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	return p.st.keys[0].id
}

// IssueTo makes the provider misbehave: the ID tokens its token endpoint
// hands out from now on name these audiences (and the first as the
// authorized party) instead of the client, signed with its key as a
// token really issued to another client would be. No audiences: back to
// normal.
func (p *Provider) IssueTo(aud ...string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.audience = aud
}

// misissue serves the token endpoint, replacing the ID token by one for
// the audiences IssueTo set, if any.
func (s *storage) misissue(w http.ResponseWriter, r *http.Request, next http.Handler) {
	s.mu.Lock()
	aud, key := slices.Clone(s.audience), s.keys[0]
	s.mu.Unlock()
	if len(aud) == 0 {
		next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var body map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		copyResponse(w, rec)
		return
	}
	raw, _ := body["id_token"].(string)
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var claims map[string]any
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	claims["aud"], claims["azp"], claims["client_id"] = aud, aud[0], aud[0]
	payload, _ := json.Marshal(claims)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.key, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err == nil {
		jws, err = signer.Sign(payload)
	}
	if err == nil {
		body["id_token"], err = jws.CompactSerialize()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rec.Body.Reset()
	json.NewEncoder(rec.Body).Encode(body)
	rec.Header().Del("Content-Length")
	copyResponse(w, rec)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// SignIn goes through the provider as a browser would, for user (a
// subject, preferred_username or e-mail): it follows authURL (koe's
// redirect to the provider) to the login page, submits it, and returns
// the URL the provider then redirects to (koe's callback, with code and
// state), without requesting it. hc must not follow redirects itself.
// cancel presses Cancel instead of signing in.
func (p *Provider) SignIn(hc *http.Client, authURL, user string, cancel bool) (*url.URL, error) {
	next := authURL
	for range 10 {
		u, err := url.Parse(next)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(next, p.Issuer+"/") {
			return u, nil // left the provider: the client's callback
		}
		var resp *http.Response
		if u.Path == "/login" {
			form := url.Values{"id": {u.Query().Get("id")}, "username": {user}}
			if cancel {
				form.Set("cancel", "1")
			}
			resp, err = hc.PostForm(p.Issuer+"/login", form)
		} else {
			resp, err = hc.Get(next)
		}
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			return nil, fmt.Errorf("%s: %s, not a redirect", u.Path, resp.Status)
		}
		loc, err := resp.Location()
		if err != nil {
			return nil, err
		}
		next = loc.String()
	}
	return nil, errors.New("too many redirects at the provider")
}

// The storage: op.Storage in memory.

type storage struct {
	issuer          string
	clientID        string
	clientSecret    string
	idTokenLifetime time.Duration
	groupsClaim     string

	mu        sync.Mutex
	redirects []string
	users     map[string]User
	requests  map[string]*authRequest
	codes     map[string]string // code -> request id
	tokens    map[string]*token
	keys      []*signingKey // [0] signs
	audience  []string      // IssueTo's
}

func newStorage(cfg Config, issuer string) (*storage, error) {
	k, err := newKey()
	if err != nil {
		return nil, err
	}
	st := &storage{issuer: issuer, clientID: cfg.ClientID, clientSecret: cfg.ClientSecret,
		idTokenLifetime: cfg.IDTokenLifetime, groupsClaim: cfg.GroupsClaim,
		redirects: slices.Clone(cfg.RedirectURIs), users: map[string]User{}, requests: map[string]*authRequest{},
		codes: map[string]string{}, tokens: map[string]*token{}, keys: []*signingKey{k}}
	for _, u := range cfg.Users {
		if u.Subject == "" {
			return nil, errors.New("oidctest: a user needs a subject")
		}
		st.users[u.Subject] = u
	}
	return st, nil
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errNotFound = errors.New("not found")

// findUser finds a user by subject, preferred_username or e-mail.
func (s *storage) findUser(name string) (User, bool) {
	if u, ok := s.users[name]; ok {
		return u, true
	}
	for _, u := range s.users {
		if name != "" && (u.PreferredUsername == name || strings.EqualFold(u.Email, name)) {
			return u, true
		}
	}
	return User{}, false
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test OpenID provider</title></head>
<body><main><h1>Sign in to the test provider</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" autofocus>
<button type="submit">Sign in</button>
<button type="submit" name="cancel" value="1">Cancel</button>
</form></main></body></html>
`))

func (s *storage) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginTemplate.Execute(w, map[string]string{"ID": r.URL.Query().Get("id")})
}

// login signs the user in to an auth request (no password, no consent)
// or cancels it, and sends the browser on.
func (s *storage) login(w http.ResponseWriter, r *http.Request, callback func(context.Context, string) string) {
	id, name := r.PostFormValue("id"), strings.TrimSpace(r.PostFormValue("username"))
	s.mu.Lock()
	req, ok := s.requests[id]
	if !ok {
		s.mu.Unlock()
		http.Error(w, "no such sign-in request", http.StatusBadRequest)
		return
	}
	if r.PostFormValue("cancel") != "" {
		delete(s.requests, id)
		s.mu.Unlock()
		back, err := url.Parse(req.redirectURI)
		if err != nil {
			http.Error(w, "bad redirect URI", http.StatusBadRequest)
			return
		}
		q := back.Query()
		q.Set("error", "access_denied")
		q.Set("error_description", "The user cancelled the sign-in.")
		if req.state != "" {
			q.Set("state", req.state)
		}
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
		return
	}
	u, found := s.findUser(name)
	if !found {
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		loginTemplate.Execute(w, map[string]string{"ID": id, "Error": "No such user: " + name})
		return
	}
	req.subject, req.done, req.authTime = u.Subject, true, time.Now()
	s.mu.Unlock()
	http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
}

// authRequest is op.AuthRequest.
type authRequest struct {
	id            string
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	created       time.Time

	// Set by the login page (under the storage's lock).
	subject  string
	done     bool
	authTime time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }

func (s *storage) CreateAuthRequest(_ context.Context, in *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(in.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	req := &authRequest{id: randomID(), clientID: in.ClientID, redirectURI: in.RedirectURI, state: in.State, nonce: in.Nonce,
		scopes: in.Scopes, responseType: in.ResponseType, responseMode: in.ResponseMode, created: time.Now()}
	if in.CodeChallenge != "" {
		req.codeChallenge = &oidc.CodeChallenge{Challenge: in.CodeChallenge, Method: in.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[req.id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return nil, errNotFound
	}
	cp := *req
	return &cp, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	var req *authRequest
	if ok {
		req = s.requests[id]
	}
	if req == nil {
		s.mu.Unlock()
		return nil, errNotFound
	}
	cp := *req
	s.mu.Unlock()
	return &cp, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

type token struct {
	id       string
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	t := &token{id: randomID(), subject: req.GetSubject(), scopes: req.GetScopes(), expires: time.Now().Add(5 * time.Minute)}
	if ar, ok := req.(*authRequest); ok {
		t.clientID = ar.clientID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.id] = t
	return t.id, t.expires, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("oidctest: no refresh tokens")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, tok, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tok)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// signingKey is an RSA key, op.SigningKey and (its public half) op.Key.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func newKey() (*signingKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &signingKey{id: randomID(), key: k}, nil
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0], nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, len(s.keys))
	for i, k := range s.keys {
		keys[i] = publicKey{k}
	}
	return keys, nil
}

// client is the one confidential client, op.Client.
type client struct {
	id        string
	redirects []string
	globs     []string
	lifetime  time.Duration
}

// RedirectURIGlobs and PostLogoutRedirectURIGlobs are op.HasRedirectGlobs.
func (c *client) RedirectURIGlobs() []string           { return c.globs }
func (c *client) PostLogoutRedirectURIGlobs() []string { return nil }

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return c.redirects }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string            { return "/login?id=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return c.lifetime }
func (c *client) DevMode() bool                        { return true } // http redirect URIs on loopback
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true } // claims in the ID token, as koe reads them
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.clientID {
		return nil, errNotFound
	}
	c := &client{id: id, lifetime: s.idTokenLifetime}
	for _, r := range s.redirects {
		if strings.Contains(r, "*") {
			c.globs = append(c.globs, r)
		} else {
			c.redirects = append(c.redirects, r)
		}
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	want := sha256.Sum256([]byte(s.clientSecret))
	got := sha256.Sum256([]byte(secret))
	if id != s.clientID || want != got {
		return errors.New("invalid client credentials")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil // deprecated: SetUserinfoFromRequest does it
}

// SetUserinfoFromRequest puts the user's claims in the ID token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, req.GetSubject(), scopes)
}

func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[subject]
	if !ok {
		return errNotFound
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name, info.PreferredUsername = u.Name, u.PreferredUsername
	}
	if u.Groups != nil {
		info.AppendClaims(s.groupsClaim, slices.Clone(u.Groups))
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		return errors.New("token invalid or expired")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("oidctest: no introspection")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidctest: no JWT profile grant")
}

func (s *storage) Health(context.Context) error { return nil }
