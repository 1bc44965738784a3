package act

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// MethodPasskey is how a session signed in with a passkey says it
// (koe.Session.Method).
const MethodPasskey = "passkey"

// maxPasskeys bounds the passkeys of one account.
const maxPasskeys = 20

// maxCredentialBytes bounds the browser's credential JSON (the request
// body's limit bounds it too).
const maxCredentialBytes = 32 << 10

// PasskeyOptions is a passkey ceremony begun: the secret that names it,
// and the options for navigator.credentials.create or .get, as go-webauthn
// writes them ({"publicKey": {…}}).
type PasskeyOptions struct {
	Ceremony string `json:"ceremony"`
	// Options is a *protocol.CredentialCreation (registration) or a
	// *protocol.CredentialAssertion (sign-in).
	Options any `json:"options"`
}

// SecondFactor is the answer to a correct password of an account that
// requires a passkey: no session yet, but a ceremony whose assertion
// (SignInRequest.Passkey) opens it.
type SecondFactor struct {
	// SecondFactor names what is asked: "passkey".
	SecondFactor string `json:"second_factor"`
	PasskeyOptions
}

// NewPasskey finishes a passkey registration.
type NewPasskey struct {
	Ceremony string `json:"ceremony"`
	// Name is 1–64 characters; "Passkey" when empty.
	Name string `json:"name"`
	// Credential is the JSON of the browser's PublicKeyCredential from
	// navigator.credentials.create (PublicKeyCredential.toJSON()).
	Credential json.RawMessage `json:"credential"`
}

// PasskeyAssertion finishes a passkey sign-in, or the second factor of a
// password sign-in.
type PasskeyAssertion struct {
	Ceremony string `json:"ceremony"`
	// Credential is the JSON of the browser's PublicKeyCredential from
	// navigator.credentials.get (PublicKeyCredential.toJSON()).
	Credential json.RawMessage `json:"credential"`
}

// PasskeyRename renames a passkey.
type PasskeyRename struct {
	Name string `json:"name"`
}

// PasskeyInfo is a passkey as its account sees it.
type PasskeyInfo struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func passkeyInfo(pk *koe.Passkey) PasskeyInfo {
	return PasskeyInfo{ID: pk.ID, Name: pk.Name, CreatedAt: pk.CreatedAt, LastUsedAt: pk.LastUsedAt}
}

// passkeyUser is an account as go-webauthn sees it: its user handle and
// its passkeys for one relying party.
type passkeyUser struct {
	acct   *koe.Account
	handle []byte
	keys   []*koe.Passkey
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.acct.Login }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.acct.DisplayName }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// key returns the stored passkey of a credential id, nil for none.
func (u *passkeyUser) key(id []byte) *koe.Passkey {
	for _, pk := range u.keys {
		if bytes.Equal(pk.CredentialID, id) {
			return pk
		}
	}
	return nil
}

// passkeyUser loads an account's handle and its passkeys for the relying
// party.
func (a *Actions) passkeyUser(ctx context.Context, acct *koe.Account, rp *auth.RelyingParty) (*passkeyUser, error) {
	handle, err := a.store.PasskeyHandle(ctx, acct.ID, auth.NewUserHandle)
	if err != nil {
		return nil, err
	}
	u := &passkeyUser{acct: acct, handle: handle}
	keys, err := a.store.Passkeys(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	for _, pk := range keys {
		if pk.RPID != rp.ID {
			continue // registered at another address: it signs in there
		}
		var cred webauthn.Credential
		if err := json.Unmarshal(pk.Credential, &cred); err != nil {
			return nil, fmt.Errorf("passkey %d: stored credential: %w", pk.ID, err)
		}
		cred.Authenticator.CloneWarning = false
		u.keys, u.creds = append(u.keys, pk), append(u.creds, cred)
	}
	return u, nil
}

// allKeys counts an account's passkeys at every relying party.
func (a *Actions) allKeys(ctx context.Context, accountID int64) (int, error) {
	keys, err := a.store.Passkeys(ctx, accountID)
	return len(keys), err
}

// beginCeremony stores a ceremony's session data and returns the secret
// that names it.
func (a *Actions) beginCeremony(ctx context.Context, kind string, accountID int64, session *webauthn.SessionData) (string, error) {
	data, err := json.Marshal(session)
	if err != nil {
		return "", fmt.Errorf("encode passkey session: %w", err)
	}
	secret := auth.NewSecret(auth.CeremonyPrefix)
	now := a.now()
	c := &koe.PasskeyCeremony{Hash: auth.Hash(secret), Kind: kind, AccountID: accountID, Session: data, ExpiresAt: now.Add(auth.CeremonyTTL)}
	if err := a.store.CreatePasskeyCeremony(ctx, c, now); err != nil {
		return "", err
	}
	return secret, nil
}

// ceremonyGone answers a ceremony that is unknown, used, expired or of
// another kind or account.
var ceremonyGone = koe.Errorf(koe.EUNAUTHORIZED, "this passkey ceremony has expired or was used already: start again")

// takeCeremony consumes the ceremony the secret names, if it is of one of
// the kinds, and returns its session data, checked to be for the relying
// party.
func (a *Actions) takeCeremony(ctx context.Context, secret, addr string, rp *auth.RelyingParty, kinds ...string) (*koe.PasskeyCeremony, webauthn.SessionData, error) {
	var session webauthn.SessionData
	if secret == "" {
		return nil, session, koe.Errorf(koe.EINVALID, "ceremony is required: the one the options came with")
	}
	if !auth.HasPrefix(secret, auth.CeremonyPrefix) {
		return nil, session, a.invalid(ctx, addr, koe.ErrorMessage(ceremonyGone))
	}
	c, err := a.store.ConsumePasskeyCeremony(ctx, auth.Hash(secret), a.now())
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return nil, session, a.invalid(ctx, addr, koe.ErrorMessage(ceremonyGone))
	}
	if err != nil {
		return nil, session, err
	}
	ok := false
	for _, k := range kinds {
		ok = ok || c.Kind == k
	}
	if !ok {
		return nil, session, ceremonyGone
	}
	if err := json.Unmarshal(c.Session, &session); err != nil {
		return nil, session, fmt.Errorf("passkey ceremony %d: stored session: %w", c.ID, err)
	}
	if session.RelyingPartyID != rp.ID {
		return nil, session, koe.Errorf(koe.EUNAUTHORIZED, "this passkey ceremony was begun at another address than %s: start again", rp.Origin)
	}
	return c, session, nil
}

// refused turns go-webauthn's refusal of a credential into an answer:
// what was wrong, without the library's internals.
func refused(code, what string, err error) error {
	var pe *protocol.Error
	var unknown *protocol.ErrorUnknownCredential
	switch {
	case errors.As(err, &unknown):
		return koe.Errorf(code, "%s: this passkey is not one of this account's", what)
	case errors.As(err, &pe):
		msg := pe.Details
		if pe.DevInfo != "" && pe.Type != protocol.ErrVerification.Type {
			msg += " (" + clip(pe.DevInfo, 160) + ")"
		}
		if pe.Details == "Error validating origin" {
			msg = "it was made at another origin (a different site or address)"
		}
		return koe.Errorf(code, "%s: %s", what, msg)
	}
	return koe.Errorf(code, "%s: %s", what, clip(err.Error(), 200))
}

// checkCredential bounds the credential JSON before the library reads it.
func checkCredential(raw json.RawMessage) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return koe.Errorf(koe.EINVALID, "credential is required: the browser's PublicKeyCredential, as toJSON() writes it")
	} else if t[0] != '{' {
		return koe.Errorf(koe.EINVALID, "credential must be a JSON object: the browser's PublicKeyCredential, as toJSON() writes it")
	}
	if len(raw) > maxCredentialBytes {
		return koe.Errorf(koe.EINVALID, "credential must be at most %d bytes", maxCredentialBytes)
	}
	return nil
}

// BeginPasskeyRegistration starts adding a passkey to the caller's
// account, from a browser session (not a token): the options exclude the
// passkeys it has already, so that one authenticator is not registered
// twice.
func (a *Actions) BeginPasskeyRegistration(ctx context.Context, c Client) (*PasskeyOptions, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	rp, err := a.passkeys.For(c.Host, c.TLS)
	if err != nil {
		return nil, err
	}
	acct, err := a.store.Account(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	if n, err := a.allKeys(ctx, acct.ID); err != nil {
		return nil, err
	} else if n >= maxPasskeys {
		return nil, koe.Errorf(koe.ECONFLICT, "at most %d passkeys per account: delete one first", maxPasskeys)
	}
	u, err := a.passkeyUser(ctx, acct, rp)
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(u.creds))
	for _, cred := range u.creds {
		exclude = append(exclude, cred.Descriptor())
	}
	creation, session, err := rp.WebAuthn.BeginRegistration(u, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	secret, err := a.beginCeremony(ctx, koe.CeremonyRegister, acct.ID, session)
	if err != nil {
		return nil, err
	}
	return &PasskeyOptions{Ceremony: secret, Options: creation}, nil
}

// FinishPasskeyRegistration checks the browser's new credential against
// the ceremony and keeps it as one of the caller's passkeys.
func (a *Actions) FinishPasskeyRegistration(ctx context.Context, in NewPasskey, c Client) (*PasskeyInfo, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = "Passkey"
	}
	if name, err = koe.CleanLine("name", name, 1, koe.MaxPasskeyNameLen); err != nil {
		return nil, err
	}
	if err := checkCredential(in.Credential); err != nil {
		return nil, err
	}
	rp, err := a.passkeys.For(c.Host, c.TLS)
	if err != nil {
		return nil, err
	}
	cer, session, err := a.takeCeremony(ctx, in.Ceremony, c.Addr, rp, koe.CeremonyRegister)
	if err != nil {
		return nil, err
	}
	if cer.AccountID != p.AccountID {
		return nil, ceremonyGone
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(in.Credential)
	if err != nil {
		return nil, refused(koe.EINVALID, "credential is not a registration", err)
	}
	acct, err := a.store.Account(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	u, err := a.passkeyUser(ctx, acct, rp)
	if err != nil {
		return nil, err
	}
	cred, err := rp.WebAuthn.CreateCredential(u, session, parsed)
	if err != nil {
		return nil, refused(koe.EINVALID, "passkey not accepted", err)
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return nil, fmt.Errorf("encode passkey: %w", err)
	}
	pk := &koe.Passkey{AccountID: acct.ID, Name: name, CredentialID: cred.ID, RPID: rp.ID, Credential: data, SignCount: cred.Authenticator.SignCount}
	if err := a.store.CreatePasskey(a.staffOrigin(ctx, p), pk); err != nil {
		return nil, err
	}
	info := passkeyInfo(pk)
	return &info, nil
}

// Passkeys lists the caller's passkeys, oldest first.
func (a *Actions) Passkeys(ctx context.Context) ([]PasskeyInfo, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := a.store.Passkeys(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]PasskeyInfo, 0, len(keys))
	for _, pk := range keys {
		out = append(out, passkeyInfo(pk))
	}
	return out, nil
}

// RenamePasskey renames one of the caller's passkeys.
func (a *Actions) RenamePasskey(ctx context.Context, id int64, in PasskeyRename) (*PasskeyInfo, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	name, err := koe.CleanLine("name", in.Name, 1, koe.MaxPasskeyNameLen)
	if err != nil {
		return nil, err
	}
	pk, err := a.store.RenamePasskey(a.staffOrigin(ctx, p), p.AccountID, id, name)
	if err != nil {
		return nil, err
	}
	info := passkeyInfo(pk)
	return &info, nil
}

// DeletePasskey deletes one of the caller's passkeys; with its last one,
// its password alone signs in again (passkey_required goes off).
func (a *Actions) DeletePasskey(ctx context.Context, id int64) error {
	p, err := ownAccount(ctx)
	if err != nil {
		return err
	}
	return a.store.DeletePasskey(a.staffOrigin(ctx, p), p.AccountID, id)
}

// BeginPasskeySignIn starts a sign-in with a passkey alone: the browser
// offers the discoverable credentials it has for koe, and no login is
// asked. Limited by signin.ip.
func (a *Actions) BeginPasskeySignIn(ctx context.Context, c Client) (*PasskeyOptions, error) {
	if err := a.limiter.Allow(ctx, "signin.ip", c.Addr); err != nil {
		return nil, err
	}
	rp, err := a.passkeys.For(c.Host, c.TLS)
	if err != nil {
		return nil, err
	}
	assertion, session, err := rp.WebAuthn.BeginDiscoverableLogin()
	if err != nil {
		return nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	secret, err := a.beginCeremony(ctx, koe.CeremonyLogin, 0, session)
	if err != nil {
		return nil, err
	}
	return &PasskeyOptions{Ceremony: secret, Options: assertion}, nil
}

// secondFactor begins the passkey ceremony a password sign-in of an
// account that requires one answers with: the account's passkeys at this
// address are allowed, and no other.
func (a *Actions) secondFactor(ctx context.Context, acct *koe.Account, c Client) (*SignedIn, error) {
	rp, err := a.passkeys.For(c.Host, c.TLS)
	if err != nil {
		return nil, err
	}
	u, err := a.passkeyUser(ctx, acct, rp)
	if err != nil {
		return nil, err
	}
	if len(u.creds) == 0 {
		return nil, koe.Errorf(koe.EFORBIDDEN, "this account signs in with a passkey too, and none of its passkeys is for %s: sign in at the address where you registered one", rp.ID)
	}
	// The password was the first factor: the passkey need not verify its
	// user again.
	assertion, session, err := rp.WebAuthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin second factor: %w", err)
	}
	secret, err := a.beginCeremony(ctx, koe.CeremonySecondFactor, acct.ID, session)
	if err != nil {
		return nil, err
	}
	return &SignedIn{SecondFactor: &SecondFactor{SecondFactor: "passkey", PasskeyOptions: PasskeyOptions{Ceremony: secret, Options: assertion}}}, nil
}

// unknownPasskey answers an assertion by a passkey koe does not know.
var unknownPasskey = koe.Errorf(koe.EUNAUTHORIZED, "passkey not accepted: koe does not know this passkey (deleted, or registered elsewhere)")

// passkeySignIn finishes a passkey sign-in (a discoverable login, or the
// second factor of a password) and opens a session.
func (a *Actions) passkeySignIn(ctx context.Context, in PasskeyAssertion, c Client) (*SignedIn, error) {
	if err := checkCredential(in.Credential); err != nil {
		return nil, err
	}
	rp, err := a.passkeys.For(c.Host, c.TLS)
	if err != nil {
		return nil, err
	}
	cer, session, err := a.takeCeremony(ctx, in.Ceremony, c.Addr, rp, koe.CeremonyLogin, koe.CeremonySecondFactor)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(in.Credential)
	if err != nil {
		return nil, refused(koe.EINVALID, "credential is not an assertion", err)
	}
	var u *passkeyUser
	var cred *webauthn.Credential
	if cer.Kind == koe.CeremonyLogin {
		var lookup error // koe's own failure, kept from the library's wrapping
		_, cred, err = rp.WebAuthn.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
			acct, err := a.store.AccountByPasskeyHandle(ctx, handle)
			if err != nil {
				lookup = err
				return nil, err
			}
			if u, err = a.passkeyUser(ctx, acct, rp); err != nil {
				lookup = err
				return nil, err
			}
			return u, nil
		}, session, parsed)
		if lookup != nil {
			if koe.ErrorCode(lookup) == koe.ENOTFOUND {
				return nil, a.invalid(ctx, c.Addr, koe.ErrorMessage(unknownPasskey))
			}
			return nil, lookup
		}
	} else {
		acct, aerr := a.store.Account(ctx, cer.AccountID)
		if aerr != nil {
			return nil, aerr
		}
		if u, aerr = a.passkeyUser(ctx, acct, rp); aerr != nil {
			return nil, aerr
		}
		cred, err = rp.WebAuthn.ValidateLogin(u, session, parsed)
	}
	if err != nil {
		if u != nil && u.key(parsed.RawID) == nil {
			return nil, a.invalid(ctx, c.Addr, koe.ErrorMessage(unknownPasskey))
		}
		return nil, refused(koe.EUNAUTHORIZED, "passkey not accepted", err)
	}
	if u.acct.Disabled {
		return nil, koe.Errorf(koe.EUNAUTHORIZED, "this account is disabled")
	}
	pk := u.key(cred.ID)
	if pk == nil {
		return nil, unknownPasskey
	}
	cloned := koe.Errorf(koe.EUNAUTHORIZED, "passkey not accepted: its signature counter went back (%d after %d), so it may have been cloned; "+
		"sign in another way and delete it", cred.Authenticator.SignCount, pk.SignCount)
	if cred.Authenticator.CloneWarning {
		return nil, cloned
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return nil, fmt.Errorf("encode passkey: %w", err)
	}
	if err := a.store.UsePasskey(ctx, pk.ID, cred.Authenticator.SignCount, data, a.now()); err != nil {
		if koe.ErrorCode(err) == koe.ECONFLICT { // a sign-in beside this one had the same count
			return nil, cloned
		}
		return nil, err
	}
	return a.openSession(ctx, u.acct.ID, MethodPasskey, c, u.acct)
}
