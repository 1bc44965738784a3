package moderation

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixedScorer answers every text with the same scores, or fails. It is a
// real Scorer, in process: HTTP scorers are tested with their own code.
type fixedScorer struct {
	scores Scores
	err    error
	calls  atomic.Int32
	delay  time.Duration
}

func (s *fixedScorer) Score(ctx context.Context, text, lang string) (Scores, error) {
	s.calls.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.scores, s.err
}

// langScorer scores texts by what they contain, to check the pipeline
// passes the participant's text and lang.
type langScorer struct {
	mu  sync.Mutex
	got [][2]string
}

func (s *langScorer) Score(_ context.Context, text, lang string) (Scores, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, [2]string{text, lang})
	return Scores{"bad": 0}, nil
}

func TestCheckRulesAndWords(t *testing.T) {
	c := &Config{Words: EventWords(true, []WordRule{{"クソ", Mask}, {"spam", Block}}, []string{"Dick Grune"}), MaxLinks: 1}
	visible := []Existing{{ID: 7, Body: "How do you test concurrency in Go?"}}
	recent := []string{"Buy my course at example.com"}
	for _, tc := range []struct {
		name   string
		text   string
		action Action
		reason []string // kind:name:detail
		masked string   // "" for unchanged
		dup    int64
	}{
		{"clean en", "What is the roadmap for generics?", "", nil, "", 0},
		{"clean ja", "アサーションはどう書きますか", "", nil, "", 0},
		{"name on allow-list", "Did Dick Grune influence the design?", "", nil, "", 0},
		{"shipped entry queues", "this is fucking great", Queue, []string{"word:en:fucking"}, "", 0},
		{"full width queues", "ｆｕｃｋ", Queue, []string{"word:en:fuck"}, "", 0},
		{"mask entry masks", "このクソコードはどう直す？", Mask, []string{"word:event:クソ"}, "この**コードはどう直す？", 0},
		{"event block", "SPAM SPAM", Block, []string{"word:event:spam"}, "", 0},
		{"two links queue", "see https://a.example/x and https://b.example/y", Queue, []string{"rule:links:2 links"}, "", 0},
		{"one link passes", "slides at https://example.com/slides", "", nil, "", 0},
		{"repeated blocks", "buy my course at example.com!", Block, []string{"rule:repeated:"}, "", 0},
		{"duplicate flags", "how do you test concurrency in Go", Flag, []string{"rule:duplicate:7"}, "", 7},
		{"strongest wins", "クソ spam", Block, []string{"word:event:クソ", "word:event:spam"}, "** spam", 0},
	} {
		v := c.Check(context.Background(), Input{Text: tc.text, Lang: DetectLang(tc.text), Recent: recent, Visible: visible})
		var got []string
		for _, r := range v.Reasons {
			got = append(got, r.Kind+":"+r.Name+":"+r.Detail)
		}
		want := tc.masked
		if want == "" {
			want = tc.text
		}
		if v.Action != tc.action || !slices.Equal(got, tc.reason) || v.Text != want || v.Duplicate != tc.dup {
			t.Errorf("%s: Check(%q) = %s %q text %q dup %d; want %s %q text %q dup %d",
				tc.name, tc.text, v.Action, got, v.Text, v.Duplicate, tc.action, tc.reason, want, tc.dup)
		}
	}
}

func TestCheckMaxLinks(t *testing.T) {
	text := "https://a.example/x"
	for _, tc := range []struct {
		max  int
		want Action
	}{{0, Queue}, {1, ""}, {-1, ""}} {
		c := &Config{MaxLinks: tc.max}
		if got := c.Check(context.Background(), Input{Text: text}).Action; got != tc.want {
			t.Errorf("MaxLinks %d: %q, want %q", tc.max, got, tc.want)
		}
	}
}

func TestCheckScorers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		scores   Scores
		queueAt  float64
		rejectAt float64
		action   Action
		detail   string
	}{
		{"low score passes", Scores{"bad": 0.2}, 0, 0, "", ""},
		{"queue at default", Scores{"bad": 0.7}, 0, 0, Queue, "bad"},
		{"reject at default", Scores{"bad": 0.97}, 0, 0, Block, "bad"},
		{"just under reject", Scores{"bad": 0.969}, 0, 0, Queue, "bad"},
		{"highest label counts", Scores{"toxic": 0.1, "spam": 0.8}, 0, 0, Queue, "spam"},
		{"event thresholds", Scores{"bad": 0.5}, 0.4, 0.6, Queue, "bad"},
		{"event reject", Scores{"bad": 0.65}, 0.4, 0.6, Block, "bad"},
		{"no labels", Scores{}, 0, 0, "", ""},
	} {
		s := &fixedScorer{scores: tc.scores}
		c := &Config{MaxLinks: 1, QueueAt: tc.queueAt, RejectAt: tc.rejectAt, Scorers: []NamedScorer{{Name: "koe", Scorer: s}}}
		v := c.Check(ctx, Input{Text: "a perfectly fine question", Lang: "en"})
		if v.Action != tc.action {
			t.Errorf("%s: action %q, want %q (%v)", tc.name, v.Action, tc.action, v.Reasons)
		}
		if tc.detail != "" && (len(v.Reasons) != 1 || v.Reasons[0].Kind != "scorer" || v.Reasons[0].Name != "koe" ||
			v.Reasons[0].Detail != tc.detail || v.Reasons[0].Score != tc.scores[tc.detail]) {
			t.Errorf("%s: reasons %+v, want koe's %s at %v", tc.name, v.Reasons, tc.detail, tc.scores[tc.detail])
		}
		if !sameScores(v.Scores["koe"], tc.scores) {
			t.Errorf("%s: scores %v, want %v", tc.name, v.Scores, tc.scores)
		}
	}
}

func sameScores(a, b Scores) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCheckScorerFailure(t *testing.T) {
	down := &fixedScorer{err: errors.New("connection refused")}
	ok := &fixedScorer{scores: Scores{"bad": 0.1}}
	for _, closed := range []bool{false, true} {
		c := &Config{MaxLinks: 1, FailClosed: closed, Scorers: []NamedScorer{{Name: "koe", Scorer: ok}, {Name: "perspective", Scorer: down}}}
		v := c.Check(context.Background(), Input{Text: "a perfectly fine question", Lang: "en"})
		want := Reason{Kind: "scorer", Name: "perspective", Detail: "unavailable"}
		wantAction := Action("")
		if closed {
			want.Action, wantAction = Queue, Queue
		}
		if v.Action != wantAction || !slices.Equal(v.Reasons, []Reason{want}) {
			t.Errorf("fail closed %v: %q %+v, want %q %+v", closed, v.Action, v.Reasons, wantAction, want)
		}
		if _, ok := v.Scores["perspective"]; ok || v.Scores["koe"] == nil {
			t.Errorf("fail closed %v: scores %v, want koe's only", closed, v.Scores)
		}
	}
	// A scorer past the caller's deadline is unavailable too.
	slow := &fixedScorer{scores: Scores{"bad": 1}, delay: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	c := &Config{FailClosed: true, MaxLinks: 1, Scorers: []NamedScorer{{Name: "slow", Scorer: slow}, {Name: "koe", Scorer: ok}}}
	if v := c.Check(ctx, Input{Text: "hello there everyone"}); v.Action != Queue || v.Reasons[0].Detail != "unavailable" {
		t.Errorf("slow scorer: %q %+v, want queued as unavailable", v.Action, v.Reasons)
	}
}

func TestCheckSkipsScorersWhenBlocked(t *testing.T) {
	s := &fixedScorer{scores: Scores{"bad": 0.1}}
	c := &Config{Words: EventWords(false, []WordRule{{"spam", Block}}, nil), MaxLinks: 1, Scorers: []NamedScorer{{Name: "koe", Scorer: s}}}
	if v := c.Check(context.Background(), Input{Text: "spam"}); v.Action != Block || v.Scores != nil {
		t.Errorf("blocked text: %q scores %v", v.Action, v.Scores)
	}
	if n := s.calls.Load(); n != 0 {
		t.Errorf("scorer called %d times for a blocked text", n)
	}
	c.Check(context.Background(), Input{Text: "fine"})
	if n := s.calls.Load(); n != 1 {
		t.Errorf("scorer called %d times for a fine text, want 1", n)
	}
}

func TestCheckPassesTextAndLang(t *testing.T) {
	s := &langScorer{}
	c := &Config{MaxLinks: 1, Scorers: []NamedScorer{{Name: "a", Scorer: s}, {Name: "b", Scorer: s}}}
	for _, text := range []string{"ＧＯの質問です", "A question in English"} {
		c.Check(context.Background(), Input{Text: text, Lang: DetectLang(text)})
	}
	want := [][2]string{{"ＧＯの質問です", "ja"}, {"ＧＯの質問です", "ja"}, {"A question in English", "en"}, {"A question in English", "en"}}
	if !slices.Equal(s.got, want) {
		t.Errorf("scorers got %q, want %q", s.got, want)
	}
}

func TestCheckConcurrent(t *testing.T) {
	// One Config serves concurrent checks (go test -race).
	s := &fixedScorer{scores: Scores{"bad": 0.8}}
	c := &Config{Words: EventWords(true, []WordRule{{"クソ", Mask}}, nil), MaxLinks: 1,
		Scorers: []NamedScorer{{Name: "a", Scorer: s}, {Name: "b", Scorer: &fixedScorer{scores: Scores{"bad": 0.1}}}}}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for range 50 {
				text := "このクソコードはfucking遅い"
				if i%2 == 0 {
					text = "ｆｕｃｋ this クソ"
				}
				if v := c.Check(context.Background(), Input{Text: text, Lang: "ja"}); v.Action != Queue || v.Text == text {
					t.Errorf("concurrent check: %q %q", v.Action, v.Text)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.calls.Load(); n != 16*50 {
		t.Errorf("scorer called %d times, want %d", n, 16*50)
	}
}

func TestDetectLang(t *testing.T) {
	for text, want := range map[string]string{
		"How do I test this?": "en",
		"テストはどう書きますか":         "ja",
		"Goで並行処理":             "ja",
		"ｶﾀｶﾅ":                "ja",
		"ひらがな only":           "ja",
		"Ça va? Überhaupt":    "en",
		"":                    "en",
	} {
		if got := DetectLang(text); got != want {
			t.Errorf("DetectLang(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestCautiousScorer(t *testing.T) {
	for _, tc := range []struct {
		score float64
		want  Action
	}{{0.5, ""}, {0.8, Flag}, {0.99, Flag}} {
		c := &Config{Scorers: []NamedScorer{{Name: "koe", Scorer: &fixedScorer{scores: Scores{"bad": tc.score}}, Cautious: true}}}
		if v := c.Check(context.Background(), Input{Text: "Is this held?"}); v.Action != tc.want {
			t.Errorf("cautious scorer at %.2f: %q, want %q", tc.score, v.Action, tc.want)
		}
	}
}
