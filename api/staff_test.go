package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/api"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/ratelimit"
)

// eventually retries check until it holds or 5 s pass.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !check(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
	}
}

// TestFirstAdminSetup: the link koe prints makes the first admin once.
func TestFirstAdminSetup(t *testing.T) {
	h := newHarness(t)
	var st struct {
		Needed bool `json:"needed"`
	}
	h.client("").get("/api/v1/setup").decode(t, &st)
	if !st.Needed {
		t.Fatal("a new koe does not ask for its first admin")
	}
	secret := h.setupToken()
	body := map[string]any{"token": secret, "login": "Aiko", "display_name": "Aiko", "email": "aiko@example.com", "password": staffPassword}
	wrong := map[string]any{"token": secret + "x", "login": "aiko", "display_name": "Aiko", "password": staffPassword}
	h.client("").post("/api/v1/setup", wrong).want(t, 401, koe.EUNAUTHORIZED)
	weak := map[string]any{"token": secret, "login": "aiko", "display_name": "Aiko", "password": "password1234"}
	h.client("").post("/api/v1/setup", weak).want(t, 400, koe.EINVALID)

	br := h.browser()
	r := br.post("/api/v1/setup", body)
	r.want(t, 201, "")
	if sessionCookie(r) == nil {
		t.Fatal("setup did not sign the browser in")
	}
	var who struct {
		Account *koe.Account `json:"account"`
		Admin   bool         `json:"admin"`
	}
	br.get("/api/v1/session").decode(t, &who)
	if who.Account == nil || who.Account.Login != "aiko" || !who.Admin {
		t.Fatalf("after setup: %+v", who)
	}
	h.client("").get("/api/v1/setup").decode(t, &st)
	if st.Needed {
		t.Error("setup still needed after the first admin")
	}
	// The link works once, and no second admin can be made by it.
	body["login"] = "mallory"
	h.client("").post("/api/v1/setup", body).want(t, 409, koe.ECONFLICT)
	h.client("").post("/api/v1/session", map[string]any{"login": "mallory", "password": staffPassword}).want(t, 401, koe.EUNAUTHORIZED)
}

// TestPasswordSignIn: a wrong password and an unknown login get one
// answer; a login that keeps failing waits; a disabled account cannot
// sign in.
func TestPasswordSignIn(t *testing.T) {
	h := newHarness(t)
	a := h.account(false)
	signIn := func(login, password string) *response {
		return h.browser().post("/api/v1/session", map[string]any{"login": login, "password": password})
	}
	wrong, unknown := signIn(a.Login, "not the password"), signIn("nobody-here", staffPassword)
	wrong.want(t, 401, koe.EUNAUTHORIZED)
	unknown.want(t, 401, koe.EUNAUTHORIZED)
	if wrong.errorMessage() != unknown.errorMessage() {
		t.Errorf("a wrong password says %q, an unknown login %q: they tell accounts apart", wrong.errorMessage(), unknown.errorMessage())
	}
	// The login is compared in its normal form.
	r := signIn(" "+strings.ToUpper(a.Login)+" ", staffPassword)
	r.want(t, 201, "")
	if sessionCookie(r) == nil {
		t.Error("no session cookie")
	}

	// Two more failures make three; the fourth attempt waits, even with
	// the right password.
	signIn(a.Login, "wrong again").want(t, 401, koe.EUNAUTHORIZED)
	signIn(a.Login, "and again").want(t, 401, koe.EUNAUTHORIZED)
	signIn(a.Login, "third").want(t, 401, koe.EUNAUTHORIZED)
	wantRateLimited(t, signIn(a.Login, staffPassword))
	// Another login is not held back by it.
	b := h.account(false)
	signIn(b.Login, staffPassword).want(t, 201, "")

	// Disabled: the same answer as a wrong password.
	disabled := true
	if _, err := h.store.UpdateAccount(context.Background(), b.ID, koe.AccountUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if r := signIn(b.Login, staffPassword); r.want(t, 401, koe.EUNAUTHORIZED) && r.errorMessage() != unknown.errorMessage() {
		t.Errorf("a disabled account says %q", r.errorMessage())
	}
}

// TestSignInLimits: sign-ins are limited per address and per login, and
// unknown credentials of any kind, cookies included, spend the
// address's auth budget (the attack of 300 random cookies in 0.2 s).
func TestSignInLimits(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{
		"auth.ip":        {N: 20, Per: time.Minute},
		"signin.ip":      {N: 5, Per: time.Minute},
		"signin.account": {N: 100, Per: time.Minute},
	}))
	limited := 0
	for i := range 300 {
		r := h.client("").get("/api/v1/events", header("Cookie", "koe_session="+auth.NewSecret(auth.SessionPrefix)), unchecked)
		switch r.Status {
		case 429:
			limited++
		case 401:
		default:
			t.Fatalf("random cookie %d: %s", i, r)
		}
	}
	if limited < 280 {
		t.Errorf("%d of 300 random session cookies were rate limited, want all after the first 20", limited)
	}
	// The owner's real session is never counted or refused.
	a := h.account(true)
	br, _ := h.signedIn(a)
	br.get("/api/v1/events").want(t, 200, "")

	// Five sign-ins per address, whatever they are.
	for i := range 5 {
		h.browser().post("/api/v1/session", map[string]any{"login": fmt.Sprintf("guess-%d", i), "password": "nope"}).want(t, 401, koe.EUNAUTHORIZED)
	}
	wantRateLimited(t, h.browser().post("/api/v1/session", map[string]any{"login": a.Login, "password": staffPassword}))
}

// TestOwnerTokenRotation: koe started with a new KOE_OWNER_TOKEN refuses
// the old value and ends the sessions it opened.
func TestOwnerTokenRotation(t *testing.T) {
	h := newHarness(t)
	br := h.browser()
	br.post("/api/v1/session", map[string]any{"token": ownerToken}).want(t, 201, "")
	br.get("/api/v1/events").want(t, 200, "")

	// The same database, served with another owner token (a restart after
	// the Secret changed).
	newToken := "koe-rotated-owner-token-0123456789abcdef"
	actions, err := act.New(context.Background(), act.Config{Store: h.store, Hub: h.hub, Limits: ratelimit.Rates{}, OwnerToken: newToken})
	if err != nil {
		t.Fatal(err)
	}
	restarted := httptest.NewServer(api.New(api.Config{Actions: actions, Hub: h.hub}))
	defer restarted.Close()
	get := func(header http.Header) int {
		req, _ := http.NewRequest("GET", restarted.URL+"/api/v1/events", nil)
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	session := cookieValue(t, br, h)
	if s := get(http.Header{"Authorization": {"Bearer " + ownerToken}}); s != 401 {
		t.Errorf("the old owner token after rotation: %d, want 401", s)
	}
	if s := get(http.Header{"Cookie": {"koe_session=" + session}}); s != 401 {
		t.Errorf("a session of the old owner token after rotation: %d, want 401", s)
	}
	if s := get(http.Header{"Authorization": {"Bearer " + newToken}}); s != 200 {
		t.Errorf("the new owner token: %d, want 200", s)
	}
}

// TestPresenterLimitedToTalks: a presenter invited for one talk presents
// that talk only, and reads the others.
func TestPresenterLimitedToTalks(t *testing.T) {
	h := newHarness(t)
	e, mine := h.setup()
	other := h.createTalk(e.ID, map[string]any{"title": "Someone else's"})
	p, _ := h.join(e.JoinCode, "")
	qm, qo := p.ask(e.ID, mine.ID, "On mine?"), p.ask(e.ID, other.ID, "On theirs?")
	pres, _ := h.signedIn(h.member(e.ID, koe.RolePresenter, mine.ID))

	pres.put(talkPath(e.ID, mine.ID)+"/highlight", map[string]any{"question_id": qm.ID}).want(t, 200, "")
	pres.patch(questionPath(e.ID, mine.ID, qm.ID), map[string]any{"answered": true}).want(t, 200, "")
	pres.put(talkPath(e.ID, other.ID)+"/highlight", map[string]any{"question_id": qo.ID}).want(t, 403, koe.EFORBIDDEN)
	pres.patch(questionPath(e.ID, other.ID, qo.ID), map[string]any{"answered": true}).want(t, 403, koe.EFORBIDDEN)
	pres.get(questionsPath(e.ID, other.ID)).want(t, 200, "")
	// Presenters never moderate, in their talk or not.
	pres.patch(questionPath(e.ID, mine.ID, qm.ID), map[string]any{"hidden": true}).want(t, 403, koe.EFORBIDDEN)
}

// issuedInvitation is the answer to a new invitation.
type issuedInvitation struct {
	koe.Invitation
	Token string `json:"token"`
}

// TestInvitations: a link made by an owner brings one person in, once, in
// its role; used, expired and revoked links say so.
func TestInvitations(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	own, _ := h.signedIn(h.member(e.ID, koe.RoleOwner))
	invite := func(body map[string]any) issuedInvitation {
		var inv issuedInvitation
		own.post(eventPath(e.ID)+"/invitations", body).decode(t, &inv)
		if !strings.HasPrefix(inv.Token, "koe_i_") {
			t.Fatalf("invitation token %q", inv.Token)
		}
		return inv
	}
	// A speaker's link, for their talk.
	inv := invite(map[string]any{"role": "presenter", "talks": []int64{tk.ID}, "expires_in_hours": 48})
	if d := time.Until(inv.ExpiresAt); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("invitation expires in %v, want 48 h", d)
	}
	var preview act.InvitationPreview
	h.client("").post("/api/v1/invitations/preview", map[string]any{"token": inv.Token}).decode(t, &preview)
	if preview.EventTitle != e.Title || preview.Role != koe.RolePresenter || len(preview.Talks) != 1 || preview.Talks[0] != tk.Title {
		t.Errorf("preview: %+v", preview)
	}
	// The list shows it, without its secret.
	var list struct {
		Invitations []map[string]any `json:"invitations"`
	}
	own.get(eventPath(e.ID)+"/invitations").decode(t, &list)
	if len(list.Invitations) != 1 || list.Invitations[0]["token"] != nil {
		t.Errorf("invitations: %+v", list.Invitations)
	}

	speaker := h.browser()
	signup := map[string]any{"token": inv.Token, "login": "speaker", "display_name": "Speaker", "email": "speaker@example.com", "password": staffPassword}
	r := speaker.post("/api/v1/invitations/signup", signup)
	r.want(t, 201, "")
	var who struct {
		Events map[string]koe.Role `json:"events"`
	}
	speaker.get("/api/v1/session").decode(t, &who)
	if who.Events[fmt.Sprint(e.ID)] != koe.RolePresenter {
		t.Errorf("the speaker's roles: %+v", who.Events)
	}
	// Used: it brings nobody else in.
	signup["login"] = "second"
	h.browser().post("/api/v1/invitations/signup", signup).want(t, 404, koe.ENOTFOUND)
	h.client("").post("/api/v1/invitations/preview", map[string]any{"token": inv.Token}).want(t, 404, koe.ENOTFOUND)

	// Revoked.
	rv := invite(map[string]any{"role": "moderator"})
	own.del(fmt.Sprintf("%s/invitations/%d", eventPath(e.ID), rv.ID)).want(t, 204, "")
	h.client("").post("/api/v1/invitations/preview", map[string]any{"token": rv.Token}).want(t, 404, koe.ENOTFOUND)

	// Expired.
	secret := auth.NewSecret(auth.InvitationPrefix)
	old := &koe.Invitation{Hash: auth.Hash(secret), EventID: e.ID, Role: koe.RoleModerator, Talks: []int64{},
		CreatedAt: time.Now().Add(-48 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}
	if err := h.store.CreateInvitation(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	h.client("").post("/api/v1/invitations/preview", map[string]any{"token": secret}).want(t, 404, koe.ENOTFOUND)
	// Made up.
	h.client("").post("/api/v1/invitations/preview", map[string]any{"token": auth.NewSecret(auth.InvitationPrefix)}).want(t, 404, koe.ENOTFOUND)

	// An existing account accepts a moderator link.
	mod := h.account(false)
	mb, _ := h.signedIn(mod)
	acc := invite(map[string]any{"role": "moderator"})
	mb.post("/api/v1/invitations/accept", map[string]any{"token": acc.Token}).want(t, 200, "")
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "hide me")
	mb.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true}).want(t, 200, "")
	mb.get(eventPath(e.ID)+"/staff").want(t, 403, koe.EFORBIDDEN)

	// Staff: the owner sees both, changes a role and removes someone; the
	// last owner cannot go.
	var staff struct {
		Staff []act.StaffMember `json:"staff"`
	}
	own.get(eventPath(e.ID)+"/staff").decode(t, &staff)
	if len(staff.Staff) != 3 {
		t.Errorf("staff: %+v", staff.Staff)
	}
	own.put(fmt.Sprintf("%s/staff/%d", eventPath(e.ID), mod.ID), map[string]any{"role": "presenter", "talks": []int64{tk.ID}}).want(t, 200, "")
	mb.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": false}).want(t, 403, koe.EFORBIDDEN)
	own.del(fmt.Sprintf("%s/staff/%d", eventPath(e.ID), mod.ID)).want(t, 204, "")
	mb.get(questionsPath(e.ID, tk.ID)+"?sort=hidden").want(t, 403, koe.EFORBIDDEN)
	var ownerID int64
	for _, m := range staff.Staff {
		if m.Role == koe.RoleOwner {
			ownerID = m.AccountID
		}
	}
	own.del(fmt.Sprintf("%s/staff/%d", eventPath(e.ID), ownerID)).want(t, 409, koe.ECONFLICT)
}

// TestAPITokens: a token is shown once, stored hashed, acts in its events
// with its roles only, records its last use, and stops at expiry or
// revocation.
func TestAPITokens(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	x, _ := h.setup()
	acct := h.member(e.ID, koe.RoleOwner)
	if err := h.store.SetMembership(context.Background(), &koe.Membership{EventID: x.ID, AccountID: acct.ID, Role: koe.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	br, _ := h.signedIn(acct)
	var issued struct {
		koe.APIToken
		Token string `json:"token"`
	}
	br.post("/api/v1/account/tokens", map[string]any{"name": "moderation bot", "events": []int64{e.ID}, "roles": []string{"moderator"}}).decode(t, &issued)
	if !strings.HasPrefix(issued.Token, "koe_t_") {
		t.Fatalf("token %q", issued.Token)
	}
	bot := h.client(issued.Token)
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "spam?")
	// Its roles: moderator, not the account's owner.
	bot.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true}).want(t, 200, "")
	bot.patch(eventPath(e.ID), map[string]any{"title": "Taken over"}).want(t, 403, koe.EFORBIDDEN)
	bot.get(eventPath(e.ID)+"/staff").want(t, 403, koe.EFORBIDDEN)
	// Its events: e only.
	bot.get(eventPath(x.ID)).want(t, 403, koe.EFORBIDDEN)
	// A token cannot make tokens nor manage the account.
	bot.post("/api/v1/account/tokens", map[string]any{"name": "more", "roles": []string{"owner"}}, docRejects).want(t, 403, koe.EFORBIDDEN)
	bot.put("/api/v1/account/password", map[string]any{"current": staffPassword, "new": staffPassword + "!"}, docRejects).want(t, 403, koe.EFORBIDDEN)

	// The list shows its last use and never its secret.
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	eventually(t, "last_used_at set", func() bool {
		br.get("/api/v1/account/tokens").decode(t, &list)
		return len(list.Tokens) == 1 && list.Tokens[0]["last_used_at"] != nil
	})
	if _, ok := list.Tokens[0]["token"]; ok {
		t.Error("the token list holds secrets")
	}
	// Only admins' tokens carry admin.
	br.post("/api/v1/account/tokens", map[string]any{"name": "root", "roles": []string{"admin"}}).want(t, 403, koe.EFORBIDDEN)
	// An admin's token with the admin role does what the README's
	// walkthrough does with it: create events.
	adm, _ := h.signedIn(h.account(true))
	var root struct {
		Token string `json:"token"`
	}
	adm.post("/api/v1/account/tokens", map[string]any{"name": "scripts", "roles": []string{"admin"}}).decode(t, &root)
	h.client(root.Token).post("/api/v1/events", map[string]any{"title": "By script"}).want(t, 201, "")
	var moderatorOnly struct {
		Token string `json:"token"`
	}
	adm.post("/api/v1/account/tokens", map[string]any{"name": "bot", "roles": []string{"moderator"}}).decode(t, &moderatorOnly)
	h.client(moderatorOnly.Token).post("/api/v1/events", map[string]any{"title": "Not by this one"}).want(t, 403, koe.EFORBIDDEN)
	// Past expiry, or revoked: no identity.
	br.post("/api/v1/account/tokens", map[string]any{"name": "past", "roles": []string{"owner"}, "expires_at": time.Now().Add(-time.Minute)}).want(t, 400, koe.EINVALID)
	secret := auth.NewSecret(auth.APITokenPrefix)
	past := time.Now().Add(-time.Second)
	if err := h.store.CreateAPIToken(context.Background(), &koe.APIToken{AccountID: acct.ID, Name: "expired", Hash: auth.Hash(secret),
		Events: []int64{}, Roles: []koe.Role{koe.RoleOwner}, ExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	h.client(secret).get(eventPath(e.ID)).want(t, 401, koe.EUNAUTHORIZED)
	br.del(fmt.Sprintf("/api/v1/account/tokens/%d", issued.ID)).want(t, 204, "")
	bot.get(eventPath(e.ID)).want(t, 401, koe.EUNAUTHORIZED)
	// Someone else's token is not one's own to revoke.
	other, _ := h.signedIn(h.account(false))
	other.del(fmt.Sprintf("/api/v1/account/tokens/%d", issued.ID)).want(t, 404, koe.ENOTFOUND)
}

// TestSessions: one's sessions are listed and ended, one or all; a role
// change gives the browser a new session; a disabled account's sessions
// end at once.
func TestSessions(t *testing.T) {
	h := newHarness(t)
	e, _ := h.setup()
	acct := h.member(e.ID, koe.RoleModerator)
	laptop, phone := h.browser(), h.browser()
	for _, br := range []*client{laptop, phone} {
		br.post("/api/v1/session", map[string]any{"login": acct.Login, "password": staffPassword}, header("User-Agent", "koe-test")).want(t, 201, "")
	}
	var list struct {
		Sessions []struct {
			ID        int64  `json:"id"`
			Current   bool   `json:"current"`
			UserAgent string `json:"user_agent"`
			Method    string `json:"method"`
		} `json:"sessions"`
	}
	laptop.get("/api/v1/sessions").decode(t, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("sessions: %+v", list.Sessions)
	}
	var phoneID int64
	for _, s := range list.Sessions {
		if !s.Current {
			phoneID = s.ID
		}
		if s.Method != "password" || s.UserAgent != "koe-test" {
			t.Errorf("session: %+v", s)
		}
	}
	laptop.del(fmt.Sprintf("/api/v1/sessions/%d", phoneID)).want(t, 204, "")
	phone.get("/api/v1/session", unchecked).want(t, 401, koe.EUNAUTHORIZED)
	laptop.get("/api/v1/session").want(t, 200, "")

	// A role change rotates the session: the next answer sets a new
	// cookie; the old one works a moment longer, for requests in flight.
	before := cookieValue(t, laptop, h)
	h.staff.put(fmt.Sprintf("%s/staff/%d", eventPath(e.ID), acct.ID), map[string]any{"role": "owner"}).want(t, 200, "")
	laptop.get("/api/v1/session").want(t, 200, "")
	after := cookieValue(t, laptop, h)
	if after == before || after == "" {
		t.Error("a role change did not rotate the session")
	}
	h.client("").get("/api/v1/session", header("Cookie", "koe_session="+before), unchecked).want(t, 200, "")

	// Sign out everywhere.
	phone.post("/api/v1/session", map[string]any{"login": acct.Login, "password": staffPassword}).want(t, 201, "")
	laptop.del("/api/v1/sessions").want(t, 200, "")
	laptop.get("/api/v1/session", unchecked).want(t, 401, koe.EUNAUTHORIZED)
	phone.get("/api/v1/session", unchecked).want(t, 401, koe.EUNAUTHORIZED)

	// Disabled by an admin: every session ends.
	phone.post("/api/v1/session", map[string]any{"login": acct.Login, "password": staffPassword}).want(t, 201, "")
	adm, _ := h.signedIn(h.account(true))
	adm.patch(fmt.Sprintf("/api/v1/accounts/%d", acct.ID), map[string]any{"disabled": true}).want(t, 200, "")
	phone.get("/api/v1/session", unchecked).want(t, 401, koe.EUNAUTHORIZED)
}

// cookieValue is the browser's koe_session cookie.
func cookieValue(t *testing.T, br *client, h *harness) string {
	t.Helper()
	u, err := url.Parse(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range br.hc.Jar.Cookies(u) {
		if c.Name == "koe_session" {
			return c.Value
		}
	}
	return ""
}

// TestAuditLog: what staff do is in the event's log, with who, how and
// from where, before and after; it filters and exports.
func TestAuditLog(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	ownAcct := h.member(e.ID, koe.RoleOwner)
	modAcct := h.member(e.ID, koe.RoleModerator)
	// A display name a spreadsheet would run.
	name := "=HYPERLINK(\"http://evil\")"
	if _, err := h.store.UpdateAccount(context.Background(), modAcct.ID, koe.AccountUpdate{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	own, _ := h.signedIn(ownAcct)
	mod, _ := h.signedIn(modAcct)
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "to hide")
	own.patch(talkPath(e.ID, tk.ID), map[string]any{"title": "Renamed keynote"}).want(t, 200, "")
	mod.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true}).want(t, 200, "")

	var page act.AuditPage
	eventually(t, "both changes in the audit log", func() bool {
		own.get(eventPath(e.ID)+"/audit").decode(t, &page)
		n := 0
		for _, en := range page.Entries {
			if en.Type == koe.TalkUpdated && en.Actor.AccountID == ownAcct.ID || en.Type == koe.QuestionUpdated && en.Actor.AccountID == modAcct.ID {
				n++
			}
		}
		return n == 2
	})
	for _, en := range page.Entries {
		switch {
		case en.Type == koe.TalkUpdated && en.Actor.AccountID == ownAcct.ID:
			var before, after koe.Talk
			_ = json.Unmarshal(en.Before, &before)
			_ = json.Unmarshal(en.After, &after)
			if before.Title != "Keynote" || after.Title != "Renamed keynote" || en.Actor.Via != "session" || en.Actor.Login != ownAcct.Login || en.Actor.Addr == "" {
				t.Errorf("talk entry: %+v", en)
			}
		case en.Type == koe.QuestionUpdated:
			var before, after koe.Question
			_ = json.Unmarshal(en.Before, &before)
			_ = json.Unmarshal(en.After, &after)
			if before.Hidden || !after.Hidden {
				t.Errorf("question entry: %+v", en)
			}
		case en.Type == koe.QuestionCreated:
			t.Errorf("a participant's question is in the staff audit log: %+v", en)
		}
	}
	// Filters.
	var byMod act.AuditPage
	own.get(fmt.Sprintf("%s/audit?account=%d", eventPath(e.ID), modAcct.ID)).decode(t, &byMod)
	if len(byMod.Entries) != 1 || byMod.Entries[0].Type != koe.QuestionUpdated {
		t.Errorf("the moderator's entries: %+v", byMod.Entries)
	}
	var byType act.AuditPage
	own.get(eventPath(e.ID)+"/audit?type=talk.updated").decode(t, &byType)
	if len(byType.Entries) != 1 {
		t.Errorf("talk.updated entries: %+v", byType.Entries)
	}
	own.get(eventPath(e.ID)+"/audit?limit=0", docRejects).want(t, 400, koe.EINVALID)
	// Others' events, moderators: no.
	mod.get(eventPath(e.ID)+"/audit").want(t, 403, koe.EFORBIDDEN)

	// CSV: one row per entry, formulas defused.
	r := own.get(eventPath(e.ID)+"/audit?format=csv", unchecked, noResponseCheck)
	r.want(t, 200, "")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV headers: %v", r.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(page.Entries)+1 || rows[0][0] != "id" {
		t.Errorf("CSV has %d rows for %d entries", len(rows), len(page.Entries))
	}
	for _, row := range rows[1:] {
		if row[6] == fmt.Sprint(modAcct.ID) && row[8] != "'"+name {
			t.Errorf("a display name in CSV: %q", row[8])
		}
	}
	var export act.AuditPage
	r = own.get(eventPath(e.ID)+"/audit?format=json", unchecked, noResponseCheck)
	if err := json.Unmarshal(r.Body, &export); err != nil || len(export.Entries) != len(page.Entries) {
		t.Errorf("JSON export: %v, %d entries for %d", err, len(export.Entries), len(page.Entries))
	}
}
