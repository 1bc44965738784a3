package koe

import (
	"context"
	"time"
)

// Token is a staff credential. Only a hash of the secret is stored.
type Token struct {
	ID        int64
	Hash      []byte // SHA-256 of the secret token
	Role      string // RoleOwner for now
	Label     string
	CreatedAt time.Time
}

// RoleOwner may do everything.
const RoleOwner = "owner"

// Store keeps koe's state. Every method that returns nil has made its
// change durable (committed and synced) before returning. Methods return
// *Error values with the codes of this package: ENOTFOUND when a referenced
// record does not exist in the given scope (a talk of another event is not
// found), EINVALID for values the store itself rejects, ECONFLICT for
// uniqueness violations, EQACLOSED when asking in a closed talk, and
// EUNAVAILABLE when the database cannot be reached. Values passed in are
// already validated and normalised by the caller (see CleanText).
//
// Implementations: store/sqlite (default) and store/postgres; both pass the
// conformance suite in store/storetest.
type Store interface {
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error

	// Secret returns the named server secret, creating it with gen when
	// it does not exist yet. Concurrent and later callers, in any process
	// sharing the database, get the same value.
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)
	// CreateToken stores a staff token and sets its ID and CreatedAt.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash finds a token by the hash of its secret; ENOTFOUND if none.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// CountTokens counts the tokens with the given role.
	CountTokens(ctx context.Context, role string) (int, error)

	// CreateEvent stores e, setting ID, Version (1), CreatedAt, UpdatedAt
	// and, when empty, a unique random JoinCode. ECONFLICT if the slug or
	// the given join code is taken.
	CreateEvent(ctx context.Context, e *Event) error
	// UpdateEvent applies u and bumps the version. ECONFLICT on a taken slug.
	UpdateEvent(ctx context.Context, id int64, u EventUpdate) (*Event, error)
	// Event returns one event.
	Event(ctx context.Context, id int64) (*Event, error)
	// EventByJoinCode finds an event by its (normalised) join code.
	EventByJoinCode(ctx context.Context, code string) (*Event, error)
	// Events lists all events, newest first.
	Events(ctx context.Context) ([]*Event, error)

	// CreateTalk stores t in event t.EventID, setting ID, Version (1),
	// CreatedAt and UpdatedAt. ENOTFOUND if the event does not exist.
	CreateTalk(ctx context.Context, t *Talk) error
	// UpdateTalk applies u and bumps the version.
	UpdateTalk(ctx context.Context, eventID, talkID int64, u TalkUpdate) (*Talk, error)
	// Talk returns one talk of an event.
	Talk(ctx context.Context, eventID, talkID int64) (*Talk, error)
	// Talks lists an event's talks by start time (unscheduled last), then id.
	Talks(ctx context.Context, eventID int64) ([]*Talk, error)
	// SetHighlight shows questionID on the talk's screen (0 clears it) and
	// bumps the talk's version. ENOTFOUND if the question is not in the
	// talk, EINVALID if it is hidden.
	SetHighlight(ctx context.Context, eventID, talkID, questionID int64) (*Talk, error)

	// CreateParticipant stores p in event p.EventID, setting ID and CreatedAt.
	CreateParticipant(ctx context.Context, p *Participant) error
	// Participant returns one participant of an event.
	Participant(ctx context.Context, eventID, id int64) (*Participant, error)

	// CreateQuestion stores q in talk q.TalkID of event q.EventID, setting
	// ID, Version (1), CreatedAt and UpdatedAt, and Mine. EQACLOSED if the
	// talk's Q&A is closed at the moment of the write.
	CreateQuestion(ctx context.Context, q *Question) error
	// Question returns one question; viewer (0 for none) fills Mine and
	// LikedByMe. Hidden questions are returned too: callers decide.
	Question(ctx context.Context, eventID, talkID, questionID, viewer int64) (*Question, error)
	// Questions returns one page of a list (see QuestionSort).
	Questions(ctx context.Context, q QuestionQuery) (*QuestionPage, error)
	// SetLike records that participant likes (like=true) or no longer likes
	// the question. It is idempotent and exact under any concurrency; the
	// question's version grows only when the state changed. ENOTFOUND for a
	// hidden question.
	SetLike(ctx context.Context, eventID, talkID, questionID, participantID int64, like bool) (*LikeResult, error)
	// UpdateQuestion applies u and bumps the version. Marking answered sets
	// AnsweredAt, marking unanswered clears it. Hiding the highlighted
	// question also clears the talk's highlight (returned in Talk).
	UpdateQuestion(ctx context.Context, eventID, talkID, questionID int64, u QuestionUpdate) (*QuestionChange, error)
	// CreateReply stores r under question r.QuestionID (scoped by r.EventID
	// and r.TalkID), setting ID and CreatedAt, and returns the question with
	// its ReplyCount and Version bumped.
	CreateReply(ctx context.Context, r *Reply) (*Question, error)
	// Replies lists a question's replies, oldest first.
	Replies(ctx context.Context, eventID, talkID, questionID int64) ([]*Reply, error)
}
