// Package mastodontest runs a server on loopback that speaks the part of
// Mastodon's API that koe uses: hashtag timelines with Mastodon's paging
// (min_id, since_id, max_id, limit, any[], Link headers), the hashtag
// stream (Server-Sent Events), favourite and reblog, with faults to switch
// on while it runs (public timelines disabled, a revoked token, rate
// limits, failures, broken JSON, slowness). koe's tests, its browser tests
// and its benchmark use it (internal/cmd/mastodon-test-server runs it).
package mastodontest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a Mastodon instance's API on loopback.
type Server struct {
	srv  *httptest.Server
	host string

	mu          sync.Mutex
	statuses    []Status // oldest first
	lastID      uint64
	accounts    map[string]string
	token       string
	requireAuth bool
	limit       int
	window      time.Duration
	windowEnd   time.Time
	used        int
	fail        int
	failStatus  int
	malformed   int
	delay       time.Duration
	heartbeat   time.Duration
	streamsDown bool
	streams     map[*stream]struct{}
	favourited  []string
	reblogged   []string
	requests    []string
}

// stream is one connected hashtag stream.
type stream struct {
	tag    string
	token  string
	events chan []byte
	done   chan struct{}
	once   sync.Once
}

func (st *stream) close() { st.once.Do(func() { close(st.done) }) }

// New starts a server on 127.0.0.1 at a free port.
func New() *Server {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		panic("mastodontest: " + err.Error())
	}
	return s
}

// Start starts a server listening on addr.
func Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{accounts: map[string]string{}, streams: map[*stream]struct{}{}, heartbeat: 15 * time.Second}
	s.srv = httptest.NewUnstartedServer(s.routes())
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	s.host = ln.Addr().String()
	return s, nil
}

// URL is the instance's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// Close ends open streams and stops the server.
func (s *Server) Close() {
	s.dropStreams(func(*stream) bool { return true })
	s.srv.Close()
}

// Publish stores st as a new public status and sends it to the streams of
// its tags. It assigns the id (growing, like Mastodon's snowflake ids), the
// uri and url when empty, created_at when zero (now), the account's id,
// url and avatars, and the tags' urls; st.Reblog, when set, is the status
// reblogged. It returns the stored status.
func (s *Server) Publish(st Status) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := uint64(time.Now().UnixMilli()) << 16
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	st.ID = strconv.FormatUint(id, 10)
	a := &st.Account
	if a.Acct == "" {
		a.Acct = "alice"
	}
	if a.Username == "" {
		a.Username, _, _ = strings.Cut(a.Acct, "@")
	}
	if s.accounts[a.Acct] == "" {
		s.accounts[a.Acct] = strconv.Itoa(len(s.accounts) + 1)
	}
	a.ID = s.accounts[a.Acct]
	if a.URL == "" {
		a.URL = "https://" + s.host + "/@" + a.Acct
	}
	if a.Avatar == "" {
		a.Avatar = "https://" + s.host + "/avatars/" + a.Username + ".png"
	}
	if a.AvatarStatic == "" {
		a.AvatarStatic = a.Avatar
	}
	if st.URI == "" {
		st.URI = "https://" + s.host + "/users/" + a.Username + "/statuses/" + st.ID
	}
	if st.URL == "" {
		st.URL = "https://" + s.host + "/@" + a.Username + "/" + st.ID
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = time.Now()
	}
	st.CreatedAt = st.CreatedAt.UTC().Truncate(time.Millisecond)
	if st.Visibility == "" {
		st.Visibility = "public"
	}
	for i := range st.Tags {
		st.Tags[i].Name = strings.ToLower(st.Tags[i].Name)
		if st.Tags[i].URL == "" {
			st.Tags[i].URL = "https://" + s.host + "/tags/" + st.Tags[i].Name
		}
	}
	for i := range st.MediaAttachments {
		if st.MediaAttachments[i].ID == "" {
			st.MediaAttachments[i].ID = st.ID + strconv.Itoa(i)
		}
	}
	if st.MediaAttachments == nil {
		st.MediaAttachments = []MediaAttachment{}
	}
	if st.Tags == nil {
		st.Tags = []Tag{}
	}
	s.statuses = append(s.statuses, st)
	msg := event("update", mustJSON(st))
	for str := range s.streams {
		if hasTag(st, []string{str.tag}) {
			s.send(str, msg)
		}
	}
	return st
}

// SendEvent sends an event (delete, status.update, or anything) to every
// connected stream, as the streaming server would.
func (s *Server) SendEvent(name, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for str := range s.streams {
		s.send(str, event(name, data))
	}
}

// send queues msg on str; a stream too slow to keep up is dropped, as
// Mastodon's streaming server does. Called with s.mu held.
func (s *Server) send(str *stream, msg []byte) {
	select {
	case str.events <- msg:
	default:
		delete(s.streams, str)
		str.close()
	}
}

// Statuses returns every stored status, oldest first.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses)
}

// RequireAuth disables (true) or enables the public hashtag timeline:
// without a token it answers 422, as an instance with public timelines
// disabled does.
func (s *Server) RequireAuth(on bool) {
	s.mu.Lock()
	s.requireAuth = on
	s.mu.Unlock()
}

// SetToken makes token the one access token the instance accepts ("":
// none). Any other bearer token gets 401, and open streams of another
// token are closed: this is how a test revokes a token mid-run.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
	s.dropStreams(func(str *stream) bool { return str.token != token || token == "" })
}

// SetRateLimit gives the API a budget of limit requests per window (0:
// none), told in X-RateLimit-* headers on every response and enforced
// with 429. Streams are not counted, as on Mastodon.
func (s *Server) SetRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	s.limit, s.window, s.used = limit, window, 0
	s.windowEnd = time.Now().Add(window)
	s.mu.Unlock()
}

// Fail makes the next n requests (streams included) answer status.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	s.fail, s.failStatus = n, status
	s.mu.Unlock()
}

// Malformed makes the next n timeline responses broken JSON.
func (s *Server) Malformed(n int) {
	s.mu.Lock()
	s.malformed = n
	s.mu.Unlock()
}

// Delay makes every request wait d before it is answered.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Heartbeat sets how often streams send a heartbeat comment (default
// 15 s, as Mastodon).
func (s *Server) Heartbeat(d time.Duration) {
	s.mu.Lock()
	s.heartbeat = d
	s.mu.Unlock()
}

// StreamsDown makes the streaming API refuse (true: 503, and open streams
// are dropped) or serve again.
func (s *Server) StreamsDown(down bool) {
	s.mu.Lock()
	s.streamsDown = down
	s.mu.Unlock()
	if down {
		s.DropStreams()
	}
}

// DropStreams closes every open stream; clients may reconnect.
func (s *Server) DropStreams() { s.dropStreams(func(*stream) bool { return true }) }

func (s *Server) dropStreams(which func(*stream) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for str := range s.streams {
		if which(str) {
			delete(s.streams, str)
			str.close()
		}
	}
}

// Streams counts the open streams.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// Favourited lists the ids of the statuses favourited, in order.
func (s *Server) Favourited() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.favourited)
}

// Reblogged lists the ids of the statuses reblogged, in order.
func (s *Server) Reblogged() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reblogged)
}

// Requests lists the API requests received ("GET /api/v1/...?query"), in
// order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", s.api(true, s.tagTimeline))
	mux.HandleFunc("GET /api/v1/streaming/hashtag", s.api(false, s.streamHashtag))
	mux.HandleFunc("GET /api/v1/streaming/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "OK") })
	mux.HandleFunc("GET /api/v1/statuses/{id}", s.api(true, s.getStatus))
	mux.HandleFunc("POST /api/v1/statuses/{id}/favourite", s.api(true, s.favourite))
	mux.HandleFunc("POST /api/v1/statuses/{id}/reblog", s.api(true, s.reblog))
	mux.HandleFunc("POST /test/statuses", s.testPublish)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Record not found")
	})
	return mux
}

// api wraps an API handler with the switched faults: the delay, the
// failures and (when limited) the rate limit.
func (s *Server) api(limited bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		delay := s.delay
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
			}
		}
		s.mu.Lock()
		if limited && s.limit > 0 {
			now := time.Now()
			if !now.Before(s.windowEnd) {
				s.used, s.windowEnd = 0, now.Add(s.window)
			}
			s.used++
			h := w.Header()
			h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
			h.Set("X-RateLimit-Remaining", strconv.Itoa(max(s.limit-s.used, 0)))
			h.Set("X-RateLimit-Reset", s.windowEnd.UTC().Format("2006-01-02T15:04:05.000Z"))
			if s.used > s.limit {
				s.mu.Unlock()
				writeError(w, http.StatusTooManyRequests, "Too many requests")
				return
			}
		}
		if s.fail > 0 {
			s.fail--
			status := s.failStatus
			s.mu.Unlock()
			writeError(w, status, http.StatusText(status))
			return
		}
		s.mu.Unlock()
		h(w, r)
	}
}

// bearer checks the request's access token (header or access_token
// parameter): authed tells whether it carries the valid one; ok is false
// when it carried another, and the 401 is written.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (authed, ok bool) {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		tok = r.URL.Query().Get("access_token")
	}
	if tok == "" {
		return false, true
	}
	s.mu.Lock()
	valid := s.token != "" && tok == s.token
	s.mu.Unlock()
	if !valid {
		writeError(w, http.StatusUnauthorized, "The access token is invalid")
		return false, false
	}
	return true, true
}

func (s *Server) tagTimeline(w http.ResponseWriter, r *http.Request) {
	authed, ok := s.bearer(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	tags := []string{strings.ToLower(r.PathValue("tag"))}
	for _, t := range q["any[]"] {
		tags = append(tags, strings.ToLower(t))
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 20
	}
	limit = min(limit, 40)
	minID, hasMin := parseID(q.Get("min_id"))
	sinceID, _ := parseID(q.Get("since_id"))
	maxID, hasMax := parseID(q.Get("max_id"))

	s.mu.Lock()
	if s.requireAuth && !authed {
		s.mu.Unlock()
		writeError(w, http.StatusUnprocessableEntity, "This method requires an authenticated user")
		return
	}
	if s.malformed > 0 {
		s.malformed--
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `[{"id":"1","uri":"https://example.com/1","content":"<p>cut sh`)
		return
	}
	in := func(st Status) bool {
		id, _ := parseID(st.ID)
		return hasTag(st, tags) && id > sinceID && (!hasMin || id > minID) && (!hasMax || id < maxID)
	}
	page := []Status{}
	if hasMin {
		// The oldest statuses newer than min_id, given newest first.
		for _, st := range s.statuses {
			if len(page) < limit && in(st) {
				page = append(page, st)
			}
		}
		slices.Reverse(page)
	} else {
		for i := len(s.statuses) - 1; i >= 0 && len(page) < limit; i-- {
			if in(s.statuses[i]) {
				page = append(page, s.statuses[i])
			}
		}
	}
	s.mu.Unlock()

	if len(page) > 0 {
		link := func(param, id string) string {
			v := url.Values{}
			for _, t := range q["any[]"] {
				v.Add("any[]", t)
			}
			if q.Has("limit") {
				v.Set("limit", q.Get("limit"))
			}
			v.Set(param, id)
			return "<" + s.srv.URL + "/api/v1/timelines/tag/" + url.PathEscape(r.PathValue("tag")) + "?" + v.Encode() + ">"
		}
		w.Header().Set("Link", link("max_id", page[len(page)-1].ID)+`; rel="next", `+link("min_id", page[0].ID)+`; rel="prev"`)
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) streamHashtag(w http.ResponseWriter, r *http.Request) {
	authed, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if !authed {
		writeError(w, http.StatusUnauthorized, "Missing access token")
		return
	}
	tag := strings.ToLower(r.URL.Query().Get("tag"))
	if tag == "" {
		writeError(w, http.StatusBadRequest, "Missing tag name parameter")
		return
	}
	s.mu.Lock()
	if s.streamsDown {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	str := &stream{tag: tag, token: s.token, events: make(chan []byte, 256), done: make(chan struct{})}
	s.streams[str] = struct{}{}
	heartbeat := s.heartbeat
	s.mu.Unlock()
	defer s.dropStreams(func(x *stream) bool { return x == str })

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	write := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	if !write([]byte(":)\n")) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-str.done:
			return
		case <-tick.C:
			if !write([]byte(":thump\n")) {
				return
			}
		case msg := <-str.events:
			if !write(msg) {
				return
			}
		}
	}
}

func (s *Server) find(id string) (*Status, bool) {
	for i := range s.statuses {
		if s.statuses[i].ID == id {
			return &s.statuses[i], true
		}
	}
	return nil, false
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.bearer(w, r); !ok {
		return
	}
	s.mu.Lock()
	st, found := s.find(r.PathValue("id"))
	var out Status
	if found {
		out = *st
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) favourite(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(st *Status) any {
		st.Favourited = true
		s.favourited = append(s.favourited, st.ID)
		return *st
	})
}

func (s *Server) reblog(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(st *Status) any {
		st.Reblogged = true
		s.reblogged = append(s.reblogged, st.ID)
		orig := *st
		return Status{ID: st.ID + "1", URI: st.URI + "/activity", CreatedAt: time.Now().UTC(), Visibility: "public",
			Reblog: &orig, Account: Account{ID: "0", Username: "koe", Acct: "koe"}, Reblogged: true,
			MediaAttachments: []MediaAttachment{}, Tags: []Tag{}}
	})
}

// act does an authenticated action on a stored status.
func (s *Server) act(w http.ResponseWriter, r *http.Request, do func(*Status) any) {
	authed, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if !authed {
		writeError(w, http.StatusUnauthorized, "The access token is invalid")
		return
	}
	s.mu.Lock()
	st, found := s.find(r.PathValue("id"))
	var out any
	if found {
		out = do(st)
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// testPublish is POST /test/statuses: publish a plain-text post, for tests
// driving the server from outside Go.
func (s *Server) testPublish(w http.ResponseWriter, r *http.Request) {
	var p Post
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.Publish(p.Status(s.srv.URL)))
}

func hasTag(st Status, tags []string) bool {
	for _, t := range st.Tags {
		if slices.Contains(tags, strings.ToLower(t.Name)) {
			return true
		}
	}
	return false
}

func parseID(s string) (uint64, bool) {
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func event(name, data string) []byte {
	return []byte("event: " + name + "\ndata: " + data + "\n\n")
}

// mustJSON encodes v as Mastodon does, without escaping HTML's < and >.
func mustJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(mustJSON(v)))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
