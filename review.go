package koe

import (
	"context"
	"encoding/json"
	"time"
)

// Status is where a question or reply stands in moderation
// (docs/architecture.md, "States and reviews").
type Status string

const (
	// StatusApproved items are visible (unless hidden).
	StatusApproved Status = "approved"
	// StatusPending items wait for a moderator: only their author and
	// staff see them.
	StatusPending Status = "pending"
	// StatusRejected items are never shown to anyone but their author
	// (and staff, in the review).
	StatusRejected Status = "rejected"
)

// ModerationMode is when texts become visible: at once (post-moderation,
// hidden later if need be) or after approval (pre-moderation).
type ModerationMode string

const (
	PostModeration ModerationMode = "post"
	PreModeration  ModerationMode = "pre"
)

// ParseModerationMode validates an event's mode ("" reads as post);
// inherit allows "" to stay "" (a talk that takes its event's mode).
func ParseModerationMode(field, s string, inherit bool) (ModerationMode, error) {
	switch ModerationMode(s) {
	case PostModeration, PreModeration:
		return ModerationMode(s), nil
	case "":
		if inherit {
			return "", nil
		}
		return PostModeration, nil
	}
	return "", Invalid(field, ReasonFormat, 0, "%s must be \"post\" or \"pre\"", field)
}

// Mode is the moderation mode in force in talk t of event e: the talk's,
// or the event's when the talk has none.
func (t *Talk) Mode(e *Event) ModerationMode {
	if t.Moderation != "" {
		return t.Moderation
	}
	if e.Settings.Moderation == "" {
		return PostModeration
	}
	return e.Settings.Moderation
}

// ReviewKind is what a review is about.
type ReviewKind string

const (
	ReviewQuestion ReviewKind = "question"
	ReviewReply    ReviewKind = "reply"
	// ReviewPost is about a social post (Post), of no talk.
	ReviewPost ReviewKind = "post"
	// ReviewAnswer is about a word-cloud poll's answer (a Vote).
	ReviewAnswer ReviewKind = "answer"
)

// ReviewState is where a review stands.
type ReviewState string

const (
	// ReviewPending: the item waits for a moderator.
	ReviewPending ReviewState = "pending"
	// ReviewFlagged: the item is visible; a moderator should look at it.
	ReviewFlagged ReviewState = "flagged"
	// ReviewApproved and ReviewRejected are decided.
	ReviewApproved ReviewState = "approved"
	ReviewRejected ReviewState = "rejected"
)

// Open reports whether the review still waits for a decision.
func (s ReviewState) Open() bool { return s == ReviewPending || s == ReviewFlagged }

// Review is the moderators' record of an item the pipeline had reasons
// about, or that pre-moderation holds.
type Review struct {
	ID        int64      `json:"id"`
	EventID   int64      `json:"event_id"`
	TalkID    int64      `json:"talk_id"`
	Kind      ReviewKind `json:"kind"`
	SubjectID int64      `json:"subject_id"`
	// QuestionID is the question itself, or the one a reply is under.
	QuestionID    int64  `json:"question_id"`
	ParticipantID int64  `json:"-"`
	AuthorName    string `json:"author_name"`
	// Body is the text as its author submitted it (before masking).
	Body  string      `json:"body"`
	State ReviewState `json:"state"`
	// Reasons are the pipeline's ([]moderation.Reason); Score is the
	// learned scorer's judgement (moderation.Judgement), null for none.
	Reasons  json.RawMessage `json:"reasons"`
	Score    json.RawMessage `json:"score"`
	Claim    *ReviewClaim    `json:"claim"`
	Decision *ReviewDecision `json:"decision"`
	// Banned is whether the author is banned from the event now.
	Banned    bool      `json:"banned"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

// ReviewClaim says that a moderator is looking at a review, until Until.
type ReviewClaim struct {
	AccountID int64     `json:"account_id"`
	Name      string    `json:"name"`
	Until     time.Time `json:"until"`
}

// Live reports whether the claim still holds at now.
func (c *ReviewClaim) Live(now time.Time) bool { return c != nil && now.Before(c.Until) }

// ReviewDecision is how a review was decided.
type ReviewDecision struct {
	// Decision is ReviewApproved or ReviewRejected.
	Decision ReviewState `json:"decision"`
	// AccountID is the deciding moderator (0 for koe itself and the owner
	// token); By their name ("koe" for koe's own).
	AccountID int64     `json:"account_id"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
	UndoUntil time.Time `json:"undo_until"`
	// Prior is the state the decision left, where undo returns.
	Prior ReviewState `json:"-"`
}

// SubjectStatus is the status a review's state gives its subject.
func (s ReviewState) SubjectStatus() Status {
	switch s {
	case ReviewPending:
		return StatusPending
	case ReviewRejected:
		return StatusRejected
	}
	return StatusApproved
}

// Undoable says why r's decision cannot be undone by accountID at now,
// or returns nil.
func Undoable(r *Review, accountID int64, now time.Time) error {
	d := r.Decision
	switch {
	case d == nil || r.State.Open():
		return Errorf(ECONFLICT, "this item is not decided")
	case d.UndoUntil.IsZero():
		return Errorf(ECONFLICT, "koe's own decisions cannot be undone; decide the item again from the decided list")
	case d.AccountID != accountID:
		return Errorf(ECONFLICT, "only %s, who decided it, can undo this decision", d.By)
	case !now.Before(d.UndoUntil):
		return Errorf(ECONFLICT, "decisions can be undone for %s only", UndoWindow)
	}
	return nil
}

// AlreadyDecided is the error of a decision on r that came second.
func AlreadyDecided(r *Review) error {
	if r.Decision == nil {
		return Errorf(ECONFLICT, "this item was decided already")
	}
	return Errorf(ECONFLICT, "this item was %s already by %s", r.Decision.Decision, r.Decision.By)
}

// ReplyCountDelta is how a question's ReplyCount moves when one of its
// replies goes from status was to now: it counts the approved ones.
func ReplyCountDelta(was, now Status) int {
	switch {
	case was != StatusApproved && now == StatusApproved:
		return 1
	case was == StatusApproved && now != StatusApproved:
		return -1
	}
	return 0
}

// UndoWindow is how long a moderator's decision can be undone.
const UndoWindow = 30 * time.Second

// ClaimTTL is how long a claim on a review lasts unless renewed.
const ClaimTTL = 30 * time.Second

// ReviewQuery selects reviews of an event.
type ReviewQuery struct {
	EventID int64
	// TalkID selects one talk's; 0 all.
	TalkID int64
	// Open selects pending and flagged reviews, oldest first; else the
	// decided ones, newest first.
	Open  bool
	Limit int
}

// ReviewCounts are the moderation console's counters.
type ReviewCounts struct {
	Pending int `json:"pending"`
	Flagged int `json:"flagged"`
	// DecidedLastMinute counts the decisions of the last minute.
	DecidedLastMinute int `json:"decided_last_minute"`
}

// Ban keeps a participant from taking part in an event.
type Ban struct {
	ID            int64     `json:"id"`
	EventID       int64     `json:"event_id"`
	ParticipantID int64     `json:"-"`
	DisplayName   string    `json:"display_name"`
	Reason        string    `json:"reason"`
	By            string    `json:"by"`
	CreatedAt     time.Time `json:"created_at"`
	// Hidden is how many of their questions the ban hid.
	Hidden int `json:"hidden"`
}

// Sample is one human decision on a text, for the learned scorer.
type Sample struct {
	Body string
	Bad  bool
}

// Change records r's new state as typ (ReviewCreated, ReviewUpdated or
// ReviewClaimed): for moderators only.
func (r *Review) Change(typ ChangeType) Change {
	return newChange(typ, r.EventID, r.TalkID, VisibleStaff, r)
}

// Change records b as typ (BanCreated or BanRemoved).
func (b *Ban) Change(typ ChangeType) Change {
	return newChange(typ, b.EventID, 0, VisibleStaff, b)
}

// ModerationStore keeps reviews and bans.
type ModerationStore interface {
	// Review returns one review of an event, with Banned filled.
	Review(ctx context.Context, eventID, id int64) (*Review, error)
	// Reviews lists the reviews q selects, with Banned filled.
	Reviews(ctx context.Context, q ReviewQuery) ([]*Review, error)
	// ReviewCounts counts an event's (talk's, talkID ≠ 0; every event's,
	// eventID 0) open reviews and the moderators' decisions since since.
	ReviewCounts(ctx context.Context, eventID, talkID int64, since time.Time) (ReviewCounts, error)
	// ClaimReview sets c as the review's claim, unless another account's
	// claim is live at now (ECONFLICT, with the review) or the review is
	// decided (ECONFLICT); records ReviewClaimed. A nil c releases
	// accountID's claim.
	ClaimReview(ctx context.Context, eventID, id int64, accountID int64, c *ReviewClaim, now time.Time) (*Review, error)
	// DecideReview decides an open review and sets its subject's status
	// (body, when not nil, replaces a question's or reply's text first; a
	// post's text is its author's and stays); the review
	// is returned decided. ECONFLICT, with the decided review, when it
	// was decided already: of racing decisions exactly one wins. Records
	// ReviewUpdated and the subject's change (QuestionUpdated, with
	// TalkUpdated when the question leaves the screen).
	DecideReview(ctx context.Context, eventID, id int64, d ReviewDecision, body *string) (*Review, error)
	// UndoReview returns a decided review to its prior state, and its
	// subject with it, if accountID decided it and its undo window is
	// open at now; ECONFLICT otherwise.
	UndoReview(ctx context.Context, eventID, id, accountID int64, now time.Time) (*Review, error)
	// CreateBan bans b.ParticipantID from b.EventID, setting ID,
	// DisplayName and CreatedAt, and, with hide, hides their visible
	// questions (Hidden counts them); ECONFLICT if banned already.
	// Records BanCreated, and QuestionUpdated for each hidden question.
	CreateBan(ctx context.Context, b *Ban, hide bool) error
	// DeleteBan lifts a ban; records BanRemoved.
	DeleteBan(ctx context.Context, eventID, banID int64) error
	// Bans lists an event's bans, newest first.
	Bans(ctx context.Context, eventID int64) ([]*Ban, error)
	// BannedParticipants returns the ids of the event's banned
	// participants.
	BannedParticipants(ctx context.Context, eventID int64) ([]int64, error)
	// Samples returns up to limit of the event's human decisions, newest
	// first.
	Samples(ctx context.Context, eventID int64, limit int) ([]Sample, error)
	// RecentTexts returns the texts (questions and replies) a participant
	// wrote in the event since since, newest first, up to limit.
	RecentTexts(ctx context.Context, eventID, participantID int64, since time.Time, limit int) ([]string, error)
}
