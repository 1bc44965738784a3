package koe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestCleanText(t *testing.T) {
	cases := []struct {
		in       string
		min, max int
		want     string // "" with ok false: an error
		ok       bool
	}{
		{"hello", 1, 10, "hello", true},
		{"  hello \n", 1, 10, "hello", true},
		{"\u3000全角スペース\u3000", 1, 10, "全角スペース", true}, // ideographic spaces are trimmed
		{"a\r\nb\rc", 1, 10, "a\nb\nc", true},
		{"tab\there", 1, 10, "tab\there", true},
		{"line\n\nbreaks", 1, 20, "line\n\nbreaks", true},
		{"e\u0301", 1, 1, "é", true},     // composed: one code point
		{"\u212b", 1, 1, "\u00c5", true}, // Angstrom sign becomes Å under NFC
		{strings.Repeat("a", 10), 1, 10, strings.Repeat("a", 10), true},
		{strings.Repeat("日", 10), 1, 10, strings.Repeat("日", 10), true},
		{strings.Repeat("a", 11), 1, 10, "", false},
		{strings.Repeat("a", 9) + "e\u0301", 1, 10, strings.Repeat("a", 9) + "é", true},
		{"", 1, 10, "", false},
		{"   \n\t ", 1, 10, "", false},
		{"", 0, 10, "", true},
		{"ab", 3, 10, "", false},
		{"nul\x00", 1, 10, "", false},
		{"bell\a", 1, 10, "", false},
		{"\x1b[31mred", 1, 10, "", false},
		{"del\x7f", 1, 10, "", false},
		{"c1\u0080x", 1, 10, "", false},
		{"bad\xffutf8", 1, 20, "", false},
		{"replacement\ufffd", 1, 20, "", false},
		{"\x00", 0, 10, "", false},
		{"evil\u202etxt.exe", 1, 20, "", false}, // right-to-left override
		{"iso\u2066late", 1, 20, "", false},
		{"family \U0001F468\u200d\U0001F469", 1, 20, "family \U0001F468\u200d\U0001F469", true}, // emoji joiners stay
	}
	for _, c := range cases {
		got, err := CleanText("body", c.in, c.min, c.max)
		if c.ok {
			if err != nil || got != c.want {
				t.Errorf("CleanText(%q, %d, %d) = %q, %v; want %q", c.in, c.min, c.max, got, err, c.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("CleanText(%q, %d, %d) = %q, want an error", c.in, c.min, c.max, got)
		} else if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "body") {
			t.Errorf("CleanText(%q): error %v should be invalid_argument naming the field", c.in, err)
		}
	}
}

func TestCleanLine(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Ada Lovelace", "Ada Lovelace", true},
		{"  Ada  ", "Ada", true},
		{"Ada\n", "Ada", true}, // trailing newline is trimmed first
		{"Ada\nLovelace", "", false},
		{"Ada\r\nLovelace", "", false},
		{"Ada\tLovelace", "", false},
		{"", "", true}, // min 0
		{strings.Repeat("n", 40), strings.Repeat("n", 40), true},
		{strings.Repeat("n", 41), "", false},
		{"a\x00", "", false},
		// The visibility and stacking rules of CleanText apply.
		{"\u3164", "", false}, // a Hangul filler as a blank name
		{"\u2800\u200b", "", false},
		{"\u0301\u0301", "", false},
		{"Z" + strings.Repeat("\u0336", 20), "", false},
		{"김\u200b민수", "김\u200b민수", true},
		{"Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai", true},
	}
	for _, c := range cases {
		got, err := CleanLine("display_name", c.in, 0, MaxDisplayNameLen)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("CleanLine(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("CleanLine(%q): code %q", c.in, ErrorCode(err))
		}
	}
}

func TestCleanTextVisible(t *testing.T) {
	cases := []struct {
		name string
		in   string
		min  int
		ok   bool
	}{
		{"three ZWSP", "\u200b\u200b\u200b", 1, false},
		{"BOM alone", "\ufeff", 1, false},
		{"invisible mix", "\u200b\u2060\u3164\u2800", 1, false},
		{"invisible mix among spaces", " \u200b \u2060\n\u3164\t\u2800 ", 1, false},
		{"optional field still refuses", "\u200b", 0, false},
		{"format characters", "\u00ad\u061c\u180e\u200c\u200d\u200e\u200f\u2061\u2062\u2063\u2064", 1, false},
		{"lone variation selectors", "\ufe0f\ufe00\U000e0100\U000e01ef", 1, false},
		{"lone tags", "\U000e0000\U000e0001\U000e0067\U000e007f", 1, false},
		{"Hangul fillers", "\u115f\u1160\u3164\uffa0", 1, false},
		{"braille blank", "\u2800\u2800", 1, false},
		{"grapheme joiner", "\u034f", 1, false},
		{"combining marks alone", "\u0301\u0300\u0308", 1, false},
		{"marks on a ZWSP", "\u200b\u0301\u0301", 1, false},
		{"enclosing marks alone", "\u20dd\u20e3", 1, false},
		{"spacing marks alone", "\u093e\u0940", 1, false},
		{"empty optional", "", 0, true},
		{"ZWSP inside visible text", "hello\u200bworld", 1, true},
		{"BOM before text", "\ufeffhello", 1, true},
		{"braille with a dot", "\u2800\u2801", 1, true},
		{"one visible among invisibles", "\u200b\u3164x\u2800", 1, true},
	}
	for _, c := range cases {
		got, err := CleanText("body", c.in, c.min, MaxQuestionLen)
		if c.ok {
			// Invisible characters are only a reason to refuse: accepted
			// text keeps them.
			if err != nil || got != strings.TrimFunc(c.in, unicode.IsSpace) {
				t.Errorf("%s: CleanText(%+q) = %+q, %v; want it accepted unchanged", c.name, c.in, got, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: CleanText(%+q) = %+q, want an error", c.name, c.in, got)
		} else if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "body") || !strings.Contains(err.Error(), "visible") {
			t.Errorf("%s: CleanText(%+q): error %v should be invalid_argument naming the field and visibility", c.name, c.in, err)
		}
	}
}

func TestCleanTextCombiningMarks(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"Zalgo 450", "a" + strings.Repeat("\u0301", 450), false},
		{"one over the cap", "x" + strings.Repeat("\u0301", MaxCombiningMarks+1), false},
		{"at the cap", "x" + strings.Repeat("\u0301", MaxCombiningMarks), true},
		{"over the cap after NFC", "a" + strings.Repeat("\u0301", MaxCombiningMarks+2), false}, // á + 9
		{"mixed marks", "Z" + strings.Repeat("\u0336\u0489\u0f90\u093e", 3), false},
		{"joiners do not split a stack", "x" + strings.Repeat("\u0301\u200d", MaxCombiningMarks+1), false},
		{"tags do not split a stack", "x" + strings.Repeat("\u0301\U000e0041", MaxCombiningMarks+1), false},
		{"grapheme joiners count", "x" + strings.Repeat("\u0301\u034f", 5), false},
		{"variation selectors count", "\u2764" + strings.Repeat("\ufe0f", MaxCombiningMarks+1), false},
		{"marks over the cap in the middle", "ok " + "e" + strings.Repeat("\u0300", 20) + " ok", false},
		{"each stack counted on its own", strings.Repeat("x"+strings.Repeat("\u0301", MaxCombiningMarks), 10), true},
		{"marks listed on spaces", "accents:" + strings.Repeat(" \u0301", 12), true},
		{"tallest Tibetan stack", "\u0f67\u0f90\u0fb5\u0fa8\u0fb3\u0fba\u0fbc\u0fbb\u0f82", true},
		{"keycap", "1\ufe0f\u20e3", true},
	}
	for _, c := range cases {
		got, err := CleanText("body", c.in, 1, MaxQuestionLen)
		if c.ok {
			if err != nil {
				t.Errorf("%s: CleanText(%+q) = %v, want it accepted", c.name, c.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: CleanText(%+q) = %+q, want an error", c.name, c.in, got)
		} else if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "body") || !strings.Contains(err.Error(), "combining") {
			t.Errorf("%s: CleanText(%+q): error %v should be invalid_argument naming the field and the marks", c.name, c.in, err)
		}
	}
}

// realText is writing that must keep passing: scripts that use combining
// marks and joiners, and emoji built from several code points.
var realText = []struct{ name, in, want string }{
	{"Vietnamese", "Tiếng Việt có dấu", "Tiếng Việt có dấu"},
	{"Vietnamese decomposed", "Tie\u0302\u0301ng Vie\u0323\u0302t", "Tiếng Việt"},
	{"Thai", "สวัสดีครับ", "สวัสดีครับ"},
	{"Thai tone over vowel", "ที่นี่", "ที่นี่"},
	{"Hindi", "नमस्ते", "नमस्ते"},
	{"Devanagari conjunct with joiners", "क्\u200dष क्\u200cष", "क्\u200dष क्\u200cष"},
	{"Japanese", "リアルタイム通信の設計は？", "リアルタイム通信の設計は？"},
	{"dakuten combining form", "か\u3099", "が"},
	{"dakuten without a composed form", "ア\u3099", "ア\u3099"},
	{"Korean", "안녕하세요", "안녕하세요"},
	{"Korean conjoining jamo", "\u1100\u1161\u11a8", "\uac01"},
	{"polytonic Greek decomposed", "ω\u0314\u0342\u0345", "ᾧ"},
	{"Hebrew with points", "שָׁלוֹם", "שָׁלוֹם"},
	{"Arabic with harakat", "مُحَمَّد", "مُحَمَّد"},
	{"emoji family", "👨\u200d👩\u200d👧\u200d👦", "👨\u200d👩\u200d👧\u200d👦"},
	{"emoji skin tone", "👍🏽", "👍🏽"},
	{"emoji presentation", "❤️", "❤️"},
	{"emoji flag with tags", "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"},
	{"ZWSP inside text", "hello\u200bworld", "hello\u200bworld"},
}

func TestCleanTextRealText(t *testing.T) {
	for _, c := range realText {
		if got, err := CleanText("body", c.in, 1, MaxQuestionLen); err != nil || got != c.want {
			t.Errorf("%s: CleanText(%+q) = %+q, %v; want %+q", c.name, c.in, got, err, c.want)
		}
		if got, err := CleanLine("display_name", c.in, 0, MaxDisplayNameLen); err != nil || got != c.want {
			t.Errorf("%s: CleanLine(%+q) = %+q, %v; want %+q", c.name, c.in, got, err, c.want)
		}
	}
}

// checkClean asserts what CleanText promises of its output.
func checkClean(t *testing.T, in, out string, min, max int, line bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%q -> invalid UTF-8 %q", in, out)
	}
	if !norm.NFC.IsNormalString(out) {
		t.Fatalf("%q -> %q is not NFC", in, out)
	}
	if strings.TrimFunc(out, unicode.IsSpace) != out {
		t.Fatalf("%q -> %q is not trimmed", in, out)
	}
	if n := utf8.RuneCountInString(out); n < min || n > max {
		t.Fatalf("%q -> %q has %d code points, limits %d-%d", in, out, n, min, max)
	}
	// Written apart from the code under test, with fewer characters counted
	// as invisible and fewer as continuing a stack, so that it can only be
	// stricter than CleanText where the two differ.
	visible, marks := out == "", 0
	for _, r := range out {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
			if marks++; marks > MaxCombiningMarks {
				t.Fatalf("%q -> %q stacks more than %d marks", in, out, MaxCombiningMarks)
			}
		case unicode.Is(unicode.Cf, r):
		default:
			marks = 0
			visible = visible || !(unicode.IsSpace(r) || r == 0x2800 || r == 0x3164 || r == 0xffa0 || r == 0x115f || r == 0x1160 || r >= 0xe0000 && r <= 0xe007f)
		}
	}
	if !visible {
		t.Fatalf("%q -> %q has no visible character", in, out)
	}
	for _, r := range out {
		if r == '\r' || r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' || isBidiControl(r) {
			t.Fatalf("%q -> %q contains %U", in, out, r)
		}
		if line && (r == '\n' || r == '\t') {
			t.Fatalf("%q -> line %q contains %U", in, out, r)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{
		"", " ", "hello", "  hello  ", "a\r\nb", "a\rb", "e\u0301", "\u212b", "\u0958", "\u0301", " \u0301", "x\u0301 ",
		"\u3000", "\u0085", "\u00a0a\u00a0", "\u200b", "\u202e", "\ufeff", "\x00", "\x7f", "\xff", "\ufffd",
		"tab\tin", "\ttab", strings.Repeat("a", 500), strings.Repeat("a", 499) + "e\u0301", strings.Repeat("日", 501),
		"\ud55c\uad6d\uc5b4", "\u1100\u1161\u11a8", "🎤🎤", "\U000e0001", "a\u034fb",
		"\u200b\u200b\u200b", "\u200b\u2060\u3164\u2800", "\u115f\u1160\uffa0", "\ufe0f", "\U000e0100", "\u00ad\u061c\u180e",
		"\u0301\u0300", "a" + strings.Repeat("\u0301", 450), "x" + strings.Repeat("\u0301", MaxCombiningMarks),
		"x" + strings.Repeat("\u0301", MaxCombiningMarks+1), "x" + strings.Repeat("\u0301\u200d", 9), "hello\u200bworld",
		"\u0f67\u0f90\u0fb5\u0fa8\u0fb3\u0fba\u0fbc\u0fbb\u0f82",
	} {
		f.Add(s, uint16(1), uint16(500))
		f.Add(s, uint16(0), uint16(40))
	}
	for _, c := range realText {
		f.Add(c.in, uint16(1), uint16(500))
	}
	f.Fuzz(func(t *testing.T, s string, min, max uint16) {
		lo, hi := int(min%1100), int(max%1100)
		out, err := CleanText("f", s, lo, hi)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("CleanText(%q) error %v has code %q", s, err, ErrorCode(err))
			}
		} else {
			checkClean(t, s, out, lo, hi, false)
			// Cleaning is idempotent.
			if again, err := CleanText("f", out, lo, hi); err != nil || again != out {
				t.Fatalf("CleanText(CleanText(%q) = %q) = %q, %v", s, out, again, err)
			}
		}
		line, lerr := CleanLine("f", s, lo, hi)
		switch {
		case lerr == nil && err != nil:
			t.Fatalf("CleanLine accepted %q that CleanText refused", s)
		case lerr == nil:
			checkClean(t, s, line, lo, hi, true)
			if line != out {
				t.Fatalf("CleanLine(%q) = %q, CleanText = %q", s, line, out)
			}
		case ErrorCode(lerr) != EINVALID:
			t.Fatalf("CleanLine(%q) error code %q", s, ErrorCode(lerr))
		}
	})
}

func FuzzNormalizeJoinCode(f *testing.F) {
	for _, s := range []string{"ABCDEF", "abcdef", " abcdef ", "ABCDE", "ABCDEFG", "IIIIII", "0O0O0O", "ABC DE", "ÄBCDEF", "ſſſſſſ", "\tXYZ234\n", "", "\uFEFFabcdef", "\u3000ABCDEF\u00a0", "\u0085ABCDEF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := NormalizeJoinCode(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("NormalizeJoinCode(%q) code %q", s, ErrorCode(err))
			}
			return
		}
		if len(code) != JoinCodeLen {
			t.Fatalf("NormalizeJoinCode(%q) = %q", s, code)
		}
		for _, r := range code {
			if !strings.ContainsRune(JoinCodeAlphabet, r) {
				t.Fatalf("NormalizeJoinCode(%q) = %q contains %q", s, code, r)
			}
		}
		if again, err := NormalizeJoinCode(code); err != nil || again != code {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, code, again, err)
		}
		trimmed := strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
		if !strings.EqualFold(code, trimmed) || len(code) != len(trimmed) {
			t.Fatalf("NormalizeJoinCode(%q) = %q is not the upper-cased, trimmed input", s, code)
		}
	})
}

func TestJoinCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewJoinCode()
		if got, err := NormalizeJoinCode(c); err != nil || got != c {
			t.Fatalf("NewJoinCode() = %q does not normalise to itself: %q, %v", c, got, err)
		}
		seen[c] = true
	}
	if len(seen) < 990 {
		t.Errorf("only %d distinct codes in 1000", len(seen))
	}
	for _, bad := range []string{"", "ABCDE", "ABCDEFG", "ABCDE1", "ABCDEO", "ABCDEI", "ABCDEL", "ABC-EF", "ſBCDEF", "ABCDEﬀ", "\u200bABCDEF"} {
		if _, err := NormalizeJoinCode(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeJoinCode(%q): %v", bad, err)
		}
	}
	for _, in := range []string{"  xyz234 ", "\uFEFFxyz234", "\u3000XYZ234\u3000"} {
		if got, err := NormalizeJoinCode(in); err != nil || got != "XYZ234" {
			t.Errorf("NormalizeJoinCode(%q) = %q, %v", in, got, err)
		}
	}
}

func TestValidateSlugTimeZoneSpan(t *testing.T) {
	for _, s := range []string{"a", "koe", "koe-conf-2026", strings.Repeat("a", 64)} {
		if err := ValidateSlug(s); err != nil {
			t.Errorf("ValidateSlug(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "Koe", "koe--conf", "-koe", "koe-", "koe_conf", "koe conf", "kœ", strings.Repeat("a", 65)} {
		if err := ValidateSlug(s); ErrorCode(err) != EINVALID {
			t.Errorf("ValidateSlug(%q) = %v", s, err)
		}
	}
	for _, tz := range []string{"UTC", "Asia/Tokyo", "Europe/Paris", "America/Argentina/Buenos_Aires"} {
		if err := ValidateTimeZone(tz); err != nil {
			t.Errorf("ValidateTimeZone(%q): %v", tz, err)
		}
	}
	for _, tz := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", strings.Repeat("A", 65)} {
		if err := ValidateTimeZone(tz); ErrorCode(err) != EINVALID {
			t.Errorf("ValidateTimeZone(%q) = %v", tz, err)
		}
	}
}

// FuzzNormalizeLoginAndPasscode: logins and passcodes from outside are
// refused with EINVALID or come out in their kept form, which
// normalising again does not change.
func FuzzNormalizeLoginAndPasscode(f *testing.F) {
	for _, s := range []string{"aiko", " Ａｉｋｏ ", "a b", "", "ſ", "ＫＯＥ２０２６", "koe\n2026", "\u200b\u200b\u200b\u200b", strings.Repeat("x", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, norm := range map[string]func(string) (string, error){"login": NormalizeLogin, "passcode": NormalizePasscode} {
			got, err := norm(s)
			if err != nil {
				if ErrorCode(err) != EINVALID {
					t.Fatalf("%s %q: code %q", name, s, ErrorCode(err))
				}
				continue
			}
			if again, err := norm(got); err != nil || again != got {
				t.Fatalf("%s %q: %q normalises again to %q, %v", name, s, got, again, err)
			}
		}
	})
}
