// Package xtest is a test server speaking X API v2's recent search as X
// does: its query language (the part koe uses), since_id and next_token
// paging newest first, expansions and fields, x-rate-limit-* headers and
// 429s, X's error bodies, and faults to switch on while a client runs.
package xtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Media is an attachment of a published tweet.
type Media struct {
	Key string // set by Publish
	// Type is "photo", "video" or "animated_gif".
	Type string
	// URL is a photo's; PreviewImageURL a video's or GIF's.
	URL             string
	PreviewImageURL string
	AltText         string
}

// Tweet is a published tweet as the server keeps it.
type Tweet struct {
	ID        string
	Text      string // as published, before X's escaping and t.co links
	Username  string
	Name      string
	Lang      string
	CreatedAt time.Time
	Media     []Media
	RetweetOf string
}

type stored struct {
	Tweet
	id       int64
	authorID string
	text     string // as X serves it: links through t.co, unescaped
	hashtags []string
	entities *entities
}

type entities struct {
	Hashtags []hashtagEntity `json:"hashtags,omitempty"`
	URLs     []urlEntity     `json:"urls,omitempty"`
}

type hashtagEntity struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Tag   string `json:"tag"`
}

type urlEntity struct {
	Start       int    `json:"start"`
	End         int    `json:"end"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	MediaKey    string `json:"media_key,omitempty"`
}

// twitterEpoch is where snowflake ids count milliseconds from.
const twitterEpoch = 1288834974657

// IDAt is the smallest snowflake id of a tweet posted at t.
func IDAt(t time.Time) string {
	return strconv.FormatInt((t.UnixMilli()-twitterEpoch)<<22, 10)
}

// Server is a running test server.
type Server struct {
	srv    *httptest.Server
	bearer string

	mu        sync.Mutex
	tweets    []*stored // by id, oldest first
	users     map[string]string
	lastID    int64
	links     int
	mediaSeq  int
	revoked   bool
	failN     int
	failCode  int
	malformed int
	delay     time.Duration
	skew      time.Duration
	limit     int
	window    time.Duration
	windowEnd time.Time
	used      int
	requests  int
	throttled int
}

// New starts a server on 127.0.0.1 that takes bearer as the app's token.
// Its rate limit is, until SetRateLimit, large enough never to bind.
func New(bearer string) *Server {
	s := &Server{bearer: bearer, users: map[string]string{}, limit: 1_000_000, window: 15 * time.Minute}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/tweets/search/recent", s.search)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the server's base URL (a source's Instance).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) now() time.Time { return time.Now().Add(s.skew) }

var linkPattern = regexp.MustCompile(`https?://[^\s]+`)
var hashtagPattern = regexp.MustCompile(`#([\p{L}\p{M}\p{N}_]+)`)

// Publish posts a tweet by username (created when new) now; lang ""
// is X's "und". As on X, links in text go through t.co, and attached
// media add one t.co link at the end.
func (s *Server) Publish(username, name, text, lang string, media ...Media) Tweet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish(username, name, text, lang, "", media)
}

// Retweet reposts of by username: a retweet, which "-is:retweet"
// leaves out.
func (s *Server) Retweet(username, name string, of Tweet) Tweet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish(username, name, "RT @"+of.Username+": "+of.Text, of.Lang, of.ID, nil)
}

func (s *Server) publish(username, name, text, lang, retweetOf string, media []Media) Tweet {
	now := s.now()
	id := (now.UnixMilli() - twitterEpoch) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	authorID, ok := s.users[username]
	if !ok {
		authorID = strconv.Itoa(1000 + len(s.users))
		s.users[username] = authorID
	}
	if lang == "" {
		lang = "und"
	}
	t := &stored{id: id, authorID: authorID, entities: &entities{}}
	t.Tweet = Tweet{ID: strconv.FormatInt(id, 10), Text: text, Username: username, Name: name, Lang: lang,
		CreatedAt: now.UTC().Truncate(time.Millisecond), RetweetOf: retweetOf}
	served := linkPattern.ReplaceAllStringFunc(text, func(link string) string {
		short := s.shortLink()
		t.entities.URLs = append(t.entities.URLs, urlEntity{URL: short, ExpandedURL: link, DisplayURL: displayURL(link)})
		return short
	})
	for _, m := range media {
		s.mediaSeq++
		prefix := map[string]string{"photo": "3_", "video": "7_", "animated_gif": "16_"}[m.Type]
		if prefix == "" {
			prefix = "3_"
		}
		m.Key = prefix + strconv.Itoa(s.mediaSeq)
		t.Media = append(t.Media, m)
	}
	if len(t.Media) > 0 {
		short := s.shortLink()
		kind := "photo"
		if t.Media[0].Type != "photo" {
			kind = "video"
		}
		expanded := fmt.Sprintf("https://x.com/%s/status/%d/%s/1", username, id, kind)
		t.entities.URLs = append(t.entities.URLs, urlEntity{URL: short, ExpandedURL: expanded,
			DisplayURL: displayURL(expanded), MediaKey: t.Media[0].Key})
		served += " " + short
	}
	t.text = served
	for i := range t.entities.URLs {
		e := &t.entities.URLs[i]
		at := strings.Index(served, e.URL)
		e.Start = utf8.RuneCountInString(served[:at])
		e.End = e.Start + utf8.RuneCountInString(e.URL)
	}
	for _, loc := range hashtagPattern.FindAllStringSubmatchIndex(served, -1) {
		tag := served[loc[2]:loc[3]]
		start := utf8.RuneCountInString(served[:loc[0]])
		t.entities.Hashtags = append(t.entities.Hashtags, hashtagEntity{Start: start, End: start + 1 + utf8.RuneCountInString(tag), Tag: tag})
		t.hashtags = append(t.hashtags, strings.ToLower(tag))
	}
	s.tweets = append(s.tweets, t)
	return t.Tweet
}

func (s *Server) shortLink() string {
	s.links++
	return fmt.Sprintf("https://t.co/x%09d", s.links)
}

func displayURL(link string) string {
	d := strings.TrimPrefix(strings.TrimPrefix(link, "https://"), "http://")
	if utf8.RuneCountInString(d) > 25 {
		d = string([]rune(d)[:25]) + "…"
	}
	return d
}

// SetRateLimit gives the app limit searches per window, starting now:
// every response carries x-rate-limit-limit, -remaining and -reset (Unix
// seconds), and a search beyond the limit gets 429.
func (s *Server) SetRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.window, s.used, s.windowEnd = limit, window, 0, time.Time{}
}

// Revoke makes the bearer token invalid: every request gets 401.
func (s *Server) Revoke() { s.mu.Lock(); s.revoked = true; s.mu.Unlock() }

// Fail makes the next n searches answer status with X's problem body.
func (s *Server) Fail(n, status int) { s.mu.Lock(); s.failN, s.failCode = n, status; s.mu.Unlock() }

// Malformed makes the next n searches answer 200 with broken JSON.
func (s *Server) Malformed(n int) { s.mu.Lock(); s.malformed = n; s.mu.Unlock() }

// Delay makes every request wait d before it is answered.
func (s *Server) Delay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Skew sets the server's clock d ahead of the machine's (behind when
// negative): its Date header, rate-limit resets, created_at and ids.
func (s *Server) Skew(d time.Duration) { s.mu.Lock(); s.skew = d; s.mu.Unlock() }

// Requests counts the requests the server received.
func (s *Server) Requests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }

// Throttled counts the requests the server answered 429.
func (s *Server) Throttled() int { s.mu.Lock(); defer s.mu.Unlock(); return s.throttled }

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
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
	now := s.now()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if s.revoked || r.Header.Get("Authorization") != "Bearer "+s.bearer {
		writeJSON(w, http.StatusUnauthorized, problem(http.StatusUnauthorized, "Unauthorized", "Unauthorized", "about:blank"))
		return
	}
	if !now.Before(s.windowEnd) {
		s.windowEnd, s.used = now.Add(s.window), 0
	}
	spent := s.used >= s.limit
	if !spent {
		s.used++
	}
	h := w.Header()
	h.Set("x-rate-limit-limit", strconv.Itoa(s.limit))
	h.Set("x-rate-limit-remaining", strconv.Itoa(s.limit-s.used))
	h.Set("x-rate-limit-reset", strconv.FormatInt(int64(math.Ceil(float64(s.windowEnd.UnixMilli())/1000)), 10))
	if spent {
		s.throttled++
		writeJSON(w, http.StatusTooManyRequests, problem(http.StatusTooManyRequests, "Too Many Requests", "Too Many Requests", "about:blank"))
		return
	}
	if s.failN > 0 {
		s.failN--
		text := http.StatusText(s.failCode)
		writeJSON(w, s.failCode, problem(s.failCode, text, text, "about:blank"))
		return
	}
	body, status := s.results(r, now)
	if status == http.StatusOK && s.malformed > 0 {
		s.malformed--
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"data":[{"id":"1","text":"cut sho`)
		return
	}
	writeJSON(w, status, body)
}

func problem(status int, title, detail, typ string) map[string]any {
	return map[string]any{"title": title, "detail": detail, "type": typ, "status": status}
}

// invalid is X's 400 for a bad parameter.
func invalid(param, value, message string) map[string]any {
	return map[string]any{
		"errors": []map[string]any{{"parameters": map[string][]string{param: {value}}, "message": message}},
		"title":  "Invalid Request", "detail": "One or more parameters to your request was invalid.",
		"type": "https://api.twitter.com/2/problems/invalid-request",
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Fields each parameter takes (the ones X documents that clients send).
var knownFields = map[string][]string{
	"expansions": {"attachments.media_keys", "author_id", "referenced_tweets.id", "in_reply_to_user_id",
		"entities.mentions.username", "referenced_tweets.id.author_id", "geo.place_id", "attachments.poll_ids"},
	"tweet.fields": {"attachments", "author_id", "context_annotations", "conversation_id", "created_at",
		"edit_controls", "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
		"note_tweet", "possibly_sensitive", "public_metrics", "referenced_tweets", "reply_settings", "source",
		"text", "withheld"},
	"user.fields": {"created_at", "description", "entities", "id", "location", "name", "pinned_tweet_id",
		"profile_image_url", "protected", "public_metrics", "url", "username", "verified", "withheld"},
	"media.fields": {"alt_text", "duration_ms", "height", "media_key", "preview_image_url", "public_metrics",
		"type", "url", "variants", "width"},
}

// results answers a search's parameters: the page's body and status.
func (s *Server) results(r *http.Request, now time.Time) (any, int) {
	q := r.URL.Query()
	fields := map[string]map[string]bool{}
	for param, known := range knownFields {
		fields[param] = map[string]bool{}
		if q.Get(param) == "" {
			continue
		}
		for _, f := range strings.Split(q.Get(param), ",") {
			if !contains(known, f) {
				return invalid(param, f, fmt.Sprintf("The `%s` query parameter value [%s] is not one of %v", param, f, known)), http.StatusBadRequest
			}
			fields[param][f] = true
		}
	}
	query := q.Get("query")
	if n := utf8.RuneCountInString(query); n == 0 || n > 512 {
		return invalid("query", query, fmt.Sprintf("The `query` query parameter value must be between 1 and 512 characters; it has %d", n)), http.StatusBadRequest
	}
	m, err := parseQuery(query)
	if err != nil {
		return invalid("query", query, "There were errors processing your request: "+err.Error()), http.StatusBadRequest
	}
	maxResults := 10
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 || n > 100 {
			return invalid("max_results", v, fmt.Sprintf("The `max_results` query parameter value [%s] is not between 10 and 100", v)), http.StatusBadRequest
		}
		maxResults = n
	}
	var since int64
	if v := q.Get("since_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return invalid("since_id", v, fmt.Sprintf("The `since_id` query parameter value [%s] does not match ^[0-9]{1,19}$", v)), http.StatusBadRequest
		}
		if oldest := now.Add(-7 * 24 * time.Hour); time.UnixMilli(n>>22 + twitterEpoch).Before(oldest) {
			return invalid("since_id", v, fmt.Sprintf("Invalid 'since_id':'%s'. 'since_id' must be a tweet ID created after %s. Please use a 'since_id' that is larger than %s",
				v, oldest.UTC().Format("2006-01-02T15:04Z"), IDAt(oldest))), http.StatusBadRequest
		}
		since = n
	}
	until := int64(math.MaxInt64)
	token := q.Get("next_token")
	if token == "" {
		token = q.Get("pagination_token")
	}
	if token != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(token, "b26v89c19zqg8o3"), 36, 64)
		if err != nil || !strings.HasPrefix(token, "b26v89c19zqg8o3") {
			return invalid("next_token", token, fmt.Sprintf("Invalid 'next_token':'%s'", token)), http.StatusBadRequest
		}
		until = n
	}
	var page []*stored
	more := false
	for i := len(s.tweets) - 1; i >= 0; i-- {
		t := s.tweets[i]
		if t.id <= since || t.id >= until || !m(t) {
			continue
		}
		if len(page) == maxResults {
			more = true
			break
		}
		page = append(page, t)
	}
	meta := map[string]any{"result_count": len(page)}
	if len(page) == 0 {
		return map[string]any{"meta": meta}, http.StatusOK
	}
	meta["newest_id"], meta["oldest_id"] = page[0].ID, page[len(page)-1].ID
	if more {
		meta["next_token"] = "b26v89c19zqg8o3" + strconv.FormatInt(page[len(page)-1].id, 36)
	}
	body := map[string]any{"data": s.render(page, fields), "meta": meta}
	if inc := s.includes(page, fields); len(inc) > 0 {
		body["includes"] = inc
	}
	return body, http.StatusOK
}

// escape is the only escaping X applies to text.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func (s *Server) render(page []*stored, fields map[string]map[string]bool) []map[string]any {
	tf, ex := fields["tweet.fields"], fields["expansions"]
	out := make([]map[string]any, 0, len(page))
	for _, t := range page {
		text := t.text
		o := map[string]any{"id": t.ID, "edit_history_tweet_ids": []string{t.ID}}
		if runes := []rune(text); len(runes) > 280 {
			text = string(runes[:280])
			if tf["note_tweet"] {
				o["note_tweet"] = map[string]any{"text": escape.Replace(t.text), "entities": t.entities}
			}
		}
		o["text"] = escape.Replace(text)
		if tf["author_id"] || ex["author_id"] {
			o["author_id"] = t.authorID
		}
		if tf["created_at"] {
			o["created_at"] = t.CreatedAt.Format("2006-01-02T15:04:05.000Z")
		}
		if tf["lang"] {
			o["lang"] = t.Lang
		}
		if tf["entities"] && (len(t.entities.URLs) > 0 || len(t.entities.Hashtags) > 0) {
			o["entities"] = t.entities
		}
		if (tf["attachments"] || ex["attachments.media_keys"]) && len(t.Media) > 0 {
			keys := []string{}
			for _, m := range t.Media {
				keys = append(keys, m.Key)
			}
			o["attachments"] = map[string]any{"media_keys": keys}
		}
		out = append(out, o)
	}
	return out
}

func (s *Server) includes(page []*stored, fields map[string]map[string]bool) map[string]any {
	inc := map[string]any{}
	uf, mf := fields["user.fields"], fields["media.fields"]
	if fields["expansions"]["author_id"] {
		var users []map[string]any
		seen := map[string]bool{}
		for _, t := range page {
			if seen[t.authorID] {
				continue
			}
			seen[t.authorID] = true
			u := map[string]any{"id": t.authorID, "name": t.Name, "username": t.Username}
			if uf["profile_image_url"] {
				u["profile_image_url"] = "https://pbs.twimg.com/profile_images/" + t.authorID + "/" + t.Username + "_normal.jpg"
			}
			users = append(users, u)
		}
		inc["users"] = users
	}
	if fields["expansions"]["attachments.media_keys"] {
		var media []map[string]any
		for _, t := range page {
			for _, m := range t.Media {
				o := map[string]any{"media_key": m.Key, "type": m.Type}
				if mf["url"] && m.Type == "photo" && m.URL != "" {
					o["url"] = m.URL
				}
				if mf["preview_image_url"] && m.Type != "photo" && m.PreviewImageURL != "" {
					o["preview_image_url"] = m.PreviewImageURL
				}
				if mf["alt_text"] && m.AltText != "" {
					o["alt_text"] = m.AltText
				}
				media = append(media, o)
			}
		}
		if len(media) > 0 {
			inc["media"] = media
		}
	}
	return inc
}
