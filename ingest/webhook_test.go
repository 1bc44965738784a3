package ingest

import (
	"strconv"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"posts":[{"id":"1","text":"hi"}]}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign("s3cret", ts, body)
	if err := Verify("s3cret", ts, good, body, now); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	old := strconv.FormatInt(now.Add(-WebhookWindow-time.Second).Unix(), 10)
	cases := map[string]struct{ secret, ts, sig string }{
		"other secret":       {"other", ts, good},
		"body changed":       {"s3cret", ts, Sign("s3cret", ts, []byte(`{}`))},
		"stale timestamp":    {"s3cret", old, Sign("s3cret", old, body)},
		"future timestamp":   {"s3cret", strconv.FormatInt(now.Add(WebhookWindow+time.Second).Unix(), 10), good},
		"timestamp not int":  {"s3cret", "1.5", good},
		"timestamp padded":   {"s3cret", "0" + ts, Sign("s3cret", "0"+ts, body)},
		"no prefix":          {"s3cret", ts, good[len("sha256="):]},
		"no secret":          {"", ts, good},
		"signature missing":  {"s3cret", ts, ""},
		"timestamp switched": {"s3cret", strconv.FormatInt(now.Unix()-1, 10), good},
	}
	for name, c := range cases {
		if err := Verify(c.secret, c.ts, c.sig, body, now); koe.ErrorCode(err) != koe.EUNAUTHORIZED {
			t.Errorf("%s: %v, want EUNAUTHORIZED", name, err)
		}
	}
}

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
