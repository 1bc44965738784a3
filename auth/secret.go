// Package auth holds the primitives of staff and participant identity:
// random secrets and their hashes, passwords, sealed participant tokens,
// the OpenID Connect client and passkeys (docs/architecture.md, "Staff
// accounts, sessions and roles"). The actions that use them, and the
// decisions of who may do what, are package act's.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// The prefixes of koe's secrets say what a secret is, so that one pasted
// in the wrong place is recognised (and secret scanners can find them).
const (
	SessionPrefix    = "koe_s_" // a browser's session, in the koe_session cookie
	APITokenPrefix   = "koe_t_" // an account's API token
	InvitationPrefix = "koe_i_" // an invitation link's token
	SetupPrefix      = "koe_setup_"
	ScreenPrefix     = "koe_v_" // a screen link's secret (the viewer role)
)

// MaxSecretLen bounds any secret koe reads from a request before it is
// hashed or compared.
const MaxSecretLen = 200

// NewSecret returns prefix followed by 256 random bits, base64url.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how secrets are stored: they are 256-bit random values, so one
// SHA-256 is enough (a slow hash adds nothing to a value nobody can guess).
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// HasPrefix reports whether s looks like a secret of the kind prefix names
// and is not longer than a secret can be.
func HasPrefix(s, prefix string) bool {
	return len(s) <= MaxSecretLen && strings.HasPrefix(s, prefix)
}

// Equal compares two secrets in constant time (of their hashes, so that
// neither their contents nor their lengths leak through timing).
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare(Hash(a), Hash(b)) == 1
}
