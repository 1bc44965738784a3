package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func newAccount(t *testing.T, s koe.Store, login string) *koe.Account {
	t.Helper()
	a := &koe.Account{Login: login, DisplayName: "Staff " + login}
	must(t, "CreateAccount", s.CreateAccount(t.Context(), a))
	return a
}

// testAccounts: accounts are unique by login, e-mail and OpenID identity,
// found by each, updated only when something changes.
func testAccounts(t *testing.T, s koe.Store) {
	ctx := t.Context()
	a := &koe.Account{Login: "aiko", Email: "aiko@example.com", DisplayName: "Aiko", Admin: true, PasswordHash: "$argon2id$x"}
	must(t, "CreateAccount", s.CreateAccount(ctx, a))
	if a.ID == 0 || a.CreatedAt.IsZero() || a.UpdatedAt != a.CreatedAt {
		t.Errorf("created account %+v", a)
	}
	checkTime(t, "CreatedAt", a.CreatedAt)
	o := &koe.Account{Login: "ken", DisplayName: "Ken", OIDCIssuer: "https://id.example", OIDCSubject: "123"}
	must(t, "CreateAccount(oidc)", s.CreateAccount(ctx, o))
	for name, dup := range map[string]*koe.Account{
		"login":  {Login: "aiko", DisplayName: "x"},
		"e-mail": {Login: "other", Email: "aiko@example.com", DisplayName: "x"},
		"oidc":   {Login: "other2", DisplayName: "x", OIDCIssuer: "https://id.example", OIDCSubject: "123"},
	} {
		wantCode(t, "CreateAccount(same "+name+")", s.CreateAccount(ctx, dup), koe.ECONFLICT)
	}
	// No e-mail and no OpenID identity are no conflicts.
	newAccount(t, s, "mika")
	newAccount(t, s, "yuki")

	got, err := s.AccountBy(ctx, "aiko", "", "")
	must(t, "AccountBy(login)", err)
	same(t, "AccountBy(login)", got, a)
	if got.PasswordHash != a.PasswordHash {
		t.Errorf("password hash %q, want %q", got.PasswordHash, a.PasswordHash)
	}
	got, err = s.AccountBy(ctx, "", "https://id.example", "123")
	must(t, "AccountBy(oidc)", err)
	same(t, "AccountBy(oidc)", got, o)
	_, err = s.AccountBy(ctx, "nobody", "", "")
	wantCode(t, "AccountBy(unknown)", err, koe.ENOTFOUND)
	_, err = s.Account(ctx, a.ID+1000)
	wantCode(t, "Account(unknown)", err, koe.ENOTFOUND)
	list, err := s.Accounts(ctx)
	must(t, "Accounts", err)
	var logins []string
	for _, x := range list {
		logins = append(logins, x.Login)
	}
	if !slices.Equal(logins, []string{"aiko", "ken", "mika", "yuki"}) {
		t.Errorf("Accounts = %v", logins)
	}

	if n, err := s.CountAdmins(ctx); err != nil || n != 1 {
		t.Errorf("CountAdmins = %d, %v; want 1", n, err)
	}
	up, err := s.UpdateAccount(ctx, a.ID, koe.AccountUpdate{DisplayName: ptr("Aiko T."), Disabled: ptr(true)})
	must(t, "UpdateAccount", err)
	if up.DisplayName != "Aiko T." || !up.Disabled || !up.UpdatedAt.After(a.UpdatedAt) && up.UpdatedAt != a.UpdatedAt {
		t.Errorf("updated account %+v", up)
	}
	if n, err := s.CountAdmins(ctx); err != nil || n != 0 {
		t.Errorf("CountAdmins with the admin disabled = %d, %v; want 0", n, err)
	}
	same2, err := s.UpdateAccount(ctx, a.ID, koe.AccountUpdate{DisplayName: ptr("Aiko T.")})
	must(t, "UpdateAccount(same)", err)
	if same2.UpdatedAt != up.UpdatedAt {
		t.Error("an update that changes nothing moved UpdatedAt")
	}
	_, err = s.UpdateAccount(ctx, o.ID, koe.AccountUpdate{Email: ptr("aiko@example.com")})
	wantCode(t, "UpdateAccount(taken e-mail)", err, koe.ECONFLICT)
	_, err = s.UpdateAccount(ctx, a.ID+1000, koe.AccountUpdate{DisplayName: ptr("x")})
	wantCode(t, "UpdateAccount(unknown)", err, koe.ENOTFOUND)
}

// testSessions: sessions are found by the hash of their secret, touched,
// listed while live, and revoked one, all, or all but one.
func testSessions(t *testing.T, s koe.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "sessions")
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(hash byte, expires time.Time) *koe.Session {
		ss := &koe.Session{Hash: bytes.Repeat([]byte{hash}, 32), AccountID: a.ID, Method: "password",
			UserAgent: "test", Addr: "192.0.2.1", CreatedAt: now, LastSeenAt: now, ExpiresAt: expires}
		must(t, "CreateSession", s.CreateSession(ctx, ss))
		return ss
	}
	first, second, third := mk(1, now.Add(time.Hour)), mk(2, now.Add(time.Hour)), mk(3, now.Add(time.Hour))
	mk(4, now.Add(-time.Minute)) // expired
	if first.ID == 0 || first.ID == second.ID {
		t.Fatalf("session ids %d, %d", first.ID, second.ID)
	}
	got, err := s.SessionByHash(ctx, first.Hash)
	must(t, "SessionByHash", err)
	if got.ID != first.ID || got.AccountID != a.ID || !got.ExpiresAt.Equal(first.ExpiresAt) || got.RevokedAt != nil || got.Rotate {
		t.Errorf("SessionByHash = %+v", got)
	}
	_, err = s.SessionByHash(ctx, bytes.Repeat([]byte{9}, 32))
	wantCode(t, "SessionByHash(unknown)", err, koe.ENOTFOUND)

	later := now.Add(10 * time.Minute)
	must(t, "TouchSession", s.TouchSession(ctx, first.ID, later))
	must(t, "TouchSession(older)", s.TouchSession(ctx, first.ID, now))
	if got, _ := s.SessionByHash(ctx, first.Hash); !got.LastSeenAt.Equal(later) {
		t.Errorf("LastSeenAt = %v, want %v (touching goes forward only)", got.LastSeenAt, later)
	}
	live, err := s.Sessions(ctx, a.ID, now)
	must(t, "Sessions", err)
	if len(live) != 3 || live[0].ID != third.ID {
		t.Errorf("Sessions = %d, first %d; want 3, newest first", len(live), live[0].ID)
	}

	if n, err := s.RevokeSessions(ctx, a.ID, second.ID, 0); err != nil || n != 1 {
		t.Errorf("RevokeSessions(one) = %d, %v", n, err)
	}
	if got, _ := s.SessionByHash(ctx, second.Hash); got.RevokedAt == nil || got.Live(now, time.Hour) {
		t.Errorf("revoked session %+v", got)
	}
	if n, err := s.RevokeSessions(ctx, a.ID, 0, first.ID); err != nil || n != 2 {
		t.Errorf("RevokeSessions(all but one) = %d, %v; want 2 (the expired one too)", n, err)
	}
	if live, _ := s.Sessions(ctx, a.ID, now); len(live) != 1 || live[0].ID != first.ID {
		t.Errorf("after revoking all but one: %d sessions", len(live))
	}
	other := newAccount(t, s, "other")
	if n, err := s.RevokeSessions(ctx, other.ID, first.ID, 0); err != nil || n != 0 {
		t.Errorf("RevokeSessions of another account's session = %d, %v", n, err)
	}
}

// testMemberships: a role per account and event, replaced, listed both
// ways, removed; a change of role marks the account's sessions.
func testMemberships(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e1, e2 := newEvent(t, s, "m1"), newEvent(t, s, "m2")
	a, b := newAccount(t, s, "owner"), newAccount(t, s, "speaker")
	now := time.Now().UTC()
	ss := &koe.Session{Hash: bytes.Repeat([]byte{7}, 32), AccountID: b.ID, Method: "password", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(ctx, ss))

	must(t, "SetMembership", s.SetMembership(ctx, &koe.Membership{EventID: e1.ID, AccountID: a.ID, Role: koe.RoleOwner}))
	must(t, "SetMembership", s.SetMembership(ctx, &koe.Membership{EventID: e1.ID, AccountID: b.ID, Role: koe.RolePresenter, Talks: []int64{3, 4}}))
	must(t, "SetMembership", s.SetMembership(ctx, &koe.Membership{EventID: e2.ID, AccountID: b.ID, Role: koe.RoleModerator}))
	if got, _ := s.SessionByHash(ctx, ss.Hash); !got.Rotate {
		t.Error("a new role did not mark the account's session for rotation")
	}
	m, err := s.Membership(ctx, e1.ID, b.ID)
	must(t, "Membership", err)
	if m.Role != koe.RolePresenter || !slices.Equal(m.Talks, []int64{3, 4}) {
		t.Errorf("Membership = %+v", m)
	}
	must(t, "SetMembership(replace)", s.SetMembership(ctx, &koe.Membership{EventID: e1.ID, AccountID: b.ID, Role: koe.RoleModerator}))
	if m2, _ := s.Membership(ctx, e1.ID, b.ID); m2.Role != koe.RoleModerator || len(m2.Talks) != 0 || !m2.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("replaced membership %+v", m2)
	}
	staff, err := s.Memberships(ctx, e1.ID, 0)
	must(t, "Memberships(event)", err)
	if len(staff) != 2 || staff[0].AccountID != a.ID {
		t.Errorf("Memberships(event) = %+v", staff)
	}
	mine, err := s.Memberships(ctx, 0, b.ID)
	must(t, "Memberships(account)", err)
	if len(mine) != 2 || mine[0].EventID != e1.ID || mine[1].EventID != e2.ID {
		t.Errorf("Memberships(account) = %+v", mine)
	}
	must(t, "RemoveMembership", s.RemoveMembership(ctx, e1.ID, b.ID))
	_, err = s.Membership(ctx, e1.ID, b.ID)
	wantCode(t, "Membership(removed)", err, koe.ENOTFOUND)
	wantCode(t, "RemoveMembership(again)", s.RemoveMembership(ctx, e1.ID, b.ID), koe.ENOTFOUND)
	wantCode(t, "SetMembership(no event)", s.SetMembership(ctx, &koe.Membership{EventID: e2.ID + 100, AccountID: a.ID, Role: koe.RoleOwner}), koe.ENOTFOUND)
	wantCode(t, "SetMembership(no account)", s.SetMembership(ctx, &koe.Membership{EventID: e1.ID, AccountID: b.ID + 100, Role: koe.RoleOwner}), koe.ENOTFOUND)
}

// testInvitations: an invitation is accepted once, before it expires, and
// then gives its role.
func testInvitations(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "inv")
	owner, guest, late := newAccount(t, s, "host"), newAccount(t, s, "guest"), newAccount(t, s, "late")
	now := time.Now().UTC().Truncate(time.Microsecond)
	inv := &koe.Invitation{Hash: bytes.Repeat([]byte{5}, 32), EventID: e.ID, Role: koe.RolePresenter, Talks: []int64{9}, CreatedBy: owner.ID, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateInvitation", s.CreateInvitation(ctx, inv))
	old := &koe.Invitation{Hash: bytes.Repeat([]byte{6}, 32), EventID: e.ID, Role: koe.RoleModerator, CreatedBy: owner.ID, ExpiresAt: now.Add(-time.Second)}
	must(t, "CreateInvitation(expired)", s.CreateInvitation(ctx, old))
	wantCode(t, "CreateInvitation(no event)", s.CreateInvitation(ctx, &koe.Invitation{Hash: bytes.Repeat([]byte{8}, 32), EventID: e.ID + 100, Role: koe.RoleOwner, ExpiresAt: now.Add(time.Hour)}), koe.ENOTFOUND)

	if got, err := s.InvitationByHash(ctx, inv.Hash); err != nil || got.ID != inv.ID || got.Role != koe.RolePresenter || got.UsedAt != nil {
		t.Errorf("InvitationByHash = %+v, %v", got, err)
	}
	_, err := s.InvitationByHash(ctx, bytes.Repeat([]byte{9}, 32))
	wantCode(t, "InvitationByHash(unknown)", err, koe.ENOTFOUND)
	m, err := s.AcceptInvitation(ctx, inv.Hash, guest, now)
	must(t, "AcceptInvitation", err)
	if m.EventID != e.ID || m.Role != koe.RolePresenter || !slices.Equal(m.Talks, []int64{9}) {
		t.Errorf("membership from the invitation %+v", m)
	}
	if got, err := s.Membership(ctx, e.ID, guest.ID); err != nil || got.Role != koe.RolePresenter {
		t.Errorf("Membership after accepting = %+v, %v", got, err)
	}
	_, err = s.AcceptInvitation(ctx, inv.Hash, late, now)
	wantCode(t, "AcceptInvitation(used)", err, koe.ENOTFOUND)
	if got, _ := s.InvitationByHash(ctx, inv.Hash); got.UsedAt == nil || got.UsedBy != guest.ID {
		t.Errorf("InvitationByHash after use = %+v", got)
	}
	_, err = s.AcceptInvitation(ctx, old.Hash, late, now)
	wantCode(t, "AcceptInvitation(expired)", err, koe.ENOTFOUND)
	if _, err := s.Membership(ctx, e.ID, late.ID); koe.ErrorCode(err) != koe.ENOTFOUND {
		t.Error("a refused invitation gave a role")
	}
	list, err := s.Invitations(ctx, e.ID)
	must(t, "Invitations", err)
	if len(list) != 2 || list[0].ID != old.ID || list[1].UsedAt == nil || list[1].UsedBy != guest.ID {
		t.Errorf("Invitations = %+v", list)
	}
	wantCode(t, "RevokeInvitation(used)", s.RevokeInvitation(ctx, e.ID, inv.ID), koe.ENOTFOUND)
	must(t, "RevokeInvitation", s.RevokeInvitation(ctx, e.ID, old.ID))
	if list, _ := s.Invitations(ctx, e.ID); len(list) != 1 {
		t.Errorf("after revoking: %d invitations", len(list))
	}

	// Accepting while creating the account: both or neither.
	fresh := &koe.Invitation{Hash: bytes.Repeat([]byte{10}, 32), EventID: e.ID, Role: koe.RoleModerator, CreatedBy: owner.ID, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateInvitation", s.CreateInvitation(ctx, fresh))
	newcomer := &koe.Account{Login: "newcomer", DisplayName: "New"}
	m, err = s.AcceptInvitation(ctx, fresh.Hash, newcomer, now)
	must(t, "AcceptInvitation(new account)", err)
	if newcomer.ID == 0 || m.AccountID != newcomer.ID || m.Role != koe.RoleModerator {
		t.Errorf("accepted with a new account: %+v, membership %+v", newcomer, m)
	}
	if got, err := s.AccountBy(ctx, "newcomer", "", ""); err != nil || got.ID != newcomer.ID {
		t.Errorf("the new account = %+v, %v", got, err)
	}
	again := &koe.Account{Login: "second-newcomer", DisplayName: "Again"}
	_, err = s.AcceptInvitation(ctx, fresh.Hash, again, now)
	wantCode(t, "AcceptInvitation(used, new account)", err, koe.ENOTFOUND)
	if _, err := s.AccountBy(ctx, "second-newcomer", "", ""); koe.ErrorCode(err) != koe.ENOTFOUND {
		t.Errorf("a refused invitation left its new account behind: %v", err)
	}
	taken := &koe.Invitation{Hash: bytes.Repeat([]byte{11}, 32), EventID: e.ID, Role: koe.RolePresenter, CreatedBy: owner.ID, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateInvitation", s.CreateInvitation(ctx, taken))
	_, err = s.AcceptInvitation(ctx, taken.Hash, &koe.Account{Login: "newcomer", DisplayName: "Dup"}, now)
	wantCode(t, "AcceptInvitation(taken login)", err, koe.ECONFLICT)
	if list, _ := s.Invitations(ctx, e.ID); list[0].ID != taken.ID || list[0].UsedAt != nil {
		t.Errorf("an invitation refused for a taken login was used: %+v", list[0])
	}
}

// testSetup: every caller gets the same setup token until it expires;
// it makes the first admin once, and only while no admin exists.
func testSetup(t *testing.T, s koe.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	made, at := 0, now
	gen := func() (string, time.Time) {
		made++
		return fmt.Sprintf("setup-%d", made), at.Add(time.Hour)
	}
	first := &koe.Account{Login: "first", DisplayName: "First"}
	wantCode(t, "CreateFirstAdmin(no token)", s.CreateFirstAdmin(ctx, first, "setup-1", now), koe.ENOTFOUND)
	tok, exp, err := s.SetupToken(ctx, now, gen)
	must(t, "SetupToken", err)
	if tok != "setup-1" || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("SetupToken = %q, %v", tok, exp)
	}
	if again, _, err := s.SetupToken(ctx, now.Add(time.Minute), gen); err != nil || again != tok {
		t.Fatalf("SetupToken again = %q, %v; want the same %q", again, err, tok)
	}
	wantCode(t, "CreateFirstAdmin(wrong token)", s.CreateFirstAdmin(ctx, first, "setup-x", now), koe.ENOTFOUND)
	wantCode(t, "CreateFirstAdmin(expired)", s.CreateFirstAdmin(ctx, first, tok, now.Add(2*time.Hour)), koe.ENOTFOUND)

	// Once expired, a fresh one replaces it: the old one no longer works.
	later := now.Add(2 * time.Hour)
	at = later
	fresh, _, err := s.SetupToken(ctx, later, gen)
	must(t, "SetupToken(expired)", err)
	if fresh != "setup-2" {
		t.Fatalf("SetupToken after expiry = %q, want a fresh one", fresh)
	}
	wantCode(t, "CreateFirstAdmin(replaced token)", s.CreateFirstAdmin(ctx, first, tok, later), koe.ENOTFOUND)
	must(t, "CreateFirstAdmin", s.CreateFirstAdmin(ctx, first, fresh, later))
	if first.ID == 0 || !first.Admin {
		t.Errorf("first admin %+v", first)
	}
	if got, err := s.Account(ctx, first.ID); err != nil || !got.Admin {
		t.Errorf("stored first admin %+v, %v", got, err)
	}
	second := &koe.Account{Login: "second", DisplayName: "Second"}
	wantCode(t, "CreateFirstAdmin(used)", s.CreateFirstAdmin(ctx, second, fresh, later), koe.ECONFLICT)
	third, _, err := s.SetupToken(ctx, later, gen)
	must(t, "SetupToken(with an admin)", err)
	wantCode(t, "CreateFirstAdmin(an admin exists)", s.CreateFirstAdmin(ctx, second, third, later), koe.ECONFLICT)
	if _, err := s.AccountBy(ctx, "second", "", ""); koe.ErrorCode(err) != koe.ENOTFOUND {
		t.Error("a refused setup created an account")
	}
}

// testRotateSession: a session marked for rotation is replaced once; the
// old one lives until the grace time.
func testRotateSession(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "rot")
	a := newAccount(t, s, "rotated")
	now := time.Now().UTC().Truncate(time.Microsecond)
	old := &koe.Session{Hash: bytes.Repeat([]byte{1}, 32), AccountID: a.ID, Method: "password", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(ctx, old))
	next := &koe.Session{Hash: bytes.Repeat([]byte{2}, 32), AccountID: a.ID, Method: "password", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if ok, err := s.RotateSession(ctx, old.ID, now.Add(time.Minute), next); err != nil || ok {
		t.Fatalf("RotateSession(not marked) = %v, %v; want false", ok, err)
	}
	must(t, "SetMembership", s.SetMembership(ctx, &koe.Membership{EventID: e.ID, AccountID: a.ID, Role: koe.RoleModerator}))
	grace := now.Add(time.Minute)
	if ok, err := s.RotateSession(ctx, old.ID, grace, next); err != nil || !ok || next.ID == 0 {
		t.Fatalf("RotateSession = %v, %v (id %d); want true", ok, err, next.ID)
	}
	got, _ := s.SessionByHash(ctx, old.Hash)
	if got.Rotate || !got.ExpiresAt.Equal(grace) || got.RevokedAt != nil {
		t.Errorf("the rotated session %+v, want live until %v and no longer marked", got, grace)
	}
	if got, err := s.SessionByHash(ctx, next.Hash); err != nil || got.Rotate || got.AccountID != a.ID {
		t.Errorf("the new session %+v, %v", got, err)
	}
	again := &koe.Session{Hash: bytes.Repeat([]byte{3}, 32), AccountID: a.ID, Method: "password", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if ok, _ := s.RotateSession(ctx, old.ID, grace, again); ok {
		t.Error("a session was rotated twice")
	}
	if _, err := s.SessionByHash(ctx, again.Hash); koe.ErrorCode(err) != koe.ENOTFOUND {
		t.Error("a refused rotation stored its session")
	}
}

// testSessionChanges: signing in and out are changes, with who did it.
func testSessionChanges(t *testing.T, s koe.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "audited")
	start := head(t, s)
	now := time.Now().UTC()
	actor := koe.Actor{Kind: koe.ActorStaff, ID: a.ID, Via: koe.ViaSession, Addr: "198.51.100.7"}
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: actor, At: now})
	ss := &koe.Session{Hash: bytes.Repeat([]byte{4}, 32), AccountID: a.ID, Method: "password", Addr: "198.51.100.7", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(octx, ss))
	if _, err := s.RevokeSessions(octx, a.ID, ss.ID, 0); err != nil {
		t.Fatal(err)
	}
	changes := readAll(t, s, start)
	if len(changes) != 2 || changes[0].Type != koe.SessionCreated || changes[1].Type != koe.SessionRevoked {
		t.Fatalf("changes %+v, want session.created, session.revoked", changes)
	}
	for _, c := range changes {
		if c.Actor != actor || c.Visibility != koe.VisibleStaff || bytes.Contains(c.Data, ss.Hash) {
			t.Errorf("%s recorded as %+v, visibility %s", c.Type, c.Actor, c.Visibility)
		}
	}
}

// testAPITokens: tokens keep their scopes, are found by hash, touched and
// revoked by their account only.
func testAPITokens(t *testing.T, s koe.Store) {
	ctx := t.Context()
	a, b := newAccount(t, s, "bot-owner"), newAccount(t, s, "someone")
	exp := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Microsecond)
	tok := &koe.APIToken{AccountID: a.ID, Name: "CI", Hash: bytes.Repeat([]byte{4}, 32), Events: []int64{1, 2}, Roles: []koe.Role{koe.RoleModerator}, ExpiresAt: &exp}
	must(t, "CreateAPIToken", s.CreateAPIToken(ctx, tok))
	all := &koe.APIToken{AccountID: a.ID, Name: "all", Hash: bytes.Repeat([]byte{3}, 32), Roles: []koe.Role{koe.RoleOwner, koe.RolePresenter}}
	must(t, "CreateAPIToken", s.CreateAPIToken(ctx, all))
	got, err := s.APITokenByHash(ctx, tok.Hash)
	must(t, "APITokenByHash", err)
	if got.ID != tok.ID || got.Name != "CI" || !slices.Equal(got.Events, []int64{1, 2}) || !slices.Equal(got.Roles, []koe.Role{koe.RoleModerator}) ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.LastUsedAt != nil || got.RevokedAt != nil {
		t.Errorf("APITokenByHash = %+v", got)
	}
	if got, _ := s.APITokenByHash(ctx, all.Hash); got.Events == nil || len(got.Events) != 0 || got.ExpiresAt != nil {
		t.Errorf("token without events or expiry = %+v", got)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	must(t, "TouchAPIToken", s.TouchAPIToken(ctx, tok.ID, at))
	if got, _ := s.APITokenByHash(ctx, tok.Hash); got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, at)
	}
	wantCode(t, "RevokeAPIToken(another account's)", s.RevokeAPIToken(ctx, b.ID, tok.ID, at), koe.ENOTFOUND)
	must(t, "RevokeAPIToken", s.RevokeAPIToken(ctx, a.ID, tok.ID, at))
	wantCode(t, "RevokeAPIToken(again)", s.RevokeAPIToken(ctx, a.ID, tok.ID, at), koe.ENOTFOUND)
	list, err := s.APITokens(ctx, a.ID)
	must(t, "APITokens", err)
	if len(list) != 2 || list[0].ID != all.ID || list[1].RevokedAt == nil {
		t.Errorf("APITokens = %+v", list)
	}
	wantCode(t, "CreateAPIToken(no account)", s.CreateAPIToken(ctx, &koe.APIToken{AccountID: b.ID + 100, Name: "x", Hash: bytes.Repeat([]byte{2}, 32)}), koe.ENOTFOUND)
}

// testPruneSignIns: sessions and invitations that can no longer sign
// anyone in go; live ones stay.
func testPruneSignIns(t *testing.T, s koe.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "pruned")
	e := newEvent(t, s, "pruned")
	now := time.Now().UTC().Truncate(time.Microsecond)
	day := 24 * time.Hour
	session := func(hash byte, lastSeen, expires time.Time, revoke bool) *koe.Session {
		ss := &koe.Session{Hash: bytes.Repeat([]byte{hash}, 32), AccountID: a.ID, Method: "password",
			UserAgent: "test", Addr: "192.0.2.1", CreatedAt: lastSeen, LastSeenAt: lastSeen, ExpiresAt: expires}
		must(t, "CreateSession", s.CreateSession(ctx, ss))
		if revoke {
			if _, err := s.RevokeSessions(ctx, a.ID, ss.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
		return ss
	}
	live := session(1, now, now.Add(day), false)
	session(2, now.Add(-40*day), now.Add(-10*day), false) // expired long ago
	session(3, now.Add(-5*day), now.Add(20*day), false)   // idle for days
	recent := session(4, now, now.Add(day), true)         // revoked now: kept a while
	invitation := func(hash byte, expires time.Time) *koe.Invitation {
		inv := &koe.Invitation{Hash: bytes.Repeat([]byte{hash}, 32), EventID: e.ID, Role: koe.RoleModerator, ExpiresAt: expires}
		must(t, "CreateInvitation", s.CreateInvitation(ctx, inv))
		return inv
	}
	pending := invitation(10, now.Add(day))
	invitation(11, now.Add(-3*day))

	n, err := s.PruneSignIns(ctx, now.Add(-day), day)
	must(t, "PruneSignIns", err)
	if n != 3 {
		t.Errorf("PruneSignIns = %d, want 3 (2 sessions, 1 invitation)", n)
	}
	for _, ss := range []*koe.Session{live, recent} {
		if _, err := s.SessionByHash(ctx, ss.Hash); err != nil {
			t.Errorf("session %d pruned: %v", ss.ID, err)
		}
	}
	for _, h := range []byte{2, 3} {
		_, err := s.SessionByHash(ctx, bytes.Repeat([]byte{h}, 32))
		wantCode(t, "SessionByHash(pruned)", err, koe.ENOTFOUND)
	}
	if _, err := s.InvitationByHash(ctx, pending.Hash); err != nil {
		t.Errorf("pending invitation pruned: %v", err)
	}
	_, err = s.InvitationByHash(ctx, bytes.Repeat([]byte{11}, 32))
	wantCode(t, "InvitationByHash(pruned)", err, koe.ENOTFOUND)
}
