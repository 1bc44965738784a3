package bench

import (
	"flag"
	"slices"
	"testing"
)

func TestURLs(t *testing.T) {
	parse := func(url string) (*common, error) {
		var c common
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		c.register(fs)
		return &c, c.parse(fs, []string{"--token", "t", "--url", url})
	}
	c, err := parse("http://a:1/, http://b:2,https://c:3")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://a:1", "http://b:2", "https://c:3"}
	if !slices.Equal(c.urls, want) {
		t.Fatalf("urls = %q, want %q", c.urls, want)
	}
	a := newAPI(c.urls, "t", 1)
	if a.base != want[0] {
		t.Errorf("setup base = %q, want the first", a.base)
	}
	for i := range 7 {
		if got := a.at(i).base; got != want[i%3] {
			t.Errorf("at(%d) = %q, want %q", i, got, want[i%3])
		}
	}
	if a.base != want[0] {
		t.Errorf("at changed the setup client's base to %q", a.base)
	}
	if c, err := parse("http://a:1/"); err != nil || !slices.Equal(c.urls, []string{"http://a:1"}) {
		t.Errorf("one URL: %q, %v", c.urls, err)
	}
	for _, bad := range []string{"http://a:1,", "a:1", "http://a:1,b:2"} {
		if _, err := parse(bad); err == nil {
			t.Errorf("--url %q accepted", bad)
		}
	}
}
