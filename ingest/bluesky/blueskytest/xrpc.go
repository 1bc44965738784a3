package blueskytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

func writeError(w http.ResponseWriter, status int, name, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": name, "message": message})
}

func (s *Server) xrpc(w http.ResponseWriter, r *http.Request) {
	nsid := r.PathValue("nsid")
	s.mu.Lock()
	s.requests[nsid]++
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLocked(w) {
		return
	}
	var status int
	var body any
	switch nsid {
	case "com.atproto.server.createSession":
		status, body = s.createSessionLocked(r)
	case "com.atproto.server.refreshSession":
		status, body = s.refreshSessionLocked(r)
	case "app.bsky.feed.searchPosts":
		status, body = s.searchPostsLocked(r)
	case "app.bsky.actor.getProfiles":
		status, body = s.getProfilesLocked(r)
	case "com.atproto.repo.createRecord":
		status, body = s.createRecordLocked(r)
	default:
		status, body = http.StatusNotImplemented, xrpcError("MethodNotImplemented", "Method Not Implemented")
	}
	b, _ := json.Marshal(body)
	if s.malformed > 0 {
		s.malformed--
		b = b[:len(b)/2]
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("RateLimit-Limit", "3000")
	h.Set("RateLimit-Remaining", "2999")
	h.Set("RateLimit-Reset", strconv.FormatInt(s.now().Add(5*time.Minute).Unix(), 10))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func xrpcError(name, message string) map[string]string {
	return map[string]string{"error": name, "message": message}
}

// authLocked checks the request's bearer token against tokens; when it
// is not valid, it returns the status and error to answer.
func (s *Server) authLocked(r *http.Request, tokens map[string]bool) (int, any, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || token == "":
		return http.StatusUnauthorized, xrpcError("AuthenticationRequired", "Authentication Required"), false
	case s.expired[token]:
		return http.StatusBadRequest, xrpcError("ExpiredToken", "Token has expired"), false
	case !tokens[token]:
		return http.StatusUnauthorized, xrpcError("InvalidToken", "Token could not be verified"), false
	}
	return 0, nil, true
}

func (s *Server) sessionLocked() map[string]any {
	access, refresh := "access-"+newCID(), "refresh-"+newCID()
	s.access[access], s.refresh[refresh] = true, true
	return map[string]any{"accessJwt": access, "refreshJwt": refresh, "handle": s.handle, "did": s.did, "active": true}
}

func (s *Server) createSessionLocked(r *http.Request) (int, any) {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil || in.Identifier == "" || in.Password == "" {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "identifier and password are required")
	}
	if s.handle == "" || (in.Identifier != s.handle && in.Identifier != s.did) || in.Password != s.password {
		return http.StatusUnauthorized, xrpcError("AuthenticationRequired", "Invalid identifier or password")
	}
	return http.StatusOK, s.sessionLocked()
}

func (s *Server) refreshSessionLocked(r *http.Request) (int, any) {
	if r.Method != http.MethodPost {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "POST only")
	}
	if status, body, ok := s.authLocked(r, s.refresh); !ok {
		return status, body
	}
	delete(s.refresh, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	return http.StatusOK, s.sessionLocked()
}

type postView struct {
	URI       string          `json:"uri"`
	CID       string          `json:"cid"`
	Author    profile         `json:"author"`
	Record    json.RawMessage `json:"record"`
	Embed     any             `json:"embed,omitempty"`
	IndexedAt string          `json:"indexedAt"`
}

func (s *Server) searchPostsLocked(r *http.Request) (int, any) {
	if status, body, ok := s.authLocked(r, s.access); !ok {
		return status, body
	}
	q := r.URL.Query()
	term := strings.ToLower(strings.Trim(q.Get("q"), `"`))
	if term == "" {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "Error: Params must have the property \"q\"")
	}
	limit := 25
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return http.StatusBadRequest, xrpcError("InvalidRequest", "limit must be 1-100")
		}
		limit = n
	}
	if sort := q.Get("sort"); sort != "" && sort != "latest" && sort != "top" {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "sort must be latest or top")
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return http.StatusBadRequest, xrpcError("InvalidRequest", "since must be a datetime")
			}
		}
		since = t
	}
	offset := 0
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			return http.StatusBadRequest, xrpcError("InvalidRequest", "bad cursor")
		}
		offset = n
	}
	var hits []postView
	for i := len(s.posts) - 1; i >= 0; i-- { // newest first
		p := s.posts[i]
		if p.ev.IndexedAt.Before(since) || !matches(p, term) {
			continue
		}
		hits = append(hits, s.viewLocked(p))
	}
	out := map[string]any{"hitsTotal": len(hits), "posts": []postView{}}
	if offset < len(hits) {
		end := min(offset+limit, len(hits))
		out["posts"] = hits[offset:end]
		if end < len(hits) {
			out["cursor"] = strconv.Itoa(end)
		}
	}
	return http.StatusOK, out
}

func matches(p indexed, term string) bool {
	if tag, ok := strings.CutPrefix(term, "#"); ok {
		for _, t := range p.tags {
			if strings.EqualFold(t, tag) {
				return true
			}
		}
		for _, f := range strings.FieldsFunc(strings.ToLower(p.text), unicode.IsSpace) {
			if strings.TrimRightFunc(f, unicode.IsPunct) == term {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(p.text), term)
}

func (s *Server) viewLocked(p indexed) postView {
	v := postView{URI: p.ev.URI, CID: p.ev.CID, Author: s.profiles[p.ev.DID], Record: p.record,
		IndexedAt: p.ev.IndexedAt.Format("2006-01-02T15:04:05.000000Z")}
	if len(p.images) > 0 {
		var images []map[string]string
		for _, im := range p.images {
			images = append(images, map[string]string{"alt": im.Alt,
				"thumb":    "https://cdn.bsky.app/img/feed_thumbnail/plain/" + p.ev.DID + "/" + im.CID + "@jpeg",
				"fullsize": "https://cdn.bsky.app/img/feed_fullsize/plain/" + p.ev.DID + "/" + im.CID + "@jpeg"})
		}
		v.Embed = map[string]any{"$type": "app.bsky.embed.images#view", "images": images}
	}
	return v
}

func (s *Server) getProfilesLocked(r *http.Request) (int, any) {
	if r.Header.Get("Authorization") != "" {
		if status, body, ok := s.authLocked(r, s.access); !ok {
			return status, body
		}
	}
	actors := r.URL.Query()["actors"]
	if len(actors) == 0 || len(actors) > 25 {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "actors must hold 1-25 entries")
	}
	out := []profile{}
	for _, a := range actors {
		for _, p := range s.profiles {
			if p.DID == a || p.Handle == a {
				out = append(out, p)
				break
			}
		}
	}
	return http.StatusOK, map[string]any{"profiles": out}
}

func (s *Server) createRecordLocked(r *http.Request) (int, any) {
	if r.Method != http.MethodPost {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "POST only")
	}
	if status, body, ok := s.authLocked(r, s.access); !ok {
		return status, body
	}
	var in struct {
		Repo       string `json:"repo"`
		Collection string `json:"collection"`
		Record     struct {
			Type    string `json:"$type"`
			Subject struct {
				URI string `json:"uri"`
				CID string `json:"cid"`
			} `json:"subject"`
			CreatedAt string `json:"createdAt"`
		} `json:"record"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "body is not JSON")
	}
	if in.Repo != s.did && in.Repo != s.handle {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "Invalid repo")
	}
	if _, err := time.Parse(time.RFC3339Nano, in.Record.CreatedAt); err != nil || in.Record.Type != in.Collection ||
		!strings.HasPrefix(in.Record.Subject.URI, "at://") || in.Record.Subject.CID == "" {
		return http.StatusBadRequest, xrpcError("InvalidRequest", "Invalid app.bsky record")
	}
	sub := Subject{Repo: in.Repo, URI: in.Record.Subject.URI, CID: in.Record.Subject.CID}
	switch in.Collection {
	case "app.bsky.feed.like":
		s.likes = append(s.likes, sub)
	case "app.bsky.feed.repost":
		s.reposts = append(s.reposts, sub)
	default:
		return http.StatusBadRequest, xrpcError("InvalidRequest", "unsupported collection")
	}
	rkey := newTID()
	return http.StatusOK, map[string]string{"uri": "at://" + s.did + "/" + in.Collection + "/" + rkey, "cid": newCID()}
}

// newTID is a record key: random, 13 base32-sortable characters.
func newTID() string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newCID is a fake content id of the right shape.
func newCID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "bafyrei" + hex.EncodeToString(b)
}
