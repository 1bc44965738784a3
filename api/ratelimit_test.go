package api_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/ratelimit"
)

// wantRateLimited checks a 429 with a usable Retry-After.
func wantRateLimited(t *testing.T, r *response) {
	t.Helper()
	if !r.want(t, 429, koe.ERATELIMIT) {
		return
	}
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Errorf("%s: Retry-After %q, want an integer >= 1", r, r.Header.Get("Retry-After"))
	}
}

func TestRateLimitAsk(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"ask.participant": {N: 2, Per: time.Minute}}))
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	p.ask(e.ID, tk.ID, "one")
	p.ask(e.ID, tk.ID, "two")
	r := p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "three"})
	wantRateLimited(t, r)
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 20 || ra > 31 {
		t.Errorf("Retry-After %d, want about 30 s for 2/m", ra)
	}
	// The limit is per participant: another one may ask.
	p2, _ := h.join(e.JoinCode, "")
	p2.ask(e.ID, tk.ID, "someone else")
	// A refused ask does not count as one: still refused, nothing stored.
	wantRateLimited(t, p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "four"}))
	if n := len(h.staff.questions(e.ID, tk.ID, "sort=recent").Questions); n != 3 {
		t.Errorf("%d questions stored, want 3", n)
	}
}

func TestRateLimitJoin(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"join.ip": {N: 2, Per: time.Minute}}))
	e := h.createEvent(nil)
	h.join(e.JoinCode, "")
	h.join(e.JoinCode, "")
	wantRateLimited(t, h.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode}))
	// What is limited is new identities: a bad body or an unknown code
	// makes none and is answered as such; one who joined already keeps
	// their identity.
	h.client("").post("/api/v1/join", []byte("{"), unchecked).want(t, 400, koe.EINVALID)
	h.client("").post("/api/v1/join", map[string]any{"code": "ZZZZZZ"}).want(t, 404, koe.ENOTFOUND)
}

func TestRateLimitLike(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"like.participant": {N: 2, Per: time.Minute}}))
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "likeable")
	path := questionPath(e.ID, tk.ID, q.ID) + "/like"
	p.put(path, nil).want(t, 200, "")
	p.del(path).want(t, 200, "")
	wantRateLimited(t, p.put(path, nil))
	wantRateLimited(t, p.del(path))
	other, _ := h.join(e.JoinCode, "")
	other.put(path, nil).want(t, 200, "")
}

func TestRateLimitReply(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"reply.participant": {N: 1, Per: time.Hour}}))
	e := h.createEvent(map[string]any{"title": "R", "settings": map[string]any{"participant_replies": true}})
	tk := h.createTalk(e.ID, nil)
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "q")
	path := questionPath(e.ID, tk.ID, q.ID) + "/replies"
	p.post(path, map[string]any{"body": "first"}).want(t, 201, "")
	r := p.post(path, map[string]any{"body": "second"})
	wantRateLimited(t, r)
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 3000 {
		t.Errorf("Retry-After %d, want about an hour", ra)
	}
	// Staff replies are not limited.
	for range 3 {
		h.staff.post(path, map[string]any{"body": "staff"}).want(t, 201, "")
	}
}

func TestRateLimitDefaultsApply(t *testing.T) {
	// With no limits configured, the defaults hold: 5 asks a minute.
	h := newHarness(t, withLimits(nil))
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	for i := range 5 {
		p.ask(e.ID, tk.ID, "question "+strconv.Itoa(i))
	}
	wantRateLimited(t, p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "sixth"}))
}

func TestRateLimitInvalidStaffTokens(t *testing.T) {
	h := newHarness(t, withLimits(ratelimit.Rates{"auth.ip": {N: 3, Per: time.Minute}}))
	for i := 0; i < 3; i++ {
		h.client("koe_not-a-real-token").get("/api/v1/events").want(t, 401, koe.EUNAUTHORIZED)
	}
	wantRateLimited(t, h.client("koe_not-a-real-token").get("/api/v1/events"))
	wantRateLimited(t, h.client("").post("/api/v1/session", map[string]any{"token": "guess"}))
	// Valid tokens are never counted or refused.
	h.staff.get("/api/v1/events").want(t, 200, "")
}
