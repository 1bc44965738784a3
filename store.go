package koe

import (
	"context"
	"time"
)

// Store keeps koe's state; each concern has an interface of its own, and
// the conformance suite (store/storetest) has a part for each.
//
// Every method that returns nil has made its change durable (committed and
// synced) before returning, and has recorded the change's domain events
// in the outbox in the same transaction, with the Origin in ctx (koe
// itself, now, when there is none). A call that changes nothing (an update
// to the values already there) bumps no version and records nothing.
// Methods return *Error values with the codes of this package: ENOTFOUND
// when a referenced record does not exist in the given scope (a talk of
// another event is not found), EINVALID for values the store itself
// rejects, ECONFLICT for uniqueness violations, EQACLOSED when asking in a
// closed talk, and EUNAVAILABLE when the database cannot be reached. Values
// passed in are already validated and normalised by the caller (see
// CleanText). The rules of a change (QuestionUpdate.Apply, Question.Public…)
// are this package's; stores apply them, never their own.
//
// Implementations: store/sqlite (default) and store/postgres.
type Store interface {
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error

	SecretStore
	EventStore
	TalkStore
	ParticipantStore
	QuestionStore
	AccountStore
	ModerationStore
	PostStore
	AuditStore
	IntegrationStore
	ScreenStore
	PollStore
	ScheduleStore
	ReportStore
	Outbox
}

// SecretStore keeps server secrets.
type SecretStore interface {
	// Secret returns the named server secret, creating it with gen when
	// it does not exist yet. Concurrent and later callers, in any process
	// sharing the database, get the same value.
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)
}

// EventStore keeps events.
type EventStore interface {
	// CreateEvent stores e, setting ID, Version (1), CreatedAt, UpdatedAt
	// and, when empty, a unique random JoinCode; records EventCreated.
	// ECONFLICT if the slug or the given join code is taken.
	CreateEvent(ctx context.Context, e *Event) error
	// UpdateEvent applies u, bumps the version and records EventUpdated
	// (neither when u changes nothing). ECONFLICT on a taken slug.
	UpdateEvent(ctx context.Context, id int64, u EventUpdate) (*Event, error)
	// Event returns one event.
	Event(ctx context.Context, id int64) (*Event, error)
	// EventByJoinCode finds an event by its (normalised) join code.
	EventByJoinCode(ctx context.Context, code string) (*Event, error)
	// Events lists all events, newest first.
	Events(ctx context.Context) ([]*Event, error)
	// SetEventLogo makes logo the event's (nil: it has none) and its
	// version the event's Settings.Logo; bumps the version and records
	// EventUpdated (neither when it is the event's logo already).
	SetEventLogo(ctx context.Context, eventID int64, logo *EventLogo) (*Event, error)
	// EventLogo returns the event's logo if version is its version;
	// ENOTFOUND otherwise.
	EventLogo(ctx context.Context, eventID int64, version string) (*EventLogo, error)
}

// TalkStore keeps talks.
type TalkStore interface {
	// CreateTalk stores t in event t.EventID, setting ID, Version (1),
	// CreatedAt and UpdatedAt; records TalkCreated. ENOTFOUND if the event
	// does not exist.
	CreateTalk(ctx context.Context, t *Talk) error
	// UpdateTalk applies u, bumps the version and records TalkUpdated
	// (neither when u changes nothing).
	UpdateTalk(ctx context.Context, eventID, talkID int64, u TalkUpdate) (*Talk, error)
	// Talk returns one talk of an event.
	Talk(ctx context.Context, eventID, talkID int64) (*Talk, error)
	// Talks lists an event's talks by start time (unscheduled last), then id.
	Talks(ctx context.Context, eventID int64) ([]*Talk, error)
	// SetHighlight shows questionID on the talk's screen (0 clears it),
	// bumps the talk's version and records TalkUpdated (neither when it is
	// shown already). ENOTFOUND if the question is not in the talk,
	// EINVALID if it is not Highlightable.
	SetHighlight(ctx context.Context, eventID, talkID, questionID int64) (*Talk, error)
}

// ParticipantStore keeps participants.
type ParticipantStore interface {
	// CreateParticipant stores p in event p.EventID, setting ID and
	// CreatedAt. ECONFLICT if p has an OpenID identity that is a
	// participant of the event already.
	CreateParticipant(ctx context.Context, p *Participant) error
	// ParticipantByIdentity returns the participant of the event with the
	// OpenID identity; ENOTFOUND for none.
	ParticipantByIdentity(ctx context.Context, eventID int64, issuer, subject string) (*Participant, error)
	// Participant returns one participant of an event.
	Participant(ctx context.Context, eventID, id int64) (*Participant, error)
}

// QuestionStore keeps questions, their likes and their replies.
type QuestionStore interface {
	// CreateQuestion stores q (with its Status; "" is approved) in talk
	// q.TalkID of event q.EventID, setting ID, Version (1), CreatedAt and
	// UpdatedAt, and Mine; records QuestionCreated. With rev, it also
	// stores rev as the question's review (setting its ID, SubjectID,
	// QuestionID, Version and CreatedAt) and records ReviewCreated.
	// EQACLOSED if the talk's Q&A is closed at the moment of the write.
	CreateQuestion(ctx context.Context, q *Question, rev *Review) error
	// Question returns one question (of any talk of the event when talkID
	// is 0); viewer (0 for none) fills Mine and LikedByMe. Hidden, pending
	// and rejected questions are returned too: callers decide.
	Question(ctx context.Context, eventID, talkID, questionID, viewer int64) (*Question, error)
	// Questions returns one page of a list (see QuestionSort).
	Questions(ctx context.Context, q QuestionQuery) (*QuestionPage, error)
	// ListMarks returns what a participant's lists of a talk add to the
	// lists everyone sees: which of questionIDs they liked, and whether
	// they have questions in the talk that their lists show and others'
	// do not (pending or rejected, not hidden).
	ListMarks(ctx context.Context, talkID, participantID int64, questionIDs []int64) (*ListMarks, error)
	// OpenQuestionTexts returns the id and body of up to limit of the
	// talk's newest visible unanswered questions, newest first: what the
	// moderation pipeline compares a new question with.
	OpenQuestionTexts(ctx context.Context, eventID, talkID int64, limit int) ([]QuestionText, error)
	// SetLike records that participant likes (like=true) or no longer likes
	// the question. It is idempotent and exact under any concurrency; the
	// question's version grows only when the state changed. It records
	// QuestionLikes with the count it left, coalesced: one change per
	// question for the likes committed together, and a store may hold a
	// count back a moment (at most 50 ms) to record one per interval; the
	// last count recorded is always the question's. ENOTFOUND for a
	// question that is not Public.
	SetLike(ctx context.Context, eventID, talkID, questionID, participantID int64, like bool) (*LikeResult, error)
	// UpdateQuestion applies u with QuestionUpdate.Apply, bumps the version
	// and records QuestionUpdated (neither when u changes nothing). A
	// question that is no longer Highlightable leaves its talk's screen,
	// which records TalkUpdated too (the talk is returned in Talk).
	UpdateQuestion(ctx context.Context, eventID, talkID, questionID int64, u QuestionUpdate) (*UpdatedQuestion, error)
	// CreateReply stores r (with its Status; "" is approved) under
	// question r.QuestionID (scoped by r.EventID and r.TalkID), setting ID
	// and CreatedAt, and returns the question; records ReplyCreated. An
	// approved reply bumps the question's ReplyCount and Version and
	// records QuestionUpdated. With rev, as CreateQuestion.
	CreateReply(ctx context.Context, r *Reply, rev *Review) (*Question, error)
	// Replies lists a question's replies, oldest first: the approved
	// ones, and with all the pending and rejected ones too.
	Replies(ctx context.Context, eventID, talkID, questionID int64, all bool) ([]*Reply, error)
	// TalkQuestions lists every question of a talk, oldest first, at most
	// limit: the approved ones that are not hidden, and with all the
	// hidden, pending and rejected ones too (an export).
	TalkQuestions(ctx context.Context, eventID, talkID int64, all bool, limit int) ([]*Question, error)
	// TalkReplies lists every reply in a talk, oldest first: the approved
	// ones, and with all the pending and rejected ones too.
	TalkReplies(ctx context.Context, eventID, talkID int64, all bool) ([]*Reply, error)
}

// AuditStore keeps the audit log: the changes staff and koe itself made,
// copied from the outbox, where they outlive the outbox's day.
type AuditStore interface {
	// RecordAudit keeps changes (read from the outbox, so with their Pos)
	// in the audit log; a change kept already is kept once.
	RecordAudit(ctx context.Context, changes []Change) error
	// Audit returns the entries q selects, newest first.
	Audit(ctx context.Context, q AuditQuery) ([]Change, error)
	// PruneAudit deletes the entries of changes made before before, and
	// returns how many it deleted.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// AuditQuery selects audit entries. Zero fields select everything.
type AuditQuery struct {
	// EventID selects one event's entries; 0 selects every entry, the
	// installation's own (accounts, event 0) included.
	EventID int64
	// Actor selects one actor's entries (by kind and id).
	Actor *Actor
	// TypePrefix selects the types that begin with it ("question.").
	TypePrefix string
	// Since and Until bound the time of the change: Since ≤ At < Until.
	Since, Until time.Time
	// Before selects entries older than this position: the page after
	// the one that ended there.
	Before OutboxPos
	// Limit bounds the page; 0 means 100.
	Limit int
}

// Outbox is what the outbox's consumers need of the store: the changes in
// commit order, a saved position per consumer, and a lease that lets one
// process at a time run a consumer shared by every process on the
// database (docs/architecture.md, "The outbox and its order").
type Outbox interface {
	// Changes returns up to limit changes after pos, oldest first, in
	// commit order: only changes nothing can commit before any more. more
	// is true when changes after the last one returned exist or are being
	// committed: the caller should ask again soon.
	Changes(ctx context.Context, after OutboxPos, limit int) (changes []Change, more bool, err error)
	// OutboxHead returns a position at or after every change Changes can
	// return now, and before every change recorded later: where a consumer
	// that skips the past starts.
	OutboxHead(ctx context.Context) (OutboxPos, error)
	// OutboxWritten returns a channel that is closed once changes have been
	// recorded after the call (by any process on the database).
	OutboxWritten() <-chan struct{}
	// OutboxCursor returns the position a consumer saved; ok is false if it
	// never saved one.
	OutboxCursor(ctx context.Context, consumer string) (pos OutboxPos, ok bool, err error)
	// SaveOutboxCursor saves a consumer's position.
	SaveOutboxCursor(ctx context.Context, consumer string, pos OutboxPos) error
	// PruneOutbox deletes the changes recorded before before that are not
	// after upTo, and returns how many it deleted.
	PruneOutbox(ctx context.Context, before time.Time, upTo OutboxPos) (int64, error)
	// Lead waits until this process holds the lease called name, or ctx
	// ends, and returns a context that ends when the lease is lost or
	// released, and the function that releases it (ctx bounds only the
	// wait). In one process, too, only one caller at a time holds a lease.
	Lead(ctx context.Context, name string) (context.Context, func(), error)
}
