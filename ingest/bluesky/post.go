package bluesky

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/koehq/koe"
)

// record is an app.bsky.feed.post record, as Jetstream and searchPosts
// carry it.
type record struct {
	Type      string   `json:"$type"`
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Facets    []facet  `json:"facets"`
	Embed     *embed   `json:"embed"`
}

type facet struct {
	Features []struct {
		Type string `json:"$type"`
		Tag  string `json:"tag"`
	} `json:"features"`
}

// embed is a record's embed or a postView's embed view; Media holds the
// images of app.bsky.embed.recordWithMedia.
type embed struct {
	Type   string `json:"$type"`
	Images []struct {
		Alt   string `json:"alt"`
		Image *blob  `json:"image"`
		Thumb string `json:"thumb"` // views only
	} `json:"images"`
	Media *embed `json:"media"`
}

// blob is a blob reference: {"ref":{"$link":cid}} or the legacy {"cid"}.
type blob struct {
	Ref struct {
		Link string `json:"$link"`
	} `json:"ref"`
	CID string `json:"cid"`
}

// profile is the author's part of a post.
type profile struct {
	DID         string `json:"did"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName"`
	Avatar      string `json:"avatar"`
}

// postData is one post however it came: a Jetstream commit (Author has
// only the DID, media are blobs) or a searchPosts postView.
type postData struct {
	Author profile
	RKey   string
	CID    string
	Record record
	View   *embed // the postView's embed; nil from Jetstream
}

const postCollection = "app.bsky.feed.post"

// toPost maps a post to koe's; false when it has no valid identity.
func toPost(d postData) (koe.Post, bool) {
	did := d.Author.DID
	if !strings.HasPrefix(did, "did:") || strings.ContainsAny(did, "/?# ") || d.RKey == "" || strings.ContainsAny(d.RKey, "/?# ") {
		return koe.Post{}, false
	}
	p := koe.Post{
		Platform:   koe.SourceBluesky,
		ExternalID: "at://" + did + "/" + postCollection + "/" + d.RKey,
		Ref:        d.CID,
		Text:       d.Record.Text,
	}
	if len(d.Record.Langs) > 0 {
		p.Lang = d.Record.Langs[0]
	}
	if t, err := time.Parse(time.RFC3339Nano, d.Record.CreatedAt); err == nil {
		p.PostedAt = t
	}
	if d.View != nil {
		p.Media = viewMedia(d.View)
	} else if d.Record.Embed != nil {
		p.Media = blobMedia(did, d.Record.Embed)
	}
	setAuthor(&p, d.Author)
	return p, true
}

// setAuthor fills p's author and URL from a, falling back to the DID
// when the handle is unknown.
func setAuthor(p *koe.Post, a profile) {
	did, rkey := splitURI(p.ExternalID)
	name := did
	if a.Handle != "" && a.Handle != "handle.invalid" {
		name = a.Handle
		p.AuthorHandle = "@" + a.Handle
	} else {
		p.AuthorHandle = did
	}
	p.AuthorName = a.DisplayName
	p.AuthorAvatar = a.Avatar
	p.URL = "https://bsky.app/profile/" + name + "/post/" + rkey
}

// splitURI takes the DID and record key out of a post's at:// URI.
func splitURI(uri string) (did, rkey string) {
	rest, ok := strings.CutPrefix(uri, "at://")
	if !ok {
		return "", ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", ""
	}
	return parts[0], parts[2]
}

func blobMedia(did string, e *embed) []koe.PostMedia {
	if e.Type == "app.bsky.embed.recordWithMedia" && e.Media != nil {
		e = e.Media
	}
	if e.Type != "app.bsky.embed.images" {
		return nil
	}
	var media []koe.PostMedia
	for _, im := range e.Images {
		if im.Image == nil {
			continue
		}
		cid := im.Image.Ref.Link
		if cid == "" {
			cid = im.Image.CID
		}
		if cid == "" || strings.ContainsAny(cid, "/?#@ ") {
			continue
		}
		media = append(media, koe.PostMedia{Type: "image", Alt: im.Alt,
			URL: "https://cdn.bsky.app/img/feed_thumbnail/plain/" + did + "/" + cid + "@jpeg"})
	}
	return media
}

func viewMedia(e *embed) []koe.PostMedia {
	if e.Type == "app.bsky.embed.recordWithMedia#view" && e.Media != nil {
		e = e.Media
	}
	if e.Type != "app.bsky.embed.images#view" {
		return nil
	}
	var media []koe.PostMedia
	for _, im := range e.Images {
		if im.Thumb != "" {
			media = append(media, koe.PostMedia{Type: "image", URL: im.Thumb, Alt: im.Alt})
		}
	}
	return media
}

// matcher decides which posts a source keeps.
type matcher struct {
	hashtags []string // lower case, no '#'
	keywords []string // lower case
}

func newMatcher(hashtags, keywords []string) matcher {
	var m matcher
	for _, t := range hashtags {
		if t = strings.ToLower(strings.TrimLeft(t, "#＃")); t != "" {
			m.hashtags = append(m.hashtags, t)
		}
	}
	for _, k := range keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			m.keywords = append(m.keywords, k)
		}
	}
	return m
}

// match keeps a post whose tag facet is a followed hashtag, whose text
// holds one (clients that set no facet), or whose text holds a keyword.
func (m matcher) match(r *record) bool {
	for _, f := range r.Facets {
		for _, feat := range f.Features {
			if feat.Type == "app.bsky.richtext.facet#tag" && m.isTag(strings.TrimLeft(feat.Tag, "#＃")) {
				return true
			}
		}
	}
	if len(m.hashtags) > 0 {
		for _, tag := range textTags(r.Text) {
			if m.isTag(tag) {
				return true
			}
		}
	}
	if len(m.keywords) > 0 {
		lower := strings.ToLower(r.Text)
		for _, k := range m.keywords {
			if containsWord(lower, k) {
				return true
			}
		}
	}
	return false
}

func (m matcher) isTag(tag string) bool {
	for _, h := range m.hashtags {
		if strings.EqualFold(h, tag) {
			return true
		}
	}
	return false
}

// textTags finds hashtags the way Bluesky's apps detect them: '#' or
// '＃' at the start or after a space, up to the next space, without
// trailing punctuation.
func textTags(text string) []string {
	var tags []string
	for _, word := range strings.FieldsFunc(text, isTagBreak) {
		var rest string
		var ok bool
		if rest, ok = strings.CutPrefix(word, "#"); !ok {
			if rest, ok = strings.CutPrefix(word, "＃"); !ok {
				continue
			}
		}
		if rest = strings.TrimRightFunc(rest, unicode.IsPunct); rest != "" {
			tags = append(tags, rest)
		}
	}
	return tags
}

func isTagBreak(r rune) bool {
	switch r {
	case '\u00ad', '\u2060', '\u200a', '\u200b', '\u200c', '\u200d', '\u20e2':
		return true
	}
	return unicode.IsSpace(r)
}

// containsWord reports whether text holds keyword k (both lower case).
// Where k begins or ends with an ASCII letter or digit, the text next to
// it must not be one: "go" does not match "good". Other scripts (Japanese
// has no spaces) match anywhere.
func containsWord(text, k string) bool {
	for i := 0; i <= len(text)-len(k); {
		j := strings.Index(text[i:], k)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(k)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		first, _ := utf8.DecodeRuneInString(k)
		last, _ := utf8.DecodeLastRuneInString(k)
		if !(isASCIIWord(first) && isASCIIWord(before)) && !(isASCIIWord(last) && isASCIIWord(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
	return false
}

func isASCIIWord(r rune) bool {
	return r < utf8.RuneSelf && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// event is a Jetstream message.
type event struct {
	DID    string `json:"did"`
	TimeUS int64  `json:"time_us"`
	Kind   string `json:"kind"`
	Commit *struct {
		Operation  string          `json:"operation"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		CID        string          `json:"cid"`
		Record     json.RawMessage `json:"record"`
	} `json:"commit"`
}

// decodeEvent reads a Jetstream message: its time, and the post it
// creates when it is one the matcher keeps.
func decodeEvent(b []byte, m matcher) (timeUS int64, p *koe.Post, err error) {
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		return 0, nil, err
	}
	if ev.Kind != "commit" || ev.Commit == nil || ev.Commit.Operation != "create" || ev.Commit.Collection != postCollection {
		return ev.TimeUS, nil, nil
	}
	var r record
	if err := json.Unmarshal(ev.Commit.Record, &r); err != nil {
		return ev.TimeUS, nil, err
	}
	if !m.match(&r) {
		return ev.TimeUS, nil, nil
	}
	post, ok := toPost(postData{Author: profile{DID: ev.DID}, RKey: ev.Commit.RKey, CID: ev.Commit.CID, Record: r})
	if !ok {
		return ev.TimeUS, nil, nil
	}
	return ev.TimeUS, &post, nil
}

// postView is a searchPosts result.
type postView struct {
	URI       string          `json:"uri"`
	CID       string          `json:"cid"`
	Author    profile         `json:"author"`
	Record    json.RawMessage `json:"record"`
	Embed     *embed          `json:"embed"`
	IndexedAt string          `json:"indexedAt"`
}

// viewPost maps a postView the matcher keeps; false for others.
func viewPost(v postView, m matcher) (koe.Post, bool) {
	did, rkey := splitURI(v.URI)
	if did == "" || did != v.Author.DID || !strings.Contains(v.URI, "/"+postCollection+"/") {
		return koe.Post{}, false
	}
	var r record
	if json.Unmarshal(v.Record, &r) != nil || !m.match(&r) {
		return koe.Post{}, false
	}
	view := v.Embed
	if view == nil {
		view = &embed{}
	}
	return toPost(postData{Author: v.Author, RKey: rkey, CID: v.CID, Record: r, View: view})
}
