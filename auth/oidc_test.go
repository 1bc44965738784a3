package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testLogins(t testing.TB) *OIDCLogins {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return NewOIDCLogins(func(context.Context) ([]byte, error) { return key, nil })
}

func sampleLogin() *OIDCLogin {
	return &OIDCLogin{State: "state-1", Nonce: "nonce-1", Verifier: "verifier-1", RedirectURL: "https://koe.example.com" + OIDCCallbackPath,
		ReturnTo: "/admin/events/1", Expires: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC).Unix()}
}

func TestOIDCLoginSealing(t *testing.T) {
	ctx := t.Context()
	s := testLogins(t)
	in := sampleLogin()
	sealed, err := s.Seal(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, OIDCLoginPrefix) || strings.Contains(sealed, "state-1") || strings.Contains(sealed, "/admin") {
		t.Fatalf("sealed login %q shows its contents", sealed)
	}
	out, ok, err := s.Open(ctx, sealed)
	if err != nil || !ok || *out != *in {
		t.Fatalf("Open = %+v, %v, %v; want %+v", out, ok, err, in)
	}
	again, _ := s.Seal(ctx, in)
	if again == sealed {
		t.Error("two seals of one login are equal: no fresh nonce")
	}
	// Altered, cut, of another key, unprefixed: refused.
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, OIDCLoginPrefix))
	raw[len(raw)/2] ^= 1
	other, _ := testLogins(t).Seal(ctx, in)
	for _, bad := range []string{
		OIDCLoginPrefix + base64.RawURLEncoding.EncodeToString(raw),
		sealed[:len(sealed)-4],
		other,
		strings.TrimPrefix(sealed, OIDCLoginPrefix),
		"o2." + strings.TrimPrefix(sealed, OIDCLoginPrefix),
		sealed + "=",
		"",
	} {
		if l, ok, err := s.Open(ctx, bad); ok || err != nil || l != nil {
			t.Errorf("Open(%q) = %v, %v, %v; want refused", bad, l, ok, err)
		}
	}
	long := *in
	long.ReturnTo = "/" + strings.Repeat("a", maxReturnLen)
	if _, err := s.Seal(ctx, &long); err == nil {
		t.Error("sealed a login with an over-long return path")
	}
}

func TestOIDCPolicy(t *testing.T) {
	ada := &Identity{Email: "ada@example.com", EmailVerified: true, Groups: []string{"staff"}}
	unverified := &Identity{Email: "eve@example.com", Groups: []string{"koe-admins"}}
	other := &Identity{Email: "grace@example.org", EmailVerified: true}
	for _, tc := range []struct {
		name   string
		p      OIDCPolicy
		id     *Identity
		ok     bool
		admin  bool
		setsIt bool
	}{
		{"no policy", OIDCPolicy{}, other, true, false, false},
		{"domain", OIDCPolicy{AllowedDomains: []string{"EXAMPLE.com"}}, ada, true, false, false},
		{"other domain", OIDCPolicy{AllowedDomains: []string{"example.com"}}, other, false, false, false},
		{"unverified", OIDCPolicy{AllowedDomains: []string{"example.com"}}, unverified, false, false, false},
		{"no e-mail", OIDCPolicy{AllowedDomains: []string{"example.com"}}, &Identity{EmailVerified: true}, false, false, false},
		{"subdomain is another domain", OIDCPolicy{AllowedDomains: []string{"example.com"}}, &Identity{Email: "x@evil.example.com", EmailVerified: true}, false, false, false},
		{"group", OIDCPolicy{AllowedGroups: []string{"staff"}}, ada, true, false, false},
		{"no group", OIDCPolicy{AllowedGroups: []string{"staff"}}, other, false, false, false},
		{"admin group counts as allowed", OIDCPolicy{AllowedGroups: []string{"staff"}, AdminGroups: []string{"koe-admins"}}, unverified, true, true, true},
		{"admin groups set, not a member", OIDCPolicy{AdminGroups: []string{"koe-admins"}}, ada, true, false, true},
		{"both, domain fails", OIDCPolicy{AllowedDomains: []string{"example.com"}, AdminGroups: []string{"koe-admins"}}, unverified, false, false, false},
	} {
		d, err := tc.p.Decide(tc.id)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrOIDCNotAllowed) {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if err == nil && (d.Admin != tc.admin || d.SetAdmin != tc.setsIt) {
			t.Errorf("%s: decision %+v, want admin %v set %v", tc.name, d, tc.admin, tc.setsIt)
		}
	}
}

func TestOIDCClaims(t *testing.T) {
	if g := claimGroups([]any{"a", 1, "", "b", strings.Repeat("x", maxGroupLen+1)}); strings.Join(g, ",") != "a,b" {
		t.Errorf("groups %q", g)
	}
	if g := claimGroups("solo"); len(g) != 1 || g[0] != "solo" {
		t.Errorf("one group as a string: %q", g)
	}
	many := make([]any, maxGroups+10)
	for i := range many {
		many[i] = "g"
	}
	if g := claimGroups(many); len(g) != maxGroups {
		t.Errorf("%d groups kept, want at most %d", len(g), maxGroups)
	}
	if !claimBool(true) || !claimBool("true") || claimBool("yes") || claimBool(nil) || claimBool(1) {
		t.Error("email_verified read wrongly")
	}
	if claimString(strings.Repeat("x", maxClaimLen+1)) != "" || claimString(3) != "" {
		t.Error("an over-long or non-string claim was kept")
	}
}

func TestNewOIDC(t *testing.T) {
	for _, bad := range []OIDCConfig{
		{Issuer: "", ClientID: "koe"},
		{Issuer: "accounts.google.com", ClientID: "koe"},
		{Issuer: "http://idp.example.com", ClientID: "koe"}, // http only on loopback
		{Issuer: "https://idp.example.com?x=1", ClientID: "koe"},
		{Issuer: "https://idp.example.com"},
		{Issuer: "https://idp.example.com", ClientID: "koe", RedirectURL: "/relative"},
	} {
		if _, err := NewOIDC(bad); err == nil {
			t.Errorf("NewOIDC(%+v) accepted", bad)
		}
	}
	o, err := NewOIDC(OIDCConfig{Issuer: "https://idp.example.com/realms/x", ClientID: "koe"})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.RedirectURL("http://localhost:8080"); got != "http://localhost:8080"+OIDCCallbackPath {
		t.Errorf("redirect URL from the origin: %q", got)
	}
	o, _ = NewOIDC(OIDCConfig{Issuer: "http://127.0.0.1:9", ClientID: "koe", RedirectURL: "https://koe.example.com" + OIDCCallbackPath})
	if got := o.RedirectURL("http://evil.example"); got != "https://koe.example.com"+OIDCCallbackPath {
		t.Errorf("configured redirect URL not used: %q", got)
	}
}

// unreachable is a client whose provider is down (nothing listens on
// port 9 of loopback): only a callback that passes every check before
// the exchange would try to reach it.
func unreachable(t testing.TB) *OIDC {
	o, err := NewOIDC(OIDCConfig{Issuer: "http://127.0.0.1:9", ClientID: "koe", ClientSecret: "s",
		Now: func() time.Time { return time.Date(2026, 5, 1, 8, 55, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOIDCFinishRefusals(t *testing.T) {
	ctx := t.Context()
	o := unreachable(t)
	login := sampleLogin()
	for _, tc := range []struct {
		name  string
		login *OIDCLogin
		cb    OIDCCallback
		want  error
	}{
		{"denied", login, OIDCCallback{Error: "access_denied"}, ErrOIDCDenied},
		{"denied without login", nil, OIDCCallback{Error: "access_denied"}, ErrOIDCDenied},
		{"other provider error", login, OIDCCallback{Error: "server_error", State: "state-1"}, ErrOIDCInvalid},
		{"no login", nil, OIDCCallback{Code: "c", State: "state-1"}, ErrOIDCInvalid},
		{"no state", login, OIDCCallback{Code: "c"}, ErrOIDCInvalid},
		{"wrong state", login, OIDCCallback{Code: "c", State: "state-2"}, ErrOIDCInvalid},
		{"no code", login, OIDCCallback{State: "state-1"}, ErrOIDCInvalid},
		{"provider down", login, OIDCCallback{Code: "c", State: "state-1"}, ErrOIDCUnavailable},
	} {
		if _, err := o.Finish(ctx, tc.login, tc.cb); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	expired := *login
	expired.Expires = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC).Unix()
	if _, err := o.Finish(ctx, &expired, OIDCCallback{Code: "c", State: "state-1"}); !errors.Is(err, ErrOIDCInvalid) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired login: %v", err)
	}
	if _, _, err := o.Begin(ctx, "http://x"+OIDCCallbackPath, "/"); !errors.Is(err, ErrOIDCUnavailable) {
		t.Errorf("Begin with the provider down: %v", err)
	}
}

func TestParseOIDCCallback(t *testing.T) {
	cb, err := ParseOIDCCallback(url.Values{"code": {"c"}, "state": {"s"}, "iss": {"x"}})
	if err != nil || cb.Code != "c" || cb.State != "s" || cb.Error != "" {
		t.Errorf("%+v, %v", cb, err)
	}
	for _, bad := range []url.Values{
		{"code": {"a", "b"}},
		{"state": {"a", "b"}},
		{"error": {"a", "b"}},
		{"code": {strings.Repeat("c", 2049)}},
	} {
		if _, err := ParseOIDCCallback(bad); !errors.Is(err, ErrOIDCInvalid) {
			t.Errorf("ParseOIDCCallback(%v): %v", bad, err)
		}
	}
}

// FuzzOIDCLoginOpen feeds the koe_oidc cookie decoder anything: it never
// panics, refuses what it did not seal, and opens what it sealed.
func FuzzOIDCLoginOpen(f *testing.F) {
	s := testLogins(f)
	ctx := context.Background()
	sealed, err := s.Seal(ctx, sampleLogin())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{sealed, sealed[:len(sealed)/2], OIDCLoginPrefix, OIDCLoginPrefix + "AAAA", "o1.%%%", "o1." + strings.Repeat("A", 4000), "", "koe_s_x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		l, ok, err := s.Open(ctx, in)
		if err != nil {
			t.Fatalf("Open(%q): %v", in, err)
		}
		if !ok {
			if l != nil {
				t.Fatalf("refused, but returned %+v", l)
			}
			return
		}
		if in != sealed && !strings.HasPrefix(in, OIDCLoginPrefix) {
			t.Fatalf("opened %q, which lacks the prefix", in)
		}
		if l.State == "" || l.Nonce == "" || l.Verifier == "" || l.RedirectURL == "" {
			t.Fatalf("opened an incomplete login %+v", l)
		}
		if in != sealed && *l != *sampleLogin() {
			t.Fatalf("opened %q as %+v: a forgery", in, l)
		}
	})
}

// FuzzOIDCCallback feeds the callback's query parameters, with or without
// a login, through the checks before the code exchange: never a panic,
// always one of the client's errors.
func FuzzOIDCCallback(f *testing.F) {
	for _, q := range []string{"code=c&state=s", "error=access_denied&state=s", "error=access_denied&error_description=%3Cscript%3E",
		"code=c&code=d&state=s", "state=state-1", "code=&state=", "%zz", "code=" + strings.Repeat("c", 3000), ""} {
		f.Add(q, true)
		f.Add(q, false)
	}
	o := unreachable(f)
	f.Fuzz(func(t *testing.T, rawQuery string, withLogin bool) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // the HTTP server would have read what it could; ParseQuery's error is its own
		}
		cb, err := ParseOIDCCallback(q)
		if err != nil {
			if !errors.Is(err, ErrOIDCInvalid) {
				t.Fatalf("ParseOIDCCallback: %v", err)
			}
			return
		}
		var login *OIDCLogin
		if withLogin {
			login = sampleLogin()
		}
		if cb.State == "state-1" && cb.Code != "" && cb.Error == "" && withLogin {
			return // would go on to the (unreachable) provider: TestOIDCFinishRefusals covers it
		}
		id, err := o.Finish(context.Background(), login, cb)
		if err == nil || id != nil {
			t.Fatalf("Finish accepted %q: %+v", rawQuery, id)
		}
		if !errors.Is(err, ErrOIDCInvalid) && !errors.Is(err, ErrOIDCDenied) {
			t.Fatalf("Finish(%q): %v is none of the client's errors", rawQuery, err)
		}
	})
}
