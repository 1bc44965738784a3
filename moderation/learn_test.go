package moderation

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// queueThreshold is the default queue threshold the scorer's quality is
// measured at (docs/architecture.md, "Thresholds").
const queueThreshold = 0.7

// heldOut measures the shipped model on the held-out part of the corpus at
// threshold: precision and recall of "bad".
func heldOut(t *testing.T, threshold float64) (precision, recall float64, misses []string) {
	t.Helper()
	_, test := corpus()
	m := Shipped()
	var tp, fp, fn int
	for _, e := range test {
		p := m.Judge(e.Text).Bad
		switch {
		case p >= threshold && e.Bad:
			tp++
		case p >= threshold:
			fp++
			misses = append(misses, fmt.Sprintf("false positive %.2f %s", p, e.Text))
		case e.Bad:
			fn++
			misses = append(misses, fmt.Sprintf("false negative %.2f %s", p, e.Text))
		}
	}
	if tp+fp == 0 || tp+fn == 0 {
		t.Fatalf("no positives: tp=%d fp=%d fn=%d", tp, fp, fn)
	}
	return float64(tp) / float64(tp+fp), float64(tp) / float64(tp+fn), misses
}

// TestHeldOutQuality: trained on the corpus's train part, the scorer finds
// bad texts it has never seen without queueing many good ones.
func TestHeldOutQuality(t *testing.T) {
	train, test := corpus()
	if n := len(train) + len(test); len(test) < n/6 || len(test) > n/4 {
		t.Fatalf("split: %d test of %d, want about 20%%", len(test), n)
	}
	precision, recall, misses := heldOut(t, queueThreshold)
	t.Logf("held-out at %.1f: precision %.3f recall %.3f", queueThreshold, precision, recall)
	if precision < 0.8 || recall < 0.7 {
		t.Errorf("precision %.3f (want ≥ 0.8), recall %.3f (want ≥ 0.7); misses:\n%s", precision, recall, strings.Join(misses, "\n"))
	}
}

// TestScorerQuality prints the held-out figures for make bench.
func TestScorerQuality(t *testing.T) {
	if os.Getenv("KOE_BENCH") != "1" {
		t.Skip("set KOE_BENCH=1 (make bench)")
	}
	precision, recall, _ := heldOut(t, queueThreshold)
	fmt.Printf("scorer_precision=%.2f\nscorer_recall=%.2f\n", precision, recall)
}

func TestShippedCorpus(t *testing.T) {
	train, test := corpus()
	var bad [2]int
	langs := map[string]int{}
	for _, e := range append(train, test...) {
		if e.Bad {
			bad[1]++
		} else {
			bad[0]++
		}
		langs[e.Lang]++
	}
	if bad[0] < 200 || bad[1] < 200 {
		t.Errorf("good %d, bad %d: want both classes well represented", bad[0], bad[1])
	}
	if langs["en"] < 300 || langs["ja"] < 300 || len(langs) != 2 {
		t.Errorf("languages %v: want en and ja in similar amounts", langs)
	}
}

// TestCorpusIsGenerated: questions.tsv is what gen.py writes, so that the
// corpus is changed in the generator, not by hand.
func TestCorpusIsGenerated(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	out, err := exec.Command(py, "corpus/gen.py").Output()
	if err != nil {
		t.Fatalf("gen.py: %v", err)
	}
	if string(out) != shippedTSV {
		t.Fatal("corpus/questions.tsv is not what corpus/gen.py writes: run python3 moderation/corpus/gen.py > moderation/corpus/questions.tsv")
	}
}

func TestLearnMovesTheScore(t *testing.T) {
	m := Shipped().Clone()
	text := "Please vote for my cat in the talent show"
	before := m.Judge(text).Bad
	for range 5 {
		m.Learn(text, true)
	}
	after := m.Judge(text).Bad
	if after <= before {
		t.Fatalf("after learning it bad five times: %.3f, before %.3f", after, before)
	}
	for range 20 {
		m.Learn(text, false)
	}
	if again := m.Judge(text).Bad; again >= after {
		t.Fatalf("after learning it good twenty times: %.3f, was %.3f", again, after)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	orig := Shipped()
	text := "カレーの美味しいお店を教えて"
	before := orig.Judge(text).Bad
	c := orig.Clone()
	for range 10 {
		c.Learn(text, true)
	}
	if got := orig.Judge(text).Bad; got != before {
		t.Fatalf("the original moved from %.4f to %.4f when its clone learnt", before, got)
	}
	if got := c.Judge(text).Bad; got <= before {
		t.Fatalf("the clone did not learn: %.4f, was %.4f", got, before)
	}
	g, b := orig.Examples()
	cg, cb := c.Examples()
	if cg != g || cb != b+10 {
		t.Fatalf("examples: original %d/%d, clone %d/%d", g, b, cg, cb)
	}
}

func TestExplanationIsFromTheText(t *testing.T) {
	m := Shipped()
	for _, text := range []string{
		"Honestly, this speaker is a clown.",
		"How do you test goroutine leaks?",
		"副業で月収100万円！今すぐDM",
		"スライドは公開されますか？",
	} {
		j := m.Judge(text)
		if len(j.Ngrams) == 0 || len(j.Ngrams) > 5 {
			t.Fatalf("%q: %d n-grams", text, len(j.Ngrams))
		}
		padded := " " + Normalize(text) + " "
		for i, g := range j.Ngrams {
			if g.Ngram == "" || !strings.Contains(padded, g.Ngram) {
				t.Errorf("%q: n-gram %q is not in the normalised text", text, g.Ngram)
			}
			if toBad := j.Bad >= 0.5; toBad != (g.Weight > 0) {
				t.Errorf("%q (%.2f): n-gram %q weighs %.2f, against the verdict", text, j.Bad, g.Ngram, g.Weight)
			}
			if i > 0 && abs(g.Weight) > abs(j.Ngrams[i-1].Weight) {
				t.Errorf("%q: n-grams not strongest first: %v", text, j.Ngrams)
			}
			for _, h := range j.Ngrams[:i] {
				if h.Ngram == g.Ngram {
					t.Errorf("%q: n-gram %q twice", text, g.Ngram)
				}
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestEmptyModelAndScorer(t *testing.T) {
	m := NewModel()
	if j := m.Judge("anything"); j.Bad != 0.5 || len(j.Ngrams) != 0 {
		t.Fatalf("an empty model: %+v, want 0.5 and no n-grams", j)
	}
	var s Scorer = Shipped()
	sc, err := s.Score(context.Background(), "Who let this clown speak? Get off the stage", "en")
	if err != nil || len(sc) != 1 || sc["bad"] < queueThreshold {
		t.Fatalf("Score: %v %v, want one label bad ≥ %.1f", sc, err, queueThreshold)
	}
}

func TestGramKeysRoundTrip(t *testing.T) {
	var got []string
	grams("ab  é\t日", func(k uint64) { got = append(got, gramString(k)) })
	want := strings.Fields("") // built below: spaces are part of n-grams
	for _, g := range [][]string{{" "}, {"a", " a"}, {"b", "ab", " ab"}, {" ", "b ", "ab "},
		{"é", " é", "b é"}, {" ", "é ", " é "}, {"日", " 日", "é 日"}, {" ", "日 ", " 日 "}} {
		want = append(want, g...)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("grams:\n got %q\nwant %q", got, want)
	}
}

// TestConcurrentLearnAndJudge is for the race detector.
func TestConcurrentLearnAndJudge(t *testing.T) {
	m := Shipped().Clone()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 50 {
				m.Learn(fmt.Sprintf("example %d %d", i, j), j%2 == 0)
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				_ = m.Judge("how do you scale postgres?")
			}
		}()
	}
	wg.Wait()
}

func BenchmarkJudge(b *testing.B) {
	m := Shipped()
	text := strings.Repeat("How do you roll back a Kubernetes operator upgrade without downtime? ", 3)[:200]
	b.ReportAllocs()
	for b.Loop() {
		m.Judge(text)
	}
}

func BenchmarkJudgeJapanese(b *testing.B) {
	m := Shipped()
	text := []rune(strings.Repeat("本番障害のとき、どうやって原因を切り分けましたか？Kubernetesのオペレーターは", 5))[:200]
	b.ReportAllocs()
	for b.Loop() {
		m.Judge(string(text))
	}
}

// BenchmarkJudgeNormalized is Judge's own part, Normalize aside.
func BenchmarkJudgeNormalized(b *testing.B) {
	m := Shipped()
	norm := Normalize(strings.Repeat("How do you roll back a Kubernetes operator upgrade without downtime? ", 3)[:200])
	b.ReportAllocs()
	for b.Loop() {
		m.judge(norm)
	}
}
