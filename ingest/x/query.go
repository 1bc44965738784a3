package x

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/koehq/koe"
)

// MaxQuery is the longest search query, in characters, that X's
// self-serve tiers take.
const MaxQuery = 512

// buildQuery makes the recent-search query for a source's terms:
// "(#tag OR word OR "two words") -is:retweet". Keywords that are not plain
// words are quoted, so that a keyword can never act as an operator
// ("from:someone", "-is:reply", "OR"); X has no escape for a quote inside
// quotes, so quotes in keywords become spaces.
func buildQuery(hashtags, keywords []string) (string, error) {
	var terms []string
	seen := map[string]bool{}
	add := func(t string) {
		if k := strings.ToLower(t); !seen[k] {
			seen[k] = true
			terms = append(terms, t)
		}
	}
	for _, h := range hashtags {
		h = strings.TrimPrefix(strings.TrimSpace(h), "#")
		if h == "" || !plainWord(h) {
			return "", koe.Invalid("config.hashtags", koe.ReasonFormat, 0,
				"X hashtags are made of letters, digits and underscores: %q is not one", cutRunes(h, 40))
		}
		add("#" + h)
	}
	for _, k := range keywords {
		k = strings.Map(func(r rune) rune {
			if r == '"' || !unicode.IsGraphic(r) {
				return ' '
			}
			return r
		}, strings.ToValidUTF8(k, ""))
		k = strings.Join(strings.Fields(k), " ")
		switch {
		case k == "":
		case plainWord(k) && k != "OR" && k != "AND":
			add(k)
		default:
			add(`"` + k + `"`)
		}
	}
	if len(terms) == 0 {
		return "", koe.Invalid("config.hashtags", koe.ReasonEmpty, 0, "an X source needs at least one hashtag or keyword")
	}
	q := "(" + strings.Join(terms, " OR ") + ") -is:retweet"
	if n := utf8.RuneCountInString(q); n > MaxQuery {
		field := "config.keywords"
		if len(keywords) == 0 {
			field = "config.hashtags"
		}
		return "", koe.Invalid(field, koe.ReasonTooLong, MaxQuery,
			"X takes search queries of at most %d characters; these hashtags and keywords make one of %d: follow fewer or shorter ones", MaxQuery, n)
	}
	return q, nil
}

// plainWord reports whether s is letters, digits, marks and underscores
// only: what X takes as a hashtag, and a keyword that needs no quotes.
func plainWord(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			return false
		}
	}
	return true
}

// cutRunes shortens s to at most n characters, for messages.
func cutRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
