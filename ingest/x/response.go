package x

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// searchResponse is a page of GET /2/tweets/search/recent.
type searchResponse struct {
	Data     []tweet `json:"data"`
	Includes struct {
		Users []user  `json:"users"`
		Media []media `json:"media"`
	} `json:"includes"`
	Meta struct {
		NewestID    string `json:"newest_id"`
		OldestID    string `json:"oldest_id"`
		ResultCount int    `json:"result_count"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

type tweet struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	AuthorID    string `json:"author_id"`
	CreatedAt   string `json:"created_at"`
	Lang        string `json:"lang"`
	Attachments struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
	Entities entities `json:"entities"`
	// NoteTweet holds the whole text of a post longer than 280
	// characters, whose text X cuts.
	NoteTweet *struct {
		Text     string   `json:"text"`
		Entities entities `json:"entities"`
	} `json:"note_tweet"`
}

type entities struct {
	URLs []struct {
		URL         string `json:"url"`
		ExpandedURL string `json:"expanded_url"`
		MediaKey    string `json:"media_key"`
	} `json:"urls"`
}

type user struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Username        string `json:"username"`
	ProfileImageURL string `json:"profile_image_url"`
}

type media struct {
	MediaKey        string `json:"media_key"`
	Type            string `json:"type"`
	URL             string `json:"url"`
	PreviewImageURL string `json:"preview_image_url"`
	AltText         string `json:"alt_text"`
}

// decodeSearch reads a search page.
func decodeSearch(body []byte) (*searchResponse, error) {
	var r searchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("X sent a search response that is not its JSON: %w", err)
	}
	return &r, nil
}

// unescape undoes the only escaping X applies to a post's text.
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// notLanguages are the codes X gives posts without a language of their
// own: undetermined, no linguistic content, and the q* codes for posts of
// only mentions, cashtags, hashtags, media links or too few words.
var notLanguages = map[string]bool{"und": true, "zxx": true, "qam": true, "qct": true, "qht": true, "qme": true, "qst": true}

// mapTweets turns a search page into koe's posts, newest first as X sends
// them. Tweets without a numeric id, which no cursor could cover, are
// dropped.
func mapTweets(r *searchResponse) []koe.Post {
	users := make(map[string]*user, len(r.Includes.Users))
	for i := range r.Includes.Users {
		users[r.Includes.Users[i].ID] = &r.Includes.Users[i]
	}
	medias := make(map[string]*media, len(r.Includes.Media))
	for i := range r.Includes.Media {
		medias[r.Includes.Media[i].MediaKey] = &r.Includes.Media[i]
	}
	posts := make([]koe.Post, 0, len(r.Data))
	for i := range r.Data {
		t := &r.Data[i]
		if !validID(t.ID) {
			continue
		}
		p := koe.Post{Platform: koe.SourceX, ExternalID: t.ID, Ref: t.ID, URL: "https://x.com/i/web/status/" + t.ID}
		if u := users[t.AuthorID]; u != nil {
			p.AuthorName = u.Name
			p.AuthorAvatar = u.ProfileImageURL
			if u.Username != "" {
				p.AuthorHandle = "@" + u.Username
				p.URL = "https://x.com/" + u.Username + "/status/" + t.ID
			}
		}
		text, ents := t.Text, t.Entities
		if t.NoteTweet != nil && t.NoteTweet.Text != "" {
			text, ents = t.NoteTweet.Text, t.NoteTweet.Entities
		}
		p.Text = plainText(text, ents)
		if !notLanguages[t.Lang] {
			p.Lang = t.Lang
		}
		if at, err := time.Parse(time.RFC3339Nano, t.CreatedAt); err == nil {
			p.PostedAt = at
		}
		for _, key := range t.Attachments.MediaKeys {
			m := medias[key]
			if m == nil || len(p.Media) == koe.MaxPostMedia {
				continue
			}
			u := m.URL
			if u == "" {
				u = m.PreviewImageURL
			}
			p.Media = append(p.Media, koe.PostMedia{Type: mediaType(m.Type), URL: u, Alt: m.AltText})
		}
		posts = append(posts, p)
	}
	return posts
}

// plainText is a post's text as people read it: entities unescaped, t.co
// links replaced by where they lead, and the links X adds for attached
// media (shown as media) dropped.
func plainText(text string, ents entities) string {
	for _, u := range ents.URLs {
		if !strings.HasPrefix(u.URL, "https://t.co/") {
			continue
		}
		to := u.ExpandedURL
		if u.MediaKey != "" || !(strings.HasPrefix(to, "https://") || strings.HasPrefix(to, "http://")) {
			to = ""
		}
		text = strings.ReplaceAll(text, u.URL, to)
	}
	return strings.TrimSpace(unescape.Replace(text))
}

func mediaType(t string) string {
	switch t {
	case "photo":
		return "image"
	case "video":
		return "video"
	case "animated_gif":
		return "gifv"
	}
	return "unknown"
}

// problem is an error body of X's API v2: an RFC 7807 problem, or a list
// of errors (bad parameters), or both.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Message    string                     `json:"message"`
		Detail     string                     `json:"detail"`
		Parameters map[string]json.RawMessage `json:"parameters"`
	} `json:"errors"`
}

// decodeProblem reads an error body: its most telling message (at most
// 300 characters; the HTTP status text when the body says nothing) and
// the request parameters it blames.
func decodeProblem(body []byte, status string) (msg string, params []string) {
	var p problem
	_ = json.Unmarshal(body, &p) // a body that is not a problem says nothing
	for _, e := range p.Errors {
		for name := range e.Parameters {
			params = append(params, name)
		}
		if msg == "" {
			msg = firstNonEmpty(e.Message, e.Detail)
		}
	}
	msg = firstNonEmpty(msg, p.Detail, p.Title, status)
	return cutRunes(strings.Join(strings.Fields(msg), " "), 300), params
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// validID reports whether s is an X id: a decimal number without leading
// zeros.
func validID(s string) bool {
	if s == "" || len(s) > 20 || (s[0] == '0' && s != "0") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// newerID reports whether a is a valid id greater than b (any valid id
// is newer than an invalid or empty b).
func newerID(a, b string) bool {
	if !validID(a) {
		return false
	}
	if !validID(b) {
		return true
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
