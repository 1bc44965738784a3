package mastodon

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// status is the part of a Mastodon status koe reads. Fields Mastodon may
// send as null are strings (null leaves them empty), and created_at is
// parsed by hand so that one odd date does not lose the whole page.
type status struct {
	ID          string  `json:"id"`
	URI         string  `json:"uri"`
	URL         string  `json:"url"`
	CreatedAt   string  `json:"created_at"`
	Content     string  `json:"content"`
	Language    string  `json:"language"`
	SpoilerText string  `json:"spoiler_text"`
	Reblog      *status `json:"reblog"`
	Account     struct {
		Username     string `json:"username"`
		Acct         string `json:"acct"`
		DisplayName  string `json:"display_name"`
		AvatarStatic string `json:"avatar_static"`
	} `json:"account"`
	MediaAttachments []struct {
		Type        string `json:"type"`
		URL         string `json:"url"`
		PreviewURL  string `json:"preview_url"`
		Description string `json:"description"`
	} `json:"media_attachments"`
}

// decodeStatuses reads a timeline page (an array of statuses).
func decodeStatuses(b []byte) ([]status, error) {
	var page []status
	if err := json.Unmarshal(b, &page); err != nil {
		return nil, err
	}
	return page, nil
}

// toPost maps a status seen on the instance at host (its host[:port]) to
// a koe post. A reblog stands for the status reblogged; the Ref stays the
// one on this instance, which is what favourite and boost take.
func toPost(st status, host string) koe.Post {
	orig := st
	if st.Reblog != nil {
		orig = *st.Reblog
	}
	handle := orig.Account.Acct
	if handle != "" && !strings.Contains(handle, "@") {
		handle += "@" + host
	}
	if handle != "" {
		handle = "@" + handle
	}
	name := orig.Account.DisplayName
	if strings.TrimSpace(name) == "" {
		name = orig.Account.Username
	}
	text := htmlText(orig.Content)
	if spoiler := strings.TrimSpace(orig.SpoilerText); spoiler != "" {
		text = strings.TrimSpace(spoiler + "\n" + text)
	}
	u := orig.URL
	if u == "" {
		u = orig.URI
	}
	p := koe.Post{
		Platform:     koe.SourceMastodon,
		ExternalID:   orig.URI,
		Ref:          orig.ID,
		AuthorHandle: handle,
		AuthorName:   name,
		AuthorAvatar: orig.Account.AvatarStatic,
		Text:         text,
		Lang:         orig.Language,
		URL:          u,
	}
	if t, err := time.Parse(time.RFC3339Nano, orig.CreatedAt); err == nil {
		p.PostedAt = t
	}
	for _, m := range orig.MediaAttachments {
		mu := m.URL
		if mu == "" {
			mu = m.PreviewURL
		}
		p.Media = append(p.Media, koe.PostMedia{Type: m.Type, URL: mu, Alt: m.Description})
	}
	return p
}

// idLess compares status ids as the numbers they are (Mastodon's are
// decimal snowflakes, whose length can grow).
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// validID reports whether id is a decimal number without leading zeros,
// the only form idLess orders correctly.
func validID(id string) bool {
	if id == "" || len(id) > 30 || (len(id) > 1 && id[0] == '0') {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
