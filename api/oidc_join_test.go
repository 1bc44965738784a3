package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// TestOIDCParticipants: an event that asks its participants to sign in
// lets in only who signed in with the provider, one participant per
// person on every device, under the name they chose; failures come back
// to the join page.
func TestOIDCParticipants(t *testing.T) {
	e := newOIDCEnv(t, oidcSetup{})
	h := e.h
	ev, tk := h.setup()
	open, _ := h.setup() // an event that does not ask
	early, _ := h.join(ev.JoinCode, "Early")
	r := h.staff.patch(eventPath(ev.ID), map[string]any{"settings": map[string]any{"participant_replies": false, "participant_sign_in": true}})
	r.want(t, 200, "")
	if !strings.Contains(string(r.Body), `"participant_sign_in":true`) {
		t.Fatalf("settings: %s", r.Body)
	}
	// The code alone no longer lets newcomers in; who joined before stays.
	if r := h.client("").post("/api/v1/join", map[string]any{"code": ev.JoinCode}); r.want(t, 401, koe.ESIGNIN) &&
		!strings.Contains(r.errorMessage(), "Example SSO") {
		t.Errorf("message %q does not name the provider", r.errorMessage())
	}
	early.ask(ev.ID, tk.ID, "still in")

	join := func(br *client, code, name, user string) *response {
		t.Helper()
		r := br.get("/api/v1/join/oidc?" + url.Values{"code": {code}, "name": {name}}.Encode())
		if !r.want(t, http.StatusFound, "") {
			return r
		}
		loc := r.Header.Get("Location")
		if !strings.HasPrefix(loc, e.op.Issuer+"/") {
			t.Fatalf("join redirects to %q, not to the provider", loc)
		}
		return e.callback(br, e.atProvider(br, loc, user, false))
	}
	phone := h.browser()
	r = join(phone, strings.ToLower(ev.JoinCode), "Ada on her phone", "ada")
	if loc := r.Header.Get("Location"); loc != "/e/"+strconv.FormatInt(ev.ID, 10) {
		t.Fatalf("joined to %q, want /e/%d\n%s", loc, ev.ID, e.logs)
	}
	if cookieOf(r, "koe_session") != nil {
		t.Error("a participant's sign-in opened a staff session")
	}
	q := phone.ask(ev.ID, tk.ID, "Signed in?")
	var me struct {
		Role        string           `json:"role"`
		Participant *koe.Participant `json:"participant"`
	}
	phone.get(eventPath(ev.ID)+"/me").decode(t, &me)
	if me.Role != "participant" || me.Participant == nil || me.Participant.DisplayName != "Ada on her phone" {
		t.Errorf("/me after joining: %+v", me)
	}
	// Her laptop: the same participant (her question is hers there too).
	laptop := h.browser()
	join(laptop, ev.JoinCode, "", "ada")
	if got := laptop.question(ev.ID, tk.ID, q.ID); !got.Mine {
		t.Error("the same person on another device is another participant")
	}
	// Another person is another participant.
	other := h.browser()
	join(other, ev.JoinCode, "", "grace")
	if got := other.question(ev.ID, tk.ID, q.ID); got.Mine {
		t.Error("two people are one participant")
	}
	// Signing in made no staff accounts.
	if accts, _ := h.store.Accounts(t.Context()); len(accts) != 0 {
		t.Errorf("participants' sign-ins made %d accounts", len(accts))
	}

	// Failures come back to the join page.
	for _, code := range []string{"ZZZZZZ", open.JoinCode} {
		r := h.browser().get("/api/v1/join/oidc?code=" + code)
		if r.want(t, http.StatusFound, "") && r.Header.Get("Location") != "/?signin_error=oidc_failed" {
			t.Errorf("join with %s: to %q", code, r.Header.Get("Location"))
		}
	}
	br := h.browser()
	start := br.get("/api/v1/join/oidc?code=" + ev.JoinCode)
	r = e.callback(br, e.atProvider(br, start.Header.Get("Location"), "ada", true)) // cancelled at the provider
	if loc := r.Header.Get("Location"); loc != "/?signin_error=oidc_denied" {
		t.Errorf("cancelled join: to %q", loc)
	}
	br.get(eventPath(ev.ID), docRejects).want(t, 401, koe.EUNAUTHORIZED)
}
