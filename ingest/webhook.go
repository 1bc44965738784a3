package ingest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// MaxWebhookBody is the largest webhook request koe reads.
const MaxWebhookBody = 1 << 20

// WebhookPost is one post of a webhook request.
type WebhookPost struct {
	// ID is the post's id at its origin: unique per source; a post sent
	// again with the same id is stored once.
	ID     string `json:"id"`
	Author struct {
		Handle string `json:"handle"`
		Name   string `json:"name"`
		Avatar string `json:"avatar"`
	} `json:"author"`
	Text      string          `json:"text"`
	Lang      string          `json:"lang"`
	CreatedAt *time.Time      `json:"created_at,omitempty"`
	URL       string          `json:"url"`
	Media     []koe.PostMedia `json:"media,omitempty"`
}

// WebhookRequest is the body of a webhook request.
type WebhookRequest struct {
	Posts []WebhookPost `json:"posts"`
}

// DecodeWebhook reads a webhook request's body: {"posts": [...]}, 1 to
// koe.MaxIngestBatch posts, each with an id and a text; unknown fields
// are refused so that a sender's mistake is not silently ignored.
func DecodeWebhook(body []byte) ([]koe.Post, error) {
	var req WebhookRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, koe.Invalid("body", koe.ReasonJSON, 0, "the body must be {\"posts\": [{\"id\", \"text\", \"author\": {\"handle\", \"name\"}, \"created_at\", \"url\", \"lang\"}]}: %v", err)
	}
	if dec.More() {
		return nil, koe.Invalid("body", koe.ReasonJSON, 0, "the body must be one JSON object")
	}
	if len(req.Posts) == 0 || len(req.Posts) > koe.MaxIngestBatch {
		return nil, koe.Invalid("posts", koe.ReasonTooLong, koe.MaxIngestBatch, "posts must hold 1 to %d posts", koe.MaxIngestBatch)
	}
	posts := make([]koe.Post, len(req.Posts))
	for i, w := range req.Posts {
		field := "posts[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(w.ID) == "" {
			return nil, koe.Invalid(field+".id", koe.ReasonEmpty, 0, "%s.id must be the post's id at its origin", field)
		}
		if strings.TrimSpace(w.Text) == "" {
			return nil, koe.Invalid(field+".text", koe.ReasonEmpty, 0, "%s.text must not be empty", field)
		}
		p := koe.Post{Platform: koe.SourceWebhook, ExternalID: w.ID, Ref: w.ID, AuthorHandle: w.Author.Handle,
			AuthorName: w.Author.Name, AuthorAvatar: w.Author.Avatar, Text: w.Text, Lang: w.Lang, URL: w.URL, Media: w.Media}
		if w.CreatedAt != nil {
			p.PostedAt = *w.CreatedAt
		}
		posts[i] = p
	}
	return posts, nil
}
