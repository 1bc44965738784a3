package moderation

import (
	"context"
	_ "embed"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Model is koe's learned scorer: a multinomial naive Bayes over the
// character 1–3-grams of Normalize(text), with two classes, good and bad.
// Characters, not words, so that Japanese (no spaces) works as well as
// English, and without a tokenizer.
//
// Every method may be called concurrently: Learn takes the model's lock
// for writing, Judge and Score for reading.
type Model struct {
	mu sync.RWMutex
	// counts holds, per n-gram (its runes packed by grams), what the
	// model knows of it.
	counts map[uint64]gramCount
	total  [2]uint64 // n-gram occurrences per class
	docs   [2]int    // examples per class
	// scale and bias map the mean log-likelihood ratio of a text's
	// n-grams to a probability (logistic); fitted by Train.
	scale, bias float64
}

// gramCount is how often an n-gram occurred in good ([0]) and bad ([1])
// examples, and ln (n[1]+α)/(n[0]+α), kept up to date by Learn so that
// Judge takes no logarithm.
type gramCount struct {
	n     [2]uint32
	ratio float64
}

// Judgement is the learned scorer's verdict on a text.
type Judgement struct {
	// Bad is the probability (calibrated, 0..1) that the text is bad.
	Bad float64 `json:"bad"`
	// Ngrams are the (up to) five n-grams of the normalised text that
	// moved the verdict most its way, strongest first.
	Ngrams []NgramWeight `json:"ngrams"`
}

// NgramWeight is one n-gram behind a Judgement.
type NgramWeight struct {
	Ngram string `json:"ngram"`
	// Weight is the n-gram's log-likelihood ratio, ln P(g|bad)/P(g|good):
	// positive toward bad, negative toward good.
	Weight float64 `json:"weight"`
}

const (
	// smoothing is the additive (Lidstone) pseudo-count of every n-gram
	// in every class; below Laplace's 1 because character n-grams are
	// many and most are rare.
	smoothing = 0.5
	// defaultScale maps a mean ratio to a probability before a model is
	// calibrated (NewModel): a mean of ±0.5 nats per n-gram reads as
	// about 0.82 or 0.18.
	defaultScale = 3.0
	// explained is how many n-grams a Judgement names.
	explained = 5
)

// NewModel returns an empty model, which scores every text 0.5 until it
// learns.
func NewModel() *Model {
	return &Model{counts: make(map[uint64]gramCount), scale: defaultScale}
}

// Learn adds one example: text is bad (true) or good.
func (m *Model) Learn(text string, bad bool) {
	c := 0
	if bad {
		c = 1
	}
	norm := Normalize(text)
	m.mu.Lock()
	defer m.mu.Unlock()
	grams(norm, func(k uint64) {
		v := m.counts[k]
		v.n[c]++
		v.ratio = math.Log((float64(v.n[1]) + smoothing) / (float64(v.n[0]) + smoothing))
		m.counts[k] = v
		m.total[c]++
	})
	m.docs[c]++
}

// Clone returns a deep copy: an event's model starts as the shipped one
// and learns its moderators' decisions without changing it.
func (m *Model) Clone() *Model {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return &Model{counts: maps.Clone(m.counts), total: m.total, docs: m.docs, scale: m.scale, bias: m.bias}
}

// Examples returns how many good and bad examples the model has learnt.
func (m *Model) Examples() (good, bad int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.docs[0], m.docs[1]
}

// Score makes Model a Scorer: its one label is "bad".
func (m *Model) Score(_ context.Context, text, _ string) (Scores, error) {
	_, p, _, _ := m.judge(Normalize(text))
	return Scores{"bad": p}, nil
}

// Judge scores text and names the n-grams behind the score.
//
// Naive Bayes sums one log-likelihood ratio per n-gram, and a text has
// hundreds: the sum says 0 or 1 for nearly everything. Judge takes their
// mean instead, and maps it through a logistic fitted on held-out folds of
// the training data (Train), so that scores spread over 0..1 and read as
// probabilities, and a threshold means something. N-grams neither class
// has seen carry no evidence and are left out.
func (m *Model) Judge(text string) Judgement {
	_, p, bad, good := m.judge(Normalize(text))
	j := Judgement{Bad: p}
	top := &bad
	if p < 0.5 {
		top = &good
	}
	for _, g := range top.g[:top.n] {
		j.Ngrams = append(j.Ngrams, NgramWeight{Ngram: gramString(g.key), Weight: g.llr})
	}
	return j
}

// judge returns the mean log-likelihood ratio of norm's known n-grams, the
// probability it maps to, and the strongest n-grams toward bad and toward
// good.
func (m *Model) judge(norm string) (mean, p float64, bad, good topGrams) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v := smoothing * float64(len(m.counts))
	// ln P(g|bad)/P(g|good) = ln (nb+α)/(ng+α) + ln (Tg+αV)/(Tb+αV): the
	// second term is the same for every n-gram.
	k := math.Log((float64(m.total[0]) + v) / (float64(m.total[1]) + v))
	var sum float64
	n := 0
	grams(norm, func(key uint64) {
		c, ok := m.counts[key]
		if !ok {
			return
		}
		llr := c.ratio + k
		sum += llr
		n++
		bad.add(key, llr, llr)
		good.add(key, llr, -llr)
	})
	if n > 0 {
		mean = sum / float64(n)
	}
	p = logistic(m.scale*mean + m.bias)
	// A few n-grams are little evidence, whatever their mean says ("seed
	// 0" is not abuse because "see" was seen in it): short texts are
	// pulled toward undecided.
	return mean, 0.5 + (p-0.5)*min(1, float64(n)/fullEvidence), bad, good
}

// fullEvidence is how many known n-grams a text needs for its score to be
// taken at full strength (about 15 characters).
const fullEvidence = 40

// topGrams keeps the explained strongest distinct n-grams pointing one
// way, without allocating.
type topGrams struct {
	g [explained]struct {
		key      uint64
		llr, pro float64
	}
	n int
}

// add offers an n-gram whose pull this way is pro (only positive counts).
func (t *topGrams) add(key uint64, llr, pro float64) {
	if pro <= 0 {
		return
	}
	for i := 0; i < t.n; i++ {
		if t.g[i].key == key {
			return
		}
	}
	i := t.n
	if i == explained {
		if pro <= t.g[i-1].pro {
			return
		}
		i--
	} else {
		t.n++
	}
	for ; i > 0 && t.g[i-1].pro < pro; i-- {
		t.g[i] = t.g[i-1]
	}
	t.g[i].key, t.g[i].llr, t.g[i].pro = key, llr, pro
}

// grams calls f with the key of every character 1-, 2- and 3-gram of s,
// read as if surrounded by spaces (so that word starts and ends are
// n-grams of their own), with every run of white space as one space.
//
// A key packs the n-gram's runes, each plus one, into 21 bits apiece: no
// two n-grams share a key, no string is made, and gramString turns a key
// back into its n-gram.
func grams(s string, f func(uint64)) {
	var r1, r2 uint64 // the two previous runes, plus one; 0 for none
	emit := func(r rune) {
		c := uint64(r) + 1
		f(c)
		if r1 != 0 {
			f(r1<<21 | c)
			if r2 != 0 {
				f(r2<<42 | r1<<21 | c)
			}
		}
		r2, r1 = r1, c
	}
	emit(' ')
	space := true
	for _, r := range s {
		if unicode.IsSpace(r) {
			if space {
				continue
			}
			r, space = ' ', true
		} else {
			space = false
		}
		emit(r)
	}
	if !space {
		emit(' ')
	}
}

// gramString is the n-gram a key of grams stands for.
func gramString(key uint64) string {
	var b strings.Builder
	for shift := 42; shift >= 0; shift -= 21 {
		if c := key >> shift & (1<<21 - 1); c != 0 {
			r := rune(c - 1)
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func logistic(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// shippedTSV is the labelled corpus koe ships (corpus/README.md).
//
//go:embed corpus/questions.tsv
var shippedTSV string

// Example is one labelled text of a corpus.
type Example struct {
	Text, Lang string
	Bad        bool
}

// corpus parses the shipped corpus into its train (80%) and held-out test
// (20%) parts. The split goes by a hash of the text (FNV-1a, 32 bits:
// test when it is 0 mod 5), so that it does not change when lines are
// added or reordered.
func corpus() (train, test []Example) {
	for i, line := range strings.Split(strings.TrimRight(shippedTSV, "\n"), "\n") {
		label, rest, ok1 := strings.Cut(line, "\t")
		lang, text, ok2 := strings.Cut(rest, "\t")
		if !ok1 || !ok2 || (label != "good" && label != "bad") || text == "" {
			panic(fmt.Sprintf("moderation/corpus/questions.tsv:%d: want label<TAB>lang<TAB>text", i+1))
		}
		e := Example{Text: text, Lang: lang, Bad: label == "bad"}
		h := fnv.New32a()
		h.Write([]byte(text))
		if h.Sum32()%5 == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}
	return train, test
}

var shipped = sync.OnceValue(func() *Model {
	train, _ := corpus()
	return Train(train)
})

// Shipped returns the model trained on the train part of the shipped
// corpus, built once. Callers must not Learn on it: Clone it first.
func Shipped() *Model { return shipped() }

// calibrationFolds is how many folds Train splits its examples into to
// see how the mean ratio of unseen texts maps to their labels.
const calibrationFolds = 5

// Train returns a model that has learnt examples and is calibrated on
// them: each fold's mean ratios are taken from a model trained on the
// other folds (texts it has not seen, as in use), and a logistic
// regression on those fits the scale and the bias.
func Train(examples []Example) *Model {
	var means []float64
	var labels []bool
	for f := 0; f < calibrationFolds; f++ {
		m := NewModel()
		for i, e := range examples {
			if i%calibrationFolds != f {
				m.Learn(e.Text, e.Bad)
			}
		}
		for i, e := range examples {
			if i%calibrationFolds == f {
				mean, _, _, _ := m.judge(Normalize(e.Text))
				means, labels = append(means, mean), append(labels, e.Bad)
			}
		}
	}
	m := NewModel()
	for _, e := range examples {
		m.Learn(e.Text, e.Bad)
	}
	if scale, bias, ok := fitLogistic(means, labels); ok {
		m.scale, m.bias = scale, bias
	}
	return m
}

// fitLogistic fits P(bad) = logistic(a·x + b) by Newton's method, with a
// little L2 on a so that separable data does not send it to infinity.
func fitLogistic(x []float64, y []bool) (a, b float64, ok bool) {
	const l2 = 0.01
	a = defaultScale
	for iter := 0; iter < 50; iter++ {
		// Gradient and Hessian of the negative log-likelihood.
		var ga, gb, haa, hab, hbb float64
		for i, xi := range x {
			p := logistic(a*xi + b)
			t := 0.0
			if y[i] {
				t = 1
			}
			w := p * (1 - p)
			ga += (p - t) * xi
			gb += p - t
			haa += w * xi * xi
			hab += w * xi
			hbb += w
		}
		ga += l2 * a
		haa += l2
		det := haa*hbb - hab*hab
		if det <= 1e-12 {
			return 0, 0, false
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a, b = a-da, b-db
		if math.Abs(da) < 1e-9 && math.Abs(db) < 1e-9 {
			break
		}
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) || a <= 0 {
		return 0, 0, false
	}
	return a, b, true
}
