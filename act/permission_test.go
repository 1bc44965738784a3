package act

import (
	"testing"

	"github.com/koehq/koe"
)

// TestPermissions holds the table to what SPEC.md §2 says each role does.
func TestPermissions(t *testing.T) {
	const event = 7
	principals := map[string]koe.Principal{
		"nobody":                  {},
		"participant":             {EventID: event, ParticipantID: 3},
		"participant elsewhere":   {EventID: event + 1, ParticipantID: 4},
		"owner":                   {Role: koe.RoleOwner},
		"moderator":               {Role: koe.RoleModerator},
		"presenter":               {Role: koe.RolePresenter},
		"viewer":                  {Role: koe.RoleViewer},
		"system":                  koe.System,
		"owner who joined":        {Role: koe.RoleOwner, EventID: event, ParticipantID: 5},
		"owner who joined elsewh": {Role: koe.RoleOwner, EventID: event + 1, ParticipantID: 6},
	}
	// What each may do, by action: "" allowed, else the error code.
	want := map[Action]map[string]string{
		Read: {
			"nobody": koe.EUNAUTHORIZED, "participant": "", "participant elsewhere": koe.EFORBIDDEN,
			"owner": "", "moderator": "", "presenter": "", "viewer": "", "system": "", "owner who joined": "", "owner who joined elsewh": "",
		},
		ReadHidden: {
			"nobody": koe.EUNAUTHORIZED, "participant": koe.EFORBIDDEN, "participant elsewhere": koe.EFORBIDDEN,
			"owner": "", "moderator": "", "presenter": "", "viewer": koe.EFORBIDDEN, "system": "", "owner who joined": "", "owner who joined elsewh": "",
		},
		Manage: {
			"nobody": koe.EUNAUTHORIZED, "participant": koe.EFORBIDDEN, "participant elsewhere": koe.EFORBIDDEN,
			"owner": "", "moderator": koe.EFORBIDDEN, "presenter": koe.EFORBIDDEN, "viewer": koe.EFORBIDDEN, "system": "", "owner who joined": "", "owner who joined elsewh": "",
		},
		Ask: {
			"nobody": koe.EUNAUTHORIZED, "participant": "", "participant elsewhere": koe.EFORBIDDEN,
			"owner": koe.EFORBIDDEN, "moderator": koe.EFORBIDDEN, "presenter": koe.EFORBIDDEN, "viewer": koe.EFORBIDDEN, "system": koe.EFORBIDDEN,
			"owner who joined": "", "owner who joined elsewh": koe.EFORBIDDEN,
		},
		Moderate: {
			"nobody": koe.EUNAUTHORIZED, "participant": koe.EFORBIDDEN, "participant elsewhere": koe.EFORBIDDEN,
			"owner": "", "moderator": "", "presenter": koe.EFORBIDDEN, "viewer": koe.EFORBIDDEN, "system": "", "owner who joined": "", "owner who joined elsewh": "",
		},
		Present: {
			"nobody": koe.EUNAUTHORIZED, "participant": koe.EFORBIDDEN, "participant elsewhere": koe.EFORBIDDEN,
			"owner": "", "moderator": "", "presenter": "", "viewer": koe.EFORBIDDEN, "system": "", "owner who joined": "", "owner who joined elsewh": "",
		},
		Reply: {
			"nobody": koe.EUNAUTHORIZED, "participant": "", "participant elsewhere": koe.EFORBIDDEN,
			"owner": "", "moderator": "", "presenter": "", "viewer": koe.EFORBIDDEN, "system": koe.EFORBIDDEN, "owner who joined": "", "owner who joined elsewh": "",
		},
	}
	for do, byWho := range want {
		for who, code := range byWho {
			_, err := authorize(principals[who], do, event)
			if got := koe.ErrorCode(err); got != code {
				t.Errorf("%s may %s: got %q, want %q", who, do, got, code)
			}
		}
	}
	// Every action of the table is held to something here, and every
	// principal to every action.
	for do := range permissions {
		if do != ListEvents && do != Like && len(want[do]) != len(principals) {
			t.Errorf("action %s is not covered for every principal", do)
		}
	}
}

// TestActorAs: the outbox records who acted in the role they were allowed
// in: a staff member's browser that also joined acts as staff where staff
// may, as a participant where only participants may.
func TestActorAs(t *testing.T) {
	both := koe.Principal{Role: koe.RoleOwner, EventID: 7, ParticipantID: 5}
	for do, want := range map[Action]koe.Actor{
		Moderate: {Kind: koe.ActorStaff},
		Ask:      {Kind: koe.ActorParticipant, ID: 5},
		Reply:    {Kind: koe.ActorStaff},
	} {
		role, err := authorize(both, do, 7)
		if err != nil {
			t.Fatal(err)
		}
		if got := both.ActorAs(role); got != want {
			t.Errorf("%s: acts as %+v, want %+v", do, got, want)
		}
	}
	if role, _ := authorize(koe.System, Manage, 7); koe.System.ActorAs(role) != (koe.Actor{Kind: koe.ActorSystem}) {
		t.Error("koe itself is not recorded as the system")
	}
}
