package moderation

import "testing"

func TestCountLinks(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"no links here", 0},
		{"see https://example.com/a?b=c", 1},
		{"http://a.example and https://b.example/x", 2},
		{"ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ", 1}, // full-width, after normalising
		{"www.example.org is down", 1},
		{"example.com/path and koe.dev and foo.co.jp", 3},
		{"詳細はexample.com/docsを見てください", 1},
		{"資料: https://speakerdeck.com/x/y、動画: https://youtu.be/z", 2},
		{"(https://example.com).", 1},
		{"Edit main.go and README.md, then run setup.py", 0}, // file names
		{"e.g. node.js vs. vue.js", 0},
		{"mail me at me@example.com", 0},
		{"version 1.2.3 of v8", 0},
		{"ftp://example.com", 0},
	} {
		if got := CountLinks(Normalize(tc.text)); got != tc.want {
			t.Errorf("CountLinks(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	for _, tc := range []struct {
		a, b     string
		min, max float64
	}{
		{"How do you test concurrency in Go?", "How do you test concurrency in Go?", 1, 1},
		{"How do you test concurrency in Go?", "how do you test concurrency in go", 0.9, 1},
		{"How do you test concurrency in Go?", "What is your favourite editor?", 0, 0.1},
		{"ありがとう", "ありがとう", 1, 1},  // short: equal
		{"ありがとう", "ありがとう!", 0, 0}, // short: only equality counts
		{"Goの並行処理はどうテストしますか？", "Goの並行処理はどうテストしますか", 0.8, 1},
	} {
		s := Similarity(Normalize(tc.a), Normalize(tc.b))
		if s < tc.min || s > tc.max {
			t.Errorf("Similarity(%q, %q) = %.2f, want %.2f..%.2f", tc.a, tc.b, s, tc.min, tc.max)
		}
	}
}

func TestRepeated(t *testing.T) {
	recent := []string{"What is the roadmap for v2?", "Goの並行処理はどうテストしますか？"}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"What is the roadmap for v2?", true},
		{"what is the roadmap for v2", true},  // case and punctuation
		{"ＷＨＡＴ ＩＳ ＴＨＥ ＲＯＡＤＭＡＰ ＦＯＲ Ｖ２？", true}, // full width
		{"Goの並行処理はどうテストしますか？", true},
		{"What is the roadmap for v3 and v4 and more?", false},
		{"Is there a roadmap?", false},
	} {
		if got := Repeated(Normalize(tc.text), recent); got != tc.want {
			t.Errorf("Repeated(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if Repeated(Normalize("hello"), nil) {
		t.Error("repeated with no recent texts")
	}
}

func TestDuplicate(t *testing.T) {
	visible := []Existing{
		{ID: 1, Body: "How do you test concurrency in Go?"},
		{ID: 2, Body: "How do you test concurrency in Rust?"},
		{ID: 3, Body: "Goの並行処理はどうテストしますか？"},
		{ID: 4, Body: "ありがとう"},
	}
	for _, tc := range []struct {
		text string
		want int64
	}{
		{"How do you test concurrency in Go", 1},
		{"how do you test concurrency in rust?!", 2},
		{"Goの並行処理はどうテストしますか", 3},
		{"ありがとう", 4},
		{"ありがとう！", 0},
		{"What editor do you use?", 0},
		{"How do you deploy Go services?", 0},
	} {
		if got, _ := Duplicate(Normalize(tc.text), visible); got != tc.want {
			t.Errorf("Duplicate(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func FuzzRules(f *testing.F) {
	for _, s := range []string{"https://example.com", "www.", "a.b/c", "詳細はexample.com/docsを", "://", "http://", "me@x.com/y", "\xff.com"} {
		f.Add(s, "How do you test concurrency in Go?")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := Normalize(a), Normalize(b)
		if n := CountLinks(na); n < 0 || n > len(na) {
			t.Fatalf("CountLinks(%q) = %d", na, n)
		}
		s, r := Similarity(na, nb), Similarity(nb, na)
		if s < 0 || s > 1 || s != r {
			t.Fatalf("Similarity(%q, %q) = %v, reversed %v", na, nb, s, r)
		}
		if Similarity(na, na) != 1 {
			t.Fatalf("Similarity of %q to itself is not 1", na)
		}
	})
}

func TestNumbersTellQuestionsApart(t *testing.T) {
	visible := []Existing{{ID: 1, Body: "Could you show slide 12 again, please?"}}
	if id, _ := Duplicate(Normalize("could you show slide 12 again please"), visible); id != 1 {
		t.Errorf("the same question: duplicate %d, want 1", id)
	}
	if id, _ := Duplicate(Normalize("Could you show slide 20 again, please?"), visible); id != 0 {
		t.Errorf("another slide: duplicate %d, want none", id)
	}
	if Repeated(Normalize("Could you show slide 21 again, please?"), []string{visible[0].Body}) {
		t.Error("another slide counted as the same text again")
	}
}
