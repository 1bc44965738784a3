package moderation

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Thresholds of the text rules (docs/architecture.md, "The pipeline").
const (
	// RepeatedSimilarity is how alike (trigram Jaccard) a text must be to
	// one of its author's recent texts to count as the same text again.
	RepeatedSimilarity = 0.9
	// DuplicateSimilarity is how alike a question must be to a visible
	// question of the talk to count as its near-duplicate.
	DuplicateSimilarity = 0.8
	// minSimilarRunes: texts shorter than this (in the normal form) are
	// compared by equality only; three trigrams say little ("ありがとう").
	minSimilarRunes = 8
)

// Existing is a visible question of the talk, for the duplicate rule.
type Existing struct {
	ID   int64
	Body string
}

// CountLinks counts the links in a normalised text: anything with an
// http:// or https:// scheme, anything starting with "www.", and bare
// domains followed by a path ("example.com/path") or ending in a common
// top-level domain ("example.com", "koe.dev"). A bare "main.go" or
// "README.md" is a file name, not a link; an e-mail address is not a link
// either.
func CountLinks(normalized string) int {
	n := 0
	s := normalized
	for s != "" {
		i := strings.IndexFunc(s, isURLRune)
		if i < 0 {
			break
		}
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !isURLRune(r) })
		if j < 0 {
			j = len(s)
		}
		if isLink(s[:j]) {
			n++
		}
		s = s[j:]
	}
	return n
}

// isURLRune reports whether r may appear in a link as people type it.
func isURLRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~:/?#[]@!$&'*+,;=%", r)
}

// commonTLDs are top-level domains seen in links that are not also common
// file extensions (".md", ".py", ".go", ".rs" and ".sh" are both).
var commonTLDs = []string{"app", "biz", "blog", "cloud", "co", "com", "dev", "edu", "gg", "gov", "info", "io", "jp", "me", "net", "org", "page", "site", "tech", "tokyo", "tv", "uk", "us", "xyz"}

// isLink reports whether a run of URL characters is a link.
func isLink(tok string) bool {
	tok = strings.TrimRight(tok, ".,:;!?'")
	if i := strings.Index(tok, "://"); i >= 0 {
		scheme := tok[:i]
		if k := strings.LastIndexAny(scheme, "\"'([<"); k >= 0 {
			scheme = scheme[k+1:]
		}
		return strings.HasSuffix(scheme, "http") || strings.HasSuffix(scheme, "https")
	}
	if strings.HasPrefix(tok, "www.") && len(tok) > len("www.") {
		return true
	}
	host, path, hasPath := strings.Cut(tok, "/")
	if strings.ContainsRune(host, '@') {
		return false
	}
	host, _, _ = strings.Cut(host, ":")
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") != "" || len(tld) < 2 {
		return false
	}
	return hasPath && path != "" || slices.Contains(commonTLDs, tld)
}

// Repeated reports whether a normalised text is the same as, or nearly
// (RepeatedSimilarity), one of its author's recent texts (as written;
// they are normalised here).
func Repeated(normalized string, recent []string) bool {
	if len(recent) == 0 {
		return false
	}
	return repeated(newTrigrams(normalized), recent)
}

func repeated(a trigrams, recent []string) bool {
	for _, r := range recent {
		if b := cachedTrigrams(r); a.reaches(b, RepeatedSimilarity) && a.similarity(b) >= RepeatedSimilarity && sameNumbers(a.text, b.text) {
			return true
		}
	}
	return false
}

// Duplicate returns the visible question most like the normalised text,
// when it is at least DuplicateSimilarity alike and holds the same
// numbers ("slide 12" and "slide 20" are two questions), and how alike;
// 0 for none.
func Duplicate(normalized string, visible []Existing) (id int64, similarity float64) {
	if len(visible) == 0 {
		return 0, 0
	}
	return duplicate(newTrigrams(normalized), visible)
}

func duplicate(a trigrams, visible []Existing) (id int64, similarity float64) {
	for _, q := range visible {
		b := cachedTrigrams(q.Body)
		if !a.reaches(b, DuplicateSimilarity) {
			continue
		}
		if s := a.similarity(b); s >= DuplicateSimilarity && s > similarity && sameNumbers(a.text, b.text) {
			id, similarity = q.ID, s
		}
	}
	return id, similarity
}

// sameNumbers reports whether two texts hold the same runs of digits, in
// the same order.
func sameNumbers(a, b string) bool {
	digits := func(s string) []string { return numberRuns.FindAllString(s, -1) }
	return slices.Equal(digits(a), digits(b))
}

var numberRuns = regexp.MustCompile(`[0-9]+`)

// Similarity is the Jaccard similarity of two normalised texts' sets of
// character trigrams, 0..1. Texts shorter than eight runes have too few
// trigrams to compare: they are alike (1) only when equal.
func Similarity(a, b string) float64 {
	return newTrigrams(a).similarity(newTrigrams(b))
}

// trigrams is a text and its character trigrams, sorted and unique; a
// trigram is its three runes packed in 63 bits.
type trigrams struct {
	text  string
	short bool
	set   []uint64
}

func newTrigrams(s string) trigrams {
	t := trigrams{text: s, short: utf8.RuneCountInString(s) < minSimilarRunes}
	if t.short {
		return t
	}
	var key uint64 // the last three runes, 21 bits each
	i := 0
	for _, r := range s {
		key = (key<<21 | uint64(r)) & (1<<63 - 1)
		if i++; i >= 3 {
			t.set = append(t.set, key)
		}
	}
	slices.Sort(t.set)
	t.set = slices.Compact(t.set)
	return t
}

// reaches reports whether a and b may be at least min alike, cheaply:
// Jaccard is at most the smaller set's size over the larger's.
func (a trigrams) reaches(b trigrams, min float64) bool {
	if a.text == b.text {
		return true
	}
	n, m := len(a.set), len(b.set)
	return n > 0 && m > 0 && float64(n) >= min*float64(m) && float64(m) >= min*float64(n)
}

func (a trigrams) similarity(b trigrams) float64 {
	if a.text == b.text {
		return 1
	}
	if a.short || b.short || len(a.set) == 0 || len(b.set) == 0 {
		return 0
	}
	inter := 0
	for i, j := 0, 0; i < len(a.set) && j < len(b.set); {
		switch {
		case a.set[i] < b.set[j]:
			i++
		case a.set[i] > b.set[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	return float64(inter) / float64(len(a.set)+len(b.set)-inter)
}

// The trigrams of texts the rules compare with (a talk's visible
// questions, an author's recent texts) are the same from one check to the
// next: they are kept, by the text as written, until the cache is full,
// then dropped all at once.
const maxCachedTrigrams = 4096

var trigramCache = struct {
	sync.RWMutex
	m map[string]trigrams
}{m: map[string]trigrams{}}

func cachedTrigrams(text string) trigrams {
	trigramCache.RLock()
	t, ok := trigramCache.m[text]
	trigramCache.RUnlock()
	if ok {
		return t
	}
	t = newTrigrams(Normalize(text))
	trigramCache.Lock()
	if len(trigramCache.m) >= maxCachedTrigrams {
		clear(trigramCache.m)
	}
	trigramCache.m[text] = t
	trigramCache.Unlock()
	return t
}
