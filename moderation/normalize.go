package moderation

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// maxRun is the longest run of one character the normal form keeps:
// "suuuuugoi" and "suuugoi" are the same text to a list or a scorer, but
// "www" (Japanese laughter) stays distinct from "w".
const maxRun = 3

// Normalize returns the form of s that rules, word lists and scorers
// match on (docs/architecture.md, "The pipeline"): NFKC (full-width Latin
// and half-width katakana fold to their usual forms), case folded,
// invisible characters (zero-width spaces and joiners, BOM, soft hyphen,
// bidi controls, variation selectors, other format characters) removed,
// whitespace runs collapsed to one space and trimmed, and runs of one
// character longer than three cut to three. It is idempotent. The text
// kept and shown is always the participant's own; this form is never
// displayed.
func Normalize(s string) string {
	us := normalizeUnits(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, u := range us {
		b.WriteRune(u.r)
	}
	return b.String()
}

// unit is one rune of the normal form and the runes [start, end) of the
// original text it came from, so that a match in the normal form can be
// masked in the original. A unit that absorbed dropped runes (the rest of
// a whitespace run or of a long run of one character) spans them too;
// invisible runes inside a word lie between its units' spans.
type unit struct {
	r          rune
	start, end int32
}

// folders holds case folders: a Caser keeps state between calls and must
// not be shared by goroutines.
var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// normalizeUnits is Normalize keeping, for every rune of the result, where
// it came from. It normalises the text segment by segment between NFKC
// boundaries, where NFKC of the whole is the concatenation of NFKC of the
// parts, so that every output rune maps to a short span of the input.
func normalizeUnits(s string) []unit {
	// Invisible characters go first: one between two runes that compose
	// ("e", ZWJ, U+0301) must not keep them apart in the first pass and
	// let them compose in the second.
	vis := make([]byte, 0, len(s))
	origin := make([]int32, 0, len(s)) // original rune index per byte of vis
	var i int32
	for _, r := range s {
		if !isInvisible(r) {
			n := len(vis)
			vis = utf8.AppendRune(vis, r)
			for range len(vis) - n {
				origin = append(origin, i)
			}
		}
		i++
	}

	out := make([]unit, 0, len(vis))
	var fold *cases.Caser
	for p := 0; p < len(vis); {
		// Fast path: a rune that is its own normal form, followed by one
		// that starts a new segment, is a segment alone.
		r, size := utf8.DecodeRune(vis[p:])
		if c := runeClass(r); c&classStable != 0 {
			if q := p + size; q == len(vis) || runeClass(nextRune(vis[q:]))&classBoundary != 0 {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				out = appendUnit(out, r, origin[p], origin[p]+1)
				p = q
				continue
			}
		}
		n := norm.NFKC.NextBoundary(vis[p:], true)
		if n <= 0 {
			n = len(vis) - p
		}
		seg := vis[p : p+n]
		start, end := origin[p], origin[p+n-1]+1
		p += n
		if fold == nil {
			fold = folders.Get().(*cases.Caser)
			defer folders.Put(fold)
		}
		for _, r := range foldSegment(fold, string(seg)) {
			out = appendUnit(out, r, start, end)
		}
	}
	if k := len(out); k > 0 && out[k-1].r == ' ' {
		out = out[:k-1]
	}
	return out
}

func nextRune(b []byte) rune {
	if b[0] < utf8.RuneSelf {
		return rune(b[0])
	}
	r, _ := utf8.DecodeRune(b)
	return r
}

// Rune classes for the fast path of normalizeUnits.
const (
	// classStable: NFKC and case folding leave the rune alone (ASCII
	// capitals are lowered by hand), and it is not invisible.
	classStable = 1 << iota
	// classBoundary: the rune never combines with what precedes it, so
	// a new NFKC segment starts before it.
	classBoundary
)

// runeClass returns the class bits of r: from a table for the BMP, where
// nearly all text lies, computed for other runes.
func runeClass(r rune) uint8 {
	if r < utf8.RuneSelf {
		// No ASCII rune composes with another; controls other than
		// whitespace never get here, and appendUnit turns whitespace to a
		// space on either path.
		return classStable | classBoundary
	}
	if r < 0x10000 {
		return bmpClasses()[r]
	}
	return computeClass(r)
}

var bmpClasses = sync.OnceValue(func() *[0x10000]uint8 {
	var t [0x10000]uint8
	for r := rune(0x80); r < 0x10000; r++ {
		t[r] = computeClass(r)
	}
	return &t
})

func computeClass(r rune) uint8 {
	if r >= 0xd800 && r < 0xe000 || r == utf8.RuneError {
		return 0
	}
	s := string(r)
	p := norm.NFKC.PropertiesString(s)
	var c uint8
	if p.BoundaryBefore() {
		c |= classBoundary
	}
	if unicode.SimpleFold(r) != r || isInvisible(r) || unicode.IsSpace(r) || !norm.NFKC.IsNormalString(s) {
		return c
	}
	fold := folders.Get().(*cases.Caser)
	defer folders.Put(fold)
	if fold.String(s) == s && p.CCC() == 0 {
		c |= classStable
	}
	return c
}

// foldSegment is NFKC, case folding and NFKC again until nothing changes:
// folding can leave text that NFKC recomposes ("ǰ" folds to j + U+030C),
// and NFKC text that folding changes again.
func foldSegment(fold *cases.Caser, seg string) string {
	s := norm.NFKC.String(seg)
	for range 4 {
		fold.Reset()
		t := norm.NFKC.String(fold.String(s))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// appendUnit adds r to the normal form: invisible results are dropped,
// whitespace collapses and runs are cut, each dropped rune's origin joining
// the unit before it.
func appendUnit(out []unit, r rune, start, end int32) []unit {
	if isInvisible(r) {
		return out
	}
	if unicode.IsSpace(r) {
		r = ' '
	}
	k := len(out)
	if r == ' ' && k == 0 {
		return out // leading space
	}
	if k > 0 {
		last := &out[k-1]
		if last.r == ' ' && r == ' ' || sameRun(out, r) {
			if end > last.end {
				last.end = end
			}
			return out
		}
	}
	return append(out, unit{r, start, end})
}

// sameRun reports whether out already ends in maxRun copies of r.
func sameRun(out []unit, r rune) bool {
	if len(out) < maxRun {
		return false
	}
	for _, u := range out[len(out)-maxRun:] {
		if u.r != r {
			return false
		}
	}
	return true
}

// isInvisible reports whether r draws nothing and so must not keep the
// letters of a word apart: format characters (ZWSP, ZWNJ, ZWJ, U+2060,
// BOM, soft hyphen, bidi controls), variation selectors, other default
// ignorables (Hangul fillers, the combining grapheme joiner), and control
// characters other than whitespace.
func isInvisible(r rune) bool {
	if r < 0x80 {
		return r < 0x20 && !unicode.IsSpace(r) || r == 0x7f
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.IsControl(r) && !unicode.IsSpace(r)
}
