package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// softKey is a software authenticator holding one discoverable
// credential: an ECDSA P-256 key, as a platform authenticator or a
// security key would, answering navigator.credentials.create and .get
// the way a browser does (the JSON of PublicKeyCredential.toJSON()).
type softKey struct {
	t      testing.TB
	key    *ecdsa.PrivateKey
	id     []byte // the credential id
	rpID   string
	handle []byte // the user handle registered with the credential
	count  uint32 // the signature counter, incremented by each use
}

func newSoftKey(t testing.TB) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softKey{t: t, key: k, id: id}
}

var b64 = base64.RawURLEncoding

// credCreationOptions is what the tests read of PublicKeyCredentialCreationOptions.
type credCreationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	Exclude []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"excludeCredentials"`
	Selection struct {
		ResidentKey      string `json:"residentKey"`
		UserVerification string `json:"userVerification"`
	} `json:"authenticatorSelection"`
	Attestation string `json:"attestation"`
	Timeout     int    `json:"timeout"`
}

// assertionOptions is what the tests read of PublicKeyCredentialRequestOptions.
type assertionOptions struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
	Allow     []struct {
		ID string `json:"id"`
	} `json:"allowCredentials"`
	UserVerification string `json:"userVerification"`
	Timeout          int    `json:"timeout"`
}

// Authenticator data flags.
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

func (k *softKey) authData(rpID string, flags byte, count uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// create answers navigator.credentials.create with the options at origin:
// a "none" attestation of a new credential.
func (k *softKey) create(opts credCreationOptions, origin string) map[string]any {
	k.t.Helper()
	handle, err := b64.DecodeString(opts.User.ID)
	if err != nil {
		k.t.Fatalf("user.id %q: %v", opts.User.ID, err)
	}
	k.rpID, k.handle = opts.RP.ID, handle
	pub, err := k.key.PublicKey.ECDH()
	if err != nil {
		k.t.Fatal(err)
	}
	xy := pub.Bytes() // 0x04 || X || Y
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		k.t.Fatal(err)
	}
	cose, err := enc.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: xy[1:33], -3: xy[33:65]}) // EC2, ES256, P-256
	if err != nil {
		k.t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
	authData := k.authData(k.rpID, flagUP|flagUV|flagAT, k.count, attested)
	obj, err := enc.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		k.t.Fatal(err)
	}
	return map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", opts.Challenge, origin)),
			"attestationObject": b64.EncodeToString(obj),
			"transports":        []string{"internal"},
		},
	}
}

// assertion is how a test has the authenticator answer
// navigator.credentials.get: honestly, or not.
type assertion struct {
	origin  string
	count   *uint32 // the counter to sign with (nil: the next one)
	badSig  bool    // spoil the signature
	handle  []byte  // the user handle to answer with (nil: the registered one)
	flags   byte    // 0: user present and verified
	rpID    string  // "" for the options' own
	typeGet string  // "" for webauthn.get
}

// get answers navigator.credentials.get with the options.
func (k *softKey) get(opts assertionOptions, a assertion) map[string]any {
	k.t.Helper()
	count := k.count + 1
	if a.count != nil {
		count = *a.count
	}
	k.count = max(k.count, count)
	flags := a.flags
	if flags == 0 {
		flags = flagUP | flagUV
	}
	rpID := opts.RPID
	if a.rpID != "" {
		rpID = a.rpID
	}
	typ := "webauthn.get"
	if a.typeGet != "" {
		typ = a.typeGet
	}
	authData := k.authData(rpID, flags, count, nil)
	cd := clientData(typ, opts.Challenge, a.origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, authData...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	if a.badSig {
		sig[len(sig)-1] ^= 0xff
	}
	handle := k.handle
	if a.handle != nil {
		handle = a.handle
	}
	return map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(handle),
		},
	}
}
