package koe

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckReactions(t *testing.T) {
	for _, ok := range [][]string{nil, {}, {"👏"}, {"🍣", "☕", "🚀", "✨", "👀", "🙌"}} {
		if err := CheckReactions(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][]string{{"🐍"}, {"👏", "👏"}, {"👏", "🎉", "❤️", "😂", "😮", "🤔", "🙏"}, {"❤"}, {""}} {
		if err := CheckReactions(bad); ErrorCode(err) != EINVALID || err.(*Error).Field != "settings.reactions" {
			t.Errorf("%q: %v, want invalid_argument on settings.reactions", bad, err)
		}
	}
}

func TestCheckTap(t *testing.T) {
	set := []string{"👏", "🔥"}
	three, zero, eleven := 3, 0, 11
	if n, err := CheckTap(set, "🔥", nil); n != 1 || err != nil {
		t.Errorf("one tap: %d %v", n, err)
	}
	if n, err := CheckTap(set, "👏", &three); n != 3 || err != nil {
		t.Errorf("three taps: %d %v", n, err)
	}
	for _, tc := range []struct {
		set   []string
		emoji string
		count *int
		field string
	}{
		{set, "🎉", nil, "emoji"}, {set, "", nil, "emoji"}, {nil, "👏", nil, "emoji"},
		{set, "👏", &zero, "count"}, {set, "👏", &eleven, "count"},
	} {
		_, err := CheckTap(tc.set, tc.emoji, tc.count)
		if e, ok := err.(*Error); !ok || e.Code != EINVALID || e.Field != tc.field {
			t.Errorf("%v %q %v: %v, want invalid_argument on %s", tc.set, tc.emoji, tc.count, err, tc.field)
		}
	}
}

// FuzzCheckTap: a tap is counted only when it names one of the set's
// emoji with 1–10 taps; anything else is a 400 with its field.
func FuzzCheckTap(f *testing.F) {
	f.Add("👏", 1, true)
	f.Add("🔥", 10, true)
	f.Add("❤", 0, false)
	f.Add("\\xff", -3, true)
	f.Fuzz(func(t *testing.T, emoji string, count int, given bool) {
		set := DefaultReactions
		var c *int
		if given {
			c = &count
		}
		n, err := CheckTap(set, emoji, c)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != EINVALID || (e.Field != "emoji" && e.Field != "count") {
				t.Fatalf("%q %d: %v", emoji, count, err)
			}
			return
		}
		if !slices.Contains(set, emoji) || n < 1 || n > MaxTapsPerRequest || given && n != count || !given && n != 1 {
			t.Fatalf("%q %d (given %v) counted as %d", emoji, count, given, n)
		}
	})
}

// FuzzCheckReactions: an accepted set has at most 6 emoji of the palette,
// each once.
func FuzzCheckReactions(f *testing.F) {
	f.Add("👏,🎉")
	f.Add("👏,👏")
	f.Add("🐍")
	f.Add(",,,,,,,")
	f.Fuzz(func(t *testing.T, list string) {
		set := strings.Split(list, ",")
		if err := CheckReactions(set); err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("%q: %v", set, err)
			}
			return
		}
		if len(set) > MaxReactions {
			t.Fatalf("%d reactions accepted", len(set))
		}
		for i, e := range set {
			if !utf8.ValidString(e) || !slices.Contains(ReactionPalette, e) || slices.Contains(set[:i], e) {
				t.Fatalf("%q accepted in %q", e, set)
			}
		}
	})
}

// FuzzParseScreenKind: only the two kinds are taken.
func FuzzParseScreenKind(f *testing.F) {
	f.Add("screen")
	f.Add("overlay")
	f.Add("Screen")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseScreenKind(s)
		if (err == nil) != (s == "screen" || s == "overlay") || err == nil && string(k) != s {
			t.Fatalf("%q: %q %v", s, k, err)
		}
	})
}
