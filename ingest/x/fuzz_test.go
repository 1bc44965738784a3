package x

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe"
)

// FuzzSearchResponse: any body X might send decodes or fails cleanly,
// and what maps is a post koe can take.
func FuzzSearchResponse(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"1866000000000000001","text":"Q&amp;A &lt;now&gt; #koe https://t.co/a https://t.co/m","author_id":"7","created_at":"2026-12-02T04:27:39.000Z","lang":"ja","attachments":{"media_keys":["3_1","7_2"]},"entities":{"urls":[{"url":"https://t.co/a","expanded_url":"https://example.com/x"},{"url":"https://t.co/m","expanded_url":"https://x.com/a/status/1/photo/1","media_key":"3_1"}]}}],"includes":{"users":[{"id":"7","name":"Alice","username":"alice","profile_image_url":"https://pbs.twimg.com/a.jpg"}],"media":[{"media_key":"3_1","type":"photo","url":"https://pbs.twimg.com/m.jpg","alt_text":"stage"},{"media_key":"7_2","type":"video","preview_image_url":"https://pbs.twimg.com/v.jpg"}]},"meta":{"newest_id":"1866000000000000001","oldest_id":"1866000000000000001","result_count":1}}`))
	f.Add([]byte(`{"meta":{"result_count":0}}`))
	f.Add([]byte(`{"data":[{"id":"0012","text":""},{"id":"x"},{"id":"99999999999999999999999"}],"meta":{"next_token":"b26v"}}`))
	f.Add([]byte(`{"data":[{"id":"5","text":"long","note_tweet":{"text":"long &amp; whole","entities":{"urls":[{"url":"https://t.co/","expanded_url":"javascript:alert(1)"}]}},"lang":"qme"}]}`))
	f.Add([]byte(`{"data":null,"includes":{"users":[null],"media":[{}]}}`))
	f.Add([]byte(`{"data":[{"id":"1","text":"cut sho`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeSearch(body)
		if err != nil {
			return
		}
		now := time.Now()
		for _, p := range mapTweets(r) {
			if p.Platform != koe.SourceX || !validID(p.ExternalID) || p.Ref != p.ExternalID || len(p.Media) > koe.MaxPostMedia {
				t.Fatalf("mapped %+v", p)
			}
			if !strings.HasPrefix(p.URL, "https://x.com/") || notLanguages[p.Lang] {
				t.Fatalf("url %q lang %q", p.URL, p.Lang)
			}
			p.Clean(now)
		}
	})
}

// FuzzBuildQuery: any terms give a query X takes (within MaxQuery,
// balanced, ending in -is:retweet) or an EINVALID error.
func FuzzBuildQuery(f *testing.F) {
	f.Add("pyconjp", "", "lightning talks", "from:bob")
	f.Add("#日本語", "go_lang", `say "hi"`, "OR")
	f.Add("", "", "", "")
	f.Add("a)", "b", "\x00\xff", strings.Repeat("x", 600))
	f.Fuzz(func(t *testing.T, h1, h2, k1, k2 string) {
		q, err := buildQuery([]string{h1, h2}, []string{k1, k2})
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if !utf8.ValidString(q) || utf8.RuneCountInString(q) > MaxQuery || !strings.HasSuffix(q, ") -is:retweet") || !strings.HasPrefix(q, "(") {
			t.Fatalf("query %q", q)
		}
		if strings.Count(q, `"`)%2 != 0 {
			t.Fatalf("unbalanced quotes in %q", q)
		}
		// Outside quotes, only the group's own parentheses remain.
		outside, quoted := 0, false
		for _, r := range q {
			switch {
			case r == '"':
				quoted = !quoted
			case !quoted && (r == '(' || r == ')'):
				outside++
			}
		}
		if outside != 2 {
			t.Fatalf("query %q has %d parentheses outside quotes", q, outside)
		}
	})
}

// FuzzProblem: any error body gives a short message.
func FuzzProblem(f *testing.F) {
	f.Add([]byte(`{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`))
	f.Add([]byte(`{"errors":[{"parameters":{"since_id":["1"]},"message":"Invalid 'since_id'"}],"title":"Invalid Request"}`))
	f.Add([]byte(`{"errors":[{"message":""}],"detail":"  "}`))
	f.Add([]byte(`<html>bad gateway</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, _ := decodeProblem(body, "Bad Gateway")
		if msg == "" || !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > 301 {
			t.Fatalf("message %q", msg)
		}
	})
}
