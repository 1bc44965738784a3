package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// The answers of the passkey routes, as the tests read them.
type registrationOptions struct {
	Ceremony string `json:"ceremony"`
	Options  struct {
		PublicKey credCreationOptions `json:"publicKey"`
	} `json:"options"`
}

type signInOptions struct {
	SecondFactor string `json:"second_factor"`
	Ceremony     string `json:"ceremony"`
	Options      struct {
		PublicKey assertionOptions `json:"publicKey"`
	} `json:"options"`
}

type passkeyInfo struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// passkeyHarness serves at localhost: WebAuthn needs a host name, and
// without KOE_PUBLIC_URL koe takes the request's (the harness's
// 127.0.0.1 cannot be a relying party).
func passkeyHarness(t *testing.T, opts ...harnessOption) (*harness, string) {
	t.Helper()
	h := newHarness(t, opts...)
	h.srv.URL = strings.Replace(h.srv.URL, "://127.0.0.1:", "://localhost:", 1)
	if !strings.Contains(h.srv.URL, "://localhost:") {
		t.Fatalf("harness at %s, not on 127.0.0.1", h.srv.URL)
	}
	return h, h.srv.URL
}

// register adds a passkey made by k to the account the browser is signed
// in to.
func register(t *testing.T, br *client, k *softKey, origin, name string) passkeyInfo {
	t.Helper()
	var opts registrationOptions
	if r := br.post("/api/v1/account/passkeys/options", nil); !r.want(t, 200, "") {
		t.FailNow()
	} else {
		r.decode(t, &opts)
	}
	var pk passkeyInfo
	r := br.post("/api/v1/account/passkeys", map[string]any{"ceremony": opts.Ceremony, "name": name, "credential": k.create(opts.Options.PublicKey, origin)})
	if !r.want(t, 201, "") {
		t.FailNow()
	}
	r.decode(t, &pk)
	return pk
}

// beginSignIn starts a passkey sign-in.
func beginSignIn(t *testing.T, c *client) signInOptions {
	t.Helper()
	var opts signInOptions
	if r := c.post("/api/v1/session/passkey", nil); r.want(t, 200, "") {
		r.decode(t, &opts)
	}
	return opts
}

// passkeySignIn posts an assertion for the ceremony.
func passkeySignIn(c *client, ceremony string, credential any, opts ...callOpt) *response {
	return c.post("/api/v1/session", map[string]any{"passkey": map[string]any{"ceremony": ceremony, "credential": credential}}, opts...)
}

// whoIs returns the login of the account a browser is signed in to, ""
// for none.
func whoIs(t *testing.T, c *client) string {
	t.Helper()
	var who struct {
		Account *koe.Account `json:"account"`
	}
	r := c.get("/api/v1/session", unchecked)
	if r.Status != 200 {
		return ""
	}
	r.decode(t, &who)
	if who.Account == nil {
		return ""
	}
	return who.Account.Login
}

// TestPasskeys registers two passkeys through the API with a software
// authenticator and signs in with each (discoverable: no login given),
// then holds the refusals: a replayed ceremony, another origin, a wrong
// signature, a counter that goes back, a deleted passkey, an unknown one,
// a disabled account; the registrations and deletions are in the audit
// log.
func TestPasskeys(t *testing.T) {
	h, origin := passkeyHarness(t)
	acct := h.account(false)
	br, _ := h.signedIn(acct)

	// The registration options: koe's relying party, a random handle,
	// discoverable and user-verifying, no attestation.
	var opts registrationOptions
	if r := br.post("/api/v1/account/passkeys/options", nil); r.want(t, 200, "") {
		r.decode(t, &opts)
		checkSchema(t, "passkeyCreationOptions", r.Body)
	}
	pko := opts.Options.PublicKey
	handle, _ := b64.DecodeString(pko.User.ID)
	if !strings.HasPrefix(opts.Ceremony, "koe_c_") || pko.RP.ID != "localhost" || pko.RP.Name != "koe" || len(handle) != 32 ||
		bytes.Contains(handle, []byte(acct.Login)) || pko.User.Name != acct.Login || pko.Selection.ResidentKey != "required" ||
		pko.Selection.UserVerification != "required" || pko.Attestation != "none" || len(pko.Exclude) != 0 || len(pko.Challenge) < 20 {
		t.Errorf("registration options %+v (ceremony %q)", pko, opts.Ceremony)
	}

	k1 := newSoftKey(t)
	cred := k1.create(pko, origin)
	r := br.post("/api/v1/account/passkeys", map[string]any{"ceremony": opts.Ceremony, "name": "YubiKey 5", "credential": cred})
	var p1 passkeyInfo
	if r.want(t, 201, "") {
		r.decode(t, &p1)
		checkSchema(t, "Passkey", r.Body)
	}
	if p1.Name != "YubiKey 5" || p1.ID == 0 || p1.LastUsedAt != nil || !strings.Contains(string(r.Body), `"last_used_at":null`) {
		t.Errorf("registered %s", r.Body)
	}
	// The ceremony is used.
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": opts.Ceremony, "name": "again", "credential": cred}).want(t, 401, koe.EUNAUTHORIZED)

	// The second registration excludes the first passkey; an empty name
	// is "Passkey".
	if r := br.post("/api/v1/account/passkeys/options", nil); r.want(t, 200, "") {
		r.decode(t, &opts)
	}
	if ex := opts.Options.PublicKey.Exclude; len(ex) != 1 || ex[0].ID != b64.EncodeToString(k1.id) || ex[0].Type != "public-key" {
		t.Errorf("excludeCredentials %+v, want the first passkey", ex)
	}
	// A client that ignores excludeCredentials: the same credential twice
	// is a conflict.
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": opts.Ceremony, "credential": newSoftKeyLike(k1).create(opts.Options.PublicKey, origin)}).
		want(t, 409, koe.ECONFLICT)
	k2 := newSoftKey(t)
	p2 := register(t, br, k2, origin, "")
	if p2.Name != "Passkey" {
		t.Errorf("default name %q, want Passkey", p2.Name)
	}
	if !bytes.Equal(k1.handle, k2.handle) {
		t.Error("one account's passkeys have different user handles")
	}

	var list struct {
		Passkeys []passkeyInfo `json:"passkeys"`
	}
	if r := br.get("/api/v1/account/passkeys"); r.want(t, 200, "") {
		r.decode(t, &list)
	}
	if len(list.Passkeys) != 2 || list.Passkeys[0].ID != p1.ID || list.Passkeys[1].ID != p2.ID {
		t.Errorf("passkeys %+v", list.Passkeys)
	}

	// Signing in with each, no login given.
	for i, k := range []*softKey{k1, k2} {
		anon := h.browser()
		o := beginSignIn(t, anon)
		if o.Options.PublicKey.RPID != "localhost" || len(o.Options.PublicKey.Allow) != 0 || o.Options.PublicKey.UserVerification != "required" {
			t.Errorf("sign-in options %+v", o.Options.PublicKey)
		}
		r := passkeySignIn(anon, o.Ceremony, k.get(o.Options.PublicKey, assertion{origin: origin}))
		if !r.want(t, 201, "") || sessionCookie(r) == nil {
			t.Fatalf("passkey %d: no session: %s", i+1, r)
		}
		if got := whoIs(t, anon); got != acct.Login {
			t.Errorf("passkey %d signed in as %q, want %q", i+1, got, acct.Login)
		}
		var ss struct {
			Sessions []koe.Session `json:"sessions"`
		}
		anon.get("/api/v1/sessions").decode(t, &ss)
		if len(ss.Sessions) == 0 || ss.Sessions[0].Method != "passkey" {
			t.Errorf("sessions %+v, want the newest signed in by passkey", ss.Sessions)
		}
		// The same assertion again: the ceremony is used.
		passkeySignIn(h.browser(), o.Ceremony, k.get(o.Options.PublicKey, assertion{origin: origin})).want(t, 401, koe.EUNAUTHORIZED)
	}
	if r := br.get("/api/v1/account/passkeys"); r.want(t, 200, "") {
		r.decode(t, &list)
	}
	if len(list.Passkeys) != 2 || list.Passkeys[0].LastUsedAt == nil {
		t.Errorf("after sign-in: %+v, want last_used_at set", list.Passkeys)
	}

	refuse := func(what string, a assertion, k *softKey, status int, code, msg string) {
		t.Helper()
		anon := h.browser()
		o := beginSignIn(t, anon)
		r := passkeySignIn(anon, o.Ceremony, k.get(o.Options.PublicKey, a))
		if !r.want(t, status, code) || !strings.Contains(r.errorMessage(), msg) || status >= 400 && sessionCookie(r) != nil {
			t.Errorf("%s: %s, want %d %s with %q", what, r, status, code, msg)
		}
	}
	refuse("another origin", assertion{origin: "http://evil.example:" + port(origin)}, k1, 401, koe.EUNAUTHORIZED, "another origin")
	refuse("another relying party", assertion{origin: origin, rpID: "evil.example"}, k1, 401, koe.EUNAUTHORIZED, "passkey not accepted")
	refuse("a wrong signature", assertion{origin: origin, badSig: true}, k1, 401, koe.EUNAUTHORIZED, "passkey not accepted")
	refuse("no user verification", assertion{origin: origin, flags: flagUP}, k1, 401, koe.EUNAUTHORIZED, "passkey not accepted")
	refuse("a create ceremony's client data", assertion{origin: origin, typeGet: "webauthn.create"}, k1, 401, koe.EUNAUTHORIZED, "passkey not accepted")
	// The counter: it must move on from the last accepted value.
	refuse("nothing wrong", assertion{origin: origin}, k1, 201, "", "")
	back := k1.count - 1
	refuse("the counter gone back", assertion{origin: origin, count: &back}, k1, 401, koe.EUNAUTHORIZED, "cloned")
	same := k1.count
	refuse("the counter not advanced", assertion{origin: origin, count: &same}, k1, 401, koe.EUNAUTHORIZED, "cloned")
	stranger := newSoftKey(t)
	stranger.handle = k1.handle
	refuse("an unknown passkey with the account's handle", assertion{origin: origin}, stranger, 401, koe.EUNAUTHORIZED, "does not know this passkey")
	stranger.handle = bytes.Repeat([]byte{7}, 32)
	refuse("an unknown passkey and handle", assertion{origin: origin}, stranger, 401, koe.EUNAUTHORIZED, "does not know this passkey")
	refuse("another account's handle", assertion{origin: origin, handle: bytes.Repeat([]byte{8}, 32)}, k1, 401, koe.EUNAUTHORIZED, "does not know this passkey")
	// The counter moves on: the passkey still works.
	refuse("nothing wrong", assertion{origin: origin}, k1, 201, "", "")

	// Malformed: a clear 4xx, never a 500.
	anon := h.browser()
	o := beginSignIn(t, anon)
	passkeySignIn(anon, o.Ceremony, map[string]any{"id": "x"}).want(t, 400, koe.EINVALID)
	for _, body := range []string{
		`{"passkey":{"ceremony":"nope","credential":{}}}`,
		`{"passkey":{"ceremony":"koe_c_unknown","credential":{"id":"AA","rawId":"AA","type":"public-key","response":{}}}}`,
	} {
		anon.post("/api/v1/session", body).want(t, 401, koe.EUNAUTHORIZED)
	}
	for _, body := range []string{
		`{"passkey":{"ceremony":"koe_c_x"}}`,
		`{"passkey":{"ceremony":"koe_c_x","credential":"text"}}`,
		`{"passkey":{"ceremony":"koe_c_x","credential":{}},"login":"x"}`,
		`{"passkey":{"ceremony":"koe_c_x","credential":{},"extra":1}}`,
	} {
		anon.post("/api/v1/session", body, docRejects).want(t, 400, koe.EINVALID)
	}
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": "koe_c_x", "credential": map[string]any{}}).want(t, 401, koe.EUNAUTHORIZED)
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": "koe_c_x", "name": strings.Repeat("n", 65), "credential": map[string]any{}}, docRejects).
		want(t, 400, koe.EINVALID)
	if r := br.post("/api/v1/account/passkeys/options", nil); r.want(t, 200, "") {
		r.decode(t, &opts)
	}
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": opts.Ceremony, "credential": map[string]any{"id": "AAAA", "type": "public-key"}}).
		want(t, 400, koe.EINVALID)
	// A sign-in ceremony is no registration ceremony.
	o = beginSignIn(t, h.browser())
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": o.Ceremony, "credential": newSoftKey(t).create(pko, origin)}).want(t, 401, koe.EUNAUTHORIZED)

	// Renaming.
	if r := br.patch(fmt.Sprintf("/api/v1/account/passkeys/%d", p2.ID), map[string]any{"name": "Phone"}); r.want(t, 200, "") {
		var got passkeyInfo
		r.decode(t, &got)
		if got.Name != "Phone" {
			t.Errorf("renamed %+v", got)
		}
	}

	// Deleted: it signs in no more; another account cannot delete it.
	other, _ := h.signedIn(h.account(false))
	other.del(fmt.Sprintf("/api/v1/account/passkeys/%d", p2.ID)).want(t, 404, koe.ENOTFOUND)
	br.del(fmt.Sprintf("/api/v1/account/passkeys/%d", p2.ID)).want(t, 204, "")
	br.del(fmt.Sprintf("/api/v1/account/passkeys/%d", p2.ID)).want(t, 404, koe.ENOTFOUND)
	refuse("a deleted passkey", assertion{origin: origin}, k2, 401, koe.EUNAUTHORIZED, "does not know this passkey")

	// Disabled: its passkeys sign in no more.
	if _, err := h.store.UpdateAccount(t.Context(), acct.ID, koe.AccountUpdate{Disabled: ptrTo(true)}); err != nil {
		t.Fatal(err)
	}
	refuse("a disabled account", assertion{origin: origin}, k1, 401, koe.EUNAUTHORIZED, "disabled")

	// The audit log: two registrations, a rename, a deletion, by the
	// account from its session.
	entries := waitAudit(t, h, "passkey.", 4)
	var types []string
	for _, e := range entries {
		types = append(types, string(e.Type))
		if e.Actor.AccountID != acct.ID || e.Actor.Via != "session" || bytes.Contains(e.After, []byte("credential")) {
			t.Errorf("audit entry %+v: want by the account, through its session, without the credential", e)
		}
	}
	if want := "passkey.deleted passkey.updated passkey.created passkey.created"; strings.Join(types, " ") != want {
		t.Errorf("audit %v, want %s", types, want)
	}
}

// newSoftKeyLike returns an authenticator with k's credential id (a clone
// that ignores excludeCredentials).
func newSoftKeyLike(k *softKey) *softKey {
	c := *k
	return &c
}

func ptrTo[T any](v T) *T { return &v }

// port returns the port of a URL.
func port(u string) string { return u[strings.LastIndexByte(u, ':')+1:] }

// auditEntry is what the tests read of an audit entry.
type auditEntry struct {
	Type  koe.ChangeType `json:"type"`
	Actor struct {
		AccountID int64  `json:"account_id"`
		Via       string `json:"via"`
	} `json:"actor"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// waitAudit waits until the installation's audit log has n entries of the
// types that begin with prefix (the audit consumer copies them from the
// outbox a moment after the write), newest first.
func waitAudit(t *testing.T, h *harness, prefix string, n int) []auditEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct {
			Entries []auditEntry `json:"entries"`
		}
		if r := h.staff.get("/api/v1/audit?type=" + prefix); r.want(t, 200, "") {
			r.decode(t, &page)
		}
		if len(page.Entries) >= n || time.Now().After(deadline) {
			if len(page.Entries) != n {
				t.Errorf("audit log: %d %s entries, want %d", len(page.Entries), prefix, n)
			}
			return page.Entries
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPasskeySecondFactor: with passkey_required a correct password opens
// no session but asks for a passkey of that account; a passkey alone
// still signs in; deleting the last passkey makes the password enough.
func TestPasskeySecondFactor(t *testing.T) {
	h, origin := passkeyHarness(t)
	a := h.account(false)
	brA, _ := h.signedIn(a)
	b := h.account(false)
	brB, _ := h.signedIn(b)

	// Not without a passkey.
	brA.patch("/api/v1/account", map[string]any{"passkey_required": true}).want(t, 409, koe.ECONFLICT)
	kA := newSoftKey(t)
	pA := register(t, brA, kA, origin, "A's key")
	kB := newSoftKey(t)
	register(t, brB, kB, origin, "B's key")
	var acct koe.Account
	if r := brA.patch("/api/v1/account", map[string]any{"passkey_required": true}); r.want(t, 200, "") {
		r.decode(t, &acct)
	}
	if !acct.PasskeyRequired {
		t.Fatalf("passkey_required not set: %+v", acct)
	}
	// A token cannot change it.
	h.staff.patch("/api/v1/account", map[string]any{"passkey_required": false}).want(t, 403, koe.EFORBIDDEN)

	password := func(c *client) *response {
		return c.post("/api/v1/session", map[string]any{"login": a.Login, "password": staffPassword})
	}
	// A wrong password is still just wrong.
	h.browser().post("/api/v1/session", map[string]any{"login": a.Login, "password": "not it at all, no"}).want(t, 401, koe.EUNAUTHORIZED)

	// The right password: a second factor, no session.
	anon := h.browser()
	r := password(anon)
	var sf signInOptions
	if r.want(t, 200, "") {
		r.decode(t, &sf)
		checkSchema(t, "secondFactor", r.Body)
	}
	if sessionCookie(r) != nil || r.Header.Get("Set-Cookie") != "" || whoIs(t, anon) != "" {
		t.Errorf("a password alone set a cookie: %v", r.Header["Set-Cookie"])
	}
	allow := sf.Options.PublicKey.Allow
	if sf.SecondFactor != "passkey" || !strings.HasPrefix(sf.Ceremony, "koe_c_") || len(allow) != 1 || allow[0].ID != b64.EncodeToString(kA.id) {
		t.Errorf("second factor %s", r.Body)
	}
	// Another account's passkey does not answer it (and the ceremony is
	// used up).
	passkeySignIn(anon, sf.Ceremony, kB.get(sf.Options.PublicKey, assertion{origin: origin})).want(t, 401, koe.EUNAUTHORIZED)
	passkeySignIn(anon, sf.Ceremony, kA.get(sf.Options.PublicKey, assertion{origin: origin})).want(t, 401, koe.EUNAUTHORIZED)
	if whoIs(t, anon) != "" {
		t.Error("signed in after refusals")
	}
	// A's passkey from another origin fails too.
	if r := password(anon); r.want(t, 200, "") {
		r.decode(t, &sf)
	}
	passkeySignIn(anon, sf.Ceremony, kA.get(sf.Options.PublicKey, assertion{origin: "http://localhost:1"})).want(t, 401, koe.EUNAUTHORIZED)

	// Password, then A's passkey: signed in as A.
	if r := password(anon); r.want(t, 200, "") {
		r.decode(t, &sf)
	}
	r = passkeySignIn(anon, sf.Ceremony, kA.get(sf.Options.PublicKey, assertion{origin: origin}))
	if !r.want(t, 201, "") || sessionCookie(r) == nil {
		t.Fatalf("second factor: %s", r)
	}
	checkSchema(t, "signedIn", r.Body)
	if got := whoIs(t, anon); got != a.Login {
		t.Errorf("signed in as %q, want %q", got, a.Login)
	}

	// A passkey alone satisfies the requirement.
	alone := h.browser()
	o := beginSignIn(t, alone)
	passkeySignIn(alone, o.Ceremony, kA.get(o.Options.PublicKey, assertion{origin: origin})).want(t, 201, "")
	if got := whoIs(t, alone); got != a.Login {
		t.Errorf("passkey alone signed in as %q, want %q", got, a.Login)
	}

	// The last passkey deleted: the requirement goes, a password is enough.
	brA.del(fmt.Sprintf("/api/v1/account/passkeys/%d", pA.ID)).want(t, 204, "")
	var who struct {
		Account koe.Account `json:"account"`
	}
	brA.get("/api/v1/session").decode(t, &who)
	if who.Account.PasskeyRequired {
		t.Error("passkey_required kept after the last passkey was deleted")
	}
	if r := password(h.browser()); !r.want(t, 201, "") || sessionCookie(r) == nil {
		t.Errorf("password after the last passkey went: %s", r)
	}
	// Audited: the setting on and off, as account updates.
	entries := waitAudit(t, h, "account.updated", 2)
	for i, want := range []bool{false, true} { // newest first
		var after koe.Account
		if i < len(entries) {
			_ = json.Unmarshal(entries[i].After, &after)
		}
		if after.PasskeyRequired != want || after.ID != a.ID {
			t.Errorf("account.updated %d: %+v, want passkey_required %v", i, after, want)
		}
	}
}

// TestPasskeyHosts: at an IP address passkeys cannot work, and say why;
// tokens and the owner token register none.
func TestPasskeyHosts(t *testing.T) {
	h := newHarness(t) // at 127.0.0.1
	ip := h.client("")
	r := ip.post("/api/v1/session/passkey", nil)
	if !r.want(t, 400, koe.EINVALID) || !strings.Contains(r.errorMessage(), "host name") || !strings.Contains(r.errorMessage(), "localhost") {
		t.Errorf("at an IP address: %s", r)
	}
	br, _ := h.signedIn(h.account(false))
	br.post("/api/v1/account/passkeys/options", nil).want(t, 400, koe.EINVALID)
	// The owner token, as bearer or in a session, has no account.
	h.staff.post("/api/v1/account/passkeys/options", nil, unchecked).want(t, 403, koe.EFORBIDDEN)
	owner := h.browser()
	owner.post("/api/v1/session", map[string]any{"token": ownerToken}).want(t, 201, "")
	owner.post("/api/v1/account/passkeys/options", nil).want(t, 403, koe.EFORBIDDEN)
	owner.get("/api/v1/account/passkeys").want(t, 403, koe.EFORBIDDEN)
	h.client("").get("/api/v1/account/passkeys", docRejects).want(t, 401, koe.EUNAUTHORIZED)
}

// TestPasskeyPublicURL: with KOE_PUBLIC_URL the relying party is its
// host whatever the request's, and only its origin is accepted.
func TestPasskeyPublicURL(t *testing.T) {
	const public = "https://koe.example"
	h := newHarness(t, func(c *harnessConfig) { c.act.PublicURL = public })
	acct := h.account(false)
	br, _ := h.signedIn(acct) // at 127.0.0.1: the request's host does not matter
	k := newSoftKey(t)
	var opts registrationOptions
	if r := br.post("/api/v1/account/passkeys/options", nil); r.want(t, 200, "") {
		r.decode(t, &opts)
	}
	if opts.Options.PublicKey.RP.ID != "koe.example" {
		t.Errorf("rp.id %q, want koe.example", opts.Options.PublicKey.RP.ID)
	}
	// Made at the server's own address, not the public URL: refused.
	br.post("/api/v1/account/passkeys", map[string]any{"ceremony": opts.Ceremony, "credential": k.create(opts.Options.PublicKey, h.srv.URL)}).
		want(t, 400, koe.EINVALID)
	register(t, br, k, public, "")
	o := beginSignIn(t, h.browser())
	if o.Options.PublicKey.RPID != "koe.example" {
		t.Errorf("rpId %q", o.Options.PublicKey.RPID)
	}
	anon := h.browser()
	o = beginSignIn(t, anon)
	passkeySignIn(anon, o.Ceremony, k.get(o.Options.PublicKey, assertion{origin: "https://koe.example:8443"})).want(t, 401, koe.EUNAUTHORIZED)
	o = beginSignIn(t, anon)
	if r := passkeySignIn(anon, o.Ceremony, k.get(o.Options.PublicKey, assertion{origin: public})); r.want(t, 201, "") {
		if got := whoIs(t, anon); got != acct.Login {
			t.Errorf("signed in as %q", got)
		}
	}
}

// passkeyID stores a passkey of the matrixCaller's account (the owner's
// for callers without one) and returns its id, for the authorization
// matrix.
func (w *authzWorld) passkeyID(c matrixCaller) int64 {
	a := w.account(c)
	if a == nil {
		a = w.accounts[asOwner]
	}
	id := []byte(fmt.Sprintf("matrix-%d", w.unique()))
	pk := &koe.Passkey{AccountID: a.ID, Name: "matrix", CredentialID: id, RPID: "localhost", Credential: []byte(`{}`)}
	if err := w.h.store.CreatePasskey(context.Background(), pk); err != nil {
		w.h.t.Fatal(err)
	}
	return pk.ID
}
