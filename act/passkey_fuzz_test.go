package act

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// A registration and an assertion of one credential, made by the software
// authenticator of api/softkey_test.go for the fixed challenges below at
// http://localhost:8080: the fuzz targets start from what a browser sends.
const (
	fuzzRegistration = `{"authenticatorAttachment":"platform","clientExtensionResults":{},"id":"rg7gn0fEMTZADOMTzoerJw","rawId":"rg7gn0fEMTZADOMTzoerJw","response":{"attestationObject":"o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YViUSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAAAAAAAAAAAAAAAAAAAAAAAAEK4O4J9HxDE2QAzjE86HqyelAQIDJiABIVggkOnSfWDq6B-k6x0LWgLiY-it__UoK8nEVFmhJQ3DTJoiWCAMF3WMgA_9h3Qh9EvbmNJRPxBDVKH7DcDjckBBZ_zQdw","clientDataJSON":"eyJjaGFsbGVuZ2UiOiJablY2ZWkxeVpXZHBjM1J5WVhScGIyNHRZMmhoYkd4bGJtZGxMVEF4IiwiY3Jvc3NPcmlnaW4iOmZhbHNlLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjgwODAiLCJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0","transports":["internal"]},"type":"public-key"}`
	fuzzAssertion    = `{"authenticatorAttachment":"platform","clientExtensionResults":{},"id":"rg7gn0fEMTZADOMTzoerJw","rawId":"rg7gn0fEMTZADOMTzoerJw","response":{"authenticatorData":"SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ","clientDataJSON":"eyJjaGFsbGVuZ2UiOiJablY2ZWkxaGMzTmxjblJwYjI0dFkyaGhiR3hsYm1kbExUQXdNREF3TVEiLCJjcm9zc09yaWdpbiI6ZmFsc2UsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6ODA4MCIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ","signature":"MEYCIQD04JIDgfi8YPXkGrWYG-AnAiQgMHjEiYHqh-GlpIBBAgIhAPPQb2Jw3OYqsRkUw8EVGuTRo0KzRf3Fxs4iny_x5Zlz","userHandle":"dXNlci1oYW5kbGUtMzItYnl0ZXMtbG9uZy0wMTIzNDU"},"type":"public-key"}`

	fuzzRegChallenge    = "ZnV6ei1yZWdpc3RyYXRpb24tY2hhbGxlbmdlLTAx"
	fuzzAssertChallenge = "ZnV6ei1hc3NlcnRpb24tY2hhbGxlbmdlLTAwMDAwMQ"
	fuzzHandle          = "dXNlci1oYW5kbGUtMzItYnl0ZXMtbG9uZy0wMTIzNDU"
)

// FuzzPasskeyCredential drives the decoders of the browser's credentials
// (registration and assertion) and the checks that follow them, as
// FinishPasskeyRegistration and passkeySignIn run them: whatever the
// bytes, no panic, and a refusal is a 4xx error with a bounded message.
// The seeds' valid credentials pass, so that mutations reach the CBOR,
// COSE and signature checks.
func FuzzPasskeyCredential(f *testing.F) {
	rp, err := auth.NewPasskeys("").For("localhost:8080", false)
	if err != nil {
		f.Fatal(err)
	}
	handle, _ := base64.RawURLEncoding.DecodeString(fuzzHandle)
	user := &passkeyUser{acct: &koe.Account{ID: 1, Login: "aiko", DisplayName: "Aiko"}, handle: handle}
	regSession := webauthn.SessionData{Challenge: fuzzRegChallenge, RelyingPartyID: rp.ID, UserID: handle,
		UserVerification: protocol.VerificationRequired, CredParams: webauthn.CredentialParametersDefault()}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(fuzzRegistration))
	if err != nil {
		f.Fatal(err)
	}
	cred, err := rp.WebAuthn.CreateCredential(user, regSession, parsed)
	if err != nil {
		f.Fatalf("the registration seed does not verify: %v", err)
	}
	user.creds = []webauthn.Credential{*cred}
	user.keys = []*koe.Passkey{{ID: 1, CredentialID: cred.ID, RPID: rp.ID}}
	loginSession := webauthn.SessionData{Challenge: fuzzAssertChallenge, RelyingPartyID: rp.ID, UserVerification: protocol.VerificationRequired}
	if pa, err := protocol.ParseCredentialRequestResponseBytes([]byte(fuzzAssertion)); err != nil {
		f.Fatal(err)
	} else if _, err := rp.WebAuthn.ValidateLogin(&passkeyUser{acct: user.acct, handle: handle, creds: []webauthn.Credential{*cred}},
		webauthn.SessionData{Challenge: fuzzAssertChallenge, RelyingPartyID: rp.ID, UserID: handle, UserVerification: protocol.VerificationRequired}, pa); err != nil {
		f.Fatalf("the assertion seed does not verify: %v", err)
	}

	check := func(t *testing.T, err error, codes ...string) {
		t.Helper()
		if err == nil {
			return
		}
		code := koe.ErrorCode(err)
		if !strings.Contains(strings.Join(codes, " "), code) {
			t.Fatalf("error %v has code %q, want one of %v", err, code, codes)
		}
		if msg := koe.ErrorMessage(err); len(msg) > 400 {
			t.Fatalf("error message of %d bytes", len(msg))
		}
	}
	for _, s := range []string{fuzzRegistration, fuzzAssertion, `{}`, `{"id":"AA","rawId":"AA","type":"public-key","response":{}}`,
		`{"id":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`, `null`, `"x"`, `[]`, `{"id":1}`} {
		f.Add(false, []byte(s))
		f.Add(true, []byte(s))
	}
	f.Fuzz(func(t *testing.T, assert bool, data []byte) {
		raw := json.RawMessage(data)
		if err := checkCredential(raw); err != nil {
			check(t, err, koe.EINVALID)
			return
		}
		if !assert {
			p, err := protocol.ParseCredentialCreationResponseBytes(raw)
			if err != nil {
				check(t, refused(koe.EINVALID, "credential is not a registration", err), koe.EINVALID)
				return
			}
			u := *user
			u.creds, u.keys = nil, nil
			if _, err := rp.WebAuthn.CreateCredential(&u, regSession, p); err != nil {
				check(t, refused(koe.EINVALID, "passkey not accepted", err), koe.EINVALID)
			}
			return
		}
		p, err := protocol.ParseCredentialRequestResponseBytes(raw)
		if err != nil {
			check(t, refused(koe.EINVALID, "credential is not an assertion", err), koe.EINVALID)
			return
		}
		u := *user
		u.creds = []webauthn.Credential{*cred} // a copy: validation updates it
		_, got, err := rp.WebAuthn.ValidatePasskeyLogin(func(_, h []byte) (webauthn.User, error) {
			if string(h) != string(handle) {
				return nil, koe.Errorf(koe.ENOTFOUND, "account not found")
			}
			return &u, nil
		}, loginSession, p)
		if err != nil {
			check(t, refused(koe.EUNAUTHORIZED, "passkey not accepted", err), koe.EUNAUTHORIZED)
			return
		}
		if u.key(got.ID) == nil {
			t.Fatalf("accepted an assertion of credential %x, not the registered one", got.ID)
		}
	})
}
