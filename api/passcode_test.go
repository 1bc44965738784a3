package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ratelimit"
)

// TestEventPasscode: an event with a passcode lets in only those who
// give it; who joined before stays in; the passcode is never in the
// event's JSON nor in the audit log's copies of it, only at its owners'
// route.
func TestEventPasscode(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"passcode.ip": {N: 3, Per: time.Minute}}))
	e, tk := h.setup()
	before, _ := h.join(e.JoinCode, "Early")
	h.staff.patch(eventPath(e.ID), map[string]any{"passcode": "abc"}).want(t, 400, koe.EINVALID) // too short
	r := h.staff.patch(eventPath(e.ID), map[string]any{"passcode": " Koe2026 "})
	r.want(t, 200, "")
	if strings.Contains(strings.ToLower(string(r.Body)), "koe2026") || !strings.Contains(string(r.Body), `"passcode_required":true`) {
		t.Errorf("the event's JSON: %s", r.Body)
	}
	var pc struct {
		Passcode string `json:"passcode"`
	}
	h.staff.get(eventPath(e.ID)+"/passcode").decode(t, &pc)
	if pc.Passcode != "koe2026" {
		t.Errorf("passcode %q, want koe2026", pc.Passcode)
	}
	mod, _ := h.signedIn(h.member(e.ID, koe.RoleModerator))
	mod.get(eventPath(e.ID)+"/passcode").want(t, 403, koe.EFORBIDDEN)

	join := func(body map[string]any) *response { return h.client("").post("/api/v1/join", body) }
	join(map[string]any{"code": e.JoinCode}).want(t, 401, koe.EPASSCODE)
	join(map[string]any{"code": e.JoinCode, "passcode": "koe2025"}).want(t, 401, koe.EPASSCODE)
	// Width and case do not matter: typed on a Japanese keyboard.
	var j joined
	join(map[string]any{"code": e.JoinCode, "passcode": "ＫＯＥ２０２６", "display_name": "Late"}).decode(t, &j)
	if j.Token == "" {
		t.Fatal("no token with the right passcode")
	}
	h.client(j.Token).ask(e.ID, tk.ID, "made it in")
	// Who joined before is not asked, and joining again keeps them.
	before.ask(e.ID, tk.ID, "still here")
	before.post("/api/v1/join", map[string]any{"code": e.JoinCode}).want(t, 200, "")

	// Wrong passcodes are limited per address: the third wrong one
	// above used one of three.
	join(map[string]any{"code": e.JoinCode, "passcode": "guess-1"}).want(t, 401, koe.EPASSCODE)
	join(map[string]any{"code": e.JoinCode, "passcode": "guess-2"}).want(t, 401, koe.EPASSCODE)
	wantRateLimited(t, join(map[string]any{"code": e.JoinCode, "passcode": "guess-3"}))

	eventually(t, "the passcode's change in the audit log", func() bool {
		a := h.staff.get(eventPath(e.ID) + "/audit?type=event.updated")
		if strings.Contains(strings.ToLower(string(a.Body)), "koe2026") {
			t.Fatalf("the audit log holds the passcode: %s", a.Body)
		}
		return strings.Contains(string(a.Body), `"passcode_required":true`)
	})

	// Removed: anyone with the code joins again.
	h.staff.patch(eventPath(e.ID), map[string]any{"passcode": ""}).want(t, 200, "")
	join(map[string]any{"code": e.JoinCode}).want(t, 201, "")
	h.staff.get(eventPath(e.ID)+"/passcode").decode(t, &pc)
	if pc.Passcode != "" {
		t.Errorf("passcode %q after removing it", pc.Passcode)
	}
}

// TestParticipantSignInNeedsAProvider: an event cannot ask participants
// to sign in with an OpenID provider koe does not have.
func TestParticipantSignInNeedsAProvider(t *testing.T) {
	h := newHarness(t)
	e, _ := h.setup()
	r := h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"participant_sign_in": true}})
	if r.want(t, 400, koe.EINVALID) && !strings.Contains(r.errorMessage(), "KOE_OIDC_ISSUER") {
		t.Errorf("message %q", r.errorMessage())
	}
	h.client("").get("/api/v1/join/oidc?code="+e.JoinCode, unchecked).want(t, 404, koe.ENOTFOUND)
}
