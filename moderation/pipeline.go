package moderation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Default thresholds on a scorer's score (koe.DefaultModerationConfig's).
const (
	DefaultQueueAt  = 0.7
	DefaultRejectAt = 0.97
)

// NamedScorer is a scorer and the name its reasons and scores go by.
type NamedScorer struct {
	Name   string
	Scorer Scorer
	// Cautious scorers only flag: at the queue threshold they bring the
	// text to a moderator's eyes, and they never hold or reject it alone.
	// koe's own learned scorer is cautious: a bag of character n-grams
	// learnt from a small corpus scores some benign questions high
	// ("asked by the organiser").
	Cautious bool
}

// Config is how one event checks its texts: built by the caller from the
// event's moderation settings, and read-only while Check runs, so that one
// Config serves concurrent checks.
type Config struct {
	// Words is the compiled word lists (ShippedWords, EventWords); nil
	// matches nothing.
	Words *WordList
	// MaxLinks is how many links a text may hold before it waits; a
	// negative value turns the rule off (0 allows none).
	MaxLinks int
	// Scorers are consulted, all at once, unless the rules or lists
	// already block the text.
	Scorers []NamedScorer
	// QueueAt and RejectAt turn any label's score into queue and block;
	// 0 takes DefaultQueueAt and DefaultRejectAt.
	QueueAt, RejectAt float64
	// FailClosed queues a text when a scorer fails; else the pipeline
	// goes on without it, keeping a reason with no action so moderators
	// see it.
	FailClosed bool
}

// Input is a text to check and what the rules compare it with.
type Input struct {
	// Text is the participant's text, as it will be stored
	// (koe.CleanText's result).
	Text string
	// Lang is "ja" or "en" (DetectLang), passed on to the scorers.
	Lang string
	// Recent are the author's recent texts (the repeated rule).
	Recent []string
	// Visible are the talk's visible questions (the duplicate rule).
	Visible []Existing
}

// Verdict is the pipeline's decision and why.
type Verdict struct {
	// Action is the strongest action asked for, "" to approve.
	Action Action
	// Reasons are every rule, entry and score that asked for something,
	// in pipeline order; a reason with Action "" only informs (a scorer
	// that could not answer, when the event fails open).
	Reasons []Reason
	// Text is the text to keep: with Mask entries masked, else Input.Text.
	Text string
	// Duplicate is the visible question this one nearly repeats, 0 for
	// none: the caller offers to like that one instead.
	Duplicate int64
	// Scores are each scorer's answer, by scorer name, for the review.
	Scores map[string]Scores
}

// Check runs the pipeline on one text: normalise, rules, word lists,
// then the scorers unless something already blocks it. It never fails: a
// scorer that cannot answer (ctx's deadline included) is a reason, and the
// event's FailClosed says whether it queues the text.
func (c *Config) Check(ctx context.Context, in Input) Verdict {
	v := Verdict{Text: in.Text}
	us := normalizeUnits(in.Text)
	var b strings.Builder
	b.Grow(len(in.Text))
	for _, u := range us {
		b.WriteRune(u.r)
	}
	normalized := b.String()

	if n := CountLinks(normalized); c.MaxLinks >= 0 && n > c.MaxLinks {
		v.add(Reason{Kind: "rule", Name: "links", Detail: plural(n, "link"), Action: Queue})
	}
	var tri trigrams
	if len(in.Recent) > 0 || len(in.Visible) > 0 {
		tri = newTrigrams(normalized)
	}
	if len(in.Recent) > 0 && repeated(tri, in.Recent) {
		v.add(Reason{Kind: "rule", Name: "repeated", Action: Block})
	}
	if id, _ := duplicate(tri, in.Visible); id != 0 {
		v.Duplicate = id
		v.add(Reason{Kind: "rule", Name: "duplicate", Detail: strconv.FormatInt(id, 10), Action: Flag})
	}
	words, spans := c.Words.scan(us)
	for _, r := range words {
		v.add(r)
	}
	v.Text = maskSpans(in.Text, spans)

	if v.Action != Block && len(c.Scorers) > 0 {
		c.score(ctx, &v, normalized, in)
	}
	return v
}

// score runs the scorers concurrently and adds their reasons in the
// order of c.Scorers, so that verdicts do not depend on who answered first.
func (c *Config) score(ctx context.Context, v *Verdict, normalized string, in Input) {
	type answer struct {
		scores Scores
		err    error
	}
	answers := make([]answer, len(c.Scorers))
	if len(c.Scorers) == 1 {
		answers[0].scores, answers[0].err = c.Scorers[0].Scorer.Score(ctx, in.Text, in.Lang)
	} else {
		var wg sync.WaitGroup
		for i, s := range c.Scorers {
			wg.Go(func() { answers[i].scores, answers[i].err = s.Scorer.Score(ctx, in.Text, in.Lang) })
		}
		wg.Wait()
	}
	queueAt, rejectAt := c.QueueAt, c.RejectAt
	if queueAt <= 0 {
		queueAt = DefaultQueueAt
	}
	if rejectAt <= 0 {
		rejectAt = DefaultRejectAt
	}
	for i, a := range answers {
		name := c.Scorers[i].Name
		if a.err != nil {
			r := Reason{Kind: "scorer", Name: name, Detail: "unavailable"}
			if c.FailClosed {
				r.Action = Queue
			}
			v.add(r)
			continue
		}
		if v.Scores == nil {
			v.Scores = map[string]Scores{}
		}
		v.Scores[name] = a.scores
		label, score := topLabel(a.scores)
		var act Action
		switch {
		case label == "":
			continue
		case score >= rejectAt:
			act = Block
		case score >= queueAt:
			act = Queue
		default:
			continue
		}
		if c.Scorers[i].Cautious {
			act = Flag
		}
		v.add(Reason{Kind: "scorer", Name: name, Detail: label, Score: score, Action: act})
	}
}

// topLabel returns the label with the highest score; of equal scores the
// first by name, so that the reason does not change from run to run.
func topLabel(s Scores) (label string, score float64) {
	for l, x := range s {
		if label == "" || x > score || x == score && l < label {
			label, score = l, x
		}
	}
	return label, score
}

// add keeps r and lets its action win when it is stronger.
func (v *Verdict) add(r Reason) {
	v.Reasons = append(v.Reasons, r)
	if r.Action.Rank() > v.Action.Rank() {
		v.Action = r.Action
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// DetectLang returns "ja" when s holds kana or kanji, else "en": the lang
// a scorer is told.
func DetectLang(s string) string {
	for _, r := range s {
		if r >= 0x2e80 && unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return "ja"
		}
	}
	return "en"
}
