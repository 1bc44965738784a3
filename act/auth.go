package act

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/koehq/koe"
)

// Credentials are what a request presents. The API reads them from its
// headers and cookies; Authenticate turns them into a principal.
type Credentials struct {
	// Bearer is the token of an Authorization header ("" for none): a
	// staff token or a participant token. When present it is the only
	// credential read.
	Bearer string
	// BadScheme is set when an Authorization header is present but is not
	// "Bearer <token>".
	BadScheme bool
	// StaffCookie is the staff browser session's token, "" for none.
	StaffCookie string
	// Participant holds the participant tokens a browser keeps, one per
	// event it joined.
	Participant []string
	// Addr is the client's address, for per-address limits.
	Addr string
}

// Authenticate returns the principal that c names for a request about
// eventID (0 when it is about no event): staff, the event's participant,
// both, or nobody. A bearer token that is present but invalid is an error
// (the client should learn its token is bad); an invalid cookie is simply
// no credential.
func (a *Actions) Authenticate(ctx context.Context, c Credentials, eventID int64) (koe.Principal, error) {
	p := koe.Principal{Addr: c.Addr}
	if c.BadScheme {
		return p, koe.Errorf(koe.EUNAUTHORIZED, "Authorization must be \"Bearer <token>\"")
	}
	if c.Bearer != "" {
		if strings.HasPrefix(c.Bearer, participantPrefix) {
			e, id, ok := a.tokens.verify(c.Bearer)
			if !ok {
				return p, koe.Errorf(koe.EUNAUTHORIZED, "invalid participant token")
			}
			p.EventID, p.ParticipantID = e, id
			return p, nil
		}
		role, err := a.staffRole(ctx, c.Bearer)
		if err != nil {
			return p, err
		}
		if role == "" {
			return p, a.invalidToken(ctx, c.Addr)
		}
		p.Role = role
		return p, nil
	}
	if c.StaffCookie != "" {
		role, err := a.staffRole(ctx, c.StaffCookie)
		if err != nil {
			return p, err
		}
		p.Role = role
	}
	if eventID != 0 {
		for _, tok := range c.Participant {
			if e, id, ok := a.tokens.verify(tok); ok && e == eventID {
				p.EventID, p.ParticipantID = e, id
			}
		}
	}
	return p, nil
}

// SignIn checks a staff token for a browser session, answering an invalid
// one as Authenticate does.
func (a *Actions) SignIn(ctx context.Context, token, addr string) error {
	role, err := a.staffRole(ctx, token)
	if err == nil && role == "" {
		err = a.invalidToken(ctx, addr)
	}
	return err
}

// staffRole looks a staff token up by its hash: its role, or "" if there
// is no such token.
func (a *Actions) staffRole(ctx context.Context, tok string) (koe.Role, error) {
	if tok == "" || len(tok) > 200 {
		return "", nil
	}
	t, err := a.store.TokenByHash(ctx, HashToken(tok))
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return t.Role, nil
}

// invalidToken answers a staff token that does not exist, counting the
// attempt against the caller's address.
func (a *Actions) invalidToken(ctx context.Context, addr string) error {
	if err := a.limiter.Allow(ctx, "auth.ip", addr); err != nil {
		return err
	}
	return koe.Errorf(koe.EUNAUTHORIZED, "invalid token")
}

// NewToken returns a new random staff token.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "koe_" + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how staff tokens are stored. The tokens are 256-bit random
// values, so one SHA-256 suffices; a slow password hash would add nothing.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// EnsureOwnerToken makes sure staff can get in. With fixed set (from
// KOE_OWNER_TOKEN) that token is made valid. Otherwise, when no owner token
// exists yet, one is created and returned so that it can be shown once;
// "" means there was one already.
func EnsureOwnerToken(ctx context.Context, st koe.SecretStore, fixed string) (string, error) {
	if fixed != "" {
		if len(fixed) < 16 {
			return "", koe.Errorf(koe.EINVALID, "KOE_OWNER_TOKEN must be at least 16 characters")
		}
		if _, err := st.TokenByHash(ctx, HashToken(fixed)); koe.ErrorCode(err) != koe.ENOTFOUND {
			return "", err
		}
		return "", st.CreateToken(ctx, &koe.Token{Hash: HashToken(fixed), Role: koe.RoleOwner, Label: "KOE_OWNER_TOKEN"})
	}
	n, err := st.CountTokens(ctx, koe.RoleOwner)
	if err != nil || n > 0 {
		return "", err
	}
	tok := NewToken()
	if err := st.CreateToken(ctx, &koe.Token{Hash: HashToken(tok), Role: koe.RoleOwner, Label: "bootstrap"}); err != nil {
		return "", err
	}
	return tok, nil
}

// participantPrefix marks participant tokens, so a bearer token is never
// looked up in the wrong place.
const participantPrefix = "p1."

// participantTokens issues and checks participant tokens:
// "p1.EVENT.PARTICIPANT.MAC".
type participantTokens struct{ key []byte }

func (s participantTokens) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s participantTokens) issue(eventID, participantID int64) string {
	payload := participantPrefix + itoa(eventID) + "." + itoa(participantID)
	return payload + "." + s.mac(payload)
}

// verify returns the event and participant a token names, ok=false for
// anything forged or malformed.
func (s participantTokens) verify(tok string) (eventID, participantID int64, ok bool) {
	if len(tok) > 200 || !strings.HasPrefix(tok, participantPrefix) {
		return 0, 0, false
	}
	i := strings.LastIndexByte(tok, '.')
	payload, mac := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.mac(payload))) {
		return 0, 0, false
	}
	parts := strings.Split(payload[len(participantPrefix):], ".")
	if len(parts) != 2 {
		return 0, 0, false
	}
	e, err1 := strconv.ParseInt(parts[0], 10, 64)
	p, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || e <= 0 || p <= 0 {
		return 0, 0, false
	}
	return e, p, true
}

// TokenEvent returns the event a participant token is for, 0 if it is not
// a valid one: browsers keep one token per event they joined.
func (a *Actions) TokenEvent(tok string) int64 {
	e, _, _ := a.tokens.verify(tok)
	return e
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
