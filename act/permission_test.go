package act

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// TestPermissions holds the table to what SPEC.md §2 says each role does,
// in event 7 and its talks 1 and 2 (a presenter may be limited to talk 1).
func TestPermissions(t *testing.T) {
	const event, talk, otherTalk = 7, 1, 2
	staff := func(r koe.Role) koe.Principal {
		return koe.Principal{AccountID: 1, Via: koe.ViaSession, Staff: map[int64]koe.Role{event: r}}
	}
	limited := staff(koe.RolePresenter)
	limited.Talks = map[int64][]int64{event: {talk}}
	joined := staff(koe.RoleOwner)
	joined.EventID, joined.ParticipantID = event, 5
	principals := map[string]koe.Principal{
		"nobody":                {},
		"participant":           {EventID: event, ParticipantID: 3},
		"participant elsewhere": {EventID: event + 1, ParticipantID: 4},
		"owner":                 staff(koe.RoleOwner),
		"moderator":             staff(koe.RoleModerator),
		"presenter":             staff(koe.RolePresenter),
		"presenter of talk 1":   limited,
		"owner elsewhere":       {AccountID: 2, Via: koe.ViaSession, Staff: map[int64]koe.Role{event + 1: koe.RoleOwner}},
		"admin":                 {AccountID: 3, Via: koe.ViaSession, Admin: true, Everywhere: koe.RoleOwner},
		"owner token":           ownerPrincipal(),
		"system":                koe.System,
		"owner who joined":      joined,
		"viewer":                {ViewerEventID: event, ScreenLinkID: 9},
		"viewer elsewhere":      {ViewerEventID: event + 1, ScreenLinkID: 10},
	}
	const (
		ok   = ""
		none = koe.EUNAUTHORIZED
		no   = koe.EFORBIDDEN
	)
	// What each may do, by action, in the event (talkID 0) and in talk 2:
	// "" allowed, else the error code. Talk 1 is as the event except for
	// the limited presenter, who may do there what a presenter may.
	type row map[string][2]string
	want := map[Action]row{
		Read: {
			"nobody": {none, none}, "participant": {ok, ok}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {ok, ok}, "presenter of talk 1": {ok, ok},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {ok, ok}, "viewer elsewhere": {no, no},
		},
		ReadHidden: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {ok, ok}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		ListEvents: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {ok, ok}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Manage: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		ManageStaff: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {no, no}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		ReadAudit: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {no, no}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Ask: {
			"nobody": {none, none}, "participant": {ok, ok}, "participant elsewhere": {no, no},
			"owner": {no, no}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {no, no}, "owner token": {no, no}, "system": {no, no}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Like: {
			"nobody": {none, none}, "participant": {ok, ok}, "participant elsewhere": {no, no},
			"owner": {no, no}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {no, no}, "owner token": {no, no}, "system": {no, no}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		React: {
			"nobody": {none, none}, "participant": {ok, ok}, "participant elsewhere": {no, no},
			"owner": {no, no}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {no, no}, "owner token": {no, no}, "system": {no, no}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Vote: {
			"nobody": {none, none}, "participant": {ok, ok}, "participant elsewhere": {no, no},
			"owner": {no, no}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {no, no}, "owner token": {no, no}, "system": {no, no}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Export: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {ok, ok}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Moderate: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Present: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {ok, ok}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Ingest: {
			"nobody": {none, none}, "participant": {no, no}, "participant elsewhere": {no, no},
			"owner": {no, no}, "moderator": {no, no}, "presenter": {no, no}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {no, no}, "owner token": {no, no}, "system": {ok, ok}, "owner who joined": {no, no},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
		Reply: {
			"nobody": {none, none}, "participant": {ok, ok}, "participant elsewhere": {no, no},
			"owner": {ok, ok}, "moderator": {ok, ok}, "presenter": {ok, ok}, "presenter of talk 1": {no, no},
			"owner elsewhere": {no, no}, "admin": {ok, ok}, "owner token": {ok, ok}, "system": {ok, ok}, "owner who joined": {ok, ok},
			"viewer": {no, no}, "viewer elsewhere": {no, no},
		},
	}
	for do, byWho := range want {
		for who, codes := range byWho {
			for i, talkID := range []int64{0, otherTalk} {
				if got := koe.ErrorCode(authErr(principals[who], do, event, talkID)); got != codes[i] {
					t.Errorf("%s may %s in talk %d: got %q, want %q", who, do, talkID, got, codes[i])
				}
			}
		}
	}
	// The limited presenter presents talk 1.
	for _, do := range []Action{Read, ReadHidden, Present, Reply} {
		if err := authErr(limited, do, event, talk); err != nil {
			t.Errorf("the presenter of talk 1 may not %s in it: %v", do, err)
		}
	}
	// Every action of the table is held to something here, and every
	// principal to every action; the installation-wide ones follow.
	for do := range permissions {
		if do != CreateEvent && do != ManageAccounts && len(want[do]) != len(principals) {
			t.Errorf("action %s is not covered for every principal", do)
		}
	}
	for who, p := range principals {
		for _, do := range []Action{CreateEvent, ManageAccounts} {
			wantCode := map[string]string{"admin": ok, "owner token": ok, "system": ok, "nobody": none}[who]
			if who != "admin" && who != "owner token" && who != "system" && who != "nobody" {
				wantCode = no
			}
			if do == ManageAccounts && who == "system" {
				wantCode = no
			}
			if got := koe.ErrorCode(authErr(p, do, 0, 0)); got != wantCode {
				t.Errorf("%s may %s: got %q, want %q", who, do, got, wantCode)
			}
		}
	}
}

func authErr(p koe.Principal, do Action, eventID, talkID int64) error {
	_, err := authorize(p, do, eventID, talkID)
	return err
}

// TestActorAs: the outbox records who acted in the role they were allowed
// in: a staff member's browser that also joined acts as staff where staff
// may, as a participant where only participants may.
func TestActorAs(t *testing.T) {
	both := koe.Principal{AccountID: 9, Via: koe.ViaSession, Addr: "192.0.2.1", Staff: map[int64]koe.Role{7: koe.RoleOwner}, EventID: 7, ParticipantID: 5}
	staff := koe.Actor{Kind: koe.ActorStaff, ID: 9, Via: koe.ViaSession, Addr: "192.0.2.1"}
	for do, want := range map[Action]koe.Actor{
		Moderate: staff,
		Ask:      {Kind: koe.ActorParticipant, ID: 5},
		Reply:    staff,
	} {
		role, err := authorize(both, do, 7, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := both.ActorAs(role); got != want {
			t.Errorf("%s: acts as %+v, want %+v", do, got, want)
		}
	}
	if role, _ := authorize(koe.System, Manage, 7, 0); koe.System.ActorAs(role) != (koe.Actor{Kind: koe.ActorSystem}) {
		t.Error("koe itself is not recorded as the system")
	}
}

// TestPermissionsREADME holds README.md's table of who may do what to
// the permissions table: one row per action, a ✓ for each role allowed.
func TestPermissionsREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "<!-- permissions:")
	table, _, ok2 := strings.Cut(table, "<!-- /permissions -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no permissions table between its markers")
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")[1:] // after the marker's line
	header := cells(lines[0])[1:]
	names := map[string]koe.Role{"owner": koe.RoleOwner, "moderator": koe.RoleModerator, "presenter": koe.RolePresenter,
		"participant": koe.RoleParticipant, "viewer": koe.RoleViewer, "admin": koe.RoleAdmin, "koe itself": koe.RoleSystem}
	seen := map[Action]bool{}
	for _, line := range lines[2:] {
		row := cells(line)
		name, _, _ := strings.Cut(strings.TrimPrefix(row[0], "`"), "`")
		do := Action(name)
		if _, ok := permissions[do]; !ok {
			t.Errorf("README.md: %q is no action of the permissions table", name)
			continue
		}
		seen[do] = true
		var roles []koe.Role
		for i, c := range row[1:] {
			if c == "✓" {
				roles = append(roles, names[header[i]])
			}
		}
		want := slices.Sorted(slices.Values(permissions[do]))
		if got := slices.Sorted(slices.Values(roles)); !slices.Equal(got, want) {
			t.Errorf("README.md says %s is for %v; act/permission.go says %v", do, got, want)
		}
	}
	for do := range permissions {
		if !seen[do] {
			t.Errorf("README.md's permissions table has no row for %s", do)
		}
	}
}

// cells splits a Markdown table row.
func cells(line string) []string {
	parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
