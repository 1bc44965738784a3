package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/koehq/koe"
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

// sessionCookie carries a browser's staff session (a random secret,
// stored hashed; never a token). HttpOnly and SameSite=Lax, so that a link
// to a staff page from elsewhere arrives signed in; writes are guarded by
// CrossOriginProtection and WebSocket upgrades by Origin.
const sessionCookie = "koe_session"

// cookieMaxAge keeps a browser's participant identity across a multi-day
// conference.
const cookieMaxAge = 30 * 24 * time.Hour

// credentials reads what r presents: a bearer token, or the cookies.
func (s *Server) credentials(r *http.Request) act.Credentials {
	c := act.Credentials{Addr: s.clientIP(r), UserAgent: r.UserAgent()}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		c.Bearer, c.BadScheme = tok, !ok || tok == ""
		return c
	}
	// A screen link's page reads with the link's secret in the query,
	// since a WebSocket handshake (and an OBS browser source) cannot set a
	// header; only a screen link's secret, only to read.
	if key := r.URL.Query().Get("key"); key != "" && r.Method == http.MethodGet {
		c.ScreenKey = key
		return c
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.Session = ck.Value
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
		e := s.act.TokenEvent(r.Context(), t)
		return e == 0 || e == eventID
	})
	kept = append(kept, tok)
	if len(kept) > maxParticipantTokens {
		kept = kept[len(kept)-maxParticipantTokens:]
	}
	s.setCookie(w, participantCookie, strings.Join(kept, "~"), http.SameSiteLaxMode, cookieMaxAge)
}

// setCookie sets a cookie for maxAge; a negative maxAge deletes it.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, site http.SameSite, maxAge time.Duration) {
	secs := int(maxAge / time.Second)
	if maxAge < 0 {
		secs = -1 // Max-Age=0: gone now
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: secs,
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

// setSession keeps a session in the browser's cookie.
func (s *Server) setSession(w http.ResponseWriter, ss act.IssuedSession) {
	s.setCookie(w, sessionCookie, ss.Secret, http.SameSiteLaxMode, time.Until(ss.Expires))
}

func (s *Server) clearSession(w http.ResponseWriter) {
	s.setCookie(w, sessionCookie, "", http.SameSiteLaxMode, -1)
}

func (s *Server) client(r *http.Request) act.Client {
	return act.Client{Addr: s.clientIP(r), UserAgent: r.UserAgent(), Host: r.Host, TLS: r.TLS != nil}
}

// createSession signs a browser in (login and password, a passkey, or
// the owner token) and keeps the session in its cookie: 201. A correct
// password of an account that requires a passkey opens no session yet:
// 200 with the passkey ceremony to answer, and no cookie.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var in act.SignInRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	si, err := s.act.SignIn(r.Context(), in, s.client(r))
	if err != nil {
		return err
	}
	if si.SecondFactor != nil {
		writeJSON(w, http.StatusOK, si.SecondFactor)
		return nil
	}
	s.setSession(w, si.Session)
	writeJSON(w, http.StatusCreated, si)
	return nil
}

// whoami says who the browser or token is as staff.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	who, err := s.act.Whoami(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, who)
	return nil
}

// deleteSession signs the browser out: the session ends on the server,
// and its cookie goes.
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	if err := s.act.SignOut(r.Context()); err != nil {
		return err
	}
	s.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.act.Sessions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

// revokeSessions signs the account out everywhere, this browser too.
func (s *Server) revokeSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := s.act.RevokeSession(r.Context(), 0)
	if err != nil {
		return err
	}
	s.clearSession(w)
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "sessionID")
	if err != nil {
		return err
	}
	if _, err := s.act.RevokeSession(r.Context(), ids[0]); err != nil {
		return err
	}
	if ids[0] == koe.PrincipalFrom(r.Context()).SessionID {
		s.clearSession(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
