package api

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/auth"
)

// oidcCookie keeps a sign-in with the OpenID provider between koe's
// redirect there and the provider's back: the state, nonce and PKCE
// verifier, sealed (act.OIDCStart). Only the two OIDC routes see it
// (its Path); SameSite=Lax, because the provider's redirect back is a
// top-level navigation from another site.
const (
	oidcCookie     = "koe_oidc"
	oidcCookiePath = "/api/v1/session/oidc"
)

// oidcStart sends the browser to the provider (302), with the login in
// its koe_oidc cookie. 404 when OIDC is not configured; while the
// provider cannot be reached, back to the sign-in page with
// signin_error=oidc_failed (this is a navigation, not a fetch).
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	st, err := s.act.OIDCStart(r.Context(), r.URL.Query().Get("return"), s.origin(r))
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return err
	}
	if err != nil {
		if koe.ErrorCode(err) == koe.EINTERNAL {
			s.log.ErrorContext(r.Context(), "OpenID sign-in could not start", "error", err.Error())
		}
		s.oidcFailed(w, r, act.DefaultReturnPath, act.OIDCFailed)
		return nil
	}
	s.toProvider(w, r, st)
	return nil
}

// toProvider sends the browser to the provider with its login in the
// koe_oidc cookie.
func (s *Server) toProvider(w http.ResponseWriter, r *http.Request, st *act.OIDCStarted) {
	s.setOIDCCookie(w, r, st.Login, int(auth.OIDCLoginTTL.Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusFound)
}

// joinOIDC sends a participant to the provider to join the event with the
// code (?code=&name=) once signed in; the callback is the staff one's.
// 404 when OIDC is not configured, 400 for a malformed code or name; a
// code of no event, an event that does not ask for a sign-in, or a
// provider that cannot be reached come back to the join page with
// signin_error=oidc_failed (this is a navigation).
func (s *Server) joinOIDC(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	st, err := s.act.JoinOIDCStart(r.Context(), q.Get("code"), q.Get("name"), s.origin(r))
	if !s.act.OIDCEnabled() || koe.ErrorCode(err) == koe.EINVALID {
		return err // no navigation to come back from: a malformed link
	}
	if err != nil {
		s.log.InfoContext(r.Context(), "OpenID join could not start", "error", err.Error())
		s.oidcFailed(w, r, "/", act.OIDCFailed)
		return nil
	}
	s.toProvider(w, r, st)
	return nil
}

// oidcCallback is where the provider sends the browser back: signed in
// (koe_session) and on to the path the sign-in started from, or back to
// the sign-in page with signin_error=<code>. Never an error response:
// the reason of a failure is logged, not shown (act.OIDCCallback).
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	var login string
	if ck, err := r.Cookie(oidcCookie); err == nil {
		login = ck.Value
	}
	res, err := s.act.OIDCCallback(r.Context(), act.OIDCCallbackRequest{Query: r.URL.Query(), Login: login}, s.client(r))
	s.setOIDCCookie(w, r, "", -1) // a login is tried once
	if err != nil {
		code, page := act.OIDCFailed, act.DefaultReturnPath
		var oe *act.OIDCError
		if errors.As(err, &oe) {
			code = oe.Code
			if oe.Join {
				page = "/"
			}
		}
		s.oidcFailed(w, r, page, code)
		return nil
	}
	if res.Joined != nil {
		s.setParticipantCookie(w, r, res.Joined.Event.ID, res.Joined.Token)
	} else {
		s.setSession(w, res.Session)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, act.LocalPath(res.ReturnTo), http.StatusFound)
	return nil
}

// oidcFailed sends the browser back to page (the staff sign-in, or the
// join page) with the code of what went wrong.
func (s *Server) oidcFailed(w http.ResponseWriter, r *http.Request, page, code string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, page+"?"+url.Values{"signin_error": {code}}.Encode(), http.StatusFound)
}

func (s *Server) setOIDCCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: value, Path: oidcCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// origin is "scheme://host" of the request, for the redirect URL when
// KOE_PUBLIC_URL is not set: https when the connection is TLS, or a
// trusted proxy says it was.
func (s *Server) origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if r.Header.Get("X-Forwarded-Proto") == "https" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if a, err := netip.ParseAddr(host); err == nil && s.trusted(a) {
			scheme = "https"
		}
	}
	return scheme + "://" + r.Host
}
