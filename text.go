package koe

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on text that enters koe, in Unicode code points after NFC
// normalisation and trimming.
const (
	MaxQuestionLen    = 500
	MaxReplyLen       = 1000
	MaxDisplayNameLen = 40
	MaxTitleLen       = 200
	MaxSpeakerLen     = 200
	MaxTrackLen       = 100
	MaxRoomLen        = 100
	MaxLanguageLen    = 35
	MaxSlugLen        = 64

	// MaxCombiningMarks caps the combining marks (Mn, Me, Mc) that may
	// follow one base character. Real writing stays well below it:
	// Vietnamese and polytonic Greek use up to 3, Thai and Indic clusters
	// 2 or 3, emoji keycaps 2, and the tallest Tibetan Sanskrit stacks 8.
	// Beyond that the marks only serve to draw "Zalgo" text over the
	// lines above and below, which on a shared screen hides other
	// questions.
	MaxCombiningMarks = 8
)

// CleanText normalises user text: NFC, CRLF and CR to LF, trimmed, with
// control characters other than newline and tab rejected. Text that is not
// empty but shows nothing (only invisible characters or marks without a
// base), and text that stacks more than MaxCombiningMarks marks on one
// character, is rejected too. It returns the cleaned text, or an EINVALID
// error naming field when the result is not between min and max code
// points long.
func CleanText(field, s string, min, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", Invalid(field, ReasonInvalidUTF8, 0, "%s is not valid UTF-8", field)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = norm.NFC.String(s)
	s = strings.TrimFunc(s, unicode.IsSpace)
	visible := false
	marks := 0 // combining marks since the last base character
	for _, r := range s {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return "", Invalid(field, ReasonControlChar, 0, "%s contains a control character (U+%04X)", field, r)
		}
		if isBidiControl(r) {
			return "", Invalid(field, ReasonDirectionChar, 0, "%s contains a text direction control (U+%04X)", field, r)
		}
		switch {
		case isMark(r):
			if marks++; marks > MaxCombiningMarks {
				return "", Invalid(field, ReasonTooManyMarks, MaxCombiningMarks, "%s stacks too many combining marks on one character (at most %d)", field, MaxCombiningMarks)
			}
		case isIgnorable(r):
			// Zero-width characters draw no base of their own, so the
			// marks around them still pile onto the same character:
			// interleaving joiners must not restart the count.
		default:
			marks = 0
			visible = visible || !isInvisible(r)
		}
	}
	// Invisible characters are kept in text that shows something (emoji
	// need ZWJ and variation selectors, some scripts ZWNJ), but text made
	// only of them would be an empty question that passes the length check.
	if s != "" && !visible {
		return "", Invalid(field, ReasonNoVisibleChars, 0, "%s has no visible characters", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		if min == 1 {
			return "", Invalid(field, ReasonEmpty, 0, "%s must not be empty", field)
		}
		return "", Invalid(field, ReasonTooShort, min, "%s must be at least %d characters", field, min)
	}
	if n > max {
		return "", Invalid(field, ReasonTooLong, max, "%s must be at most %d characters (got %d)", field, max, n)
	}
	return s, nil
}

// CleanLine is CleanText for single-line values such as names and titles:
// newlines and tabs are rejected as well.
func CleanLine(field, s string, min, max int) (string, error) {
	s, err := CleanText(field, s, min, max)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(s, "\n\t") {
		return "", Invalid(field, ReasonMultiline, 0, "%s must be a single line", field)
	}
	return s, nil
}

// isBidiControl reports the embedding, override and isolate controls that
// can make text display in another order than it reads (a question that
// looks harmless on the projector). Marks and joiners stay allowed: emoji
// and some scripts need them.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// isMark reports combining marks, which draw on the preceding base
// character rather than on their own.
func isMark(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

// isIgnorable reports the characters Unicode lets renderers draw as
// nothing: format characters (zero-width space and joiners, BOM, soft
// hyphen, word joiner, tags), variation selectors and the other default
// ignorable code points (Hangul fillers, combining grapheme joiner,
// unassigned tag space). They cannot serve as a base for marks.
func isIgnorable(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// isInvisible reports characters that show nothing on their own: the
// ignorable ones, white space, and U+2800 BRAILLE PATTERN BLANK, which
// fonts draw as an empty cell and is a common way to fake a blank name.
func isInvisible(r rune) bool {
	return isIgnorable(r) || unicode.IsSpace(r) || r == 0x2800
}
