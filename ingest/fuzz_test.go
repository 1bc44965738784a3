package ingest

import (
	"net/http"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func FuzzDecodeWebhook(f *testing.F) {
	f.Add([]byte(`{"posts":[{"id":"1","author":{"handle":"@a"},"text":"hi","created_at":"2026-12-02T10:00:00Z","media":[{"url":"javascript:x"}]}]}`))
	f.Add([]byte(`{"posts":[{"id":"\u0000","text":"\u202e"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		posts, err := DecodeWebhook(body)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		now := time.Now()
		for i := range posts {
			p := posts[i]
			if p.Clean(now) {
				for _, m := range p.Media {
					if m.URL != "" && m.URL[:4] != "http" {
						t.Fatalf("kept media URL %q", m.URL)
					}
				}
			}
		}
	})
}

func FuzzRateLimitFrom(f *testing.F) {
	f.Add("300", "299", "2026-12-02T10:00:00.000Z")
	f.Add("60", "0", "1800000000")
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		RateLimitFrom(h)
	})
}
