package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ingest"
)

// xrpcError is an XRPC method's refusal: {"error","message"} and status.
type xrpcError struct {
	Status    int
	Name      string `json:"error"`
	Message   string `json:"message"`
	RateLimit *koe.RateLimit
}

func (e *xrpcError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Name, e.Message)
}

// call does one XRPC request: a query (GET with params) when in is nil,
// else a procedure (POST of in as JSON). token, when set, is the bearer.
func (s *Source) call(ctx context.Context, nsid string, params url.Values, in any, token string, out any) error {
	u := s.instance + "/xrpc/" + nsid
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	method, body := http.MethodGet, []byte(nil)
	if in != nil {
		method = http.MethodPost
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return fmt.Errorf("bluesky: %s: %w", nsid, err)
	}
	defer resp.Body.Close()
	b, err := ingest.ReadBody(resp.Body)
	if err != nil {
		return fmt.Errorf("bluesky: %s: %w", nsid, err)
	}
	rl := rateLimitFrom(resp.Header)
	if rl != nil {
		s.rateLimit.Store(rl)
	}
	if resp.StatusCode != http.StatusOK {
		e := &xrpcError{Status: resp.StatusCode, RateLimit: rl}
		_ = json.Unmarshal(b, e) // a body that is not XRPC's still has its status
		return fmt.Errorf("bluesky: %s: %w", nsid, e)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("bluesky: %s: malformed response: %w", nsid, err)
	}
	return nil
}

// rateLimitFrom reads Bluesky's RateLimit-Limit, -Remaining and -Reset
// (Unix seconds) headers, or the X-RateLimit ones; nil without them.
func rateLimitFrom(h http.Header) *koe.RateLimit {
	limit, err1 := strconv.Atoi(h.Get("RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("RateLimit-Remaining"))
	if err1 != nil || err2 != nil {
		return ingest.RateLimitFrom(h)
	}
	rl := &koe.RateLimit{Limit: limit, Remaining: remaining}
	if n, err := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64); err == nil {
		rl.Reset = time.Unix(n, 0)
	}
	return rl
}

// asXRPC returns err's XRPC refusal, or nil.
func asXRPC(err error) *xrpcError {
	var e *xrpcError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// session is the signed-in account (an app password's), shared by search
// and Engage.
type session struct {
	mu      sync.Mutex
	access  string
	refresh string
	did     string
}

// signInLocked runs createSession; refusals that the organiser must mend
// (wrong password, two-factor code asked, account taken down) wrap
// ingest.ErrNeedsOrganizer.
func (s *Source) signInLocked(ctx context.Context) error {
	var out struct {
		AccessJwt  string `json:"accessJwt"`
		RefreshJwt string `json:"refreshJwt"`
		DID        string `json:"did"`
	}
	err := s.call(ctx, "com.atproto.server.createSession", nil,
		map[string]string{"identifier": s.handle, "password": s.secret}, "", &out)
	if e := asXRPC(err); e != nil && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
		e.Name == "AuthFactorTokenRequired" || e.Name == "AuthenticationRequired" || e.Name == "AccountTakedown") {
		return fmt.Errorf("bluesky: signing in as %s with the app password: %w: %w", s.handle, err, ingest.ErrNeedsOrganizer)
	}
	if err != nil {
		return err
	}
	if out.AccessJwt == "" || out.DID == "" {
		return errors.New("bluesky: createSession answered no token")
	}
	s.sess.access, s.sess.refresh, s.sess.did = out.AccessJwt, out.RefreshJwt, out.DID
	return nil
}

// token returns the access token and the account's DID, signing in first
// when there is no session.
func (s *Source) token(ctx context.Context) (string, string, error) {
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	if s.sess.access == "" {
		if err := s.signInLocked(ctx); err != nil {
			return "", "", err
		}
	}
	return s.sess.access, s.sess.did, nil
}

// renew replaces the access token stale: with refreshSession, else by
// signing in again. A caller whose token was already replaced by another
// gets the new one.
func (s *Source) renew(ctx context.Context, stale string) error {
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	if s.sess.access != stale {
		return nil
	}
	if s.sess.refresh != "" {
		var out struct {
			AccessJwt  string `json:"accessJwt"`
			RefreshJwt string `json:"refreshJwt"`
			DID        string `json:"did"`
		}
		err := s.call(ctx, "com.atproto.server.refreshSession", nil, struct{}{}, s.sess.refresh, &out)
		if err == nil && out.AccessJwt != "" {
			s.sess.access, s.sess.refresh = out.AccessJwt, out.RefreshJwt
			if out.DID != "" {
				s.sess.did = out.DID
			}
			return nil
		}
		if asXRPC(err) == nil {
			return err // the service is down, not the session refused
		}
	}
	s.sess.access, s.sess.refresh = "", ""
	return s.signInLocked(ctx)
}

// authed calls fn with an access token, renewing it once when it is
// refused; a refusal after that wraps ingest.ErrNeedsOrganizer.
func (s *Source) authed(ctx context.Context, fn func(token, did string) error) error {
	for attempt := 0; ; attempt++ {
		token, did, err := s.token(ctx)
		if err != nil {
			return err
		}
		err = fn(token, did)
		e := asXRPC(err)
		if e == nil || !(e.Name == "ExpiredToken" || e.Name == "InvalidToken" || e.Status == http.StatusUnauthorized) {
			return err
		}
		if attempt > 0 {
			return fmt.Errorf("%w: %w", err, ingest.ErrNeedsOrganizer)
		}
		if err := s.renew(ctx, token); err != nil {
			return err
		}
	}
}
