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
)

// Principal is who acts: staff with a role, a participant of one event,
// both at once (a staff member's browser that also joined the event), koe
// itself, or nobody (the zero value).
type Principal struct {
	// Role is the role a token or session gives over every event ("" for
	// none): for now an owner token gives RoleOwner.
	Role Role
	// EventID and ParticipantID name the participant (0 for none). A
	// participant belongs to one event.
	EventID, ParticipantID int64
	// System is koe itself.
	System bool
	// Addr is the network address the request came from, for the limits
	// counted per address; "" when the action does not come from the
	// network.
	Addr string
}

// System is koe acting on its own: a timer, an ingest worker.
var System = Principal{System: true}

// IsParticipantOf reports whether p is a participant of the event.
func (p Principal) IsParticipantOf(eventID int64) bool {
	return p.ParticipantID != 0 && p.EventID == eventID
}

// IsStaff reports whether p has a staff role (owner, moderator,
// presenter); a viewer link is not staff.
func (p Principal) IsStaff() bool {
	switch p.Role {
	case RoleOwner, RoleModerator, RolePresenter:
		return true
	}
	return false
}

// Roles returns the roles p holds in the event.
func (p Principal) Roles(eventID int64) []Role {
	var roles []Role
	if p.System {
		roles = append(roles, RoleSystem)
	}
	if p.Role != "" {
		roles = append(roles, p.Role)
	}
	if p.IsParticipantOf(eventID) {
		roles = append(roles, RoleParticipant)
	}
	return roles
}

// ActorAs is how the outbox records p acting in the given role.
func (p Principal) ActorAs(role Role) Actor {
	switch role {
	case RoleParticipant:
		return Actor{Kind: ActorParticipant, ID: p.ParticipantID}
	case RoleSystem:
		return Actor{Kind: ActorSystem}
	}
	return Actor{Kind: ActorStaff}
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
