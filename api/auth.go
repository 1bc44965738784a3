package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/koehq/koe/act"
)

// participantCookie keeps a browser's participant tokens, one per event it
// joined, separated by "~": one cookie name for every event, so that the
// OpenAPI document can name it. HttpOnly and SameSite=Lax; writes are also
// guarded by CrossOriginProtection and WebSocket upgrades by Origin.
const participantCookie = "koe_p"

// maxParticipantTokens bounds the tokens the cookie keeps (the newest):
// well inside a cookie's 4 KB.
const maxParticipantTokens = 16

// staffCookie carries a staff token for browsers, whose WebSocket cannot
// send an Authorization header. HttpOnly and SameSite=Strict.
const staffCookie = "koe_staff"

// cookieMaxAge keeps a browser's identity across a multi-day conference.
const cookieMaxAge = 30 * 24 * time.Hour

// credentials reads what r presents: a bearer token, or the cookies.
func (s *Server) credentials(r *http.Request) act.Credentials {
	c := act.Credentials{Addr: s.clientIP(r)}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		c.Bearer, c.BadScheme = tok, !ok || tok == ""
		return c
	}
	if ck, err := r.Cookie(staffCookie); err == nil {
		c.StaffCookie = ck.Value
	}
	c.Participant = participantTokens(r)
	return c
}

func participantTokens(r *http.Request) []string {
	ck, err := r.Cookie(participantCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	return strings.Split(ck.Value, "~")
}

// setParticipantCookie adds tok, a token for eventID, to the browser's
// tokens, in place of any it had for that event.
func (s *Server) setParticipantCookie(w http.ResponseWriter, r *http.Request, eventID int64, tok string) {
	kept := slices.DeleteFunc(participantTokens(r), func(t string) bool {
		e := s.act.TokenEvent(t)
		return e == 0 || e == eventID
	})
	kept = append(kept, tok)
	if len(kept) > maxParticipantTokens {
		kept = kept[len(kept)-maxParticipantTokens:]
	}
	s.setCookie(w, participantCookie, strings.Join(kept, "~"), http.SameSiteLaxMode, cookieMaxAge)
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, site http.SameSite, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: site,
	})
}

// join admits a participant to the event with the code: 201 and a cookie
// for a new participant, 200 for a browser or token that is one already.
func (s *Server) join(w http.ResponseWriter, r *http.Request) error {
	var in act.JoinRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	j, err := s.act.Join(r.Context(), in, s.credentials(r))
	if err != nil {
		return err
	}
	if j.Existing {
		writeJSON(w, http.StatusOK, j)
		return nil
	}
	s.setParticipantCookie(w, r, j.Event.ID, j.Token)
	writeJSON(w, http.StatusCreated, j)
	return nil
}

type sessionRequest struct {
	Token string `json:"token"`
}

// createSession checks a staff token and keeps it in the staff cookie, so
// that the browser's staff pages and WebSockets are authenticated.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var in sessionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	tok := strings.TrimSpace(in.Token)
	if err := s.act.SignIn(r.Context(), tok, s.clientIP(r)); err != nil {
		return err
	}
	s.setCookie(w, staffCookie, tok, http.SameSiteStrictMode, cookieMaxAge)
	writeJSON(w, http.StatusOK, act.Me{Role: "staff"})
	return nil
}

// deleteSession signs the browser out of staff.
func (s *Server) deleteSession(w http.ResponseWriter, _ *http.Request) error {
	s.setCookie(w, staffCookie, "", http.SameSiteStrictMode, -1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
