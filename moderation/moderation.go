// Package moderation decides what happens to a text that enters koe — a
// question, a reply, a display name, later a social post or a poll's free
// text — before anyone else sees it: one pipeline of normalisation, rules,
// word lists and scorers, whose verdict keeps its reasons
// (docs/architecture.md, "Moderation").
package moderation

import "context"

// Action is what a matched rule, word or score asks for. Stronger actions
// win: block over queue over flag over mask.
type Action string

const (
	// Mask replaces the matched word with asterisks; the text goes on.
	Mask Action = "mask"
	// Flag lets the text through and shows it to moderators.
	Flag Action = "flag"
	// Queue holds the text until a moderator approves it.
	Queue Action = "queue"
	// Block rejects the text: nobody but its author ever sees it.
	Block Action = "block"
)

// Rank orders actions by strength; 0 for none.
func (a Action) Rank() int {
	switch a {
	case Mask:
		return 1
	case Flag:
		return 2
	case Queue:
		return 3
	case Block:
		return 4
	}
	return 0
}

// Reason is why the pipeline asked for an action: kept with the decision
// and shown to moderators.
type Reason struct {
	// Kind is "mode" (pre-moderation holds everything), "rule", "word"
	// or "scorer".
	Kind string `json:"kind"`
	// Name is the rule ("length", "links", "repeated", "duplicate"), the
	// list ("en", "ja", "event") or the scorer ("koe", or a configured
	// name).
	Name string `json:"name"`
	// Detail is what matched: the word, the label, the duplicate's id.
	Detail string `json:"detail,omitempty"`
	// Score is the scorer's score (0..1), for scorer reasons.
	Score  float64 `json:"score,omitempty"`
	Action Action  `json:"action"`
}

// Scores are a scorer's answer: a score in 0..1 per label.
type Scores map[string]float64

// Scorer scores a text. The HTTP contract (POST {text, lang} →
// {labels: {name: score}}) and koe's own learned scorer both satisfy it.
type Scorer interface {
	Score(ctx context.Context, text, lang string) (Scores, error)
}
