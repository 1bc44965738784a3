// Package slacktest is a local server that speaks Slack's wire format,
// for koe's tests: the Web API's chat.postMessage and chat.update (with
// its ok:false codes, and rate limits on demand), incoming webhooks,
// response URLs, and signed interactivity payloads sent to koe as Slack
// sends them.
//
// It is written from Slack's documentation, independently of package
// slack (its signing and payloads are its own), so that a test of one
// against the other checks both.
package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The defaults of a new Server.
const (
	DefaultToken         = "xoxb-koe-test-token"
	DefaultSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	DefaultChannel       = "C0KOE"
	TeamID               = "T0KOE"
	BotID                = "B0KOE"
)

// maxRequest is the largest request body the server reads.
const maxRequest = 1 << 20

// Server is a Slack workspace on loopback. Set Token and SigningSecret
// before the first request; everything else is safe for concurrent use.
type Server struct {
	// Token is the bot token the Web API accepts.
	Token string
	// SigningSecret signs what Interact sends.
	SigningSecret string

	srv *httptest.Server

	mu        sync.Mutex
	channels  map[string][]*Posted // channel id → messages, in order
	ts        int64                // the last ts handed out, in microseconds
	hooks     map[string][]Hooked  // hook id → what it received (created by HookURL)
	responses map[string][]Response
	order     []string // response URL ids, in order of creation
	calls     []Call
	limitN    int
	limitWait time.Duration
	failN     int
	failCode  string
	hookFailN int
	hookFail  hookFault
	next      int
	changed   chan struct{} // closed and replaced at every change
}

// Posted is a message in a channel, as the last chat.postMessage or
// chat.update left it.
type Posted struct {
	Channel string
	TS      string
	Text    string
	Blocks  json.RawMessage // null when the message has none
	// Body is the request that made the message as it is now.
	Body json.RawMessage
	// Updates counts the chat.update calls; History holds the message's
	// earlier versions, oldest first.
	Updates int
	History []Version
}

// Version is a message as it was before an update.
type Version struct {
	Text   string
	Blocks json.RawMessage
}

// Hooked is what an incoming webhook received.
type Hooked struct {
	Hook   string // the hook's id
	Text   string
	Blocks json.RawMessage
	Body   json.RawMessage
}

// Response is what arrived at a response URL.
type Response struct {
	URL             string
	Text            string
	ResponseType    string // "ephemeral", "in_channel", or "" (Slack's default, ephemeral)
	ReplaceOriginal bool
	DeleteOriginal  bool
	Body            json.RawMessage
}

// Call is a Web API call as the server answered it.
type Call struct {
	Method string
	Status int
	Error  string // the ok:false code; "" for ok
}

type hookFault struct {
	status int
	text   string
}

// New starts a server with DefaultToken, DefaultSigningSecret and the
// channel DefaultChannel. Close it when done.
func New() *Server {
	s := &Server{
		Token:         DefaultToken,
		SigningSecret: DefaultSigningSecret,
		channels:      map[string][]*Posted{DefaultChannel: nil},
		ts:            1700000000_000000,
		hooks:         map[string][]Hooked{},
		responses:     map[string][]Response{},
		changed:       make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", s.api(s.postMessage))
	mux.HandleFunc("POST /api/chat.update", s.api(s.update))
	mux.HandleFunc("POST /api/{method}", s.api(func(*http.Request, []byte) (int, map[string]any) {
		return http.StatusOK, fail("unknown_method")
	}))
	mux.HandleFunc("POST /hooks/{id}", s.hook)
	mux.HandleFunc("POST /respond/{id}", s.respond)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the Web API's base, for slack.Client.BaseURL: ".../api/".
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// AddChannel makes a channel known (by id: this server knows no
// #names).
func (s *Server) AddChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[id]; !ok {
		s.channels[id] = nil
	}
}

// HookURL returns the URL of a new incoming webhook.
func (s *Server) HookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	id := fmt.Sprintf("B%05d", s.next)
	s.hooks[id] = nil
	return s.srv.URL + "/hooks/" + id
}

// ResponseURL returns a new response URL (what a button press carries).
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.responseURL()
}

func (s *Server) responseURL() string {
	s.next++
	u := fmt.Sprintf("%s/respond/%d", s.srv.URL, s.next)
	s.responses[u] = nil
	s.order = append(s.order, u)
	return u
}

// RateLimit makes the next n Web API calls answer 429 with Retry-After
// (in whole seconds, at least 1) and ok:false "ratelimited".
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitN, s.limitWait = n, retryAfter
}

// Fail makes the next n Web API calls (that are not rate limited) answer
// ok:false with code.
func (s *Server) Fail(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// FailHooks makes the next n webhook posts answer status with text (as
// Slack's "invalid_payload" with 400, or "channel_is_archived" with 410).
func (s *Server) FailHooks(n, status int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookFailN, s.hookFail = n, hookFault{status, text}
}

// Messages returns channel's messages, oldest first (copies).
func (s *Server) Messages(channel string) []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Posted, len(s.channels[channel]))
	for i, p := range s.channels[channel] {
		out[i] = *p
		out[i].History = slices.Clone(p.History)
	}
	return out
}

// Message returns the message ts of channel.
func (s *Server) Message(channel, ts string) (Posted, bool) {
	for _, p := range s.Messages(channel) {
		if p.TS == ts {
			return p, true
		}
	}
	return Posted{}, false
}

// Hooked returns what the incoming webhooks received, by hook, each
// hook's in order of arrival.
func (s *Server) Hooked() []Hooked {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Hooked
	for _, hs := range s.hooks {
		out = append(out, hs...)
	}
	slices.SortStableFunc(out, func(a, b Hooked) int { return strings.Compare(a.Hook, b.Hook) })
	return out
}

// Responses returns what arrived at the response URLs, in the order the
// URLs were made and then of arrival.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Response
	for _, u := range s.order {
		out = append(out, s.responses[u]...)
	}
	return out
}

// Calls returns the Web API calls answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Wait returns when cond, evaluated now and after every request the
// server handled, is true, or with ctx's error. cond may call the
// server's methods.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// changedLocked wakes the waiters.
func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func fail(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

// api serves a Web API method: the faults, the token and the JSON body
// are checked in the order Slack does, then the method answers.
func (s *Server) api(method func(r *http.Request, body []byte) (int, map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/api/")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
		status, answer := http.StatusOK, map[string]any(nil)
		s.mu.Lock()
		switch {
		case s.limitN > 0:
			s.limitN--
			secs := max(1, int((s.limitWait+time.Second-1)/time.Second))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			status, answer = http.StatusTooManyRequests, fail("ratelimited")
		case s.failN > 0:
			s.failN--
			answer = fail(s.failCode)
		}
		token := s.Token
		s.mu.Unlock()
		if answer == nil {
			auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch {
			case r.Header.Get("Authorization") == "":
				answer = fail("not_authed")
			case !ok || auth != token:
				answer = fail("invalid_auth")
			case err != nil:
				status, answer = http.StatusRequestEntityTooLarge, fail("request_too_large")
			case ct != "application/json":
				// This server reads JSON bodies only (koe sends no others).
				answer = fail("invalid_form_data")
			case !json.Valid(body):
				answer = fail("invalid_json")
			default:
				status, answer = method(r, body)
			}
		}
		s.mu.Lock()
		code, _ := answer["error"].(string)
		s.calls = append(s.calls, Call{Method: name, Status: status, Error: code})
		s.changedLocked()
		s.mu.Unlock()
		writeJSON(w, status, answer)
	}
}

// message is the part of chat.postMessage's and chat.update's bodies
// this server reads.
type message struct {
	Channel string          `json:"channel"`
	TS      string          `json:"ts"`
	Text    *string         `json:"text"`
	Blocks  json.RawMessage `json:"blocks"`
}

func (s *Server) postMessage(_ *http.Request, body []byte) (int, map[string]any) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return http.StatusOK, fail("invalid_arguments")
	}
	if code := check(m); code != "" {
		return http.StatusOK, fail(code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[m.Channel]; !ok {
		return http.StatusOK, fail("channel_not_found")
	}
	s.ts += 100
	p := &Posted{Channel: m.Channel, TS: formatTS(s.ts), Text: deref(m.Text), Blocks: blocksOrNull(m.Blocks), Body: body}
	s.channels[m.Channel] = append(s.channels[m.Channel], p)
	return http.StatusOK, map[string]any{"ok": true, "channel": p.Channel, "ts": p.TS, "message": wire(p)}
}

func (s *Server) update(_ *http.Request, body []byte) (int, map[string]any) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return http.StatusOK, fail("invalid_arguments")
	}
	if m.TS == "" {
		return http.StatusOK, fail("message_not_found")
	}
	if code := check(m); code != "" {
		return http.StatusOK, fail(code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, ok := s.channels[m.Channel]
	if !ok {
		return http.StatusOK, fail("channel_not_found")
	}
	i := slices.IndexFunc(msgs, func(p *Posted) bool { return p.TS == m.TS })
	if i < 0 {
		return http.StatusOK, fail("message_not_found")
	}
	p := msgs[i]
	p.History = append(p.History, Version{Text: p.Text, Blocks: p.Blocks})
	p.Updates++
	// As Slack does: what the update leaves out stays.
	if m.Text != nil {
		p.Text = *m.Text
	}
	if m.Blocks != nil {
		p.Blocks = blocksOrNull(m.Blocks)
	}
	p.Body = body
	return http.StatusOK, map[string]any{"ok": true, "channel": p.Channel, "ts": p.TS, "text": p.Text, "message": wire(p)}
}

// check validates a message as Slack would: some text or blocks, and
// blocks within Block Kit's limits. It returns Slack's code, or "".
func check(m message) string {
	if len(m.Blocks) > 0 && string(m.Blocks) != "null" {
		if err := CheckBlocks(m.Blocks); err != nil {
			return "invalid_blocks"
		}
	} else if m.Text == nil || strings.TrimSpace(*m.Text) == "" {
		return "no_text"
	}
	if m.Text != nil && utf16Len(*m.Text) > 40000 {
		return "msg_too_long"
	}
	return ""
}

func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changedLocked()
	if _, ok := s.hooks[id]; !ok {
		writeText(w, http.StatusNotFound, "no_service")
		return
	}
	if s.hookFailN > 0 {
		s.hookFailN--
		writeText(w, s.hookFail.status, s.hookFail.text)
		return
	}
	var m message
	if err != nil || json.Unmarshal(body, &m) != nil {
		writeText(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	if code := check(m); code != "" {
		writeText(w, http.StatusBadRequest, code)
		return
	}
	s.hooks[id] = append(s.hooks[id], Hooked{Hook: id, Text: deref(m.Text), Blocks: blocksOrNull(m.Blocks), Body: body})
	writeText(w, http.StatusOK, "ok")
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	u := s.srv.URL + r.URL.Path
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changedLocked()
	if _, ok := s.responses[u]; !ok {
		writeJSON(w, http.StatusNotFound, fail("expired_url"))
		return
	}
	var m struct {
		Text            string `json:"text"`
		ResponseType    string `json:"response_type"`
		ReplaceOriginal bool   `json:"replace_original"`
		DeleteOriginal  bool   `json:"delete_original"`
	}
	if err != nil || json.Unmarshal(body, &m) != nil {
		writeJSON(w, http.StatusBadRequest, fail("invalid_payload"))
		return
	}
	if m.ResponseType != "" && m.ResponseType != "ephemeral" && m.ResponseType != "in_channel" {
		writeJSON(w, http.StatusBadRequest, fail("invalid_response_type"))
		return
	}
	s.responses[u] = append(s.responses[u], Response{URL: u, Text: m.Text, ResponseType: m.ResponseType,
		ReplaceOriginal: m.ReplaceOriginal, DeleteOriginal: m.DeleteOriginal, Body: body})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// wire is a message as the Web API returns it.
func wire(p *Posted) map[string]any {
	return map[string]any{"type": "message", "subtype": "bot_message", "bot_id": BotID, "team": TeamID,
		"text": p.Text, "blocks": p.Blocks, "ts": p.TS}
}

// formatTS writes microseconds as Slack's "1700000000.000100".
func formatTS(us int64) string { return fmt.Sprintf("%d.%06d", us/1e6, us%1e6) }

func blocksOrNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return slices.Clone(b)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	io.WriteString(w, text)
}
