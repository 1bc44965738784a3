// Package blueskytest is a Bluesky for tests: a Jetstream WebSocket and
// the XRPC methods koe calls (sessions, searchPosts, getProfiles,
// createRecord), speaking their wire formats on 127.0.0.1, with faults
// to inject.
package blueskytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lxzan/gws"
)

// Event is one event the Jetstream holds, as published.
type Event struct {
	TimeUS     int64
	Kind       string // "commit", "identity", "account"
	DID        string
	Handle     string
	Operation  string
	Collection string
	RKey       string
	CID        string
	URI        string // at://{did}/{collection}/{rkey} of a commit
	IndexedAt  time.Time
	Frame      []byte // the JSON message clients get
}

// Image is an image attached to a post.
type Image struct {
	Alt string
	CID string // the blob's CID
}

// Post is what PublishPost publishes.
type Post struct {
	DID, Handle string
	Text        string
	// Tags get a facet each, over the first "#tag" in Text (which is
	// added at the end when missing).
	Tags      []string
	Langs     []string
	Images    []Image
	CreatedAt time.Time // default: the server's now
}

// Subject is what a like or repost points at.
type Subject struct {
	Repo string // the account that liked or reposted
	URI  string
	CID  string
}

type indexed struct {
	ev     Event
	record json.RawMessage
	text   string
	tags   []string
	images []Image
}

type profile struct {
	DID         string `json:"did"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName,omitempty"`
	Avatar      string `json:"avatar,omitempty"`
}

type client struct {
	conn   *gws.Conn
	wanted []string
}

// Server is a running test Bluesky.
type Server struct {
	http     *httptest.Server
	upgrader *gws.Upgrader

	mu        sync.Mutex
	now       func() time.Time
	lastUS    int64
	events    []Event
	posts     []indexed // newest last
	profiles  map[string]profile
	clients   map[*gws.Conn]*client
	retention time.Duration

	handle, password, did string
	access, refresh       map[string]bool // valid tokens
	expired               map[string]bool // access tokens that answer ExpiredToken

	failN      int
	failStatus int
	malformed  int
	delay      time.Duration
	requests   map[string]int
	likes      []Subject
	reposts    []Subject
}

// New starts a server; Close stops it.
func New() *Server {
	s := &Server{
		now:      time.Now,
		profiles: make(map[string]profile),
		clients:  make(map[*gws.Conn]*client),
		access:   make(map[string]bool),
		refresh:  make(map[string]bool),
		expired:  make(map[string]bool),
		requests: make(map[string]int),
	}
	s.upgrader = gws.NewUpgrader(&wsEvents{s: s}, &gws.ServerOption{})
	mux := http.NewServeMux()
	mux.HandleFunc("/subscribe", s.subscribe)
	mux.HandleFunc("/xrpc/{nsid}", s.xrpc)
	s.http = httptest.NewServer(mux)
	return s
}

// URL is the XRPC base (a config's Instance).
func (s *Server) URL() string { return s.http.URL }

// JetstreamURL is the Jetstream endpoint (a config's Jetstream).
func (s *Server) JetstreamURL() string {
	return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/subscribe"
}

// Close drops every connection and stops the server.
func (s *Server) Close() {
	s.DropConnections()
	s.http.Close()
}

// SetNow sets the server's clock (time_us, indexedAt, rate-limit resets).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetRetention makes a connecting client's replay skip events older than
// d (by the server's clock); 0 keeps everything.
func (s *Server) SetRetention(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retention = d
}

// SetProfile sets what getProfiles answers for did.
func (s *Server) SetProfile(did, handle, displayName, avatar string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[did] = profile{DID: did, Handle: handle, DisplayName: displayName, Avatar: avatar}
}

// SetAccount sets the one account that can sign in and revokes every
// session (as a changed app password does). It returns the account's DID.
func (s *Server) SetAccount(handle, appPassword string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle, s.password, s.did = handle, appPassword, "did:plc:"+strings.ReplaceAll(handle, ".", "-")
	clear(s.access)
	clear(s.refresh)
	clear(s.expired)
	return s.did
}

// ExpireTokens makes every access token issued so far answer
// ExpiredToken; refresh tokens stay valid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.access {
		s.expired[t] = true
	}
}

// Fail makes the next n HTTP requests (XRPC calls and WebSocket
// handshakes) answer status with an XRPC error; 429 carries ratelimit
// headers with a reset a second away.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus = n, status
}

// Malformed makes the next n XRPC responses cut JSON, and sends n broken
// frames to every connected Jetstream client now.
func (s *Server) Malformed(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malformed = n
	for _, c := range s.clients {
		for i := range n {
			c.conn.WriteAsync(gws.OpcodeText, fmt.Appendf(nil, `{"did":"did:plc:broken","time_us":%d,"kind":"commit","commit":{`, i), nil)
		}
	}
}

// SetDelay delays every XRPC response by d.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// DropConnections closes every Jetstream connection.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn := range s.clients {
		_ = conn.NetConn().Close()
		delete(s.clients, conn)
	}
}

// Connections counts the connected Jetstream clients.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Requests counts the calls of an XRPC method (e.g.
// "app.bsky.feed.searchPosts"), answered or failed.
func (s *Server) Requests(nsid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[nsid]
}

// Likes lists the likes created, oldest first.
func (s *Server) Likes() []Subject {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.likes)
}

// Reposts lists the reposts created, oldest first.
func (s *Server) Reposts() []Subject {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reposts)
}

// Publish publishes a post (see Post) and returns its event.
func (s *Server) Publish(did, handle, text string, tags []string, langs []string) Event {
	return s.PublishPost(Post{DID: did, Handle: handle, Text: text, Tags: tags, Langs: langs})
}

// PublishPost publishes a post: a commit event on the Jetstream, indexed
// for searchPosts, its author known to getProfiles.
func (s *Server) PublishPost(p Post) Event {
	text := p.Text
	var facets []map[string]any
	for _, tag := range p.Tags {
		start := strings.Index(text, "#"+tag)
		if start < 0 {
			if text != "" {
				text += " "
			}
			start = len(text)
			text += "#" + tag
		}
		facets = append(facets, map[string]any{
			"index":    map[string]int{"byteStart": start, "byteEnd": start + 1 + len(tag)},
			"features": []map[string]string{{"$type": "app.bsky.richtext.facet#tag", "tag": tag}},
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created := p.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	record := map[string]any{
		"$type":     "app.bsky.feed.post",
		"text":      text,
		"createdAt": created.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	if len(p.Langs) > 0 {
		record["langs"] = p.Langs
	}
	if len(facets) > 0 {
		record["facets"] = facets
	}
	if len(p.Images) > 0 {
		var images []map[string]any
		for _, im := range p.Images {
			images = append(images, map[string]any{"alt": im.Alt, "image": map[string]any{
				"$type": "blob", "ref": map[string]string{"$link": im.CID}, "mimeType": "image/jpeg", "size": 1000}})
		}
		record["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": images}
	}
	if _, ok := s.profiles[p.DID]; !ok {
		s.profiles[p.DID] = profile{DID: p.DID, Handle: p.Handle}
	}
	ev := s.commitLocked(p.DID, "create", "app.bsky.feed.post", newTID(), record)
	ev.Handle = p.Handle
	raw, _ := json.Marshal(record)
	s.posts = append(s.posts, indexed{ev: ev, record: raw, text: text, tags: p.Tags, images: p.Images})
	return ev
}

// PublishCommit publishes a commit of any collection and operation
// (record nil for a delete); it is not indexed for search.
func (s *Server) PublishCommit(did, operation, collection string, record any) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(did, operation, collection, newTID(), record)
}

// PublishIdentity publishes an identity event (a handle change).
func (s *Server) PublishIdentity(did, handle string) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	us := s.nextUSLocked()
	ev := Event{TimeUS: us, Kind: "identity", DID: did, Handle: handle}
	ev.Frame, _ = json.Marshal(map[string]any{"did": did, "time_us": us, "kind": "identity",
		"identity": map[string]any{"did": did, "handle": handle, "seq": us, "time": s.now().UTC().Format(time.RFC3339)}})
	s.sendLocked(ev)
	return ev
}

// Resend sends ev to the connected clients again, as a duplicate.
func (s *Server) Resend(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if wants(c.wanted, ev.Collection) {
			c.conn.WriteAsync(gws.OpcodeText, ev.Frame, nil)
		}
	}
}

func (s *Server) commitLocked(did, operation, collection, rkey string, record any) Event {
	us := s.nextUSLocked()
	cid := newCID()
	ev := Event{TimeUS: us, Kind: "commit", DID: did, Operation: operation, Collection: collection, RKey: rkey,
		URI: "at://" + did + "/" + collection + "/" + rkey, IndexedAt: time.UnixMicro(us).UTC()}
	commit := map[string]any{"rev": newTID(), "operation": operation, "collection": collection, "rkey": rkey}
	if record != nil {
		commit["record"] = record
		commit["cid"] = cid
		ev.CID = cid
	}
	ev.Frame, _ = json.Marshal(map[string]any{"did": did, "time_us": us, "kind": "commit", "commit": commit})
	s.sendLocked(ev)
	return ev
}

// nextUSLocked is now in microseconds, strictly growing.
func (s *Server) nextUSLocked() int64 {
	us := s.now().UnixMicro()
	if us <= s.lastUS {
		us = s.lastUS + 1
	}
	s.lastUS = us
	return us
}

func (s *Server) sendLocked(ev Event) {
	s.events = append(s.events, ev)
	for _, c := range s.clients {
		if ev.Kind != "commit" || wants(c.wanted, ev.Collection) {
			c.conn.WriteAsync(gws.OpcodeText, ev.Frame, nil)
		}
	}
}

// wants applies Jetstream's wantedCollections: none means all; a
// trailing ".*" is a prefix.
func wants(wanted []string, collection string) bool {
	if len(wanted) == 0 {
		return true
	}
	for _, w := range wanted {
		if w == collection || (strings.HasSuffix(w, ".*") && strings.HasPrefix(collection, strings.TrimSuffix(w, "*"))) {
			return true
		}
	}
	return false
}

// failLocked answers a pending injected failure; it reports whether it did.
func (s *Server) failLocked(w http.ResponseWriter) bool {
	if s.failN <= 0 {
		return false
	}
	s.failN--
	if s.failStatus == http.StatusTooManyRequests {
		h := w.Header()
		h.Set("RateLimit-Limit", "3000")
		h.Set("RateLimit-Remaining", "0")
		h.Set("RateLimit-Reset", strconv.FormatInt(s.now().Add(time.Second).Unix(), 10))
		h.Set("RateLimit-Policy", "3000;w=300")
		writeError(w, s.failStatus, "RateLimitExceeded", "Rate Limit Exceeded")
		return true
	}
	writeError(w, s.failStatus, "InternalServerError", "injected failure")
	return true
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	failed := s.failLocked(w)
	s.mu.Unlock()
	if failed {
		return
	}
	q := r.URL.Query()
	var from int64
	if c := q.Get("cursor"); c != "" {
		var err error
		if from, err = strconv.ParseInt(c, 10, 64); err != nil {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
	}
	conn, err := s.upgrader.Upgrade(w, r)
	if err != nil {
		return
	}
	c := &client{conn: conn, wanted: q["wantedCollections"]}
	s.mu.Lock()
	if from > 0 {
		oldest := int64(0)
		if s.retention > 0 {
			oldest = s.now().Add(-s.retention).UnixMicro()
		}
		for _, ev := range s.events {
			if ev.TimeUS >= from && ev.TimeUS >= oldest && (ev.Kind != "commit" || wants(c.wanted, ev.Collection)) {
				conn.WriteAsync(gws.OpcodeText, ev.Frame, nil)
			}
		}
	}
	s.clients[conn] = c // under the same lock as the replay: nothing falls between
	s.mu.Unlock()
	go conn.ReadLoop()
}

type wsEvents struct {
	gws.BuiltinEventHandler
	s *Server
}

func (e *wsEvents) OnClose(conn *gws.Conn, _ error) {
	e.s.mu.Lock()
	delete(e.s.clients, conn)
	e.s.mu.Unlock()
}
