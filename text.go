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
	MaxSlugLen        = 64
)

// CleanText normalises user text: NFC, CRLF and CR to LF, trimmed, with
// control characters other than newline and tab rejected. It returns the
// cleaned text, or an EINVALID error naming field when the result is not
// between min and max code points long.
func CleanText(field, s string, min, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "%s is not valid UTF-8", field)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = norm.NFC.String(s)
	s = strings.TrimFunc(s, unicode.IsSpace)
	for _, r := range s {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return "", Errorf(EINVALID, "%s contains a control character (U+%04X)", field, r)
		}
		if isBidiControl(r) {
			return "", Errorf(EINVALID, "%s contains a text direction control (U+%04X)", field, r)
		}
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		if min == 1 {
			return "", Errorf(EINVALID, "%s must not be empty", field)
		}
		return "", Errorf(EINVALID, "%s must be at least %d characters", field, min)
	}
	if n > max {
		return "", Errorf(EINVALID, "%s must be at most %d characters (got %d)", field, max, n)
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
		return "", Errorf(EINVALID, "%s must be a single line", field)
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
