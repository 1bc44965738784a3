package xtest

import "testing"

// FuzzParseQuery: any query a client sends parses or is refused, and a
// parsed one can be matched.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{`(#koe OR "lightning talk" OR go) -is:retweet`, `-(a OR b) c`, `((`, `"open`, `OR OR`, `- -a`, `from:bob`, `#`} {
		f.Add(q)
	}
	t := &stored{Tweet: Tweet{RetweetOf: "1"}, text: "a #koe lightning talk", hashtags: []string{"koe"}}
	f.Fuzz(func(_ *testing.T, q string) {
		if m, err := parseQuery(q); err == nil {
			m(t)
		}
	})
}
