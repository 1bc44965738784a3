package koe

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// Polls (F20; docs/architecture.md, "Polls"): a talk's multiple-choice,
// rating and word-cloud polls, and their exact results.

// PollKind is what a poll asks for.
type PollKind string

const (
	// PollChoice: one of its options, or several (Multiple).
	PollChoice PollKind = "choice"
	// PollRating: a rating from 1 to 5.
	PollRating PollKind = "rating"
	// PollWords: a few words of free text, shown as a word cloud.
	PollWords PollKind = "words"
)

// PollState is where a poll stands.
type PollState string

const (
	// PollDraft: prepared, seen by staff only.
	PollDraft PollState = "draft"
	// PollOpen: participants vote; at most one poll of a talk is open.
	PollOpen PollState = "open"
	// PollClosed: votes are final; it can be opened again.
	PollClosed PollState = "closed"
)

// PollResultsMode says when the audience sees a poll's results.
type PollResultsMode string

const (
	// ResultsLive: as the votes come in.
	ResultsLive PollResultsMode = "live"
	// ResultsHidden: once staff reveal them (staff always see them).
	ResultsHidden PollResultsMode = "hidden"
)

// Limits of polls.
const (
	MaxPollsPerTalk = 50
	MaxPollQuestion = 200 // characters
	MinPollOptions  = 2
	MaxPollOptions  = 10
	MaxPollOption   = 80 // characters of an option's label
	MaxPollAnswer   = 60 // characters of a word-cloud answer
	MaxAnswerWords  = 8  // words one answer counts
	MaxCloudWords   = 60 // words a word cloud's results give, most counted first
	MinRating       = 1
	MaxRating       = 5
)

// PollOption is one answer of a choice poll; its ID ("1"…"10") is what
// votes and results name.
type PollOption struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Poll is a talk's poll.
type Poll struct {
	ID       int64           `json:"id"`
	EventID  int64           `json:"event_id"`
	TalkID   int64           `json:"talk_id"`
	Kind     PollKind        `json:"kind"`
	Question string          `json:"question"`
	Options  []PollOption    `json:"options"`  // choice polls; [] otherwise
	Multiple bool            `json:"multiple"` // a choice poll takes several answers
	Results  PollResultsMode `json:"results_mode"`
	// Revealed is whether staff showed hidden results to the audience.
	Revealed bool      `json:"revealed"`
	State    PollState `json:"state"`
	// Version counts the changes of the poll's definition and state.
	Version   int64      `json:"version"`
	CreatedAt time.Time  `json:"created_at"`
	OpenedAt  *time.Time `json:"opened_at"`
	ClosedAt  *time.Time `json:"closed_at"`
}

// Public reports whether the audience sees the poll (it is not a draft).
func (p *Poll) Public() bool { return p.State != PollDraft }

// ResultsPublic reports whether the audience sees its results.
func (p *Poll) ResultsPublic() bool {
	return p.Public() && (p.Results == ResultsLive || p.Revealed)
}

// Change records p as typ; before, if not nil, is how it was. Drafts are
// staff's: a poll is public from its opening on.
func (p *Poll) Change(typ ChangeType, before *Poll) Change {
	public := p.Public() || (before != nil && before.Public())
	c := newChange(typ, p.EventID, p.TalkID, visibility(public), p)
	if before != nil {
		c = c.WithBefore(before)
	}
	return c
}

// PollUpdate changes a poll; nil fields stay. The definition (Question,
// Options, Multiple) changes only while no vote is counted.
type PollUpdate struct {
	Question *string
	Options  []PollOption // nil: unchanged
	Multiple *bool
	Results  *PollResultsMode
	Revealed *bool
	State    *PollState
}

// Defines reports whether u changes the poll's definition.
func (u PollUpdate) Defines() bool { return u.Question != nil || u.Options != nil || u.Multiple != nil }

// ApplyPollUpdate returns before as u changes it at now, with its
// version grown and the change to record, or nil when u changes nothing.
// ECONFLICT for closing a draft (open it first).
func ApplyPollUpdate(before *Poll, u PollUpdate, now time.Time) (*Poll, []Change, error) {
	p := *before
	p.Options = slices.Clone(before.Options)
	if u.Question != nil {
		p.Question = *u.Question
	}
	if u.Options != nil {
		p.Options = slices.Clone(u.Options)
	}
	if u.Multiple != nil {
		p.Multiple = *u.Multiple
	}
	if u.Results != nil {
		p.Results = *u.Results
	}
	if u.Revealed != nil {
		p.Revealed = *u.Revealed
	}
	if u.State != nil && *u.State != p.State {
		switch *u.State {
		case PollOpen:
			p.OpenedAt, p.ClosedAt = &now, nil
		case PollClosed:
			if p.State == PollDraft {
				return nil, nil, Errorf(ECONFLICT, "this poll was never opened: open it first")
			}
			p.ClosedAt = &now
		}
		p.State = *u.State
	}
	if p.Question == before.Question && slices.Equal(p.Options, before.Options) && p.Multiple == before.Multiple &&
		p.Results == before.Results && p.Revealed == before.Revealed && p.State == before.State {
		return nil, nil, nil
	}
	p.Version++
	return &p, []Change{p.Change(PollUpdated, before)}, nil
}

// ParsePollKind reads a poll's kind.
func ParsePollKind(s string) (PollKind, error) {
	switch k := PollKind(s); k {
	case PollChoice, PollRating, PollWords:
		return k, nil
	}
	return "", Invalid("kind", ReasonFormat, 0, `kind must be "choice", "rating" or "words"`)
}

// ParsePollState reads a state a poll may be put in: "open" or "closed"
// (a poll never goes back to draft).
func ParsePollState(s string) (PollState, error) {
	switch st := PollState(s); st {
	case PollOpen, PollClosed:
		return st, nil
	}
	return "", Invalid("state", ReasonFormat, 0, `state must be "open" or "closed"`)
}

// ParseResultsMode reads a poll's results mode; "" is live.
func ParseResultsMode(s string) (PollResultsMode, error) {
	switch m := PollResultsMode(s); m {
	case "":
		return ResultsLive, nil
	case ResultsLive, ResultsHidden:
		return m, nil
	}
	return "", Invalid("results_mode", ReasonFormat, 0, `results_mode must be "live" or "hidden"`)
}

// CheckPollQuestion cleans a poll's question.
func CheckPollQuestion(s string) (string, error) {
	return CleanLine("question", s, 1, MaxPollQuestion)
}

// CheckPollOptions cleans a choice poll's option labels and numbers them
// "1", "2", …: 2 to 10 labels, none repeated.
func CheckPollOptions(labels []string) ([]PollOption, error) {
	if len(labels) < MinPollOptions || len(labels) > MaxPollOptions {
		return nil, Invalid("options", ReasonFormat, MaxPollOptions, "a choice poll has %d to %d options", MinPollOptions, MaxPollOptions)
	}
	opts := make([]PollOption, 0, len(labels))
	seen := make(map[string]bool, len(labels))
	for i, l := range labels {
		label, err := CleanLine("options", l, 1, MaxPollOption)
		if err != nil {
			return nil, err
		}
		if seen[label] {
			return nil, Invalid("options", ReasonFormat, 0, "option %q is given twice", label)
		}
		seen[label] = true
		opts = append(opts, PollOption{ID: strconv.Itoa(i + 1), Label: label})
	}
	return opts, nil
}

// Ballot is a vote as a participant casts it: Options for a choice poll,
// Rating for a rating, Text for a word cloud.
type Ballot struct {
	Options []string `json:"options"`
	Rating  *int     `json:"rating"`
	Text    *string  `json:"text"`
}

// CheckBallot checks a ballot against its poll and returns the keys it
// counts (option ids, or the rating) and, for a word cloud, its cleaned
// text (whose words the caller splits: package wordcloud).
func CheckBallot(p *Poll, b Ballot) (keys []string, text string, err error) {
	switch p.Kind {
	case PollChoice:
		if b.Rating != nil || b.Text != nil {
			return nil, "", Invalid("options", ReasonFormat, 0, "a choice poll takes options")
		}
		if len(b.Options) == 0 || len(b.Options) > len(p.Options) {
			return nil, "", Invalid("options", ReasonFormat, len(p.Options), "choose one of the poll's options")
		}
		if len(b.Options) > 1 && !p.Multiple {
			return nil, "", Invalid("options", ReasonFormat, 1, "this poll takes one answer")
		}
		for _, id := range b.Options {
			if !slices.ContainsFunc(p.Options, func(o PollOption) bool { return o.ID == id }) {
				return nil, "", Invalid("options", ReasonFormat, 0, "%q is not an option of this poll", id)
			}
			if !slices.Contains(keys, id) {
				keys = append(keys, id)
			}
		}
		return keys, "", nil
	case PollRating:
		if b.Rating == nil || len(b.Options) > 0 || b.Text != nil {
			return nil, "", Invalid("rating", ReasonFormat, 0, "a rating poll takes a rating")
		}
		if *b.Rating < MinRating || *b.Rating > MaxRating {
			return nil, "", Invalid("rating", ReasonFormat, MaxRating, "a rating is from %d to %d", MinRating, MaxRating)
		}
		return []string{strconv.Itoa(*b.Rating)}, "", nil
	}
	if b.Text == nil || len(b.Options) > 0 || b.Rating != nil {
		return nil, "", Invalid("text", ReasonFormat, 0, "a word-cloud poll takes text")
	}
	text, err = CleanLine("text", *b.Text, 1, MaxPollAnswer)
	return nil, text, err
}

// Vote is a participant's vote in a poll. A word-cloud answer may wait
// for moderation (Status pending): it counts once approved.
type Vote struct {
	ID            int64    `json:"id"`
	PollID        int64    `json:"poll_id"`
	ParticipantID int64    `json:"-"`
	Keys          []string `json:"keys"` // what it counts: option ids, the rating, the words
	Text          string   `json:"text"` // a word-cloud answer as written
	Status        Status   `json:"status"`
	// EventID and TalkID are the poll's (for its review).
	EventID   int64     `json:"-"`
	TalkID    int64     `json:"-"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PollCount is how many votes counted one key.
type PollCount struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// PollResults are a poll's exact results: Counts of every option (in
// order) or rating (1 to 5), or a word cloud's most counted words.
type PollResults struct {
	PollID int64 `json:"poll_id"`
	// Version grows with every vote counted or changed: of two results
	// of a poll, the one with the higher version is the newer.
	Version int64       `json:"version"`
	Voters  int64       `json:"voters"`
	Counts  []PollCount `json:"counts"`
}

// Arrange puts raw counts (key → count, from the store) in results
// order: a choice poll's options in their order and a rating's 1…5, each
// with its count (0 included); a word cloud's words most counted first
// (ties by word), at most MaxCloudWords.
func (p *Poll) Arrange(counts map[string]int64) []PollCount {
	var out []PollCount
	switch p.Kind {
	case PollChoice:
		for _, o := range p.Options {
			out = append(out, PollCount{o.ID, counts[o.ID]})
		}
	case PollRating:
		for r := MinRating; r <= MaxRating; r++ {
			k := strconv.Itoa(r)
			out = append(out, PollCount{k, counts[k]})
		}
	default:
		out = make([]PollCount, 0, len(counts))
		for k, n := range counts {
			out = append(out, PollCount{k, n})
		}
		slices.SortFunc(out, func(a, b PollCount) int {
			if a.Count != b.Count {
				return int(b.Count - a.Count)
			}
			if a.Key < b.Key {
				return -1
			}
			if a.Key > b.Key {
				return 1
			}
			return 0
		})
		if len(out) > MaxCloudWords {
			out = out[:MaxCloudWords]
		}
	}
	return out
}

// PollStore keeps polls, votes and their tallies.
type PollStore interface {
	// CreatePoll stores p (a draft), setting ID, Version and CreatedAt,
	// and records PollCreated. ENOTFOUND if the talk is not in the event;
	// ECONFLICT when the talk has MaxPollsPerTalk.
	CreatePoll(ctx context.Context, p *Poll) error
	// Polls lists a talk's polls, oldest first.
	Polls(ctx context.Context, eventID, talkID int64) ([]*Poll, error)
	// Poll returns one poll of the talk; ENOTFOUND for none.
	Poll(ctx context.Context, eventID, talkID, pollID int64) (*Poll, error)
	// UpdatePoll changes a poll and records PollUpdated: opening it
	// closes the talk's other open poll in the same transaction (its
	// PollUpdated recorded too). ECONFLICT for a change of the definition
	// once a vote is counted.
	UpdatePoll(ctx context.Context, eventID, talkID, pollID int64, u PollUpdate) (*Poll, error)
	// DeletePoll removes a poll and its votes, recording PollDeleted.
	DeletePoll(ctx context.Context, eventID, talkID, pollID int64) error
	// CastVote replaces the participant's vote in an open poll with v
	// (setting ID and UpdatedAt) in one transaction: the tallies of
	// the old vote go, those of v (when approved) come, the poll's tally
	// version grows. review, when not nil, is stored beside it (a held
	// word-cloud answer; Kind ReviewAnswer, SubjectID set to the vote).
	// ECONFLICT when the poll is not open.
	CastVote(ctx context.Context, v *Vote, review *Review) error
	// MyVote returns the participant's vote in the poll; nil for none.
	MyVote(ctx context.Context, pollID, participantID int64) (*Vote, error)
	// PollResults counts the poll's tallies: key → count, the voters
	// counted and the tally version.
	PollResults(ctx context.Context, pollID int64) (counts map[string]int64, voters, version int64, err error)
}
