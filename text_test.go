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
	} {
		f.Add(s, uint16(1), uint16(500))
		f.Add(s, uint16(0), uint16(40))
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
	for _, s := range []string{"ABCDEF", "abcdef", " abcdef ", "ABCDE", "ABCDEFG", "IIIIII", "0O0O0O", "ABC DE", "ÄBCDEF", "ſſſſſſ", "\tXYZ234\n", ""} {
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
		if code != strings.ToUpper(strings.TrimSpace(s)) {
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
	for _, bad := range []string{"", "ABCDE", "ABCDEFG", "ABCDE1", "ABCDEO", "ABCDEI", "ABCDEL", "ABC-EF"} {
		if _, err := NormalizeJoinCode(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeJoinCode(%q): %v", bad, err)
		}
	}
	if got, err := NormalizeJoinCode("  xyz234 "); err != nil || got != "XYZ234" {
		t.Errorf("NormalizeJoinCode = %q, %v", got, err)
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
