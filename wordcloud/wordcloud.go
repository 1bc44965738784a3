// Package wordcloud turns one free-text answer of a word-cloud poll (SPEC F20) into the words the
// cloud counts.
//
// The rules, in the order they apply (wordcloud_test.go spells each one out as cases):
//
//  1. The answer is NFKC-normalised: full-width ＡＢＣ becomes ABC, half-width ｶﾀｶﾅ becomes
//     カタカナ, ① becomes 1. Only its first maxInputRunes runes are read (an answer is at most 60
//     characters; the cap only bounds the work for hostile input).
//  2. Anything that is not a letter, a combining mark, a decimal digit or one of + # . becomes a
//     space: emoji, symbols, punctuation (Japanese 「」、。・ too), control characters and
//     invalid UTF-8 are dropped.
//  3. An answer with no kana or kanji is Latin text (step 4). An answer with any kana or kanji is
//     split by the kagome morphological analyser with the IPA dictionary (step 5); the runs of
//     its tokens that hold no kana or kanji (the "Go" of 「Goの並行処理」) follow the Latin rules.
//  4. Latin text: a word is a run of letters, marks, digits and + # . ("C++", "C#", "node.js",
//     "k8s", "+1"); dots at its end go, so do a leading "#" (a hashtag counts as its word) and
//     leading dots unless a single one starts the word (".net"). A word needs a letter or digit.
//     It is lower-cased (so is any cased script: Café → café, МИР → мир), and English stop words
//     (stopWords) are dropped. Other scripts written with spaces (Hangul, Cyrillic) split the same.
//  5. Japanese: the analyser runs in Normal mode, which keeps a compound it knows or an unknown
//     katakana run whole (日本経済新聞, オブザーバビリティ) where Search mode would cut it
//     (オブ + ザーバビリティ). Kept are nouns except 非自立 (こと), 代名詞 (それ), 数 (三) and
//     特殊/接続詞的/動詞非自立的 ones, as written; a suffix noun (接尾) of the kinds 一般, サ変接続,
//     形容動詞語幹 and 地域 joins the noun it follows (勉強+会 → 勉強会, 自動+化 → 自動化) and
//     other suffixes (さん, 回, 中), or one that stands alone, are dropped. Verbs and adjectives
//     that are 自立 are kept in their base form (楽しかった → 楽しい), except a few light ones
//     (jaStopWords: する, なる, ある, いる, ない, …). Particles, auxiliaries, adverbs, prefixes,
//     conjunctions, interjections and symbols are dropped. Latin letters inside a Japanese word
//     are lower-cased too (Tシャツ → tシャツ) so that both spellings count together.
//  6. A word longer than MaxRunes runes is dropped (it is no word a cloud can show). A word of
//     one letter or digit ("a", "x", the 3 of 「第3回」) is dropped unless the answer is that one
//     character (spaces and punctuation aside): "C" or "R!" alone is the language and is kept.
//  7. Each word counts once, in the order given, and at most MaxWords words are kept.
//
// The dictionary (about 12 MB embedded in the binary) is loaded once, on the first Japanese
// answer or by Warm; a Latin answer never loads it.
package wordcloud

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
	"golang.org/x/text/unicode/norm"
)

// MaxWords bounds the words one answer gives.
const MaxWords = 5

// MaxRunes bounds the length of one word, in runes.
const MaxRunes = 40

// maxInputRunes bounds how much of an answer is read, before and after NFKC (which can expand one
// rune into up to 18).
const maxInputRunes = 256

var (
	warmOnce sync.Once
	tok      *tokenizer.Tokenizer
)

// Warm loads the dictionary (Words loads it on first use otherwise); safe to call concurrently.
func Warm() {
	warmOnce.Do(func() {
		t, err := tokenizer.New(ipa.Dict(), tokenizer.OmitBosEos())
		if err != nil {
			// Only a nil dictionary fails, and ipa.Dict panics itself on a broken embed.
			panic("wordcloud: " + err.Error())
		}
		tok = t
	})
}

// Words returns the words of one answer that a word cloud counts, each once, in the order given:
// NFKC-normalised, Latin letters lower-cased, Japanese split by the morphological analyser.
func Words(text string) []string {
	text = clean(norm.NFKC.String(firstRunes(text, maxInputRunes)))
	var cands []string
	if hasJapanese(text) {
		cands = japaneseWords(text)
	} else {
		cands = latinWords(text, nil)
	}
	return finish(cands, wordRunes(text) == 1)
}

// finish applies rules 6 and 7 to the candidate words, in order; oneRune tells that the answer
// has a single letter or digit.
func finish(cands []string, oneRune bool) []string {
	var out []string
	for _, w := range cands {
		if len(out) == MaxWords {
			break
		}
		if w == "" || slices.Contains(out, w) || utf8.RuneCountInString(w) > MaxRunes ||
			!oneRune && isOneLatinRune(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// wordRunes counts the letters, marks and digits of s.
func wordRunes(s string) int {
	n := 0
	for _, r := range s {
		if isWordRune(r) {
			n++
		}
	}
	return n
}

// isOneLatinRune reports a word of one rune that is no kana or kanji (愛 is a word, x is not).
func isOneLatinRune(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	return size == len(w) && !isJapanese(r)
}

// firstRunes returns s cut after n runes.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// clean applies rule 2 and the cap of rule 1 after normalisation.
func clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for _, r := range s { // invalid UTF-8 comes as utf8.RuneError, a symbol
		if n == maxInputRunes {
			break
		}
		n++
		if isWordRune(r) || r == '+' || r == '#' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r)
}

// isJapanese reports kana and kanji (and the prolonged sound mark ー, which is in no script).
func isJapanese(r rune) bool {
	return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) || r == 'ー'
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if isJapanese(r) {
			return true
		}
	}
	return false
}

// stopWords are English words too common to say anything in a cloud.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		a an the and or but nor so yet of to in on at by for from with without into onto about
		as than then is are was were be been being am it its this that these those there
		here i me my we us our you your he him his she her they them their what which who whom
		do does did doing have has had not no very too just also can will would should could
		may might must if else when where why how all any some such own same only more most`) {
		stopWords[w] = true
	}
}

// latinWords applies rule 4 to s, appending to words.
func latinWords(s string, words []string) []string {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !isWordRune(r) && r != '+' && r != '#' && r != '.'
	}) {
		f = strings.TrimRight(f, ".")
		f = strings.TrimLeft(f, "#")
		if rest := strings.TrimLeft(f, "."); len(f)-len(rest) != 1 || !startsWithLetter(rest) {
			f = rest // ".net" keeps its dot, "...so" and ".5" do not
		}
		if !strings.ContainsFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.Is(unicode.Nd, r) }) {
			continue
		}
		f = strings.ToLower(f)
		if stopWords[f] {
			continue
		}
		words = append(words, f)
	}
	return words
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// jaStopWords are base forms of light verbs and adjectives that carry no content of their own.
var jaStopWords = map[string]bool{
	"する": true, "なる": true, "ある": true, "いる": true, "いう": true, "ない": true,
	"できる": true, "れる": true, "られる": true, "せる": true, "させる": true,
}

// japaneseWords applies rule 5 to s, sending the runs of tokens without kana or kanji to
// latinWords.
func japaneseWords(s string) []string {
	Warm()
	var words []string
	latinFrom := -1    // byte offset in s where the current run of non-Japanese tokens starts
	afterNoun := false // the last token was a noun, the last of words
	for _, t := range tok.Analyze(s, tokenizer.Normal) {
		if !hasJapanese(t.Surface) {
			if latinFrom < 0 {
				latinFrom = t.Position
			}
			afterNoun = false
			continue
		}
		if latinFrom >= 0 {
			words = latinWords(s[latinFrom:t.Position], words)
			latinFrom = -1
		}
		w, kind := contentWord(t)
		switch {
		case kind == suffix && afterNoun:
			words[len(words)-1] += w
		case kind == noun || kind == other:
			words = append(words, w)
		}
		afterNoun = kind == noun || kind == suffix && afterNoun
	}
	if latinFrom >= 0 {
		words = latinWords(s[latinFrom:], words)
	}
	return words
}

type wordKind int

const (
	none   wordKind = iota // not a content word
	noun                   // a noun, which a suffix may join
	suffix                 // a suffix that joins the noun before it, else is dropped
	other                  // a verb or adjective
)

// contentWord returns the word a Japanese token counts as, and its kind.
func contentWord(t tokenizer.Token) (string, wordKind) {
	pos := t.POS()
	if len(pos) == 0 {
		return "", none
	}
	sub := ""
	if len(pos) > 1 {
		sub = pos[1]
	}
	switch pos[0] {
	case "名詞":
		switch sub {
		case "非自立", "代名詞", "数", "特殊", "接続詞的", "動詞非自立的":
			return "", none
		case "接尾":
			if len(pos) > 2 {
				switch pos[2] {
				case "一般", "サ変接続", "形容動詞語幹", "地域": // 勉強会, 自動化, 効率的, 東京都
					return strings.ToLower(t.Surface), suffix
				}
			}
			return "", none // さん, 3回, 会議中 stand alone
		}
		return strings.ToLower(t.Surface), noun
	case "動詞", "形容詞":
		if sub != "自立" {
			return "", none
		}
		w := t.Surface
		if base, ok := t.BaseForm(); ok && base != "" && base != "*" {
			w = base
		}
		if jaStopWords[w] {
			return "", none
		}
		return strings.ToLower(w), other
	}
	return "", none
}
