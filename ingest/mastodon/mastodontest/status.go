package mastodontest

import (
	"html"
	"strings"
	"time"
)

// Status is a Mastodon status in the API's JSON shape (the fields koe
// reads, and a few more so that clients see a realistic document).
type Status struct {
	ID               string            `json:"id"`
	URI              string            `json:"uri"`
	URL              string            `json:"url"`
	CreatedAt        time.Time         `json:"created_at"`
	Content          string            `json:"content"`
	Language         string            `json:"language"`
	SpoilerText      string            `json:"spoiler_text"`
	Sensitive        bool              `json:"sensitive"`
	Visibility       string            `json:"visibility"`
	Reblog           *Status           `json:"reblog"`
	Account          Account           `json:"account"`
	MediaAttachments []MediaAttachment `json:"media_attachments"`
	Tags             []Tag             `json:"tags"`
	Favourited       bool              `json:"favourited"`
	Reblogged        bool              `json:"reblogged"`
}

// Account is a status's author.
type Account struct {
	ID           string `json:"id"`
	Username     string `json:"username"`
	Acct         string `json:"acct"`
	DisplayName  string `json:"display_name"`
	Avatar       string `json:"avatar"`
	AvatarStatic string `json:"avatar_static"`
	URL          string `json:"url"`
}

// MediaAttachment is an image, video or sound of a status.
type MediaAttachment struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	URL         string `json:"url"`
	PreviewURL  string `json:"preview_url"`
	Description string `json:"description"`
}

// Tag is a hashtag of a status, without its '#'.
type Tag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Post is what POST /test/statuses takes: a status to publish, in plain
// text.
type Post struct {
	Text        string   `json:"text"`
	Tags        []string `json:"tags"`
	Acct        string   `json:"acct"`
	DisplayName string   `json:"display_name"`
	Language    string   `json:"language"`
	SpoilerText string   `json:"spoiler_text"`
}

// Status turns p into a status as Mastodon would render it on base (the
// server's URL): paragraphs at blank lines, <br> at line breaks, hashtags
// as links, the tags not in the text appended.
func (p Post) Status(base string) Status {
	var b strings.Builder
	for i, para := range strings.Split(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n\n") {
		if i > 0 {
			b.WriteString("</p><p>")
		}
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br />"))
	}
	content := b.String()
	var tags []Tag
	var missing []string
	for _, t := range p.Tags {
		t = strings.TrimPrefix(t, "#")
		if t == "" {
			continue
		}
		link := `<a href="` + base + `/tags/` + html.EscapeString(strings.ToLower(t)) + `" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(t) + `</span></a>`
		if strings.Contains(content, "#"+html.EscapeString(t)) {
			content = strings.Replace(content, "#"+html.EscapeString(t), link, 1)
		} else {
			missing = append(missing, link)
		}
		tags = append(tags, Tag{Name: strings.ToLower(t)})
	}
	if len(missing) > 0 {
		content += "</p><p>" + strings.Join(missing, " ")
	}
	return Status{
		Content:     "<p>" + content + "</p>",
		Language:    p.Language,
		SpoilerText: p.SpoilerText,
		Account:     Account{Username: p.Acct, Acct: p.Acct, DisplayName: p.DisplayName},
		Tags:        tags,
	}
}
