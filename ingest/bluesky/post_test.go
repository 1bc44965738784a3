package bluesky

import (
	"testing"
)

func TestMatcher(t *testing.T) {
	m := newMatcher([]string{"koe", "gophercon"}, []string{"voice of", "声"})
	for _, c := range []struct {
		text string
		want bool
	}{
		{"#koe", true},
		{"so #KOE.", true},
		{"(#koe)", false}, // not after a space: Bluesky's apps do not make it a tag
		{"#koe's", false},
		{"#koetsu", false},
		{"go#koe", false},
		{"#GopherCon2026", false},
		{"#gophercon！", true},
		{"The VOICE OF it", true},
		{"invoice offer", false},
		{"voice office", false},
		{"大きな声で", true},
		{"nothing", false},
	} {
		if got := m.match(&record{Text: c.text}); got != c.want {
			t.Errorf("match(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func TestDecodeIgnoresOtherEvents(t *testing.T) {
	m := newMatcher([]string{"koe"}, nil)
	for _, b := range []string{
		`{"did":"did:plc:a","time_us":7,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.like","rkey":"k","record":{"text":"#koe"},"cid":"c"}}`,
		`{"did":"did:plc:a","time_us":7,"kind":"commit","commit":{"operation":"update","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"#koe"},"cid":"c"}}`,
		`{"did":"did:plc:a","time_us":7,"kind":"account","account":{"active":false,"did":"did:plc:a"}}`,
		`{"did":"did:plc:a","time_us":7,"kind":"identity","identity":{"did":"did:plc:a","handle":"a.test"}}`,
		`{"did":"not-a-did","time_us":7,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{"text":"#koe"},"cid":"c"}}`,
	} {
		us, p, err := decodeEvent([]byte(b), m)
		if err != nil || p != nil || us != 7 {
			t.Errorf("%s: %d, %+v, %v", b, us, p, err)
		}
	}
}

func TestPositionNeverGoesBack(t *testing.T) {
	p := position{TimeUS: 10, Since: "2026-01-02T00:00:00Z"}
	got := p.advance(position{TimeUS: 5, Since: "2026-01-01T00:00:00.5Z"})
	if got != p {
		t.Fatalf("went back to %+v", got)
	}
	got = p.advance(position{TimeUS: 11, Since: "2026-01-02T00:00:00.001Z"})
	if got.TimeUS != 11 || got.Since != "2026-01-02T00:00:00.001Z" {
		t.Fatalf("did not move: %+v", got)
	}
}
