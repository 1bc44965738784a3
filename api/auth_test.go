package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// staffRoutes are the routes only staff may use, with a valid body each.
func staffRoutes(e, tk, q int64) []struct {
	method, path string
	body         any
} {
	return []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/events", nil},
		{"POST", "/api/v1/events", map[string]any{"title": "Other"}},
		{"PATCH", eventPath(e), map[string]any{"title": "Renamed"}},
		{"POST", eventPath(e) + "/talks", map[string]any{"title": "Lightning"}},
		{"PATCH", talkPath(e, tk), map[string]any{"qa_open": true}},
		{"PUT", talkPath(e, tk) + "/highlight", map[string]any{"question_id": q}},
		{"PATCH", questionPath(e, tk, q), map[string]any{"answered": false}},
	}
}

func TestStaffRoutesRefuseOthers(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "Pat")
	q := p.ask(e.ID, tk.ID, "Why?")
	garbled := []string{
		"Bearer not-a-token",                  // unknown staff token
		"Bearer " + ownerToken + "x",          // almost the owner token
		"Bearer p1.1.1.AAAAAAAAAAAAAAAAAAAAA", // forged participant token
		"Bearer p1.garbage",                   // malformed participant token
		"Bearer ",                             // empty
		"Basic dXNlcjpwYXNz",                  // wrong scheme
		"bearer " + ownerToken,                // the scheme is case-sensitive here
		ownerToken,                            // no scheme
	}
	for _, rt := range staffRoutes(e.ID, tk.ID, q.ID) {
		name := rt.method + " " + rt.path
		// No credentials: 401, and the document agrees the request lacks them.
		h.client("").do(rt.method, rt.path, rt.body, docRejects).want(t, 401, koe.EUNAUTHORIZED)
		// A participant: 403.
		p.do(rt.method, rt.path, rt.body).want(t, 403, koe.EFORBIDDEN)
		// Forged and garbled: 401.
		for _, auth := range garbled {
			r := h.client("").do(rt.method, rt.path, rt.body, header("Authorization", auth), unchecked)
			if !r.want(t, 401, koe.EUNAUTHORIZED) {
				t.Logf("%s with Authorization %q", name, auth)
			}
		}
		// Staff: allowed.
		if r := h.staff.do(rt.method, rt.path, rt.body); r.Status >= 300 {
			t.Errorf("%s: staff refused: %s", name, r)
		}
	}
}

func TestMemberRoutes(t *testing.T) {
	h := newHarness(t)
	a, tka := h.setup()
	b, tkb := h.setup()
	pa, ja := h.join(a.JoinCode, "Ann")
	pb, _ := h.join(b.JoinCode, "Bob")
	qa := pa.ask(a.ID, tka.ID, "A question in A")
	qb := pb.ask(b.ID, tkb.ID, "A question in B")
	memberGets := func(e, tk, q int64) []string {
		return []string{
			eventPath(e), eventPath(e) + "/me", eventPath(e) + "/talks", talkPath(e, tk),
			questionsPath(e, tk), questionPath(e, tk, q), questionPath(e, tk, q) + "/replies",
		}
	}
	for _, path := range memberGets(a.ID, tka.ID, qa.ID) {
		pa.get(path).want(t, 200, "")
		h.staff.get(path).want(t, 200, "")
		h.client("").get(path, docRejects).want(t, 401, koe.EUNAUTHORIZED)
		h.client("garbage-token").get(path).want(t, 401, koe.EUNAUTHORIZED)
		// A participant of event B on event A's routes.
		pb.get(path).want(t, 403, koe.EFORBIDDEN)
	}
	// ... and on writes of event A.
	pb.post(questionsPath(a.ID, tka.ID), map[string]any{"body": "sneaky"}).want(t, 403, koe.EFORBIDDEN)
	pb.put(questionPath(a.ID, tka.ID, qa.ID)+"/like", nil).want(t, 403, koe.EFORBIDDEN)
	pb.del(questionPath(a.ID, tka.ID, qa.ID)+"/like").want(t, 403, koe.EFORBIDDEN)
	pb.post(questionPath(a.ID, tka.ID, qa.ID)+"/replies", map[string]any{"body": "hi"}).want(t, 403, koe.EFORBIDDEN)
	// Ids are scoped: event A's talk through event B's path is not found,
	// even for staff.
	h.staff.get(talkPath(b.ID, tka.ID)).want(t, 404, koe.ENOTFOUND)
	h.staff.get(questionPath(b.ID, tkb.ID, qa.ID)).want(t, 404, koe.ENOTFOUND)
	pb.get(questionPath(b.ID, tkb.ID, qa.ID)).want(t, 404, koe.ENOTFOUND)
	pb.get(questionPath(b.ID, tkb.ID, qb.ID)).want(t, 200, "")
	// Staff cannot ask or like: those need a participant identity.
	h.staff.post(questionsPath(a.ID, tka.ID), map[string]any{"body": "staff?"}).want(t, 403, koe.EFORBIDDEN)
	h.staff.put(questionPath(a.ID, tka.ID, qa.ID)+"/like", nil).want(t, 403, koe.EFORBIDDEN)

	// /me tells who is who.
	var me struct {
		Role        string           `json:"role"`
		Participant *koe.Participant `json:"participant"`
	}
	pa.get(eventPath(a.ID)+"/me").decode(t, &me)
	if me.Role != "participant" || me.Participant == nil || *me.Participant != ja.Participant || me.Participant.DisplayName != "Ann" {
		t.Errorf("participant /me = %+v", me)
	}
	me.Participant = nil
	h.staff.get(eventPath(a.ID)+"/me").decode(t, &me)
	if me.Role != "staff" || me.Participant != nil {
		t.Errorf("staff /me = %+v", me)
	}
	// A token signed for a participant that does not exist in the event
	// cannot be forged, so the only way to test a missing event is staff.
	h.staff.get(eventPath(999999)).want(t, 404, koe.ENOTFOUND)
	h.staff.get(eventPath(999999)+"/talks").want(t, 404, koe.ENOTFOUND)
}

// TestForgedParticipantTokens: a participant token cannot be altered,
// moved to another key, or made up; the tokens of the old, signed format
// are no identity either.
func TestForgedParticipantTokens(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	_, j := h.join(e.JoinCode, "")
	tok := j.Token
	head, sealed, ok := strings.Cut(strings.TrimPrefix(tok, "p2."), ".")
	if !ok || !strings.HasPrefix(tok, "p2.") {
		t.Fatalf("token %q is not p2.KEY.SEALED", tok)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	forged := []string{
		"p2." + head + "." + flip(sealed, 0),             // altered nonce
		"p2." + head + "." + flip(sealed, len(sealed)/2), // altered content
		"p2." + head + "." + flip(sealed, len(sealed)-1), // altered tag
		"p2." + head + "1." + sealed,                     // another key
		"p2.0" + head + "." + sealed,                     // the key, written otherwise
		"p2." + head + "." + sealed[:len(sealed)-4],      // cut short
		tok + "x",
		"p2." + head,
		fmt.Sprintf("p1.%d.1.%s", e.ID, sealed[:43]), // the old signed format
		strings.Repeat("p2.", 100),
	}
	for _, f := range forged {
		h.client(f).get(questionsPath(e.ID, tk.ID)).want(t, 401, koe.EUNAUTHORIZED)
		h.client(f).post(questionsPath(e.ID, tk.ID), map[string]any{"body": "x"}).want(t, 401, koe.EUNAUTHORIZED)
	}
	// A forged cookie is no identity at all.
	h.client("").get(questionsPath(e.ID, tk.ID), header("Cookie", "koe_p="+forged[0]), unchecked).
		want(t, 401, koe.EUNAUTHORIZED)
	// The real token works.
	h.client(tok).get(questionsPath(e.ID, tk.ID)).want(t, 200, "")
}

func TestCookieAuth(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	other, _ := h.setup()
	br := h.browser()
	r := br.post("/api/v1/join", map[string]any{"code": strings.ToLower(e.JoinCode), "display_name": "Cookie Monster"})
	r.want(t, 201, "")
	var j joined
	r.decode(t, &j)
	cookie := participantCookie(t, r)
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.MaxAge <= 0 {
		t.Errorf("cookie attributes: %+v", cookie)
	}
	if cookie.Value != j.Token {
		t.Errorf("cookie value %q is not the token %q", cookie.Value, j.Token)
	}

	// The browser can now ask, like and read with its cookie alone.
	r = br.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "Asked with a cookie"})
	r.want(t, 201, "")
	var q koe.Question
	r.decode(t, &q)
	if q.AuthorName != "Cookie Monster" || !q.Mine {
		t.Errorf("question asked by cookie: %+v", q)
	}
	br.put(questionPath(e.ID, tk.ID, q.ID)+"/like", nil).want(t, 200, "")
	var me struct {
		Role        string
		Participant *koe.Participant
	}
	br.get(eventPath(e.ID)+"/me").decode(t, &me)
	if me.Participant == nil || *me.Participant != j.Participant {
		t.Errorf("/me with cookie: %+v", me)
	}

	// Joining again keeps the identity: 200, same participant.
	r = br.post("/api/v1/join", map[string]any{"code": e.JoinCode})
	r.want(t, 200, "")
	var again joined
	r.decode(t, &again)
	if again.Participant != j.Participant {
		t.Errorf("re-join made participant %+v, want %+v", again.Participant, j.Participant)
	}
	// So does joining with the bearer token.
	r = h.client(j.Token).post("/api/v1/join", map[string]any{"code": e.JoinCode})
	r.want(t, 200, "")

	// The token of one event is not a key to another.
	br.get(eventPath(other.ID)).want(t, 401, koe.EUNAUTHORIZED)
	h.client("").get(eventPath(other.ID)+"/me", header("Cookie", "koe_p="+j.Token)).
		want(t, 401, koe.EUNAUTHORIZED)
	// Joining another event adds its token to the same cookie; the browser
	// is now a participant of both, each under its own identity.
	r = br.post("/api/v1/join", map[string]any{"code": other.JoinCode})
	r.want(t, 201, "")
	var second joined
	r.decode(t, &second)
	if got := participantCookie(t, r).Value; got != j.Token+"~"+second.Token {
		t.Errorf("cookie after a second event: %q, want both tokens", got)
	}
	for _, c := range []struct {
		event int64
		who   *koe.Participant
	}{{e.ID, &j.Participant}, {other.ID, &second.Participant}} {
		br.get(eventPath(c.event)+"/me").decode(t, &me)
		if me.Participant == nil || *me.Participant != *c.who {
			t.Errorf("/me of event %d: %+v, want participant %+v", c.event, me, c.who)
		}
	}

	// Cross-site writes are refused, whatever the credentials.
	for _, hdr := range [][2]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		r = br.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "CSRF"}, header(hdr[0], hdr[1]))
		r.want(t, 403, koe.EFORBIDDEN)
		br.put(questionPath(e.ID, tk.ID, q.ID)+"/like", nil, header(hdr[0], hdr[1])).want(t, 403, koe.EFORBIDDEN)
		br.del(questionPath(e.ID, tk.ID, q.ID)+"/like", header(hdr[0], hdr[1])).want(t, 403, koe.EFORBIDDEN)
		br.post("/api/v1/join", map[string]any{"code": e.JoinCode}, header(hdr[0], hdr[1])).want(t, 403, koe.EFORBIDDEN)
	}
	// Same-origin and direct requests pass; reads are never refused.
	u, _ := url.Parse(h.srv.URL)
	br.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "same origin"}, header("Sec-Fetch-Site", "same-origin")).want(t, 201, "")
	br.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "a second question, same origin"}, header("Origin", "http://"+u.Host)).want(t, 201, "")
	br.get(questionsPath(e.ID, tk.ID), header("Sec-Fetch-Site", "cross-site")).want(t, 200, "")
	// Nothing was asked by the refused requests.
	page := br.questions(e.ID, tk.ID, "sort=recent")
	for _, q := range page.Questions {
		if q.Body == "CSRF" {
			t.Error("a cross-site request asked a question")
		}
	}
	if len(page.Questions) != 3 {
		t.Errorf("%d questions, want 3", len(page.Questions))
	}
}

// participantCookie returns the koe_p cookie a response sets.
func participantCookie(t *testing.T, r *response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "koe_p" {
			return c
		}
	}
	t.Fatalf("no koe_p cookie set: %v", r.Header.Values("Set-Cookie"))
	return nil
}

// TestParticipantCookieKeepsTheNewest: a browser that joined many events
// keeps the tokens of the 16 it joined last.
func TestParticipantCookieKeepsTheNewest(t *testing.T) {
	h := newHarness(t)
	br := h.browser()
	var events []koe.Event
	var last *response
	for range 18 {
		e := h.createEvent(nil)
		events = append(events, e)
		last = br.post("/api/v1/join", map[string]any{"code": e.JoinCode})
		last.want(t, 201, "")
	}
	if n := strings.Count(participantCookie(t, last).Value, "~") + 1; n != 16 {
		t.Errorf("the cookie holds %d tokens, want 16", n)
	}
	br.get(eventPath(events[0].ID)).want(t, 401, koe.EUNAUTHORIZED)
	br.get(eventPath(events[2].ID)).want(t, 200, "")
	br.get(eventPath(events[17].ID)).want(t, 200, "")
}

// TestStaffSession signs a browser in with the owner token: the cookie
// holds a session, not the token, and signing out ends the session on the
// server, so a copy of the cookie stops working too.
func TestStaffSession(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	br := h.browser()
	// Not signed in yet.
	br.get("/api/v1/events", docRejects).want(t, 401, koe.EUNAUTHORIZED)
	// Bad sign-ins.
	br.post("/api/v1/session", map[string]any{"token": "wrong-token-0123456789"}).want(t, 401, koe.EUNAUTHORIZED)
	br.post("/api/v1/session", map[string]any{"token": ""}, docRejects).want(t, 400, koe.EINVALID)
	br.post("/api/v1/session", map[string]any{"token": ownerToken, "remember": true}, docRejects).want(t, 400, koe.EINVALID)
	br.post("/api/v1/session", map[string]any{}, docRejects).want(t, 400, koe.EINVALID)
	br.post("/api/v1/session", map[string]any{"token": ownerToken, "login": "x", "password": "y"}, docRejects).want(t, 400, koe.EINVALID)
	br.post("/api/v1/session", map[string]any{"token": ownerToken}, header("Sec-Fetch-Site", "cross-site")).want(t, 403, koe.EFORBIDDEN)
	br.get("/api/v1/events", docRejects).want(t, 401, koe.EUNAUTHORIZED)

	// Sign in.
	r := br.post("/api/v1/session", map[string]any{"token": " " + ownerToken + " "}, unchecked)
	r.want(t, 201, "")
	cookie := sessionCookie(r)
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || !strings.HasPrefix(cookie.Value, "koe_s_") ||
		strings.Contains(cookie.Value, ownerToken) || cookie.MaxAge < 29*24*3600 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	var who struct {
		Account *koe.Account `json:"account"`
		Admin   bool         `json:"admin"`
		Via     string       `json:"via"`
	}
	br.get("/api/v1/session").decode(t, &who)
	if who.Account != nil || !who.Admin || who.Via != "session" {
		t.Errorf("signed in with the owner token: %+v", who)
	}
	br.get("/api/v1/events").want(t, 200, "")
	br.patch(talkPath(e.ID, tk.ID), map[string]any{"title": "By cookie"}).want(t, 200, "")
	// Staff writes by cookie are refused from other origins too.
	br.patch(talkPath(e.ID, tk.ID), map[string]any{"title": "CSRF"}, header("Sec-Fetch-Site", "cross-site")).want(t, 403, koe.EFORBIDDEN)

	// The same browser joins the event: it is staff and a participant.
	br.post("/api/v1/join", map[string]any{"code": e.JoinCode, "display_name": "Organiser"}).want(t, 201, "")
	var me struct {
		Role        string           `json:"role"`
		StaffRole   string           `json:"staff_role"`
		Participant *koe.Participant `json:"participant"`
	}
	br.get(eventPath(e.ID)+"/me").decode(t, &me)
	if me.Role != "staff" || me.StaffRole != "owner" || me.Participant == nil || me.Participant.DisplayName != "Organiser" {
		t.Errorf("/me of staff who joined: %+v", me)
	}
	q := br.ask(e.ID, tk.ID, "asked by the organiser")
	if !q.Mine || q.AuthorName != "Organiser" {
		t.Errorf("question: %+v", q)
	}
	br.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true}).want(t, 200, "")
	br.get(questionsPath(e.ID, tk.ID)+"?sort=hidden").want(t, 200, "")

	// A bearer token, when sent, is the only credential read.
	br.get("/api/v1/events", header("Authorization", "Bearer wrong-token-0123456789")).want(t, 401, koe.EUNAUTHORIZED)

	// A browser's WebSocket authenticates with the session cookie and gets
	// the staff stream.
	lc, conn, status := dialWS(t, br, e.ID, nil)
	if status != 101 {
		t.Fatalf("WebSocket with the session cookie: %d", status)
	}
	snap := h.staff.questions(e.ID, tk.ID, "sort=hidden")
	wsSend(t, conn, map[string]string{"type": "subscribe", "topic": fmt.Sprintf("talk:%d", tk.ID), "cursor": snap.Stream.Cursor})
	if m := lc.next(); m.Type != "subscribed" {
		t.Fatalf("subscribe: %s", m.raw)
	}
	h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"answered": true}).want(t, 200, "")
	// The changes just before the snapshot may come first when the relay
	// was still on them as its cursor was read (clients drop them by
	// version); the update of the hidden question must follow.
	for answered := false; !answered; {
		m := lc.next()
		if m.Type != "events" {
			t.Fatalf("session cookie stream: %s, want question.updated of the hidden question", m.raw)
		}
		for _, ev := range m.Events {
			answered = answered || ev.Type == "question.updated" && strings.Contains(string(ev.Data), `"answered":true`)
		}
	}

	// The owner token itself is no session cookie, nor is a forged one.
	for _, v := range []string{ownerToken, "koe_s_forged0123456789forged0123456789forged0", "forged"} {
		r := h.client("").get("/api/v1/events", header("Cookie", "koe_session="+v))
		r.want(t, 401, koe.EUNAUTHORIZED)
		if c := sessionCookie(r); c == nil || c.MaxAge >= 0 {
			t.Errorf("an unknown session cookie %q was not cleared: %+v", v, c)
		}
	}

	// Sign out: the session ends on the server, the participant cookie stays.
	r = br.del("/api/v1/session")
	r.want(t, 204, "")
	if c := sessionCookie(r); c == nil || c.MaxAge >= 0 {
		t.Errorf("signing out did not clear the cookie: %+v", c)
	}
	br.get("/api/v1/events", docRejects).want(t, 401, koe.EUNAUTHORIZED)
	br.get(eventPath(e.ID)+"/me").decode(t, &me)
	if me.Role != "participant" || me.Participant == nil {
		t.Errorf("/me after signing out: %+v", me)
	}
	br.get(questionsPath(e.ID, tk.ID)+"?sort=hidden").want(t, 403, koe.EFORBIDDEN)
	// A copy of the cookie taken before signing out no longer works.
	h.client("").get("/api/v1/events", header("Cookie", "koe_session="+cookie.Value)).want(t, 401, koe.EUNAUTHORIZED)
	br.del("/api/v1/session", header("Sec-Fetch-Site", "cross-site")).want(t, 403, koe.EFORBIDDEN)
}
