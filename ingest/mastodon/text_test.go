package mastodon

import "testing"

func TestHTMLText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"<p>Hello</p>", "Hello"},
		{"<p>one</p><p>two</p>", "one\n\ntwo"},
		{"<p>line<br>break<br/>again<br />end</p>", "line\nbreak\nagain\nend"},
		{"<p>a<br><br><br><br>b</p>", "a\n\nb"},
		{`<p>&lt;script&gt; &amp; &quot;q&quot; &#39;s&#39; &#x1F600;</p>`, `<script> & "q" 's' 😀`},
		{"<p>  spaced \n\t out  </p>", "spaced out"},
		{`<p><span class="h-card"><a href="https://example.org/@bob" class="u-url mention">@<span>bob</span></a></span> hi</p>`, "@bob hi"},
		{`<p>see <a href="https://example.com/a/very/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/</span><span class="invisible">long/path</span></a></p>`,
			"see https://example.com/a/very/long/path"},
		{`<p>日本語の投稿です。<a href="https://m.example/tags/pyconjp" class="mention hashtag" rel="tag">#<span>PyConJP</span></a></p><p>二段落目</p>`,
			"日本語の投稿です。#PyConJP\n\n二段落目"},
		{"<p>全角　スペース</p>", "全角　スペース"},
		{"<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"},
		{"<blockquote><p>quoted</p></blockquote><p>reply</p>", "quoted\n\nreply"},
		{"<p>x<script>alert(1)</script>y<style>p{}</style></p>", "xy"},
		{"plain text, no tags", "plain text, no tags"},
		{"<p>unclosed <b>bold", "unclosed bold"},
		{"<p>a</p>\n<p>b</p>", "a\n\nb"},
	} {
		if got := htmlText(tc.in); got != tc.want {
			t.Errorf("htmlText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIDOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		less bool
	}{
		{"9", "10", true},
		{"10", "9", false},
		{"109999999999999999", "110000000000000000", true},
		{"110000000000000000", "110000000000000000", false},
		{"99999999999999999", "100000000000000000", true},
	} {
		if got := idLess(tc.a, tc.b); got != tc.less {
			t.Errorf("idLess(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
	for id, ok := range map[string]bool{"1": true, "0": true, "110000000000000000": true, "": false, "01": false, "1a": false, "-1": false} {
		if validID(id) != ok {
			t.Errorf("validID(%q) = %v", id, !ok)
		}
	}
}
