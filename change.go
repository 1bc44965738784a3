package koe

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A Change is a domain event: something that happened to koe's data. The
// store records the changes of a write in its outbox, in the same
// transaction as the write, and the outbox's consumers (the real-time
// streams; later webhooks, Slack and the audit log) read them from there,
// so that whatever was committed reaches them (docs/architecture.md,
// "Actions, changes and the outbox").
type Change struct {
	// Pos is where the change is in the outbox; set when read back.
	Pos        OutboxPos
	Type       ChangeType
	EventID    int64
	TalkID     int64 // 0 when the change is not about one talk
	At         time.Time
	Actor      Actor
	Visibility Visibility
	// Data is the JSON of the payload that Type names: the record after the
	// change.
	Data json.RawMessage
	// Before is the record before the change, for changes of a record
	// that existed (the audit log shows both); nil otherwise.
	Before json.RawMessage
}

// ChangeType names what a change did. The names are the event types the
// real-time streams carry, so that clients see one vocabulary.
type ChangeType string

// The change types and their payloads.
const (
	EventCreated    ChangeType = "event.created"    // *Event
	EventUpdated    ChangeType = "event.updated"    // *Event
	TalkCreated     ChangeType = "talk.created"     // *Talk
	TalkUpdated     ChangeType = "talk.updated"     // *Talk
	TalkDeleted     ChangeType = "talk.deleted"     // *Talk (as it was): gone from the imported schedule
	QuestionCreated ChangeType = "question.created" // *Question, viewer fields false
	QuestionUpdated ChangeType = "question.updated" // *Question, viewer fields false
	QuestionLikes   ChangeType = "question.likes"   // LikeCount
	ReplyCreated    ChangeType = "reply.created"    // *Reply
	ReplyUpdated    ChangeType = "reply.updated"    // *Reply (approved or rejected)

	// Moderation: on the moderators' stream.
	ReviewCreated ChangeType = "review.created" // *Review
	ReviewUpdated ChangeType = "review.updated" // *Review
	// ReviewClaimed is a claim taken or given up: for the consoles (as
	// review.updated), not the audit log, which would fill with renewals.
	ReviewClaimed ChangeType = "review.claimed" // *Review
	// ModerationUpdated is a change of an event's moderation settings
	// (word lists, thresholds, scorers): for the audit log, which the
	// event's own change does not show them to.
	ModerationUpdated ChangeType = "moderation.updated" // ModerationConfig
	BanCreated        ChangeType = "ban.created"        // *Ban
	BanRemoved        ChangeType = "ban.removed"        // *Ban (as it was)

	// The social feed: posts on the operators' feed stream, what the
	// event features on its public stream, sources for the audit log.
	PostCreated   ChangeType = "post.created"   // *Post
	PostUpdated   ChangeType = "post.updated"   // *Post
	PostFeatured  ChangeType = "post.featured"  // Featured (public)
	SourceCreated ChangeType = "source.created" // *Source
	SourceUpdated ChangeType = "source.updated" // *Source
	SourceDeleted ChangeType = "source.deleted" // *Source (as it was)

	// Integrations: for the audit log, never on the streams.
	WebhookCreated ChangeType = "webhook.created" // *Webhook
	WebhookUpdated ChangeType = "webhook.updated" // *Webhook
	WebhookDeleted ChangeType = "webhook.deleted" // *Webhook (as it was)
	SlackUpdated   ChangeType = "slack.updated"   // *SlackConnection
	SlackDeleted   ChangeType = "slack.deleted"   // *SlackConnection (as it was)
	SlackLinked    ChangeType = "slack.linked"    // *SlackLink

	// Screen links: for the audit log, never on the streams.
	ScreenLinkCreated ChangeType = "screen_link.created" // *ScreenLink, without its secret
	ScreenLinkRotated ChangeType = "screen_link.rotated" // *ScreenLink, without its secret
	ScreenLinkDeleted ChangeType = "screen_link.deleted" // *ScreenLink (as it was), without its secret
	// Polls: public once opened (their results are not changes: they are
	// published on their own, see act/polls.go).
	PollCreated ChangeType = "poll.created" // *Poll
	PollUpdated ChangeType = "poll.updated" // *Poll
	PollDeleted ChangeType = "poll.deleted" // *Poll (as it was)

	// Staff and their accounts: for the audit log, never on the streams.
	AccountCreated     ChangeType = "account.created"     // *Account
	AccountUpdated     ChangeType = "account.updated"     // *Account
	StaffSet           ChangeType = "staff.set"           // *Membership
	StaffRemoved       ChangeType = "staff.removed"       // *Membership (as it was)
	InvitationCreated  ChangeType = "invitation.created"  // *Invitation
	InvitationAccepted ChangeType = "invitation.accepted" // *Invitation
	InvitationRevoked  ChangeType = "invitation.revoked"  // *Invitation
	TokenCreated       ChangeType = "token.created"       // *APIToken
	TokenRevoked       ChangeType = "token.revoked"       // *APIToken
	SessionCreated     ChangeType = "session.created"     // *Session: a sign-in
	SessionRevoked     ChangeType = "session.revoked"     // *Session: a sign-out, or revoked
	PasskeyCreated     ChangeType = "passkey.created"     // *Passkey
	PasskeyUpdated     ChangeType = "passkey.updated"     // *Passkey (renamed)
	PasskeyDeleted     ChangeType = "passkey.deleted"     // *Passkey (as it was)
)

// Visibility says who may see a change.
type Visibility string

const (
	// VisiblePublic changes reach everyone who follows the event.
	VisiblePublic Visibility = "public"
	// VisibleStaff changes reach staff only (a reply under a hidden question).
	VisibleStaff Visibility = "staff"
)

func visibility(public bool) Visibility {
	if public {
		return VisiblePublic
	}
	return VisibleStaff
}

// newChange encodes data, one of koe's own types; failing to encode it is
// a bug.
func newChange(typ ChangeType, eventID, talkID int64, vis Visibility, data any) Change {
	return Change{Type: typ, EventID: eventID, TalkID: talkID, Visibility: vis, Data: encode(typ, data)}
}

func encode(typ ChangeType, v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("koe: cannot encode %s: %v", typ, err))
	}
	return raw
}

// WithBefore returns c recording before as the record before the change.
func (c Change) WithBefore(before any) Change {
	c.Before = encode(c.Type, before)
	return c
}

// Change records a's new state as typ; before, if not nil, is how it was.
func (a *Account) Change(typ ChangeType, before *Account) Change {
	c := newChange(typ, 0, 0, VisibleStaff, a)
	if before != nil {
		c = c.WithBefore(before)
	}
	return c
}

// Change records m as typ; before, if not nil, is how it was.
func (m *Membership) Change(typ ChangeType, before *Membership) Change {
	c := newChange(typ, m.EventID, 0, VisibleStaff, m)
	if before != nil {
		c = c.WithBefore(before)
	}
	return c
}

// Change records inv as typ.
func (inv *Invitation) Change(typ ChangeType) Change {
	return newChange(typ, inv.EventID, 0, VisibleStaff, inv)
}

// Change records t as typ.
func (t *APIToken) Change(typ ChangeType) Change {
	return newChange(typ, 0, 0, VisibleStaff, t)
}

// Change records s as typ.
func (s *Session) Change(typ ChangeType) Change {
	return newChange(typ, 0, 0, VisibleStaff, s)
}

// Change records pk as typ; before, if not nil, is how it was.
func (pk *Passkey) Change(typ ChangeType, before *Passkey) Change {
	c := newChange(typ, 0, 0, VisibleStaff, pk)
	if before != nil {
		c = c.WithBefore(before)
	}
	return c
}

// Change records e's new state as typ (EventCreated or EventUpdated).
func (e *Event) Change(typ ChangeType) Change {
	return newChange(typ, e.ID, 0, VisiblePublic, e)
}

// Changes records e's new state after an update from before: EventUpdated,
// and ModerationUpdated when its moderation settings changed.
func (e *Event) Changes(before *Event) []Change {
	changes := []Change{e.Change(EventUpdated).WithBefore(before)}
	if !reflect.DeepEqual(e.Moderation, before.Moderation) {
		changes = append(changes, newChange(ModerationUpdated, e.ID, 0, VisibleStaff, e.Moderation).WithBefore(before.Moderation))
	}
	return changes
}

// Change records t's new state as typ (TalkCreated or TalkUpdated).
func (t *Talk) Change(typ ChangeType) Change {
	return newChange(typ, t.EventID, t.ID, VisiblePublic, t)
}

// Change records q's new state as typ (QuestionCreated or
// QuestionUpdated), without the fields that depend on who reads it.
func (q *Question) Change(typ ChangeType) Change {
	shared := *q
	shared.Mine, shared.LikedByMe = false, false
	return newChange(typ, q.EventID, q.TalkID, visibility(q.Public()), &shared)
}

// Change records r, written under q, as typ (ReplyCreated or
// ReplyUpdated): as public as q, if approved itself.
func (r *Reply) Change(typ ChangeType, q *Question) Change {
	return newChange(typ, r.EventID, r.TalkID, visibility(q.Public() && r.Status == StatusApproved), r)
}

// LikeCount is a question's like count after some likes: the payload of
// QuestionLikes, which a group of likes committed together records once
// per question.
type LikeCount struct {
	ID      int64 `json:"id"`
	Likes   int   `json:"likes"`
	Version int64 `json:"version"`
}

// Change records c, a question of talk talkID in event eventID, as
// QuestionLikes. Likes are only possible on visible questions.
func (c LikeCount) Change(eventID, talkID int64) Change {
	return newChange(QuestionLikes, eventID, talkID, VisiblePublic, c)
}

// Public reports whether q may be shown to everyone: the one visibility
// rule of questions (staff see every question).
func (q *Question) Public() bool { return !q.Hidden && q.Status == StatusApproved }

// OutboxPos is a position in the outbox, in commit order: Tx is the
// committing transaction's id where the store needs one to order commits
// (PostgreSQL), 0 otherwise; ID is the row's id. The zero value is before
// every change.
type OutboxPos struct {
	Tx int64
	ID int64
}

// Before reports whether p comes before q.
func (p OutboxPos) Before(q OutboxPos) bool {
	return p.Tx < q.Tx || p.Tx == q.Tx && p.ID < q.ID
}

// String renders p with a fixed width, so that positions compare as
// strings the way they compare as positions (the Redis broker keeps the
// last position each stream took that way).
func (p OutboxPos) String() string { return fmt.Sprintf("%016x%016x", p.Tx, p.ID) }

// ParseOutboxPos reads a position as String writes it; EINVALID for
// anything else.
func ParseOutboxPos(s string) (OutboxPos, error) {
	var p OutboxPos
	if len(s) != 32 || strings.ToLower(s) != s {
		return p, Errorf(EINVALID, "not a position")
	}
	tx, err1 := strconv.ParseUint(s[:16], 16, 63)
	id, err2 := strconv.ParseUint(s[16:], 16, 63)
	if err1 != nil || err2 != nil {
		return p, Errorf(EINVALID, "not a position")
	}
	return OutboxPos{Tx: int64(tx), ID: int64(id)}, nil
}

// Actor is who made a change, as the outbox records it.
type Actor struct {
	Kind ActorKind `json:"kind"`
	// ID is the participant's id for participants, the account's for
	// staff (0 for the owner token), 0 for koe itself.
	ID int64 `json:"id"`
	// Via is how staff authenticated (ViaSession…); Addr is where staff
	// acted from. Both "" for others: participants' addresses are not
	// kept.
	Via  string `json:"via,omitempty"`
	Addr string `json:"addr,omitempty"`
}

// ActorKind says what kind of principal an actor is.
type ActorKind string

const (
	ActorSystem      ActorKind = "system"
	ActorStaff       ActorKind = "staff"
	ActorParticipant ActorKind = "participant"
)

// Origin is who asked for a change and when. The application layer puts
// it in the context of each action; the store records it with the
// action's changes.
type Origin struct {
	Actor Actor
	At    time.Time
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin in ctx; without one, koe itself acting
// now.
func OriginFrom(ctx context.Context, now func() time.Time) Origin {
	if o, ok := ctx.Value(originKey{}).(Origin); ok {
		return o
	}
	return Origin{Actor: Actor{Kind: ActorSystem}, At: now()}
}
