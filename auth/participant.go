package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ParticipantPrefix marks participant tokens, so that a bearer token is
// never looked up in the wrong place.
const ParticipantPrefix = "p2."

// KeyPeriod is how long one participant key seals new tokens; a new one is
// made for each period.
const KeyPeriod = 30 * 24 * time.Hour

// ParticipantTokens seals and opens participant tokens:
// "p2.KEY.SEALED", SEALED being the event id, the participant id and the
// expiry, encrypted with AES-256-GCM under the key that KEY names. So a
// token reveals neither its participant's number nor how many there are,
// and cannot be altered. Keys are named by their period (KeyPeriod since
// the Unix epoch) and kept in the store's secrets, so that every replica
// seals with the same key and a key is replaced every period without
// signing anyone out: a token is accepted as long as it has not expired
// and its key is not older than the longest life of a token.
type ParticipantTokens struct {
	// TTL is how long a new token is valid.
	TTL time.Duration
	// key returns the key material of a period, creating it on first use.
	key func(ctx context.Context, period int64) ([]byte, error)

	mu    sync.Mutex
	aeads map[int64]cipher.AEAD
}

// NewParticipantTokens returns tokens valid for ttl, their keys got from
// key (see koe.SecretStore.Secret).
func NewParticipantTokens(ttl time.Duration, key func(ctx context.Context, period int64) ([]byte, error)) *ParticipantTokens {
	return &ParticipantTokens{TTL: ttl, key: key, aeads: map[int64]cipher.AEAD{}}
}

// NewKey returns fresh key material for a period.
func NewKey() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// Issue seals a token for the participant, valid from now for TTL.
func (t *ParticipantTokens) Issue(ctx context.Context, eventID, participantID int64, now time.Time) (string, error) {
	period := now.Unix() / int64(KeyPeriod/time.Second)
	aead, err := t.aead(ctx, period)
	if err != nil {
		return "", err
	}
	plain := make([]byte, 24)
	binary.BigEndian.PutUint64(plain[0:], uint64(eventID))
	binary.BigEndian.PutUint64(plain[8:], uint64(participantID))
	binary.BigEndian.PutUint64(plain[16:], uint64(now.Add(t.TTL).Unix()))
	head := ParticipantPrefix + strconv.FormatInt(period, 10) + "."
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(head))
	return head + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open returns the event and participant a token names; ok is false for
// anything forged, altered, malformed, expired at now, or sealed with a
// key too old to be trusted. err is only for a store that cannot give the
// key.
func (t *ParticipantTokens) Open(ctx context.Context, tok string, now time.Time) (eventID, participantID int64, ok bool, err error) {
	if !HasPrefix(tok, ParticipantPrefix) {
		return 0, 0, false, nil
	}
	rest := tok[len(ParticipantPrefix):]
	i := strings.IndexByte(rest, '.')
	if i <= 0 || i > 12 {
		return 0, 0, false, nil
	}
	period, perr := strconv.ParseInt(rest[:i], 10, 64)
	current := now.Unix() / int64(KeyPeriod/time.Second)
	oldest := current - int64(t.TTL/KeyPeriod) - 1
	if perr != nil || rest[:i] != strconv.FormatInt(period, 10) || period > current || period < oldest {
		return 0, 0, false, nil
	}
	sealed, derr := base64.RawURLEncoding.Strict().DecodeString(rest[i+1:])
	if derr != nil {
		return 0, 0, false, nil
	}
	aead, err := t.aead(ctx, period)
	if err != nil {
		return 0, 0, false, err
	}
	n := aead.NonceSize()
	if len(sealed) != n+24+aead.Overhead() {
		return 0, 0, false, nil
	}
	plain, oerr := aead.Open(nil, sealed[:n], sealed[n:], []byte(tok[:len(ParticipantPrefix)+i+1]))
	if oerr != nil {
		return 0, 0, false, nil
	}
	eventID = int64(binary.BigEndian.Uint64(plain[0:]))
	participantID = int64(binary.BigEndian.Uint64(plain[8:]))
	expires := int64(binary.BigEndian.Uint64(plain[16:]))
	if eventID <= 0 || participantID <= 0 || now.Unix() >= expires {
		return 0, 0, false, nil
	}
	return eventID, participantID, true, nil
}

func (t *ParticipantTokens) aead(ctx context.Context, period int64) (cipher.AEAD, error) {
	t.mu.Lock()
	a, ok := t.aeads[period]
	t.mu.Unlock()
	if ok {
		return a, nil
	}
	key, err := t.key(ctx, period)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err = cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.aeads[period] = a
	t.mu.Unlock()
	return a, nil
}
