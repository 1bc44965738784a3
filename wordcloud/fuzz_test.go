package wordcloud

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWords checks the promises Words makes whatever the answer:
// go test -run '^$' -fuzz FuzzWords -fuzztime 30s ./wordcloud
func FuzzWords(f *testing.F) {
	for _, c := range wordsCases {
		f.Add(c.in)
	}
	for _, s := range []string{
		"リアルタイム通信の設計", "楽しかった！また来たい", "Goの並行処理とRustの所有権",
		"node.js, C++, C#, k8s.", "...", "+++###", ".#.", "#.net", "\x00\x01\x1b[31mred\x7f",
		"🎉👍🏽👨‍👩‍👧‍👦🇯🇵", "ﷺﷺﷺﷺ", "ｶﾞｷﾞｸﾞ", "ＡＢＣ１２３", "İSTANBUL ǅ ß", "e\u0301\u0301\u0301",
		"\xff\xfe\xc3", "日本語" + strings.Repeat("あ", 300), strings.Repeat("a.", 100),
		"\u3000\u200b\ufeff", "ゝゞヽヾ々〆ヶ", "Ⅻ ㍻ ㌔", "\U000E0041", "한국어 日本語 English",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := Words(in)
		if len(got) > MaxWords {
			t.Fatalf("Words(%q) gave %d words, more than MaxWords", in, len(got))
		}
		seen := map[string]bool{}
		for _, w := range got {
			if w == "" {
				t.Fatalf("Words(%q) = %q: empty word", in, got)
			}
			if !utf8.ValidString(w) {
				t.Fatalf("Words(%q) = %q: invalid UTF-8 %q", in, got, w)
			}
			if n := utf8.RuneCountInString(w); n > MaxRunes {
				t.Fatalf("Words(%q) = %q: %q has %d runes", in, got, w, n)
			}
			if strings.ContainsFunc(w, func(r rune) bool { return r == ' ' || r < 0x20 || r == 0x7f }) {
				t.Fatalf("Words(%q) = %q: %q holds a space or control character", in, got, w)
			}
			if seen[w] {
				t.Fatalf("Words(%q) = %q: %q twice", in, got, w)
			}
			seen[w] = true
		}
	})
}
