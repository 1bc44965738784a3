package api_test

import (
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/api"
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
	h := newHarness(t, withLimits(api.RateLimits{"ask.participant": {N: 2, Per: time.Minute}}))
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
	h := newHarness(t, withLimits(api.RateLimits{"join.ip": {N: 2, Per: time.Minute}}))
	e := h.createEvent(nil)
	h.join(e.JoinCode, "")
	h.join(e.JoinCode, "")
	wantRateLimited(t, h.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode}))
	// Counted before the body is read: even a bad body is refused as such.
	wantRateLimited(t, h.client("").post("/api/v1/join", []byte("{"), unchecked))
}

func TestRateLimitLike(t *testing.T) {
	h := newHarness(t, withLimits(api.RateLimits{"like.participant": {N: 2, Per: time.Minute}}))
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
	h := newHarness(t, withLimits(api.RateLimits{"reply.participant": {N: 1, Per: time.Hour}}))
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

func TestParseRateLimits(t *testing.T) {
	def := api.DefaultRateLimits()
	with := func(changes map[string]*api.Rate) api.RateLimits {
		l := maps.Clone(def)
		for k, r := range changes {
			if r == nil {
				delete(l, k)
			} else {
				l[k] = *r
			}
		}
		return l
	}
	cases := []struct {
		spec string
		want api.RateLimits // nil: an error
	}{
		{"", def},
		{"   ", def},
		{"off", api.RateLimits{}},
		{" off ", api.RateLimits{}},
		{"ask.participant=2/m", with(map[string]*api.Rate{"ask.participant": {N: 2, Per: time.Minute}})},
		{"ask.participant=off", with(map[string]*api.Rate{"ask.participant": nil})},
		{"join.ip=10/s, like.ip=5/h", with(map[string]*api.Rate{"join.ip": {N: 10, Per: time.Second}, "like.ip": {N: 5, Per: time.Hour}})},
		{"like.participant=1000000/s", with(map[string]*api.Rate{"like.participant": {N: 1000000, Per: time.Second}})},
		{"reply.participant=1/h,reply.participant=off", with(map[string]*api.Rate{"reply.participant": nil})},
		{"auth.ip=off,join.ip=off,ask.participant=off,ask.ip=off,like.participant=off,like.ip=off,reply.participant=off", api.RateLimits{}},
		// Errors.
		{"nonsense", nil},
		{"foo.bar=1/m", nil},
		{"ask=1/m", nil},
		{"ask.participant=0/m", nil},
		{"ask.participant=-1/m", nil},
		{"ask.participant=1000001/s", nil},
		{"ask.participant=1/d", nil},
		{"ask.participant=1/min", nil},
		{"ask.participant=1", nil},
		{"ask.participant=/m", nil},
		{"ask.participant=x/m", nil},
		{"ask.participant=", nil},
		{"ask.participant=2/m,", nil},
		{",", nil},
		{"OFF", nil},
		{"off,ask.participant=1/m", nil},
		{"ask.participant=1/m;join.ip=1/m", nil},
		{"ask.participant=" + strings.Repeat("1", 1100) + "/m", nil},
	}
	for _, c := range cases {
		got, err := api.ParseRateLimits(c.spec)
		if c.want == nil {
			if err == nil {
				t.Errorf("ParseRateLimits(%q) = %v, want an error", c.spec, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRateLimits(%q): %v", c.spec, err)
			continue
		}
		if !maps.Equal(got, c.want) {
			t.Errorf("ParseRateLimits(%q) = %v, want %v", c.spec, got, c.want)
		}
		// String speaks the same syntax.
		again, err := api.ParseRateLimits(got.String())
		if err != nil || !maps.Equal(again, got) {
			t.Errorf("ParseRateLimits(%q.String() = %q) = %v, %v", c.spec, got.String(), again, err)
		}
	}
	if s := (api.RateLimits{}).String(); s != "off" {
		t.Errorf("empty limits print as %q, want off", s)
	}
	// The documented defaults.
	want := "ask.ip=300/m,ask.participant=5/m,auth.ip=30/m,join.ip=300/m,like.ip=6000/m,like.participant=120/m,reply.participant=10/m"
	if s := def.String(); s != want {
		t.Errorf("defaults = %s, want %s (update the OpenAPI info if they changed)", s, want)
	}
}

func TestRateLimitInvalidStaffTokens(t *testing.T) {
	h := newHarness(t, withLimits(api.RateLimits{"auth.ip": {N: 3, Per: time.Minute}}))
	for i := 0; i < 3; i++ {
		h.client("koe_not-a-real-token").get("/api/v1/events").want(t, 401, koe.EUNAUTHORIZED)
	}
	wantRateLimited(t, h.client("koe_not-a-real-token").get("/api/v1/events"))
	wantRateLimited(t, h.client("").post("/api/v1/session", map[string]any{"token": "guess"}))
	// Valid tokens are never counted or refused.
	h.staff.get("/api/v1/events").want(t, 200, "")
}
