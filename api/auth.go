package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// identity is who sent a request: staff, a participant of one event, or
// nobody.
type identity struct {
	staff       bool
	eventID     int64 // the participant's event
	participant int64
}

func (id identity) isParticipantOf(eventID int64) bool {
	return id.participant != 0 && id.eventID == eventID
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
func EnsureOwnerToken(ctx context.Context, st koe.Store, fixed string) (string, error) {
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

// signer issues and checks participant tokens: "p1.EVENT.PARTICIPANT.MAC".
type signer struct{ key []byte }

func (s signer) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s signer) issue(eventID, participantID int64) string {
	payload := participantPrefix + strconv.FormatInt(eventID, 10) + "." + strconv.FormatInt(participantID, 10)
	return payload + "." + s.mac(payload)
}

// verify returns the event and participant a token names, ok=false for
// anything forged or malformed.
func (s signer) verify(tok string) (eventID, participantID int64, ok bool) {
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

func cookieName(eventID int64) string { return "koe_p_" + strconv.FormatInt(eventID, 10) }

// participantCookieMaxAge keeps a browser's identity across a multi-day
// conference.
const participantCookieMaxAge = 30 * 24 * time.Hour

func (s *Server) setParticipantCookie(w http.ResponseWriter, eventID int64, tok string) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(eventID),
		Value:    tok,
		Path:     "/",
		MaxAge:   int(participantCookieMaxAge / time.Second),
		HttpOnly: true,
		Secure:   s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// staffCookie carries a staff token for browsers, whose WebSocket cannot
// send an Authorization header. HttpOnly and SameSite=Strict; writes are
// also guarded by CrossOriginProtection and WebSocket upgrades by Origin.
const staffCookie = "koe_staff"

// identify reads the credentials of r for an event (0 when the route has
// none). A bearer token (staff or participant) is the only credential when
// present; a browser may carry both a staff cookie and the event's
// participant cookie, and is then both. A bearer token that is present but
// invalid is an error, not anonymity, so that clients learn it is bad.
func (s *Server) identify(r *http.Request, eventID int64) (identity, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return identity{}, koe.Errorf(koe.EUNAUTHORIZED, "Authorization must be \"Bearer <token>\"")
		}
		if strings.HasPrefix(tok, participantPrefix) {
			e, p, ok := s.signer.verify(tok)
			if !ok {
				return identity{}, koe.Errorf(koe.EUNAUTHORIZED, "invalid participant token")
			}
			return identity{eventID: e, participant: p}, nil
		}
		staff, err := s.isStaffToken(r, tok)
		if err == nil && !staff {
			err = s.invalidToken(r)
		}
		return identity{staff: staff}, err
	}
	var id identity
	if c, err := r.Cookie(staffCookie); err == nil {
		staff, err := s.isStaffToken(r, c.Value)
		if err != nil {
			return identity{}, err
		}
		id.staff = staff
	}
	if eventID != 0 {
		if c, err := r.Cookie(cookieName(eventID)); err == nil {
			if e, p, ok := s.signer.verify(c.Value); ok && e == eventID {
				id.eventID, id.participant = e, p
			}
		}
	}
	return id, nil
}

// invalidToken answers a staff token that does not exist, counting the
// attempt against the caller's address.
func (s *Server) invalidToken(r *http.Request) error {
	if err := s.limiter.allow(r.Context(), "auth.ip", s.clientIP(r)); err != nil {
		return err
	}
	return koe.Errorf(koe.EUNAUTHORIZED, "invalid token")
}

// isStaffToken looks a staff token up by its hash.
func (s *Server) isStaffToken(r *http.Request, tok string) (bool, error) {
	if len(tok) > 200 {
		return false, nil
	}
	t, err := s.store.TokenByHash(r.Context(), HashToken(tok))
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.Role == koe.RoleOwner, nil
}

type sessionRequest struct {
	Token string `json:"token"`
}

// createSession checks a staff token and keeps it in the staff cookie, so
// that the browser's staff pages and WebSockets are authenticated.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var req sessionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	staff, err := s.isStaffToken(r, strings.TrimSpace(req.Token))
	if err != nil {
		return err
	}
	if !staff {
		return s.invalidToken(r)
	}
	http.SetCookie(w, &http.Cookie{
		Name: staffCookie, Value: strings.TrimSpace(req.Token), Path: "/", MaxAge: int(participantCookieMaxAge / time.Second),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, meResponse{Role: "staff"})
	return nil
}

// deleteSession signs the browser out of staff.
func (s *Server) deleteSession(w http.ResponseWriter, _ *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: staffCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requireStaff admits staff only.
func (s *Server) requireStaff(r *http.Request) error {
	id, err := s.identify(r, 0)
	if err != nil {
		return err
	}
	if !id.staff {
		if id.participant != 0 {
			return koe.Errorf(koe.EFORBIDDEN, "staff only")
		}
		return koe.Errorf(koe.EUNAUTHORIZED, "staff token required")
	}
	return nil
}

// requireMember admits staff and the event's participants.
func (s *Server) requireMember(r *http.Request, eventID int64) (identity, error) {
	id, err := s.identify(r, eventID)
	if err != nil {
		return id, err
	}
	if id.staff || id.isParticipantOf(eventID) {
		return id, nil
	}
	if id.participant != 0 {
		return id, koe.Errorf(koe.EFORBIDDEN, "your participant token is for another event")
	}
	return id, koe.Errorf(koe.EUNAUTHORIZED, "join the event first (POST /api/v1/join)")
}

// requireParticipant admits the event's participants only: asking and
// liking need an identity to count against.
func (s *Server) requireParticipant(r *http.Request, eventID int64) (identity, error) {
	id, err := s.requireMember(r, eventID)
	if err == nil && !id.isParticipantOf(eventID) {
		err = koe.Errorf(koe.EFORBIDDEN, "only participants can do this; join the event with its code")
	}
	return id, err
}
