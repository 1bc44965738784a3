package moderation

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/koehq/koe"
)

// WordRule is one entry of a word list and what a match asks for.
type WordRule struct {
	Word   string `json:"word"`
	Action Action `json:"action"`
}

// List is a named word list: "en" and "ja" (shipped) or "event".
type List struct {
	Name  string
	Rules []WordRule
}

//go:embed words/en.txt words/ja.txt words/allow.txt
var wordFiles embed.FS

// ShippedLists returns the English and Japanese lists koe ships
// (moderation/words, from LDNOOBW via naughty-words, CC BY 4.0), every
// entry with the action Queue: a list this blunt holds a text for a
// moderator, it does not reject anyone; an event that wants a word blocked
// lists it itself.
func ShippedLists() []List {
	var lists []List
	for _, name := range []string{"en", "ja"} {
		l := List{Name: name}
		for _, w := range readWordFile("words/" + name + ".txt") {
			l.Rules = append(l.Rules, WordRule{Word: w, Action: Queue})
		}
		lists = append(lists, l)
	}
	return lists
}

// ShippedAllow returns koe's allow-list for the shipped lists: ordinary
// words that contain a shipped entry ("ヌードル", "cum laude").
func ShippedAllow() []string { return readWordFile("words/allow.txt") }

func readWordFile(name string) []string {
	b, err := wordFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	var words []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			words = append(words, w)
		}
	}
	return words
}

var shippedWords = sync.OnceValue(func() *WordList { return NewWordList(ShippedLists(), ShippedAllow()) })

// ShippedWords is the shipped lists and allow-list compiled, once per
// process: the Words of an event that adds nothing of its own.
func ShippedWords() *WordList { return shippedWords() }

// EventWords compiles the shipped lists (when shipped is true) and an
// event's own entries (list "event") and allow-list, after the shipped
// allow-list. An event entry replaces a shipped entry of the same word, so
// an event can raise "ass" to block or lower it to flag.
func EventWords(shipped bool, rules []WordRule, allow []string) *WordList {
	var lists []List
	if shipped {
		lists = ShippedLists()
		allow = append(ShippedAllow(), allow...)
	}
	return NewWordList(append(lists, List{Name: "event", Rules: rules}), allow)
}

// WordList matches a text against word lists and an allow-list, compiled
// once into one automaton. It is safe for concurrent use.
type WordList struct {
	ac   automaton
	pats []pattern
}

// pattern is one compiled entry (or allow entry).
type pattern struct {
	word    string // normal form
	entry   string // as the list has it, for the reason
	list    string
	action  Action
	bounded bool // match on word boundaries only (Latin entries)
	allow   bool
}

// NewWordList compiles lists and an allow-list. Entries and allow entries
// are normalised (Normalize); those empty after it are skipped. When a
// word appears in several lists the last one's entry wins. An entry with
// an action other than mask, flag, queue or block (CleanWordRules refuses
// them) is taken as queue.
//
// A Latin entry (every letter Latin, at least one letter or digit) matches
// whole words: the characters either side of it are not letters or digits
// of a script that separates words by spaces, so "ass" does not match
// "assess" or "classic", but does match "assです". Any other entry
// (Japanese, emoji) matches anywhere. An allow entry whose match covers an
// entry's match suppresses it ("dick grune" saves "Dick Grune").
func NewWordList(lists []List, allow []string) *WordList {
	l := &WordList{}
	index := map[string]int{} // normal form → pattern, for entries
	for _, list := range lists {
		for _, r := range list.Rules {
			w := Normalize(r.Word)
			if w == "" {
				continue
			}
			a := r.Action
			if a.Rank() == 0 {
				a = Queue
			}
			p := pattern{word: w, entry: strings.TrimSpace(r.Word), list: list.Name, action: a, bounded: isLatinWord(w)}
			if i, ok := index[w]; ok {
				l.pats[i] = p
				continue
			}
			index[w] = len(l.pats)
			l.pats = append(l.pats, p)
		}
	}
	seen := map[string]bool{}
	for _, a := range allow {
		w := Normalize(a)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		l.pats = append(l.pats, pattern{word: w, bounded: isLatinWord(w), allow: true})
	}
	words := make([]string, len(l.pats))
	for i, p := range l.pats {
		words[i] = p.word
	}
	l.ac = buildAutomaton(words)
	return l
}

// Len is the number of entries, allow entries not counted.
func (l *WordList) Len() int {
	if l == nil {
		return 0
	}
	n := 0
	for _, p := range l.pats {
		if !p.allow {
			n++
		}
	}
	return n
}

// Match returns a reason for every entry that matches the normalised text
// (Normalize's result), in the order they first match: Kind "word", Name
// the list, Detail the entry as the list has it, and its action.
func (l *WordList) Match(normalized string) []Reason {
	reasons, _ := l.scan(normalizeUnits(normalized))
	return reasons
}

// Mask returns original with every match of a Mask entry replaced by
// asterisks, one per rune of the original, so the rest of the text keeps
// its runes and places. Matching is on the normal form; the span masked is
// the original runes that the match came from (a zero-width space inside
// the word is masked with it).
func (l *WordList) Mask(original string) string {
	_, spans := l.scan(normalizeUnits(original))
	return maskSpans(original, spans)
}

// span is a half-open range of rune indices of the original text.
type span struct{ start, end int32 }

// maskSpans replaces the runes of s within spans by asterisks.
func maskSpans(s string, spans []span) string {
	if len(spans) == 0 {
		return s
	}
	rs := []rune(s)
	for _, sp := range spans {
		for i := sp.start; i < sp.end && int(i) < len(rs); i++ {
			rs[i] = '*'
		}
	}
	return string(rs)
}

// hit is a match of pattern p on units [start, end) of a variant.
type hit struct {
	p          int32
	start, end int32
}

// scan matches the units of a text, returning the reasons and the
// original spans to mask. Besides the normal form it tries its squeezed
// forms, where every run of three (a run of three or more in the text) is
// cut to one and to two: "fuuuuuck" and "asssss" match "fuck" and "ass",
// while "ass" itself, a run of two, stays as it is.
func (l *WordList) scan(us []unit) ([]Reason, []span) {
	if l == nil || len(l.pats) == 0 || len(us) == 0 {
		return nil, nil
	}
	var reasons []Reason
	var spans []span
	var done []bool // per pattern: reason given
	variants := [][]unit{us}
	if hasRun(us) {
		variants = append(variants, squeeze(us, 1), squeeze(us, 2))
	}
	var hits []hit
	for _, v := range variants {
		hits = l.ac.find(v, hits[:0])
		for _, h := range hits {
			p := &l.pats[h.p]
			if p.allow || p.bounded && !onBoundary(v, h.start, h.end) || allowed(l.pats, v, hits, h) {
				continue
			}
			if p.action == Mask {
				spans = append(spans, span{v[h.start].start, v[h.end-1].end})
			}
			if done == nil {
				done = make([]bool, len(l.pats))
			}
			if !done[h.p] {
				done[h.p] = true
				reasons = append(reasons, Reason{Kind: "word", Name: p.list, Detail: p.entry, Action: p.action})
			}
		}
	}
	return reasons, spans
}

// allowed reports whether an allow entry's match covers h.
func allowed(pats []pattern, v []unit, hits []hit, h hit) bool {
	for _, a := range hits {
		p := &pats[a.p]
		if p.allow && a.start <= h.start && h.end <= a.end && (!p.bounded || onBoundary(v, a.start, a.end)) {
			return true
		}
	}
	return false
}

// onBoundary reports whether units [start, end) stand as a whole word.
func onBoundary(v []unit, start, end int32) bool {
	return (start == 0 || !isWordRune(v[start-1].r)) && (int(end) == len(v) || !isWordRune(v[end].r))
}

// isWordRune reports whether r continues a word written with spaces
// between words: letters and digits (and marks on them), but not the
// letters of scripts written without spaces, where a Latin word often
// sits right against the text around it ("shitです").
func isWordRune(r rune) bool {
	if r < 0x80 {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
		return false
	}
	return !isUnspacedScript(r)
}

// isUnspacedScript reports whether r belongs to a script written without
// spaces between words (or, Korean, with particles joined to them).
func isUnspacedScript(r rune) bool {
	return r == 'ー' || r == '々' || unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// isLatinWord reports whether the normalised entry w matches on word
// boundaries: it has a letter or digit and every letter is Latin.
func isLatinWord(w string) bool {
	word := false
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			if !unicode.Is(unicode.Latin, r) {
				return false
			}
			word = true
		case unicode.IsDigit(r):
			word = true
		}
	}
	return word
}

// hasRun reports whether us holds a run of maxRun copies of one rune.
func hasRun(us []unit) bool {
	for i := maxRun - 1; i < len(us); i++ {
		if us[i].r == us[i-1].r && us[i].r == us[i-2].r {
			return true
		}
	}
	return false
}

// squeeze cuts every run of maxRun copies of one rune to n, the kept
// units spanning the whole run.
func squeeze(us []unit, n int) []unit {
	out := make([]unit, 0, len(us))
	for i := 0; i < len(us); {
		j := i + 1
		for j < len(us) && us[j].r == us[i].r {
			j++
		}
		if j-i < maxRun {
			out = append(out, us[i:j]...)
		} else {
			run := us[i:j]
			for k := range n {
				u := run[k]
				if k == n-1 {
					u.end = run[len(run)-1].end
				}
				out = append(out, u)
			}
		}
		i = j
	}
	return out
}

// Limits on an event's own word list and allow-list.
const (
	MaxEventWords = 1000 // entries in each of the list and the allow-list
	MaxWordLen    = 64   // runes of an entry's normal form
)

// CleanWordRules validates an event's entries (field "words") and
// allow-list (field "allow"): at most MaxEventWords each, every entry and
// allow entry 1..MaxWordLen runes in the normal form, every action one of
// mask, flag, queue and block. It returns an EINVALID *koe.Error naming
// the first bad value ("words[3].action", "allow[0]").
func CleanWordRules(rules []WordRule, allow []string) error {
	if len(rules) > MaxEventWords {
		return koe.Invalid("words", koe.ReasonTooLong, MaxEventWords, "words must have at most %d entries", MaxEventWords)
	}
	if len(allow) > MaxEventWords {
		return koe.Invalid("allow", koe.ReasonTooLong, MaxEventWords, "allow must have at most %d entries", MaxEventWords)
	}
	for i, r := range rules {
		if err := cleanWord(fmt.Sprintf("words[%d].word", i), r.Word); err != nil {
			return err
		}
		if r.Action.Rank() == 0 {
			f := fmt.Sprintf("words[%d].action", i)
			return koe.Invalid(f, koe.ReasonFormat, 0, "%s must be mask, flag, queue or block", f)
		}
	}
	for i, a := range allow {
		if err := cleanWord(fmt.Sprintf("allow[%d]", i), a); err != nil {
			return err
		}
	}
	return nil
}

func cleanWord(field, w string) error {
	if !utf8.ValidString(w) {
		return koe.Invalid(field, koe.ReasonInvalidUTF8, 0, "%s is not valid UTF-8", field)
	}
	n := utf8.RuneCountInString(Normalize(w))
	if n == 0 {
		return koe.Invalid(field, koe.ReasonEmpty, 0, "%s must not be empty", field)
	}
	if n > MaxWordLen {
		return koe.Invalid(field, koe.ReasonTooLong, MaxWordLen, "%s must be at most %d characters (got %d)", field, MaxWordLen, n)
	}
	return nil
}
