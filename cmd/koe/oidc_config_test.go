package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOIDCConfig(t *testing.T) {
	t.Setenv("KOE_PUBLIC_URL", "https://koe.example.com")
	// Off unless the issuer is set.
	c, err := parseServeConfig(nil)
	if err != nil || c.OIDC.Issuer != "" {
		t.Fatalf("no KOE_OIDC_*: %+v, %v", c.OIDC, err)
	}
	t.Setenv("KOE_OIDC_CLIENT_ID", "koe")
	if _, err := parseServeConfig(nil); err == nil || !strings.Contains(err.Error(), "KOE_OIDC_ISSUER") {
		t.Errorf("client id without issuer: %v", err)
	}
	t.Setenv("KOE_OIDC_ISSUER", "https://sso.example.com/realms/koe")
	if _, err := parseServeConfig(nil); err == nil || !strings.Contains(err.Error(), "KOE_OIDC_CLIENT_SECRET") {
		t.Errorf("issuer without secret: %v", err)
	}
	t.Setenv("KOE_OIDC_CLIENT_SECRET", "s3cret")
	t.Setenv("KOE_OIDC_ALLOWED_DOMAINS", " example.com, ,example.org ")
	t.Setenv("KOE_OIDC_ADMIN_GROUPS", "koe-admins")
	c, err = parseServeConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDC.ClientSecret != "s3cret" || c.OIDC.Name != "OpenID Connect" || c.OIDC.GroupsClaim != "groups" ||
		!slices.Equal(c.OIDC.AllowedDomains, []string{"example.com", "example.org"}) || !slices.Equal(c.OIDC.AdminGroups, []string{"koe-admins"}) {
		t.Errorf("parsed %+v", c.OIDC)
	}
	o, err := oidcSignIn(discardLogger(), c)
	if err != nil || o == nil || o.Client.RedirectURL("http://other") != "https://koe.example.com/api/v1/session/oidc/callback" {
		t.Fatalf("client: %+v, %v", o, err)
	}
	// The secret from a file, not both.
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KOE_OIDC_CLIENT_SECRET_FILE", file)
	if _, err := parseServeConfig(nil); err == nil {
		t.Error("both KOE_OIDC_CLIENT_SECRET and _FILE accepted")
	}
	t.Setenv("KOE_OIDC_CLIENT_SECRET", "")
	if c, err := parseServeConfig(nil); err != nil || c.OIDC.ClientSecret != "from-file" {
		t.Errorf("secret from a file: %q, %v", c.OIDC.ClientSecret, err)
	}
	t.Setenv("KOE_OIDC_ISSUER", "http://sso.example.com")
	c, _ = parseServeConfig(nil)
	if _, err := oidcSignIn(discardLogger(), c); err == nil {
		t.Error("an http issuer off loopback accepted")
	}
}
