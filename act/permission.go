package act

import (
	"slices"

	"github.com/koehq/koe"
)

// Action is something a principal may be allowed to do in an event.
type Action string

const (
	// Read: the event, its talks, visible questions and their replies,
	// and its public streams.
	Read Action = "read"
	// ReadHidden: hidden questions and the staff streams.
	ReadHidden Action = "read_hidden"
	// ListEvents: see the event in the list of events one works on.
	ListEvents Action = "list_events"
	// CreateEvent: create an event (its creator becomes its owner).
	CreateEvent Action = "create_event"
	// Manage: change events and talks (open and close Q&A), and their
	// screen links.
	Manage Action = "manage"
	// ManageStaff: invite staff to the event, change their roles, remove
	// them.
	ManageStaff Action = "manage_staff"
	// ReadAudit: read and export the event's audit log (in no event: the
	// whole installation's).
	ReadAudit Action = "read_audit"
	// ManageAccounts: create, change and disable staff accounts.
	ManageAccounts Action = "manage_accounts"
	// Ask a question.
	Ask Action = "ask"
	// Like or unlike a question.
	Like Action = "like"
	// React: tap a live reaction during a talk.
	React Action = "react"
	// Vote in a talk's open poll.
	Vote Action = "vote"
	// Reply under a question; a participant also needs the event to allow
	// participant replies.
	Reply Action = "reply"
	// Moderate: the moderation queue (claim, approve, reject, undo), bans
	// and the event's moderation settings (its scorers: owners only);
	// hide and show questions, fix their text.
	Moderate Action = "moderate"
	// Present: highlight a question on the screen, mark it answered;
	// prepare, open and close the talk's polls.
	Present Action = "present"
	// Export: download the event's or a talk's questions, polls and
	// reactions (held, rejected and hidden ones too: Moderate).
	Export Action = "export"
	// Ingest: store posts a social feed's source delivered (koe itself:
	// the runner, and a webhook once its signature holds).
	Ingest Action = "ingest"
)

// permissions is who may do what: the one table every action is decided
// by. Roles are those of SPEC.md §2; koe itself (RoleSystem) acts for
// timers and ingest.
var permissions = map[Action][]koe.Role{
	Read:           {koe.RoleOwner, koe.RoleModerator, koe.RolePresenter, koe.RoleParticipant, koe.RoleViewer, koe.RoleSystem},
	ReadHidden:     {koe.RoleOwner, koe.RoleModerator, koe.RolePresenter, koe.RoleSystem},
	ListEvents:     {koe.RoleOwner, koe.RoleModerator, koe.RolePresenter, koe.RoleSystem},
	CreateEvent:    {koe.RoleAdmin, koe.RoleSystem},
	Manage:         {koe.RoleOwner, koe.RoleSystem},
	ManageStaff:    {koe.RoleOwner},
	ReadAudit:      {koe.RoleOwner, koe.RoleAdmin},
	ManageAccounts: {koe.RoleAdmin},
	Ask:            {koe.RoleParticipant},
	Like:           {koe.RoleParticipant},
	React:          {koe.RoleParticipant},
	Vote:           {koe.RoleParticipant},
	Reply:          {koe.RoleOwner, koe.RoleModerator, koe.RolePresenter, koe.RoleParticipant, koe.RoleSystem},
	Moderate:       {koe.RoleOwner, koe.RoleModerator, koe.RoleSystem},
	Present:        {koe.RoleOwner, koe.RoleModerator, koe.RolePresenter, koe.RoleSystem},
	Export:         {koe.RoleOwner, koe.RoleModerator, koe.RolePresenter, koe.RoleSystem},
	Ingest:         {koe.RoleSystem},
}

// authorize returns the role in which p may do the action in the event
// (eventID 0: in none) and, when talkID is not 0, the talk (the first of
// p's roles the table allows: koe itself, then admin, then staff, then
// participant), or the error to answer: EUNAUTHORIZED for nobody,
// EFORBIDDEN for a principal without the right. A presenter limited to
// some talks presents only those: beyond reading, the role counts in
// them alone.
func authorize(p koe.Principal, do Action, eventID, talkID int64) (koe.Role, error) {
	allowed := permissions[do]
	roles := p.Roles(eventID)
	for _, r := range roles {
		if r == koe.RolePresenter && do != Read && !p.MayPresent(eventID, talkID) {
			continue
		}
		if slices.Contains(allowed, r) {
			return r, nil
		}
	}
	switch {
	case len(roles) > 0 || p.IsStaff():
		return "", koe.Errorf(koe.EFORBIDDEN, "%s", refusal(do))
	case p.ParticipantID != 0:
		return "", koe.Errorf(koe.EFORBIDDEN, "your participant token is for another event")
	case p.ViewerEventID != 0:
		return "", koe.Errorf(koe.EFORBIDDEN, "a screen link only reads its own event")
	case slices.Contains(allowed, koe.RoleParticipant):
		return "", koe.Errorf(koe.EUNAUTHORIZED, "join the event first (POST /api/v1/join)")
	}
	return "", koe.Errorf(koe.EUNAUTHORIZED, "staff credentials required")
}

// refusal explains to a principal with some role why it may not act.
func refusal(do Action) string {
	switch do {
	case Ask, Like, React, Vote:
		return "only participants can do this; join the event with its code"
	case ReadHidden:
		return "only staff of this event can see hidden questions"
	case CreateEvent, ManageAccounts:
		return "only an admin can do this"
	case ManageStaff, Manage:
		return "only an owner of this event can do this"
	case ReadAudit:
		return "only an owner of this event, or an admin, can read its audit log"
	}
	return "only staff of this event can do this"
}
