package act

import (
	"context"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
	"github.com/koehq/koe/wordcloud"
)

// Polls (docs/architecture.md, "Polls"): staff prepare, open and close a
// talk's polls; participants vote, once each and changeably until the
// poll closes; the results are counted exactly by the store and
// published, at most every resultsEvery, as an ephemeral message.

// PollResultsMessage is the stream message type of a poll's results.
const PollResultsMessage = "poll.results"

// resultsEvery is how often at most a poll's results are published while
// votes come in.
const resultsEvery = 250 * time.Millisecond

// NewPoll is a poll as staff prepare it.
type NewPoll struct {
	Kind        string   `json:"kind"`
	Question    string   `json:"question"`
	Options     []string `json:"options"`
	Multiple    bool     `json:"multiple"`
	ResultsMode string   `json:"results_mode"`
}

// PollPatch changes a poll: its definition (question, options, multiple:
// until the first vote), when its results show, whether hidden results
// are revealed, and its state ("open", "closed").
type PollPatch struct {
	Question    *string  `json:"question"`
	Options     []string `json:"options"`
	Multiple    *bool    `json:"multiple"`
	ResultsMode *string  `json:"results_mode"`
	Revealed    *bool    `json:"revealed"`
	State       *string  `json:"state"`
}

// PollView is a poll as its reader sees it: its results while they are
// visible to them (staff: always), and a participant's own vote.
type PollView struct {
	*koe.Poll
	Results *koe.PollResults `json:"results"`
	MyVote  *koe.Vote        `json:"my_vote"`
}

// Polls lists a talk's polls: staff see the drafts too.
func (a *Actions) Polls(ctx context.Context, eventID, talkID int64) ([]*PollView, error) {
	_, p, err := a.beginIn(ctx, Read, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Talk(ctx, eventID, talkID); err != nil {
		return nil, err
	}
	polls, err := a.store.Polls(ctx, eventID, talkID)
	if err != nil {
		return nil, err
	}
	staff := a.may(p, ReadHidden, eventID, talkID)
	views := []*PollView{}
	for _, poll := range polls {
		if !poll.Public() && !staff {
			continue
		}
		v := &PollView{Poll: poll}
		if staff || poll.ResultsPublic() {
			if v.Results, err = a.results(ctx, poll); err != nil {
				return nil, err
			}
		}
		if p.IsParticipantOf(eventID) {
			if v.MyVote, err = a.store.MyVote(ctx, poll.ID, p.ParticipantID); err != nil {
				return nil, err
			}
		}
		views = append(views, v)
	}
	return views, nil
}

// Poll returns one poll of a talk (its results: PollResults); a draft
// only to staff.
func (a *Actions) Poll(ctx context.Context, eventID, talkID, pollID int64) (*koe.Poll, error) {
	poll, _, err := a.readPoll(ctx, eventID, talkID, pollID)
	return poll, err
}

// readPoll reads a poll for its reader, and whether they are the talk's
// staff: others do not find a draft.
func (a *Actions) readPoll(ctx context.Context, eventID, talkID, pollID int64) (*koe.Poll, bool, error) {
	_, p, err := a.beginIn(ctx, Read, eventID, talkID)
	if err != nil {
		return nil, false, err
	}
	poll, err := a.store.Poll(ctx, eventID, talkID, pollID)
	if err != nil {
		return nil, false, err
	}
	staff := a.may(p, ReadHidden, eventID, talkID)
	if !poll.Public() && !staff {
		return nil, false, koe.Errorf(koe.ENOTFOUND, "poll not found")
	}
	return poll, staff, nil
}

// CreatePoll prepares a poll in a talk, as a draft.
func (a *Actions) CreatePoll(ctx context.Context, eventID, talkID int64, in NewPoll) (*koe.Poll, error) {
	ctx, _, err := a.beginIn(ctx, Present, eventID, talkID)
	if err != nil {
		return nil, err
	}
	kind, err := koe.ParsePollKind(in.Kind)
	if err != nil {
		return nil, err
	}
	question, err := koe.CheckPollQuestion(in.Question)
	if err != nil {
		return nil, err
	}
	mode, err := koe.ParseResultsMode(in.ResultsMode)
	if err != nil {
		return nil, err
	}
	p := &koe.Poll{EventID: eventID, TalkID: talkID, Kind: kind, Question: question, Results: mode, Options: []koe.PollOption{}}
	if kind == koe.PollChoice {
		if p.Options, err = koe.CheckPollOptions(in.Options); err != nil {
			return nil, err
		}
		p.Multiple = in.Multiple
	} else if len(in.Options) > 0 || in.Multiple {
		return nil, koe.Invalid("options", koe.ReasonFormat, 0, "only a choice poll has options")
	}
	if err := a.store.CreatePoll(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// UpdatePoll changes a poll; opening it closes the talk's open one.
func (a *Actions) UpdatePoll(ctx context.Context, eventID, talkID, pollID int64, in PollPatch) (*koe.Poll, error) {
	ctx, _, err := a.beginIn(ctx, Present, eventID, talkID)
	if err != nil {
		return nil, err
	}
	before, err := a.store.Poll(ctx, eventID, talkID, pollID)
	if err != nil {
		return nil, err
	}
	u, err := pollUpdate(before, in)
	if err != nil {
		return nil, err
	}
	p, err := a.store.UpdatePoll(ctx, eventID, talkID, pollID, u)
	if err != nil {
		return nil, err
	}
	if p.Kind == koe.PollWords && p.State == koe.PollOpen {
		wordcloud.Warm() // the dictionary loads in the background, before the first answer
	}
	if p.ResultsPublic() && !before.ResultsPublic() {
		a.polls.touch(a, p) // for the audience, who had none
	}
	return p, nil
}

// pollUpdate reads a patch of poll p.
func pollUpdate(p *koe.Poll, in PollPatch) (koe.PollUpdate, error) {
	var u koe.PollUpdate
	if in.Question != nil {
		q, err := koe.CheckPollQuestion(*in.Question)
		if err != nil {
			return u, err
		}
		u.Question = &q
	}
	if in.Options != nil || in.Multiple != nil {
		if p.Kind != koe.PollChoice {
			return u, koe.Invalid("options", koe.ReasonFormat, 0, "only a choice poll has options")
		}
	}
	if in.Options != nil {
		opts, err := koe.CheckPollOptions(in.Options)
		if err != nil {
			return u, err
		}
		u.Options = opts
	}
	u.Multiple = in.Multiple
	if in.ResultsMode != nil {
		m, err := koe.ParseResultsMode(*in.ResultsMode)
		if err != nil {
			return u, err
		}
		u.Results = &m
	}
	u.Revealed = in.Revealed
	if in.State != nil {
		st, err := koe.ParsePollState(*in.State)
		if err != nil {
			return u, err
		}
		u.State = &st
	}
	return u, nil
}

// DeletePoll removes a poll and its votes.
func (a *Actions) DeletePoll(ctx context.Context, eventID, talkID, pollID int64) error {
	ctx, _, err := a.beginIn(ctx, Present, eventID, talkID)
	if err != nil {
		return err
	}
	return a.store.DeletePoll(ctx, eventID, talkID, pollID)
}

// Vote casts or changes a participant's vote in an open poll. A
// word-cloud answer goes through the event's moderation like a question:
// refused, it is not stored (EINVALID, reason refused); held, it counts
// once a moderator approves it.
func (a *Actions) Vote(ctx context.Context, eventID, talkID, pollID int64, b koe.Ballot) (*koe.Vote, error) {
	ctx, p, err := a.beginIn(ctx, Vote, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if err := a.limit(ctx, "vote", p); err != nil {
		return nil, err
	}
	poll, err := a.store.Poll(ctx, eventID, talkID, pollID)
	if err != nil {
		return nil, err
	}
	if poll.State != koe.PollOpen {
		return nil, koe.Errorf(koe.ECONFLICT, "this poll is not open")
	}
	keys, text, err := koe.CheckBallot(poll, b)
	if err != nil {
		return nil, err
	}
	if err := a.checkBan(ctx, p, eventID); err != nil {
		return nil, err
	}
	v := &koe.Vote{PollID: pollID, EventID: eventID, TalkID: talkID, ParticipantID: p.ParticipantID, Keys: keys,
		Status: koe.StatusApproved}
	var review *koe.Review
	if poll.Kind == koe.PollWords {
		if v.Text, v.Status, review, err = a.screenAnswer(ctx, p, eventID, talkID, text); err != nil {
			return nil, err
		}
		if v.Keys = answerWords(v.Text); len(v.Keys) == 0 {
			return nil, koe.Invalid("text", koe.ReasonEmpty, 0, "this answer has no word the cloud can count: write a word or two")
		}
	}
	if err := a.store.CastVote(ctx, v, review); err != nil {
		return nil, err
	}
	if v.Status == koe.StatusApproved {
		a.polls.touch(a, poll)
	}
	return v, nil
}

// screenAnswer runs a word-cloud answer through the event's moderation.
func (a *Actions) screenAnswer(ctx context.Context, p koe.Principal, eventID, talkID int64, text string) (string, koe.Status, *koe.Review, error) {
	e, t, err := a.eventTalk(ctx, eventID, talkID)
	if err != nil {
		return "", "", nil, err
	}
	author, err := a.store.Participant(ctx, eventID, p.ParticipantID)
	if err != nil {
		return "", "", nil, err
	}
	sc, err := a.screen(ctx, submission{event: e, talk: t, kind: koe.ReviewAnswer, participant: p.ParticipantID,
		author: author.DisplayName, text: text})
	if err != nil {
		return "", "", nil, err
	}
	if sc.status == koe.StatusRejected {
		return "", "", nil, koe.Invalid("text", koe.ReasonRefused, 0, "this answer cannot be shown here")
	}
	return sc.text, sc.status, sc.review, nil
}

// answerWords is what a word-cloud answer counts: its words (package
// wordcloud), at most koe.MaxAnswerWords.
func answerWords(text string) []string {
	words := wordcloud.Words(text)
	if len(words) > koe.MaxAnswerWords {
		words = words[:koe.MaxAnswerWords]
	}
	return words
}

// PollResults returns a poll's results: staff see them always, the
// audience once the poll is open and its results are shown.
func (a *Actions) PollResults(ctx context.Context, eventID, talkID, pollID int64) (*koe.PollResults, error) {
	poll, staff, err := a.readPoll(ctx, eventID, talkID, pollID)
	if err != nil {
		return nil, err
	}
	if !staff && !poll.ResultsPublic() {
		return nil, koe.Errorf(koe.EFORBIDDEN, "the results of this poll are shown once staff reveal them")
	}
	return a.results(ctx, poll)
}

// results counts a poll's votes.
func (a *Actions) results(ctx context.Context, p *koe.Poll) (*koe.PollResults, error) {
	counts, voters, version, err := a.store.PollResults(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return &koe.PollResults{PollID: p.ID, Version: version, Voters: voters, Counts: p.Arrange(counts)}, nil
}

// answerDecided publishes the results of the talk's word-cloud polls
// after a moderator decided (or undid a decision on) an answer.
func (a *Actions) answerDecided(ctx context.Context, r *koe.Review) {
	if r.Kind != koe.ReviewAnswer {
		return
	}
	polls, err := a.store.Polls(ctx, r.EventID, r.TalkID)
	if err != nil {
		a.log.Warn("cannot read the polls of a decided answer", "review", r.ID, "error", err)
		return
	}
	for _, p := range polls {
		if p.Kind == koe.PollWords && p.Public() {
			a.polls.touch(a, p)
		}
	}
}

// pollPublisher publishes the results of the polls that took votes, at
// most once per resultsEvery each.
type pollPublisher struct {
	mu      sync.Mutex
	pending map[int64]bool // poll ids whose publication is scheduled
}

func newPollPublisher() *pollPublisher { return &pollPublisher{pending: map[int64]bool{}} }

// touch schedules the publication of p's results, unless one is.
func (pp *pollPublisher) touch(a *Actions, p *koe.Poll) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.pending[p.ID] {
		return
	}
	pp.pending[p.ID] = true
	eventID, talkID, pollID := p.EventID, p.TalkID, p.ID
	time.AfterFunc(resultsEvery, func() {
		pp.mu.Lock()
		delete(pp.pending, pollID)
		pp.mu.Unlock()
		a.publishResults(eventID, talkID, pollID)
	})
}

// publishResults reads a poll's results and publishes them on the talk's
// staff stream, and on its public stream while they are shown there.
func (a *Actions) publishResults(eventID, talkID, pollID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := a.store.Poll(ctx, eventID, talkID, pollID)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return // deleted
	}
	var res *koe.PollResults
	if err == nil {
		res, err = a.results(ctx, p)
	}
	if err != nil {
		a.log.Warn("cannot publish a poll's results", "poll", pollID, "error", err)
		return
	}
	m := realtime.Message{Type: PollResultsMessage, At: a.now(), Data: res}
	a.hub.PublishEphemeral(realtime.TalkStream(eventID, talkID, true), m)
	if p.ResultsPublic() {
		a.hub.PublishEphemeral(realtime.TalkStream(eventID, talkID, false), m)
	}
}
