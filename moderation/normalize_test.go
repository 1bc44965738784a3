package moderation

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hello World", "hello world"},
		{"ｓｕｕｕｕｕｇｏｉ", "suuugoi"}, // full-width, and the run cut to three
		{"wwwwww", "www"},
		{"www", "www"},
		{"ｗｗｗ", "www"},
		{"ｶﾞｷﾞｸﾞ", "ガギグ"},                        // half-width katakana and its voiced mark compose
		{"ＡＰＩの設計", "apiの設計"},                     // full-width Latin inside Japanese
		{"f\u200buck", "fuck"},                   // zero-width space
		{"f\u200c\u200du\u2060c\ufeffk", "fuck"}, // ZWNJ, ZWJ, word joiner, BOM
		{"fu\u00adck", "fuck"},                   // soft hyphen
		{"\u202efuck\u202c", "fuck"},             // bidi override
		{"ﾃﾞﾌﾞ\ufe0f", "デブ"},                     // variation selector
		{"  a \t\n\u3000 b  ", "a b"},            // whitespace runs, ideographic space
		{"STRASSE straße", "strasse strasse"},    // full case folding
		{"ＳＥＸ", "sex"},
		{"e\u200d\u0301", "é"}, // the joiner between them must not keep them apart
		{"ﬁle", "file"},        // ligature
		{"", ""},
		{"\u200b\u200b", ""},
		{"!!!!!!", "!!!"},
		{"あああああ", "あああ"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeUnitsCoverOriginal(t *testing.T) {
	// Every unit spans runes of the original that produced it, in order.
	for _, s := range []string{"f\u200buck", "ｓｕｕｕｕｕｇｏｉ", "a    b", "ﾃﾞﾌﾞ", "  x  ", "ﷺ!"} {
		us := normalizeUnits(s)
		n := int32(utf8.RuneCountInString(s))
		prev := int32(0)
		for _, u := range us {
			if u.start < prev || u.end <= u.start || u.end > n {
				t.Fatalf("%q: unit %q spans [%d,%d) after %d (%d runes)", s, u.r, u.start, u.end, prev, n)
			}
			prev = u.start
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Hello", "ｓｕｕｕｕｕｇｏｉ", "f\u200buck", "ｶﾞｷﾞ", "e\u0301\u0301\u0301\u0301\u0301", "ǰǰǰǰ",
		"İstanbul", "ﷺ", "\xff\xfe", "a\u200d\u0301", "\u1100\u1100\u1100\u1100\u1161", "ßßß", "  \t ", "ｱｱｱｱﾞ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: not valid UTF-8", s, n)
		}
		if again := Normalize(n); again != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, again %q", s, n, again)
		}
		// NFKC expands one code point to at most 18 (U+FDFA); the rest
		// only removes.
		if utf8.RuneCountInString(n) > 18*utf8.RuneCountInString(s) {
			t.Fatalf("Normalize(%q) = %q: too long", s, n)
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q: untrimmed or uncollapsed spaces", s, n)
		}
		if len(normalizeUnits(s)) != utf8.RuneCountInString(n) {
			t.Fatalf("units and Normalize disagree on %q", s)
		}
	})
}
