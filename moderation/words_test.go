package moderation

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/koehq/koe"
)

// details lists the entries a text matches in wl.
func details(wl *WordList, text string) []string {
	var d []string
	for _, r := range wl.Match(Normalize(text)) {
		d = append(d, r.Name+":"+r.Detail)
	}
	return d
}

func TestShippedWords(t *testing.T) {
	wl := ShippedWords()
	if wl.Len() < 500 {
		t.Fatalf("shipped lists have %d entries; want the en and ja lists", wl.Len())
	}
	for _, tc := range []struct {
		text string
		want []string // list:entry; nil for none
	}{
		{"what the fuck is this", []string{"en:fuck"}},
		{"FUCK", []string{"en:fuck"}},
		{"ｆｕｃｋ", []string{"en:fuck"}},             // full-width
		{"f\u200buck", []string{"en:fuck"}},       // zero-width space
		{"f\u00adu\u200dck", []string{"en:fuck"}}, // soft hyphen, ZWJ
		{"fuuuuuck", []string{"en:fuck"}},         // stretched: matched (a run of three or more counts as one or two)
		{"shiiiiit", []string{"en:shit"}},
		{"you asssss", []string{"en:ass"}},
		{"this is shit.", []string{"en:shit"}},
		{"shitです", []string{"en:shit"}}, // a Latin word against Japanese text
		{"blow   job", []string{"en:blow job"}},
		{"クソみたいなセックスの話", []string{"ja:セックス"}},
		{"ｾｯｸｽ", []string{"ja:セックス"}}, // half-width katakana
		{"セ\u200bックス", []string{"ja:セックス"}},
		{"ポルノ映画", []string{"ja:ポルノ"}},
		{"お前はビッチだ", []string{"ja:ビッチ"}},
		// False positives that must pass.
		{"How do you assess the risk?", nil},
		{"Is this a classic race condition?", nil},
		{"Scunthorpe United and Essex", nil},
		{"Does the cocktail party problem apply?", nil},
		{"The therapist said grapes", nil},
		{"Shiitake and Dickens", nil},
		{"summa cum laude", nil},                     // shipped allow-list
		{"How do I kill a zombie process?", nil},     // "how to kill" left out
		{"The main thread gets tied up on I/O", nil}, // "tied up" left out
		{"Replace xxx with your API key", nil},       // "xxx" left out
		{"アサーションはどう書きますか", nil},                      // Japanese tech questions
		{"Reactのフックはどう使い分けますか", nil},                 // フック left out
		{"INSERT文でデータを挿入するときのロックは？", nil},            // 挿入 left out
		{"グローバル変数とグロースハックについて", nil},                 // グロ left out
		{"デブサミの発表資料はどこにありますか", nil},                  // デブ, but デブサミ is allowed
		{"宇宙デブリの追跡にGoを使っていますか", nil},                 // デブリ allowed
		{"ラーメンとヌードルの違いは", nil},                       // ヌードル allowed
		{"ホモジニアスなクラスタ構成ですか", nil},                    // ホモジニアス allowed
		{"ぶっかけうどんが好きです", nil},                        // ぶっかけうどん allowed
		{"なめらかなアニメーションの実装方法は", nil},                  // なめ left out
		{"型の縛りがきつい場合は", nil},                         // 縛り left out
		{"プロセスの殺し方を教えてください", nil},                    // 殺し方 left out
		{"Tailwindのsm:ブレークポイント", nil},                // sm left out
	} {
		got := details(wl, tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q matches %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestWordListEventEntries(t *testing.T) {
	wl := EventWords(true, []WordRule{{"ass", Block}, {"Dick", Flag}, {"クソ", Mask}}, []string{"Dick Grune"})
	for _, tc := range []struct {
		text string
		want []Reason
	}{
		// The event's entry replaces the shipped one.
		{"kick ass", []Reason{{Kind: "word", Name: "event", Detail: "ass", Action: Block}}},
		{"Dick Grune wrote the book on parsing", nil},
		{"dick", []Reason{{Kind: "word", Name: "event", Detail: "Dick", Action: Flag}}},
		{"このクソコード", []Reason{{Kind: "word", Name: "event", Detail: "クソ", Action: Mask}}},
		// Several entries: every one is a reason, in text order.
		{"fuck クソ", []Reason{{Kind: "word", Name: "en", Detail: "fuck", Action: Queue}, {Kind: "word", Name: "event", Detail: "クソ", Action: Mask}}},
	} {
		got := wl.Match(Normalize(tc.text))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q matches %v, want %v", tc.text, got, tc.want)
		}
	}
	if got := EventWords(false, []WordRule{{"foo", Queue}}, nil).Match("fuck foo"); len(got) != 1 || got[0].Detail != "foo" {
		t.Errorf("without the shipped lists: %v, want only the event's foo", got)
	}
	var nilList *WordList
	if got := nilList.Match("fuck"); got != nil {
		t.Errorf("nil list matched %v", got)
	}
}

func TestWordListMask(t *testing.T) {
	wl := NewWordList([]List{{Name: "event", Rules: []WordRule{
		{"fuck", Mask}, {"クソ", Mask}, {"blow job", Mask}, {"shit", Queue}}}}, nil)
	for _, tc := range []struct{ in, want string }{
		{"oh fuck, really?", "oh ****, really?"},
		{"Oh FUCK", "Oh ****"},
		{"ｆｕｃｋ off", "**** off"},
		{"f\u200buck you", "***** you"}, // the zero-width space is masked with the word
		{"fuuuuuck!", "********!"},
		{"このクソコードを直したい", "この**コードを直したい"},
		{"ｸｿｺｰﾄﾞ", "**ｺｰﾄﾞ"},
		{"a blow  job b", "a ********* b"},
		{"shit happens", "shit happens"}, // queue entries are not masked
		{"クソとfuckとクソ", "**と****と**"},
		{"nothing here", "nothing here"},
	} {
		got := wl.Mask(tc.in)
		if got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanWordRules(t *testing.T) {
	ok := []WordRule{{"foo", Block}, {"クソ", Mask}, {"bar baz", Flag}, {"qux", Queue}}
	if err := CleanWordRules(ok, []string{"Dick Grune"}); err != nil {
		t.Fatalf("valid rules: %v", err)
	}
	many := make([]WordRule, MaxEventWords+1)
	for i := range many {
		many[i] = WordRule{"w", Queue}
	}
	for _, tc := range []struct {
		rules         []WordRule
		allow         []string
		field, reason string
	}{
		{many, nil, "words", koe.ReasonTooLong},
		{nil, make([]string, MaxEventWords+1), "allow", koe.ReasonTooLong},
		{[]WordRule{{"ok", Queue}, {"", Queue}}, nil, "words[1].word", koe.ReasonEmpty},
		{[]WordRule{{"\u200b ", Queue}}, nil, "words[0].word", koe.ReasonEmpty},
		{[]WordRule{{strings.Repeat("あい", MaxWordLen/2+1), Queue}}, nil, "words[0].word", koe.ReasonTooLong},
		{[]WordRule{{"ok", "reject"}}, nil, "words[0].action", koe.ReasonFormat},
		{[]WordRule{{"ok", ""}}, nil, "words[0].action", koe.ReasonFormat},
		{[]WordRule{{"\xff", Queue}}, nil, "words[0].word", koe.ReasonInvalidUTF8},
		{nil, []string{"fine", " "}, "allow[1]", koe.ReasonEmpty},
	} {
		err := CleanWordRules(tc.rules, tc.allow)
		var e *koe.Error
		if !errors.As(err, &e) || e.Code != koe.EINVALID || e.Field != tc.field || e.Reason != tc.reason {
			t.Errorf("CleanWordRules(%.40v, %.40v) = %#v, want %s on %s", tc.rules, tc.allow, err, tc.reason, tc.field)
		}
	}
	// 64 runes after normalising: a long run counts as three.
	if err := CleanWordRules([]WordRule{{strings.Repeat("a", 200), Queue}}, nil); err != nil {
		t.Errorf("a run normalises to three runes: %v", err)
	}
}

func FuzzWordListMatch(f *testing.F) {
	for _, s := range []string{"fuck", "ｆｕｃｋ you", "f\u200buck", "このクソコード", "fuuuuuck", "ﷺfuck", "\xffクソ\xfe",
		"a blow  job", "ｸｿ", "e\u0301fuck\u0301", "dick grune", "ßhit"} {
		f.Add(s)
	}
	wl := EventWords(true, []WordRule{{"fuck", Mask}, {"クソ", Mask}, {"blow job", Mask}, {"ss", Mask}, {"ﷺ", Mask}}, []string{"dick grune"})
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		for _, r := range wl.Match(n) {
			if r.Kind != "word" || r.Action.Rank() == 0 || r.Detail == "" {
				t.Fatalf("Match(%q): bad reason %+v", n, r)
			}
		}
		in := []rune(s)
		out := []rune(wl.Mask(s))
		if len(out) != len(in) {
			t.Fatalf("Mask(%q) = %q: %d runes, want %d", s, string(out), len(out), len(in))
		}
		for i := range in {
			if out[i] != in[i] && out[i] != '*' {
				t.Fatalf("Mask(%q) = %q: rune %d changed to %q", s, string(out), i, out[i])
			}
		}
		us := normalizeUnits(s)
		hits := wl.ac.find(us, nil)
		for _, h := range hits {
			if h.start < 0 || h.end > int32(len(us)) || h.start >= h.end {
				t.Fatalf("hit [%d,%d) outside %d units", h.start, h.end, len(us))
			}
			if got := string(runesOf(us[h.start:h.end])); got != wl.pats[h.p].word {
				t.Fatalf("hit %q for pattern %q", got, wl.pats[h.p].word)
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(wl.Mask(s)) {
			t.Fatalf("Mask(%q) is not valid UTF-8", s)
		}
	})
}

func runesOf(us []unit) []rune {
	rs := make([]rune, len(us))
	for i, u := range us {
		rs[i] = u.r
	}
	return rs
}
