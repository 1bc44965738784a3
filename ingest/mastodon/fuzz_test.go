package mastodon

import (
	"bufio"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzStatuses(f *testing.F) {
	f.Add(`[{"id":"110","uri":"https://m.example/users/a/statuses/110","url":"https://m.example/@a/110","created_at":"2026-12-02T04:00:00.000Z","content":"<p>hi</p>","language":"en","spoiler_text":"","reblog":null,"account":{"username":"a","acct":"a","display_name":"A","avatar_static":"https://m.example/a.png"},"media_attachments":[{"type":"image","url":"https://m.example/i.png","preview_url":null,"description":null}]}]`)
	f.Add(`[{"id":"1","reblog":{"id":"2","uri":"u","account":{"acct":"b@x"},"content":"<p>x</p>"}}]`)
	f.Add(`[{"id":"1","created_at":"3026-01-01T00:00:00Z","language":null,"url":null}]`)
	f.Add(`[]`)
	f.Add(`{"error":"This method requires an authenticated user"}`)
	f.Add(`[{"id":1}]`)
	f.Add(`[{"id":"1","content":"<p>cut sh`)
	f.Fuzz(func(t *testing.T, body string) {
		page, err := decodeStatuses([]byte(body))
		if err != nil {
			return
		}
		now := time.Now()
		for _, st := range page {
			p := toPost(st, "m.example")
			if st.Reblog == nil && p.Ref != st.ID {
				t.Fatalf("Ref %q of status %q", p.Ref, st.ID)
			}
			if p.Clean(now) && (p.PostedAt.After(now) || !utf8.ValidString(p.Text)) {
				t.Fatalf("cleaned post %+v", p)
			}
		}
	})
}

func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{
		"<p>Hello <a href=\"https://x\"><span class=\"invisible\">https://</span>x</a></p>",
		"<p>日本語<br>改行</p><p>段落</p>",
		"&lt;&#0;&#xD800;&amp",
		"<script>x</script><style>",
		"<p><p><br/></p></p>  \n\t",
		"<",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := htmlText(in)
		if strings.Contains(out, "\n\n\n") || out != strings.TrimSpace(out) {
			t.Fatalf("htmlText(%q) = %q: blank lines or spaces at the ends", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("htmlText(%q) = %q is not UTF-8", in, out)
		}
	})
}

func FuzzSSE(f *testing.F) {
	f.Add(":)\nevent: update\ndata: {\"id\":\"1\"}\n\n:thump\n")
	f.Add("event: delete\r\ndata: 1\r\n\r\nevent: status.update\ndata: {}\n\n")
	f.Add("data: a\ndata: b\n\n")
	f.Add("event\n\ndata\n\nretry: 10\nid: 3\n\n")
	f.Add(strings.Repeat("x", 5000) + "\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		br := bufio.NewReaderSize(strings.NewReader(in), 16)
		lines := 0
		for i := 0; i <= len(in); i++ {
			ev, err := readEvent(br, func() { lines++ })
			if err != nil {
				return
			}
			if ev.data == "" && !strings.Contains(in, "data") {
				t.Fatalf("an event without data from %q", in)
			}
		}
		t.Fatalf("more events than bytes in %q", in)
	})
}
