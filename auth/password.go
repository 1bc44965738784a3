package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"

	"github.com/koehq/koe"
)

// Password limits. The upper bound keeps a sign-in from costing more
// than hashing a long passphrase does.
const (
	MinPasswordLen = 10  // characters
	MaxPasswordLen = 256 // bytes
)

// argon2id parameters: OWASP's minimum for argon2id (19 MiB, 2 passes, 1
// lane). A stored hash carries its own parameters, so raising these later
// leaves old hashes valid.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Passwords hashes and checks passwords, at most a few at once: each hash
// takes 19 MiB and ~30 ms of a core, so a burst of sign-ins waits its turn
// instead of exhausting memory.
type Passwords struct {
	slots chan struct{}
	dummy string
}

// NewPasswords returns a Passwords that hashes at most concurrent
// passwords at once.
func NewPasswords(concurrent int) *Passwords {
	p := &Passwords{slots: make(chan struct{}, max(concurrent, 1))}
	p.dummy = p.hash("koe dummy password", salt())
	return p
}

// Hash returns the PHC string of password under a new random salt.
func (p *Passwords) Hash(ctx context.Context, password string) (string, error) {
	if err := p.acquire(ctx); err != nil {
		return "", err
	}
	defer p.release()
	return p.hash(password, salt()), nil
}

// Verify reports whether password matches the PHC string encoded. An
// empty encoded (an unknown login, an account without a password) is
// checked against a dummy hash, so that the answer takes as long as for a
// real one, and is false.
func (p *Passwords) Verify(ctx context.Context, encoded, password string) (bool, error) {
	known := encoded != ""
	if !known {
		encoded = p.dummy
	}
	params, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	if err := p.acquire(ctx); err != nil {
		return false, err
	}
	defer p.release()
	got := argon2.IDKey([]byte(password), salt, params.time, params.memory, params.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && known, nil
}

func (p *Passwords) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Passwords) release() { <-p.slots }

func (p *Passwords) hash(password string, salt []byte) string {
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func salt() []byte {
	b := make([]byte, argonSaltLen)
	rand.Read(b)
	return b
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

// parsePHC reads "$argon2id$v=19$m=…,t=…,p=…$salt$key", refusing
// parameters that would make one check unreasonably costly.
func parsePHC(s string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, fmt.Errorf("auth: not an argon2id hash")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, nil, nil, fmt.Errorf("auth: argon2id parameters: %w", err)
	}
	if p.memory < 8 || p.memory > 256*1024 || p.time < 1 || p.time > 10 || p.threads < 1 {
		return p, nil, nil, fmt.Errorf("auth: argon2id parameters out of range")
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("auth: argon2id salt or key malformed")
	}
	return p, salt, key, nil
}

// zxcvbnPrefix is how much of a password the strength estimate reads: its
// matching grows faster than linearly with the length, and a password
// whose first 64 characters are hard to guess is hard to guess.
const zxcvbnPrefix = 64

// CheckNewPassword refuses a password that is too short, too long, or easy
// to guess: one of the common passwords or words of zxcvbn's frequency
// lists, a keyboard pattern, a repetition, or built from the account's
// own names (personal). The error is EINVALID with a message for the
// person choosing it.
func CheckNewPassword(password string, personal ...string) error {
	switch {
	case !utf8.ValidString(password):
		return koe.Errorf(koe.EINVALID, "password must be valid UTF-8")
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return koe.Errorf(koe.EINVALID, "password must be at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return koe.Errorf(koe.EINVALID, "password must be at most %d bytes", MaxPasswordLen)
	}
	lower := strings.ToLower(password)
	var inputs []string
	for _, s := range personal {
		s = strings.ToLower(strings.TrimSpace(s))
		if len(s) >= 3 {
			if strings.Contains(lower, s) {
				return koe.Errorf(koe.EINVALID, "password must not contain your login, name or e-mail")
			}
			inputs = append(inputs, s)
		}
	}
	head := password
	if utf8.RuneCountInString(head) > zxcvbnPrefix {
		head = string([]rune(head)[:zxcvbnPrefix])
	}
	if zxcvbn.PasswordStrength(head, inputs).Score < 2 {
		return koe.Errorf(koe.EINVALID, "password is too easy to guess (a common password, a word, a name or a keyboard pattern): add more words or characters")
	}
	return nil
}
