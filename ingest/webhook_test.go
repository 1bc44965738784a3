package ingest

import (
	"strconv"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func TestDecodeWebhook(t *testing.T) {
	posts, err := DecodeWebhook([]byte(`{"posts":[{"id":"d-1","author":{"handle":"@a","name":"A"},"text":"こんにちは #pyconjp",
		"lang":"ja","created_at":"2026-12-02T10:00:00Z","url":"https://example.org/1","media":[{"type":"image","url":"https://example.org/i.png","alt":"a cat"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := posts[0]
	if p.Platform != koe.SourceWebhook || p.ExternalID != "d-1" || p.AuthorName != "A" || p.Text != "こんにちは #pyconjp" ||
		!p.PostedAt.Equal(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)) || len(p.Media) != 1 || p.Media[0].Alt != "a cat" {
		t.Fatalf("decoded %+v", p)
	}
	for name, body := range map[string]string{
		"not json":      `posts`,
		"unknown field": `{"posts":[{"id":"1","text":"x","extra":1}]}`,
		"no posts":      `{"posts":[]}`,
		"no id":         `{"posts":[{"text":"x"}]}`,
		"no text":       `{"posts":[{"id":"1","text":"  "}]}`,
		"two objects":   `{"posts":[{"id":"1","text":"x"}]} {}`,
		"bad time":      `{"posts":[{"id":"1","text":"x","created_at":"yesterday"}]}`,
	} {
		if _, err := DecodeWebhook([]byte(body)); koe.ErrorCode(err) != koe.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	many := `{"posts":[`
	for i := 0; i <= koe.MaxIngestBatch; i++ {
		if i > 0 {
			many += ","
		}
		many += `{"id":"` + strconv.Itoa(i) + `","text":"x"}`
	}
	if _, err := DecodeWebhook([]byte(many + `]}`)); koe.ErrorCode(err) != koe.EINVALID {
		t.Errorf("%d posts: %v, want EINVALID", koe.MaxIngestBatch+1, err)
	}
}
