package wordcloud

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Each case is one rule of the package doc, shown on an answer a participant could give.
var wordsCases = []struct {
	name string
	in   string
	want []string
}{
	// Japanese: split by the analyser into content words.
	{"issue example: words, not characters", "リアルタイム通信の設計", []string{"リアルタイム", "通信", "設計"}},
	{"particles and auxiliaries dropped", "今日の発表はとても良かったです", []string{"今日", "発表", "良い"}},
	{"adjective in base form", "楽しかった", []string{"楽しい"}},
	{"verb in base form, non-independent verb dropped", "ラーメンを食べている", []string{"ラーメン", "食べる"}},
	{"non-independent adjective dropped", "分かりやすかった", []string{"分かる"}},
	{"light verb なる dropped", "勉強になりました", []string{"勉強"}},
	{"pronouns dropped", "それは私の宝物です", []string{"宝物"}},
	{"non-independent noun dropped", "大事なこと", []string{"大事"}},
	{"kanji numeral and counter suffix dropped", "三回目の参加", []string{"参加"}},
	{"suffix joins its noun", "社内勉強会で共有したい", []string{"社内", "勉強会", "共有"}},
	{"suffixes 性, 化, 的 join their nouns", "型安全性と自動化は効率的", []string{"型", "安全性", "自動化", "効率的"}},
	{"name and time suffixes dropped", "田中さんは会議中", []string{"田中", "会議"}},
	{"suffix after a Latin word dropped", "AI化", []string{"ai"}},
	{"prefix, digit and counter dropped", "第3回", nil},
	{"Normal mode keeps a known compound whole", "日本経済新聞", []string{"日本経済新聞"}},
	{"Normal mode keeps an unknown katakana word whole", "オブザーバビリティ", []string{"オブザーバビリティ"}},
	{"katakana compound of known words", "マイクロサービスアーキテクチャ", []string{"マイクロ", "サービス", "アーキテクチャ"}},
	{"one-kanji noun is a word", "愛", []string{"愛"}},
	{"interjection dropped", "ありがとう", nil},
	{"Japanese punctuation dropped", "「型安全」、最高！", []string{"型", "安全", "最高"}},
	{"half-width katakana normalised", "ﾃｽﾄ駆動開発", []string{"テスト", "駆動", "開発"}},
	{"duplicates once, in order", "設計、設計、また設計", []string{"設計"}},
	{"at most MaxWords", "東京大阪名古屋福岡札幌仙台", []string{"東京", "大阪", "名古屋", "福岡", "札幌"}},

	// Mixed: Latin parts follow the Latin rules.
	{"mixed Go and Japanese", "Goの並行処理", []string{"go", "並行", "処理"}},
	{"Latin symbols survive inside Japanese", "node.jsとC++とC#", []string{"node.js", "c++", "c#"}},
	{"Latin word inside a Japanese dictionary word lower-cased", "Tシャツ", []string{"tシャツ"}},
	{"full-width Latin in Japanese", "ＧｏとＲｕｓｔの比較", []string{"go", "rust", "比較"}},
	{"English stop words dropped in mixed text", "the Go言語", []string{"go", "言語"}},

	// Latin text.
	{"lower-cased", "Rust", []string{"rust"}},
	{"stop words dropped", "The state of the art", []string{"state", "art"}},
	{"only stop words gives nothing", "it is what it is", nil},
	{"C++, C#, node.js and k8s survive", "C++, C#, node.js & k8s.", []string{"c++", "c#", "node.js", "k8s"}},
	{"trailing dots dropped", "Great talk...", []string{"great", "talk"}},
	{"leading dot kept before a letter only", ".NET vs ...Java", []string{".net", "vs", "java"}},
	{"hashtag counts as its word", "#GopherCon", []string{"gophercon"}},
	{"one-letter words dropped", "a B c Go", []string{"go"}},
	{"a lone one-letter answer is kept", "C", []string{"c"}},
	{"a lone one-letter answer with noise is kept", "  R!  ", []string{"r"}},
	{"a lone digit is kept", "5", []string{"5"}},
	{"a lone stop word is not", "a", nil},
	{"one letter twice is not alone", "C C", nil},
	{"numbers are words", "HTTP/3 in 2026", []string{"http", "2026"}},
	{"plus one", "+1", []string{"+1"}},
	{"full-width Latin normalised", "ＷｅｂＡｓｓｅｍｂｌｙ", []string{"webassembly"}},
	{"ligatures and circled digits normalised", "ﬁnal ①②", []string{"final", "12"}},
	{"accents kept, lower-cased", "Café CRÈME", []string{"café", "crème"}},
	{"other scripts split on spaces", "Привет мир 안녕 세상", []string{"привет", "мир", "안녕", "세상"}},
	{"duplicates once, case-insensitive", "Go go GO golang", []string{"go", "golang"}},
	{"at most MaxWords", "one two three four five six seven", []string{"one", "two", "three", "four", "five"}},
	{"word over MaxRunes dropped", strings.Repeat("x", MaxRunes+1) + " ok " + strings.Repeat("y", MaxRunes), []string{"ok", strings.Repeat("y", MaxRunes)}},

	// Noise.
	{"emoji dropped", "🎉 Go 🚀", []string{"go"}},
	{"emoji around Japanese dropped", "🎉楽しい🎉", []string{"楽しい"}},
	{"emoji only gives nothing", "👍👍👍", nil},
	{"control characters are spaces", "go\x00lang\tis\nfun\u200b!", []string{"go", "lang", "fun"}},
	{"invalid UTF-8 is a space", "ok\xffgo", []string{"ok", "go"}},
	{"empty", "", nil},
	{"spaces only", " \u3000 ", nil},
}

func TestWords(t *testing.T) {
	for _, c := range wordsCases {
		t.Run(c.name, func(t *testing.T) {
			got := Words(c.in)
			if !slices.Equal(got, c.want) {
				t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// inChild runs the test named name in a fresh test process, where the dictionary is not loaded
// yet, and logs its output; it reports whether the caller is that child and should do the work.
func inChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv("WORDCLOUD_TEST_CHILD") == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "WORDCLOUD_TEST_CHILD="+t.Name())
	out, err := cmd.CombinedOutput()
	t.Logf("child process:\n%s", out)
	if err != nil {
		t.Fatalf("child process: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatal("child process did not pass the test")
	}
	return false
}

// TestDictionaryLoad runs in a fresh process, where the dictionary is not loaded yet: a Latin
// answer does not load it; then 8 goroutines race for the first load, half through Warm and half
// through Words (run with -race), and the test logs what the load costs (time and heap kept):
// go test -run 'TestDictionaryLoad$' -v ./wordcloud
func TestDictionaryLoad(t *testing.T) {
	if !inChild(t) {
		return
	}
	if got := Words("Rust, C++ and Go 🎉"); !slices.Equal(got, []string{"rust", "c++", "go"}) {
		t.Fatalf("Words = %q", got)
	}
	if tok != nil {
		t.Fatal("a Latin answer loaded the dictionary")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	wordsFrom8Goroutines(t)
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if tok == nil {
		t.Fatal("the dictionary is not loaded")
	}
	t.Logf("first load (8 goroutines, then %d answers each): %v; heap kept %.1f MiB (HeapAlloc %d -> %d bytes); Sys %.1f MiB -> %.1f MiB",
		len(wordsCases), took, float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), before.HeapAlloc, after.HeapAlloc,
		float64(before.Sys)/(1<<20), float64(after.Sys)/(1<<20))
	start = time.Now()
	Warm()
	if again := time.Since(start); again > 100*time.Millisecond { // a load takes ~0.6 s
		t.Errorf("second Warm took %v, want it to do nothing", again)
	}
}

// TestWordsConcurrent uses Words from 8 goroutines at once (run with -race).
func TestWordsConcurrent(t *testing.T) {
	wordsFrom8Goroutines(t)
}

// wordsFrom8Goroutines runs every case of wordsCases in 8 goroutines at once; half of them call
// Warm first.
func wordsFrom8Goroutines(t *testing.T) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(wordsCases))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g%2 == 0 {
				Warm()
			}
			for i := range wordsCases {
				c := wordsCases[(i+g)%len(wordsCases)]
				if got := Words(c.in); !slices.Equal(got, c.want) {
					errs <- fmt.Sprintf("goroutine %d: Words(%q) = %q, want %q", g, c.in, got, c.want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
