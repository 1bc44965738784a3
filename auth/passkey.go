package auth

import (
	"crypto/rand"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/koehq/koe"
)

// CeremonyPrefix begins the secret that names a passkey ceremony between
// its options and the browser's answer.
const CeremonyPrefix = "koe_c_"

// PasskeyRPName is the relying party's name authenticators show.
const PasskeyRPName = "koe"

// CeremonyTTL is how long a passkey ceremony waits for the browser's
// answer; the browser is told the same as its timeout.
const CeremonyTTL = 5 * time.Minute

// Passkeys configures WebAuthn (go-webauthn) for koe: the relying party is
// the host of koe's public URL (KOE_PUBLIC_URL), and the one origin
// accepted is that URL's. Without a public URL it is the host each
// request names, with the origin http(s)://host[:port] — so that koe on a
// laptop at http://localhost:8080 works. WebAuthn needs a host name: an
// IP address (http://127.0.0.1:8080) cannot be a relying party.
type Passkeys struct {
	rpID, origin string // "" without a public URL
	// unusable is why the public URL cannot be a relying party (an IP
	// address): koe runs, without passkeys.
	unusable error
}

// NewPasskeys returns the configuration for the public URL ("" for none).
// A public URL that cannot be a relying party (its host is an IP address)
// leaves passkeys off: every ceremony then answers why.
func NewPasskeys(publicURL string) *Passkeys {
	if publicURL == "" {
		return &Passkeys{}
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Passkeys{unusable: koe.Errorf(koe.EINVALID, "passkeys are off: KOE_PUBLIC_URL is not an http(s) URL")}
	}
	host := strings.ToLower(u.Hostname())
	if err := validRPID(host); err != nil {
		return &Passkeys{unusable: koe.Errorf(koe.EINVALID, "passkeys are off: KOE_PUBLIC_URL: %s", koe.ErrorMessage(err))}
	}
	return &Passkeys{rpID: host, origin: u.Scheme + "://" + strings.ToLower(u.Host)}
}

// NewUserHandle returns a new WebAuthn user handle: 32 random bytes, which
// say nothing about the account.
func NewUserHandle() []byte {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// RelyingParty is the WebAuthn relying party a request is made to.
type RelyingParty struct {
	// ID is the relying party id: a host name, which the credentials
	// registered with it are scoped to.
	ID string
	// Origin is the one origin whose ceremonies it accepts.
	Origin   string
	WebAuthn *webauthn.WebAuthn
}

// For returns the relying party of a request with the Host header host
// that came over TLS or not: the public URL's, or without one, the
// request's own. EINVALID when the host is an IP address or no host name.
func (p *Passkeys) For(host string, tls bool) (*RelyingParty, error) {
	if p.unusable != nil {
		return nil, p.unusable
	}
	rpID, origin := p.rpID, p.origin
	if origin == "" {
		host = strings.ToLower(host)
		name := host
		if h, _, err := net.SplitHostPort(host); err == nil {
			name = h
		}
		if err := validRPID(name); err != nil {
			return nil, err
		}
		scheme := "http"
		if tls {
			scheme = "https"
		}
		rpID, origin = name, scheme+"://"+host
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          rpID,
		RPDisplayName: PasskeyRPName,
		RPOrigins:     []string{origin},
		// "none": koe keeps no attestation (it trusts any authenticator
		// its staff choose), so it asks for none.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			// Discoverable: signing in asks for no login.
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			// A passkey alone signs in, so it must be two factors: the
			// authenticator verifies its user (PIN, biometrics).
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			// koe enforces the expiry itself, with its own clock.
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return nil, koe.Errorf(koe.EINVALID, "passkeys cannot work at %s: %v", origin, err)
	}
	return &RelyingParty{ID: rpID, Origin: origin, WebAuthn: wa}, nil
}

// validRPID checks that host can be a relying party id.
func validRPID(host string) error {
	if host == "" {
		return koe.Errorf(koe.EINVALID, "passkeys need a host name: the request names none")
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return koe.Errorf(koe.EINVALID, "passkeys need a host name, not an IP address: open koe at a name like http://localhost:8080 (or set KOE_PUBLIC_URL)")
	}
	if len(host) > 253 || strings.ContainsAny(host, "/\\@?#% ") || protocol.ValidateRPID(host) != nil {
		return koe.Errorf(koe.EINVALID, "passkeys need a host name: %q is not one", host)
	}
	return nil
}
