package bluesky

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe"
)

var fuzzMatcher = newMatcher([]string{"koe", "ゴー"}, []string{"voice of", "声"})

// checkPost holds what every mapped post must be.
func checkPost(t *testing.T, p koe.Post) {
	t.Helper()
	did, rkey := splitURI(p.ExternalID)
	if p.Platform != koe.SourceBluesky || !strings.HasPrefix(did, "did:") || rkey == "" {
		t.Fatalf("mapped to %+v", p)
	}
	if !strings.HasPrefix(p.URL, "https://bsky.app/profile/") || !strings.HasSuffix(p.URL, "/post/"+rkey) {
		t.Fatalf("URL %q", p.URL)
	}
	p.Clean(time.Now())
}

func FuzzJetstreamEvent(f *testing.F) {
	for _, seed := range []string{
		`{"did":"did:plc:a","time_us":1725911162329308,"kind":"commit","commit":{"rev":"3l3","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo","record":{"$type":"app.bsky.feed.post","text":"hi #koe","createdAt":"2024-09-09T19:46:02.102Z","langs":["en"],"facets":[{"index":{"byteStart":3,"byteEnd":7},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"koe"}]}],"embed":{"$type":"app.bsky.embed.images","images":[{"alt":"x","image":{"$type":"blob","ref":{"$link":"bafkrei"},"mimeType":"image/jpeg","size":1}}]}},"cid":"bafyrei"}}`,
		`{"did":"did:plc:a","time_us":2,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"the voice of ＃ゴー","embed":{"$type":"app.bsky.embed.recordWithMedia","media":{"$type":"app.bsky.embed.images","images":[{"image":{"cid":"bafk"}}]}}},"cid":"c"}}`,
		`{"did":"did:plc:a","time_us":3,"kind":"identity","identity":{"did":"did:plc:a","handle":"a.test"}}`,
		`{"did":"did:plc:a","time_us":4,"kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"k"}}`,
		`{"did":"did:plc:a","time_us":5,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":"not an object"}}`,
		`{"did":"did:plc:a","time_us":`, `[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, p, err := decodeEvent(b, fuzzMatcher)
		if err != nil && p != nil {
			t.Fatal("a post with an error")
		}
		if p != nil {
			checkPost(t, *p)
		}
	})
}

func FuzzPostView(f *testing.F) {
	for _, seed := range []string{
		`{"cursor":"100","posts":[{"uri":"at://did:plc:a/app.bsky.feed.post/3k","cid":"bafyrei","author":{"did":"did:plc:a","handle":"a.test","displayName":"A","avatar":"https://cdn.bsky.app/a"},"record":{"$type":"app.bsky.feed.post","text":"#koe","createdAt":"2026-01-01T00:00:00Z"},"embed":{"$type":"app.bsky.embed.images#view","images":[{"thumb":"https://cdn.bsky.app/t","fullsize":"https://cdn.bsky.app/f","alt":"x"}]},"indexedAt":"2026-01-01T00:00:01.000Z"}]}`,
		`{"posts":[{"uri":"at://did:plc:a/app.bsky.feed.post/3k","author":{"did":"did:plc:b","handle":"handle.invalid"},"record":{"text":"#koe"}}]}`,
		`{"posts":[{"uri":"at://did:plc:a/app.bsky.feed.like/3k","author":{"did":"did:plc:a"},"record":{"text":"#koe"},"embed":{"$type":"app.bsky.embed.recordWithMedia#view","media":{"$type":"app.bsky.embed.images#view","images":[{"thumb":"t"}]}}}]}`,
		`{"posts":[{"uri":"at:///","record":1}]}`, `{"posts":null}`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out struct {
			Posts []postView `json:"posts"`
		}
		if json.Unmarshal(b, &out) != nil {
			return
		}
		for _, v := range out.Posts {
			if p, ok := viewPost(v, fuzzMatcher); ok {
				checkPost(t, p)
				if p.ExternalID != v.URI {
					t.Fatalf("external id %q from %q", p.ExternalID, v.URI)
				}
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("hello #koe!", "koe", "")
	f.Add("#KOE", "koe", "")
	f.Add("the Voice Of all", "", "voice of")
	f.Add("an invoice offer", "", "voice of")
	f.Add("声を", "", "声")
	f.Add("＃ゴー。", "ゴー", "")
	f.Add("a#koe #koetsu", "koe", "")
	f.Add("\xff#\x80", "\x80", "\xff")
	f.Fuzz(func(t *testing.T, text, tag, keyword string) {
		m := newMatcher([]string{tag}, []string{keyword})
		r := record{Text: text}
		got := m.match(&r)
		tags := textTags(text)
		for _, tg := range tags {
			if tg == "" || !utf8.ValidString(tg) && utf8.ValidString(text) {
				t.Fatalf("tag %q from %q", tg, text)
			}
		}
		if got && !strings.Contains(strings.ToLower(text), strings.ToLower(strings.TrimSpace(keyword))) && len(tags) == 0 {
			t.Fatalf("%q matched tag %q / keyword %q with neither in it", text, tag, keyword)
		}
		// A facet with the tag always matches.
		r.Facets = []facet{{Features: []struct {
			Type string `json:"$type"`
			Tag  string `json:"tag"`
		}{{Type: "app.bsky.richtext.facet#tag", Tag: tag}}}}
		if len(m.hashtags) > 0 && !m.match(&r) {
			t.Fatalf("facet %q did not match", tag)
		}
	})
}

func FuzzCursor(f *testing.F) {
	for _, seed := range []string{``, `{"time_us":1725911162329308,"since":"2026-01-01T00:00:00.000Z"}`, `{"time_us":-1}`,
		`{"since":"yesterday"}`, `{"time_us":1e30}`, `12345`, `{`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePosition(s)
		if err != nil {
			return
		}
		again, err := parsePosition(p.String())
		if err != nil || again != p {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, p.String(), again, err)
		}
		if a := p.advance(position{}); a != p {
			t.Fatalf("advancing by nothing moved %+v to %+v", p, a)
		}
	})
}
