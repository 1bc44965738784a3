package koe

import "context"

// Role is what a principal may do in an event (SPEC.md §2). The
// application layer's permission table says what each role may do.
type Role string

const (
	// RoleOwner creates events and manages staff and settings.
	RoleOwner Role = "owner"
	// RoleModerator approves, hides, highlights and edits questions.
	RoleModerator Role = "moderator"
	// RolePresenter drives the big screen and marks questions answered.
	RolePresenter Role = "presenter"
	// RoleParticipant is anyone in an event's audience.
	RoleParticipant Role = "participant"
	// RoleViewer reads an event by a secret link (a projector, an overlay).
	RoleViewer Role = "viewer"
	// RoleSystem is koe itself: timers, ingest.
	RoleSystem Role = "system"
	// RoleAdmin is an instance admin: the one who creates events and
	// manages accounts (and owner of every event). It is not a role in an
	// event.
	RoleAdmin Role = "admin"
)

// Stronger reports whether r gives every right s gives, among the event
// roles (owner ⊇ moderator ⊇ presenter).
func (r Role) Stronger(s Role) bool { return rank(r) >= rank(s) && rank(s) > 0 }

func rank(r Role) int {
	switch r {
	case RoleOwner:
		return 3
	case RoleModerator:
		return 2
	case RolePresenter:
		return 1
	}
	return 0
}

// Principal is who acts: a member of staff (an account, or the owner
// token), a participant of one event, both at once (a staff member's
// browser that also joined the event), koe itself, or nobody (the zero
// value). Authentication fills it in once per request, with everything
// the permission table needs: no decision looks anything up.
type Principal struct {
	// AccountID is the staff account acting, 0 for none (and for the owner
	// token, which has no account).
	AccountID int64
	// Admin may create events and manage accounts: an admin account, or
	// the owner token.
	Admin bool
	// Everywhere is the role held in every event ("" for none): owner for
	// admins (an API token may hold less).
	Everywhere Role
	// Staff gives the role the account holds in each event it is staff of.
	Staff map[int64]Role
	// Talks limits a presenter to some of an event's talks; an event
	// without an entry has no limit.
	Talks map[int64][]int64
	// Via is how staff authenticated: ViaSession, ViaAPIToken or
	// ViaOwnerToken; "" for participants and koe itself.
	Via string
	// SessionID and TokenID name the session or API token used, 0 for
	// none.
	SessionID, TokenID int64
	// EventID and ParticipantID name the participant (0 for none). A
	// participant belongs to one event.
	EventID, ParticipantID int64
	// ViewerEventID is the event a screen link lets p read (0 for none),
	// ScreenLinkID that link.
	ViewerEventID, ScreenLinkID int64
	// System is koe itself.
	System bool
	// Addr is the network address the request came from, for the limits
	// counted per address and the audit log; "" when the action does not
	// come from the network.
	Addr string
}

// How staff authenticate, as Principal.Via and the audit log say it.
const (
	ViaSession    = "session"
	ViaAPIToken   = "api_token"
	ViaOwnerToken = "owner_token"
	ViaSlack      = "slack" // a button in Slack, pressed by the linked account
)

// System is koe acting on its own: a timer, an ingest worker.
var System = Principal{System: true}

// IsParticipantOf reports whether p is a participant of the event.
func (p Principal) IsParticipantOf(eventID int64) bool {
	return p.ParticipantID != 0 && p.EventID == eventID
}

// IsStaff reports whether p is staff at all: signed in as an account or
// with the owner token.
func (p Principal) IsStaff() bool { return p.Via != "" }

// StaffRole returns the strongest role p holds as staff in the event (""
// for none).
func (p Principal) StaffRole(eventID int64) Role {
	if r := p.Staff[eventID]; r != "" && (p.Everywhere == "" || r.Stronger(p.Everywhere)) {
		return r
	}
	return p.Everywhere
}

// IsStaffOf reports whether p is staff of the event.
func (p Principal) IsStaffOf(eventID int64) bool { return p.StaffRole(eventID) != "" }

// Roles returns the roles p holds in the event (0: in no event, where only
// koe itself and admins have a role), koe itself first, then staff, then
// participant, then viewer (a screen link's).
func (p Principal) Roles(eventID int64) []Role {
	var roles []Role
	if p.System {
		roles = append(roles, RoleSystem)
	}
	if p.Admin {
		roles = append(roles, RoleAdmin)
	}
	if r := p.StaffRole(eventID); r != "" && eventID != 0 {
		roles = append(roles, r)
	}
	if p.IsParticipantOf(eventID) {
		roles = append(roles, RoleParticipant)
	}
	if p.ViewerEventID == eventID && eventID != 0 {
		roles = append(roles, RoleViewer)
	}
	return roles
}

// MayPresent reports whether p's presenter role in the event covers the
// talk (talkID 0: the whole event, which a limited presenter does not
// cover).
func (p Principal) MayPresent(eventID, talkID int64) bool {
	talks, limited := p.Talks[eventID]
	if !limited || p.StaffRole(eventID) != RolePresenter {
		return true
	}
	for _, t := range talks {
		if t == talkID {
			return true
		}
	}
	return false
}

// ActorAs is how the outbox records p acting in the given role.
func (p Principal) ActorAs(role Role) Actor {
	switch role {
	case RoleParticipant:
		return Actor{Kind: ActorParticipant, ID: p.ParticipantID}
	case RoleSystem:
		return Actor{Kind: ActorSystem}
	}
	return Actor{Kind: ActorStaff, ID: p.AccountID, Via: p.Via, Addr: p.Addr}
}

type principalKey struct{}

// NewContext returns ctx carrying p: the API's authentication puts the
// principal of each request there once, and every action reads it.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, nobody when there is none.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}
