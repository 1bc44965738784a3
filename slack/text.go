package slack

import (
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits of Block Kit that the builders keep to, in characters as Slack
// counts them (UTF-16 code units, which is never fewer than runes): Slack
// refuses a message beyond them ("invalid_blocks").
const (
	// MaxSectionText is what the builders put in a section's text: below
	// Slack's 3000, leaving room for what they add around it.
	MaxSectionText = 2900
	maxHeaderText  = 150  // header block
	maxContextText = 2000 // one context element
	maxFallback    = 300  // the notification text: a preview, not the message
	maxName        = 200  // an event, talk or author named in a line
	maxListItem    = 300  // one question in a digest's list
	// MaxButtonValue is the longest value a button may carry; a card's
	// Value is put in its buttons as it is, and must fit.
	MaxButtonValue = 2000
)

// escape makes s literal in Slack's mrkdwn: the three characters Slack
// reads as control sequences (<@U…> mentions, <!here>, <url|links>) are
// sent as entities, so a participant's text cannot mention or link.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// escapeCut escapes s and cuts it, at a rune boundary and never inside an
// entity, so that the result, with "…" when cut, fits limit characters.
func escapeCut(s string, limit int) string {
	s = escape(strings.ToValidUTF8(s, "\uFFFD"))
	if width(s) <= limit {
		return s
	}
	n, end := 0, 0
	for end < len(s) {
		tok, size := s[end:end+1], 0
		if s[end] == '&' {
			// One of escape's entities: kept whole or not at all.
			size = strings.IndexByte(s[end:], ';') + 1
			tok = s[end : end+size]
		} else {
			_, size = utf8.DecodeRuneInString(s[end:])
			tok = s[end : end+size]
		}
		if n+width(tok) > limit-1 {
			break
		}
		n += width(tok)
		end += size
	}
	return s[:end] + "…"
}

// width is the length of s as Slack counts it.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// oneLine folds the line breaks and tabs of s into spaces, for a name or
// a list item that must stay on its line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// link is a mrkdwn link to u with text label (escaped here), or the label
// alone when u is not an absolute http(s) URL. The URL is sent escaped
// and with "|" encoded, so that it cannot end the link early.
func link(u, label string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || !utf8.ValidString(u) ||
		strings.ContainsAny(u, " \t\r\n") {
		return escape(label)
	}
	return "<" + escape(strings.ReplaceAll(u, "|", "%7C")) + "|" + escape(label) + ">"
}
