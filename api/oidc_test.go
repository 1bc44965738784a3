package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/internal/oidctest"
	"github.com/koehq/koe/ratelimit"
)

// Staff sign-in with a real OpenID provider (internal/oidctest, zitadel's
// op) on loopback: koe's HTTP API is driven as a browser would, its
// cookie jar going through the provider's login page.

// testClock is koe's clock, which a test can move ahead.
type testClock struct{ off atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// logBuffer keeps koe's log lines, to check the reasons of refusals.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type oidcEnv struct {
	t     *testing.T
	h     *harness
	op    *oidctest.Provider
	clock *testClock
	logs  *logBuffer
}

type oidcSetup struct {
	policy   auth.OIDCPolicy
	secret   string // koe's client secret; "" for the right one
	lifetime time.Duration
	issuer   string // "" for the provider's; set with noProvider
	// noProvider starts no provider (issuer names one that is down).
	noProvider bool
	limits     ratelimit.Rates
}

// Users of the provider in every test.
var (
	ada   = oidctest.User{Subject: "sub-ada", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace", PreferredUsername: "ada", Groups: []string{"staff"}}
	grace = oidctest.User{Subject: "sub-grace", Email: "grace@example.org", EmailVerified: true, Name: "Grace Hopper", PreferredUsername: "grace"}
	eve   = oidctest.User{Subject: "sub-eve", Email: "eve@example.com", EmailVerified: false, Name: "Eve", PreferredUsername: "eve"}
)

func newOIDCEnv(t *testing.T, s oidcSetup) *oidcEnv {
	t.Helper()
	e := &oidcEnv{t: t, clock: &testClock{}, logs: &logBuffer{}}
	issuer, clientID, secret := s.issuer, "koe", "koe-test-secret"
	if !s.noProvider {
		op, err := oidctest.Start(oidctest.Config{ClientID: clientID, ClientSecret: secret, Users: []oidctest.User{ada, grace, eve},
			IDTokenLifetime: s.lifetime})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { op.Close() })
		e.op, issuer = op, op.Issuer
	}
	if s.secret != "" {
		secret = s.secret
	}
	client, err := auth.NewOIDC(auth.OIDCConfig{Issuer: issuer, ClientID: clientID, ClientSecret: secret, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e.h = newHarness(t, func(c *harnessConfig) {
		c.act.OIDC = &act.OIDCConfig{Name: "Example SSO", Client: client, Policy: s.policy}
		c.act.Now, c.act.Logger = e.clock.now, logger
		if s.limits != nil {
			c.act.Limits = s.limits
		}
	})
	if e.op != nil {
		e.op.AllowRedirect(e.h.srv.URL + auth.OIDCCallbackPath)
	}
	return e
}

// start asks koe to begin a sign-in and returns the provider URL it
// redirects to.
func (e *oidcEnv) start(br *client, ret string) string {
	e.t.Helper()
	path := "/api/v1/session/oidc"
	if ret != "" {
		path += "?return=" + url.QueryEscape(ret)
	}
	r := br.get(path)
	if !r.want(e.t, http.StatusFound, "") {
		return ""
	}
	loc := r.Header.Get("Location")
	if e.op != nil && !strings.HasPrefix(loc, e.op.Issuer+"/") {
		e.t.Errorf("start redirects to %q, not to the provider %s", loc, e.op.Issuer)
	}
	ck := cookieOf(r, "koe_oidc")
	if ck == nil || ck.Value == "" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/api/v1/session/oidc" || ck.MaxAge != 600 {
		e.t.Errorf("koe_oidc cookie %v: want a value, HttpOnly, SameSite=Lax, Path=/api/v1/session/oidc, Max-Age=600", ck)
	}
	return loc
}

// atProvider signs user in at the provider from authURL and returns
// koe's callback URL that the provider redirects to.
func (e *oidcEnv) atProvider(br *client, authURL, user string, cancel bool) *url.URL {
	e.t.Helper()
	u, err := e.op.SignIn(br.hc, authURL, user, cancel)
	if err != nil {
		e.t.Fatalf("at the provider: %v", err)
	}
	if !strings.HasPrefix(u.String(), e.h.srv.URL+auth.OIDCCallbackPath+"?") {
		e.t.Fatalf("the provider redirects to %s, not to koe's callback", u)
	}
	return u
}

// callback brings the browser back to koe at u (or at koe's callback
// with the query) and returns the answer, a redirect.
func (e *oidcEnv) callback(br *client, u *url.URL) *response {
	e.t.Helper()
	r := br.get(u.RequestURI())
	r.want(e.t, http.StatusFound, "")
	if ck := cookieOf(r, "koe_oidc"); ck == nil || ck.MaxAge >= 0 {
		e.t.Errorf("the callback does not clear koe_oidc: %v", ck)
	}
	return r
}

// signIn goes all the way: koe, the provider, back to koe.
func (e *oidcEnv) signIn(br *client, user, ret string) *response {
	e.t.Helper()
	return e.callback(br, e.atProvider(br, e.start(br, ret), user, false))
}

// wantSignedIn checks that r signed the browser in and sent it to path,
// and returns the account.
func (e *oidcEnv) wantSignedIn(br *client, r *response, path string) *koe.Account {
	e.t.Helper()
	if loc := r.Header.Get("Location"); loc != path {
		e.t.Errorf("signed in to %q, want %q (%s)\n%s", loc, path, r, e.logs)
	}
	if cookieOf(r, "koe_session") == nil {
		e.t.Errorf("no koe_session cookie set: %s", r)
	}
	var who struct {
		Account *koe.Account `json:"account"`
		Admin   bool         `json:"admin"`
	}
	if r := br.get("/api/v1/session"); r.want(e.t, 200, "") {
		r.decode(e.t, &who)
	}
	if who.Account == nil {
		e.t.Fatalf("signed in to no account")
	}
	var list struct {
		Sessions []struct {
			Method  string `json:"method"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	if r := br.get("/api/v1/sessions"); r.want(e.t, 200, "") {
		r.decode(e.t, &list)
	}
	if !slices.ContainsFunc(list.Sessions, func(s struct {
		Method  string `json:"method"`
		Current bool   `json:"current"`
	}) bool {
		return s.Current && s.Method == act.MethodOIDC
	}) {
		e.t.Errorf("the current session is not one with method oidc: %+v", list.Sessions)
	}
	acct, err := e.h.store.Account(context.Background(), who.Account.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return acct
}

// wantRefused checks that r sent the browser back with the code, and that
// the log has the reason.
func (e *oidcEnv) wantRefused(r *response, code, reason string) {
	e.t.Helper()
	if loc := r.Header.Get("Location"); loc != "/admin?signin_error="+code {
		e.t.Errorf("Location %q, want /admin?signin_error=%s\n%s", loc, code, e.logs)
	}
	if cookieOf(r, "koe_session") != nil {
		e.t.Errorf("a refused sign-in set koe_session")
	}
	if reason != "" && !strings.Contains(e.logs.String(), reason) {
		e.t.Errorf("the log does not give the reason %q:\n%s", reason, e.logs)
	}
}

func (e *oidcEnv) accountCount() int {
	e.t.Helper()
	all, err := e.h.store.Accounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(all)
}

func TestOIDCNotConfigured(t *testing.T) {
	h := newHarness(t)
	var st map[string]any
	h.client("").get("/api/v1/setup").decode(t, &st)
	if _, ok := st["oidc"]; ok {
		t.Errorf("GET /api/v1/setup names a provider when none is configured: %v", st)
	}
	h.browser().get("/api/v1/session/oidc?return=/admin").want(t, 404, koe.ENOTFOUND)
	r := h.browser().get("/api/v1/session/oidc/callback?code=x&state=y")
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/admin?signin_error=oidc_failed" {
		t.Errorf("callback without OIDC: %s %q, want 302 to /admin?signin_error=oidc_failed", r, r.Header.Get("Location"))
	}
}

// TestOIDCSignIn: the first sign-in creates the account (linked by issuer
// and subject), the next ones find it, also after the provider rotated
// its signing key.
func TestOIDCSignIn(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	var st struct {
		Needed bool   `json:"needed"`
		OIDC   string `json:"oidc"`
	}
	e.h.client("").get("/api/v1/setup").decode(t, &st)
	if st.OIDC != "Example SSO" {
		t.Errorf("GET /api/v1/setup: oidc %q, want the provider's name", st.OIDC)
	}
	before := e.accountCount()

	br := e.h.browser()
	acct := e.wantSignedIn(br, e.signIn(br, "ada", "/admin/events/1"), "/admin/events/1")
	if acct.Login != "ada" || acct.DisplayName != "Ada Lovelace" || acct.Email != "ada@example.com" || acct.Admin || acct.Disabled {
		t.Errorf("new account %+v: want login ada, name and e-mail from the provider, no admin", acct)
	}
	if acct.OIDCIssuer != e.op.Issuer || acct.OIDCSubject != ada.Subject || acct.PasswordHash != "" {
		t.Errorf("new account linked to %q/%q (password %q), want %s/%s and no password", acct.OIDCIssuer, acct.OIDCSubject, acct.PasswordHash, e.op.Issuer, ada.Subject)
	}
	if n := e.accountCount(); n != before+1 {
		t.Errorf("%d accounts after the first sign-in, want %d", n, before+1)
	}

	// Again, from another browser: the same account, to /admin by default.
	br2 := e.h.browser()
	again := e.wantSignedIn(br2, e.signIn(br2, "ada", ""), "/admin")
	if again.ID != acct.ID {
		t.Errorf("second sign-in: account %d, want %d", again.ID, acct.ID)
	}

	// The provider rotates its key: koe fetches the new one.
	old := e.op.KeyID()
	if _, err := e.op.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if e.op.KeyID() == old {
		t.Fatal("the key did not change")
	}
	br3 := e.h.browser()
	if rotated := e.wantSignedIn(br3, e.signIn(br3, "ada", ""), "/admin"); rotated.ID != acct.ID {
		t.Errorf("after key rotation: account %d, want %d", rotated.ID, acct.ID)
	}
	if n := e.accountCount(); n != before+1 {
		t.Errorf("%d accounts after three sign-ins of one person, want %d", n, before+1)
	}

	// The callback, replayed, does nothing: its login is gone.
	u := e.atProvider(br, e.start(br, ""), "ada", false)
	e.wantSignedIn(br, e.callback(br, u), "/admin")
	e.wantRefused(e.callback(br, u), act.OIDCFailed, "no login in progress")
}

// TestOIDCProviderDown: koe starts while the provider is down; sign-in
// answers oidc_failed until it is up, then works (discovery retried).
func TestOIDCProviderDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	e := newOIDCEnv(t, oidcSetup{noProvider: true, issuer: "http://" + addr})
	br := e.h.browser()
	r := br.get("/api/v1/session/oidc")
	r.want(t, http.StatusFound, "")
	e.wantRefused(r, act.OIDCFailed, "discovery")
	if cookieOf(r, "koe_oidc") != nil {
		t.Error("a sign-in that could not start set koe_oidc")
	}

	op, err := oidctest.Start(oidctest.Config{Addr: addr, Users: []oidctest.User{ada}})
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	t.Cleanup(func() { op.Close() })
	op.AllowRedirect(e.h.srv.URL + auth.OIDCCallbackPath)
	e.op = op
	var loc string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		r := br.get("/api/v1/session/oidc")
		if loc = r.Header.Get("Location"); strings.HasPrefix(loc, op.Issuer) {
			break
		}
	}
	if !strings.HasPrefix(loc, op.Issuer) {
		t.Fatalf("the provider is up, but sign-in still redirects to %q", loc)
	}
	e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
}

func TestOIDCWrongClientSecret(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{secret: "not-the-secret"})
	br := e.h.browser()
	e.wantRefused(e.signIn(br, "ada", ""), act.OIDCFailed, "code exchange")
	if n := e.accountCount(); n != 0 {
		t.Errorf("%d accounts after a failed exchange", n)
	}
}

// TestOIDCWrongAudience: an ID token issued to another client is refused,
// though the provider signed it.
func TestOIDCWrongAudience(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	e.op.IssueTo("another-client")
	br := e.h.browser()
	e.wantRefused(e.signIn(br, "ada", ""), act.OIDCFailed, "expected audience")
	e.op.IssueTo("another-client", "koe") // koe among the audiences is fine
	br2 := e.h.browser()
	e.wantSignedIn(br2, e.signIn(br2, "ada", ""), "/admin")
}

// TestOIDCExpired: an ID token expired by koe's clock, and a sign-in that
// took longer than 10 minutes, are refused.
func TestOIDCExpired(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{lifetime: time.Minute})
	br := e.h.browser()
	u := e.atProvider(br, e.start(br, ""), "ada", false)
	e.clock.advance(3 * time.Minute) // past the token's exp, within the login's 10 minutes
	e.wantRefused(e.callback(br, u), act.OIDCFailed, "token is expired")

	br2 := e.h.browser()
	authURL := e.start(br2, "")
	e.clock.advance(11 * time.Minute)
	e.wantRefused(e.callback(br2, e.atProvider(br2, authURL, "ada", false)), act.OIDCFailed, "the login expired")
}

// TestOIDCNonceMismatch: an ID token whose nonce is not the login's (the
// authorization request's nonce changed on the way) is refused, though
// the state and PKCE match.
func TestOIDCNonceMismatch(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	br := e.h.browser()
	authURL, err := url.Parse(e.start(br, ""))
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	if q.Get("nonce") == "" || q.Get("state") == "" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("authorization URL without nonce, state or PKCE S256: %s", authURL)
	}
	q.Set("nonce", "a-nonce-of-the-attacker")
	authURL.RawQuery = q.Encode()
	e.wantRefused(e.callback(br, e.atProvider(br, authURL.String(), "ada", false)), act.OIDCFailed, "nonce does not match")
}

// TestOIDCStateMismatch: the callback must come with the state of this
// browser's own login.
func TestOIDCStateMismatch(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	// Two logins; the provider's answer to A arrives in B's browser.
	a, b := e.h.browser(), e.h.browser()
	urlA := e.start(a, "")
	e.start(b, "")
	cbA := e.atProvider(a, urlA, "ada", false)
	e.wantRefused(e.callback(b, cbA), act.OIDCFailed, "state does not match")

	// B's state with A's code (cookies swapped the other way): the state
	// matches B's cookie, but A's code was issued for A's PKCE challenge.
	c, d := e.h.browser(), e.h.browser()
	urlC, urlD := e.start(c, ""), e.start(d, "")
	cbC := e.atProvider(c, urlC, "ada", false)
	stateD, _ := url.Parse(urlD)
	q := cbC.Query()
	q.Set("state", stateD.Query().Get("state"))
	cbC.RawQuery = q.Encode()
	e.wantRefused(e.callback(d, cbC), act.OIDCFailed, "code exchange")

	// No cookie at all; a forged state; a forged cookie.
	fresh := e.h.browser()
	e.wantRefused(e.callback(fresh, e.atProvider(fresh, e.start(e.h.browser(), ""), "ada", false)), act.OIDCFailed, "no login in progress")
	br := e.h.browser()
	e.start(br, "")
	forged, _ := url.Parse(e.h.srv.URL + auth.OIDCCallbackPath + "?code=abc&state=forged")
	e.wantRefused(e.callback(br, forged), act.OIDCFailed, "state does not match")
	br2 := e.h.browser()
	cb := e.atProvider(br2, e.start(br2, ""), "ada", false)
	u, _ := url.Parse(e.h.srv.URL)
	br2.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "koe_oidc", Value: "o1.AAAAforgedAAAA", Path: "/api/v1/session/oidc"}})
	e.wantRefused(e.callback(br2, cb), act.OIDCFailed, "no login in progress")
	// Repeated parameters are refused too.
	br3 := e.h.browser()
	cb3 := e.atProvider(br3, e.start(br3, ""), "ada", false)
	cb3.RawQuery += "&code=second"
	e.wantRefused(e.callback(br3, cb3), act.OIDCFailed, "code given 2 times")
	if n := e.accountCount(); n != 0 {
		t.Errorf("%d accounts after refused sign-ins", n)
	}
}

// TestOIDCAccessDenied: the person cancels at the provider.
func TestOIDCAccessDenied(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	br := e.h.browser()
	cb := e.atProvider(br, e.start(br, ""), "ada", true)
	if cb.Query().Get("error") != "access_denied" {
		t.Fatalf("the provider's answer to cancel: %s", cb)
	}
	r := e.callback(br, cb)
	e.wantRefused(r, act.OIDCDenied, "access_denied")
	if strings.Contains(r.Header.Get("Location"), "cancelled") {
		t.Error("the provider's error description reached the redirect")
	}
}

// TestOIDCPolicy: domains need a verified address at one of them; groups
// need one of the allowed (or admin) groups; both must hold when both
// are set.
func TestOIDCPolicy(t *testing.T) {
	t.Run("domains", func(t *testing.T) {
		e := newOIDCEnv(t, oidcSetup{policy: auth.OIDCPolicy{AllowedDomains: []string{"Example.com"}}})
		br := e.h.browser()
		e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
		e.wantRefused(e.signIn(e.h.browser(), "grace", ""), act.OIDCNotAllowed, `e-mail domain \"example.org\" is not allowed`)
		e.wantRefused(e.signIn(e.h.browser(), "eve", ""), act.OIDCNotAllowed, "no verified e-mail")
	})
	t.Run("groups", func(t *testing.T) {
		e := newOIDCEnv(t, oidcSetup{policy: auth.OIDCPolicy{AllowedGroups: []string{"staff", "helpers"}, AdminGroups: []string{"koe-admins"}}})
		br := e.h.browser()
		e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
		e.wantRefused(e.signIn(e.h.browser(), "grace", ""), act.OIDCNotAllowed, "in none of the allowed groups")
		g := grace
		g.Groups = []string{"koe-admins"} // an admin group is allowed too
		e.op.SetUser(g)
		br2 := e.h.browser()
		if a := e.wantSignedIn(br2, e.signIn(br2, "grace", ""), "/admin"); !a.Admin {
			t.Error("a member of the admin groups is no admin")
		}
	})
	t.Run("both", func(t *testing.T) {
		e := newOIDCEnv(t, oidcSetup{policy: auth.OIDCPolicy{AllowedDomains: []string{"example.com"}, AllowedGroups: []string{"staff"}}})
		e.op.SetUser(oidctest.User{Subject: "sub-mal", Email: "mal@example.com", EmailVerified: true, PreferredUsername: "mal"})
		br := e.h.browser()
		e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
		e.wantRefused(e.signIn(e.h.browser(), "mal", ""), act.OIDCNotAllowed, "in none of the allowed groups")
	})
}

// TestOIDCAdminGroups: the admin groups grant admin at sign-in and take
// it away at the next one after the person left them, as audited changes.
func TestOIDCAdminGroups(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{policy: auth.OIDCPolicy{AdminGroups: []string{"koe-admins"}}})
	u := ada
	u.Groups = []string{"staff", "koe-admins"}
	e.op.SetUser(u)
	br := e.h.browser()
	acct := e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
	if !acct.Admin {
		t.Fatal("a member of the admin groups is no admin")
	}
	// An admin may manage accounts.
	br.get("/api/v1/accounts").want(t, 200, "")

	u.Groups = []string{"staff"}
	e.op.SetUser(u)
	br2 := e.h.browser()
	acct = e.wantSignedIn(br2, e.signIn(br2, "ada", ""), "/admin")
	if acct.Admin {
		t.Fatal("still an admin after leaving the admin groups")
	}
	br2.get("/api/v1/accounts").want(t, 403, koe.EFORBIDDEN)
	// The old session, signed in as admin, has lost it too.
	br.get("/api/v1/accounts").want(t, 403, koe.EFORBIDDEN)

	// Both changes are in the audit log, made by koe.
	var changes []bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(changes) < 1; time.Sleep(50 * time.Millisecond) {
		var page struct {
			Entries []struct {
				Type  string `json:"type"`
				Actor struct {
					Kind string `json:"kind"`
				} `json:"actor"`
				After struct {
					ID    int64 `json:"id"`
					Admin bool  `json:"admin"`
				} `json:"after"`
			} `json:"entries"`
		}
		e.h.staff.get("/api/v1/audit?type=account.").decode(t, &page)
		changes = changes[:0]
		for _, en := range page.Entries {
			if en.After.ID == acct.ID && en.Actor.Kind == "system" && en.Type == string(koe.AccountUpdated) {
				changes = append(changes, en.After.Admin)
			}
		}
	}
	if !slices.Equal(changes, []bool{false}) {
		t.Errorf("audit log: admin changes %v by koe, want [false] (created as admin, then the update)", changes)
	}
}

func TestOIDCDisabledAccount(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	br := e.h.browser()
	acct := e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
	e.h.staff.patch("/api/v1/accounts/"+strconv.FormatInt(acct.ID, 10), map[string]any{"disabled": true}).want(t, 200, "")
	e.wantRefused(e.signIn(e.h.browser(), "ada", ""), act.OIDCDisabled, "is disabled")
}

// TestOIDCNeverLinksByEmail: a password account with the same e-mail and
// login stays apart from the provider's person.
func TestOIDCNeverLinksByEmail(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	pw := &koe.Account{Login: "ada", DisplayName: "Ada (password)", Email: "ada@example.com", PasswordHash: passwordHash()}
	if err := e.h.store.CreateAccount(context.Background(), pw); err != nil {
		t.Fatal(err)
	}
	br := e.h.browser()
	acct := e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
	if acct.ID == pw.ID {
		t.Fatal("the provider's person was signed in to the password account with the same e-mail")
	}
	if acct.Login != "ada-2" || acct.Email != "" {
		t.Errorf("new account login %q e-mail %q: want ada-2 and no e-mail (taken)", acct.Login, acct.Email)
	}
	// An unverified e-mail is not kept.
	br2 := e.h.browser()
	if a := e.wantSignedIn(br2, e.signIn(br2, "eve", ""), "/admin"); a.Email != "" || a.Login != "eve" {
		t.Errorf("account %q kept the unverified e-mail %q", a.Login, a.Email)
	}
}

// TestOIDCOpenRedirect: the return path is a path on koe's site, or
// /admin.
func TestOIDCOpenRedirect(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	for ret, want := range map[string]string{
		"//evil.example/x":          "/admin",
		"https://evil.example/":     "/admin",
		"/\\evil.example":           "/admin",
		"\\\\evil.example":          "/admin",
		"/\t/evil.example":          "/admin",
		"javascript:alert(1)":       "/admin",
		"evil.example":              "/admin",
		"/admin/events/7?tab=staff": "/admin/events/7?tab=staff",
	} {
		br := e.h.browser()
		e.wantSignedIn(br, e.signIn(br, "ada", ret), want)
	}
}

// TestOIDCRateLimit: callbacks count against signin.ip.
func TestOIDCRateLimit(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{limits: ratelimit.Rates{"signin.ip": {N: 1, Per: time.Hour}}})
	br := e.h.browser()
	e.wantSignedIn(br, e.signIn(br, "ada", ""), "/admin")
	e.wantRefused(e.signIn(e.h.browser(), "ada", ""), act.OIDCFailed, "")
}

// withTestProvider configures OpenID sign-in with a provider of its own
// (no users), for tests that send every route.
func withTestProvider(t *testing.T) harnessOption {
	op, err := oidctest.Start(oidctest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	client, err := auth.NewOIDC(auth.OIDCConfig{Issuer: op.Issuer, ClientID: op.ClientID, ClientSecret: op.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return func(c *harnessConfig) { c.act.OIDC = &act.OIDCConfig{Client: client} }
}
