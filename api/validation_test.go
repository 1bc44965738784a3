package api_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/koehq/koe"
	"github.com/koehq/koe/api"
)

func TestQuestionBodyRules(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "Val")
	path := questionsPath(e.ID, tk.ID)
	ask := func(body string, opts ...callOpt) *response {
		return p.post(path, map[string]any{"body": body}, opts...)
	}

	// Empty, or empty once trimmed.
	ask("", docRejects).want(t, 400, koe.EINVALID)
	ask(" \n\t\r\n ", unchecked).want(t, 400, koe.EINVALID)
	// 500 code points are fine, 501 are not; multi-byte characters count once.
	ask(strings.Repeat("a", 500)).want(t, 201, "")
	ask(strings.Repeat("a", 501), docRejects).want(t, 400, koe.EINVALID)
	ask(strings.Repeat("日", 500)).want(t, 201, "")
	ask(strings.Repeat("日", 501), docRejects).want(t, 400, koe.EINVALID)
	ask(strings.Repeat("🎤", 500)).want(t, 201, "")
	// Counted after NFC: 499 letters and a decomposed é (e + U+0301) are
	// 501 code points as sent and 500 once composed.
	decomposed := strings.Repeat("a", 499) + "e\u0301"
	if utf8.RuneCountInString(decomposed) != 501 {
		t.Fatal("test input is wrong")
	}
	r := ask(decomposed, unchecked) // the schema counts code points as sent
	r.want(t, 201, "")
	var q koe.Question
	r.decode(t, &q)
	if q.Body != norm.NFC.String(decomposed) || utf8.RuneCountInString(q.Body) != 500 {
		t.Errorf("body not stored as NFC: %d code points", utf8.RuneCountInString(q.Body))
	}
	ask(strings.Repeat("a", 500)+"e\u0301", docRejects).want(t, 400, koe.EINVALID)
	// Counted after trimming.
	r = ask("  "+strings.Repeat("b", 500)+"\n\n", unchecked)
	r.want(t, 201, "")
	r.decode(t, &q)
	if q.Body != strings.Repeat("b", 500) {
		t.Errorf("body not trimmed: %q…", q.Body[:10])
	}
	// CRLF becomes LF; newlines and tabs inside are kept.
	r = ask("line one\r\nline two\r\tend")
	r.want(t, 201, "")
	r.decode(t, &q)
	if q.Body != "line one\nline two\n\tend" {
		t.Errorf("body = %q", q.Body)
	}
	// Control characters are refused.
	for _, bad := range []string{"nul\x00", "bell\a", "esc\x1b[31m", "del\x7f", "c1\u0085x", "\u009b"} {
		ask(bad, unchecked).want(t, 400, koe.EINVALID)
	}
	// Invalid UTF-8 cannot reach CleanText through JSON (it becomes
	// U+FFFD), and U+FFFD is refused as a sign of mangled text.
	p.post(path, []byte("{\"body\":\"bad \xff utf8\"}"), unchecked).want(t, 400, koe.EINVALID)
}

func TestLineFieldRules(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	cases := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		check  callOpt
	}{
		{"event title empty", "POST", "/api/v1/events", map[string]any{"title": ""}, docRejects},
		{"event title blank", "POST", "/api/v1/events", map[string]any{"title": "   "}, unchecked},
		{"event title too long", "POST", "/api/v1/events", map[string]any{"title": strings.Repeat("t", 201)}, docRejects},
		{"event title newline", "POST", "/api/v1/events", map[string]any{"title": "two\nlines"}, unchecked},
		{"event title tab", "POST", "/api/v1/events", map[string]any{"title": "tab\there"}, unchecked},
		{"event title missing", "POST", "/api/v1/events", map[string]any{}, docRejects},
		{"talk title too long", "POST", eventPath(e.ID) + "/talks", map[string]any{"title": strings.Repeat("t", 201)}, docRejects},
		{"talk title missing", "POST", eventPath(e.ID) + "/talks", map[string]any{"speaker": "X"}, docRejects},
		{"speaker too long", "POST", eventPath(e.ID) + "/talks", map[string]any{"title": "T", "speaker": strings.Repeat("s", 201)}, docRejects},
		{"track too long", "POST", eventPath(e.ID) + "/talks", map[string]any{"title": "T", "track": strings.Repeat("k", 101)}, docRejects},
		{"speaker control", "POST", eventPath(e.ID) + "/talks", map[string]any{"title": "T", "speaker": "a\x01"}, unchecked},
		{"update talk title empty", "PATCH", talkPath(e.ID, tk.ID), map[string]any{"title": ""}, docRejects},
		{"update talk track too long", "PATCH", talkPath(e.ID, tk.ID), map[string]any{"track": strings.Repeat("k", 101)}, docRejects},
		{"update event title too long", "PATCH", eventPath(e.ID), map[string]any{"title": strings.Repeat("t", 201)}, docRejects},
		{"join display name too long", "POST", "/api/v1/join", map[string]any{"code": e.JoinCode, "display_name": strings.Repeat("n", 41)}, docRejects},
		{"join display name newline", "POST", "/api/v1/join", map[string]any{"code": e.JoinCode, "display_name": "a\nb"}, unchecked},
		{"reply author too long", "POST", questionPath(e.ID, tk.ID, 1) + "/replies", map[string]any{"body": "x", "author_name": strings.Repeat("n", 41)}, docRejects},
		{"update question body too long", "PATCH", questionPath(e.ID, tk.ID, 1), map[string]any{"body": strings.Repeat("q", 501)}, docRejects},
		{"update question body empty", "PATCH", questionPath(e.ID, tk.ID, 1), map[string]any{"body": ""}, docRejects},
	}
	p, _ := h.join(e.JoinCode, "")
	p.ask(e.ID, tk.ID, "question one")
	for _, c := range cases {
		r := h.staff.do(c.method, c.path, c.body, c.check)
		if !r.want(t, 400, koe.EINVALID) {
			t.Logf("case %s", c.name)
		}
	}
	// The limits themselves are accepted.
	h.staff.post("/api/v1/events", map[string]any{"title": strings.Repeat("t", 200)}).want(t, 201, "")
	h.staff.post(eventPath(e.ID)+"/talks", map[string]any{
		"title": strings.Repeat("t", 200), "speaker": strings.Repeat("s", 200), "track": strings.Repeat("k", 100),
	}).want(t, 201, "")
	h.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode, "display_name": strings.Repeat("n", 40)}).want(t, 201, "")
}

func TestReplyBodyRules(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "question")
	path := questionPath(e.ID, tk.ID, q.ID) + "/replies"
	h.staff.post(path, map[string]any{"body": strings.Repeat("r", 1000), "author_name": "Speaker"}).want(t, 201, "")
	h.staff.post(path, map[string]any{"body": strings.Repeat("r", 1001)}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.post(path, map[string]any{"body": ""}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.post(path, map[string]any{"body": "\x00"}, unchecked).want(t, 400, koe.EINVALID)
	h.staff.post(path, map[string]any{}, docRejects).want(t, 400, koe.EINVALID)
}

func TestMalformedBodies(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "question")
	type target struct {
		c      *client
		method string
		path   string
		valid  string
	}
	targets := []target{
		{h.client(""), "POST", "/api/v1/join", fmt.Sprintf(`{"code":%q}`, e.JoinCode)},
		{h.staff, "POST", "/api/v1/events", `{"title":"T"}`},
		{h.staff, "PATCH", eventPath(e.ID), `{"title":"T"}`},
		{h.staff, "POST", eventPath(e.ID) + "/talks", `{"title":"T"}`},
		{h.staff, "PATCH", talkPath(e.ID, tk.ID), `{"title":"T"}`},
		{h.staff, "PUT", talkPath(e.ID, tk.ID) + "/highlight", `{"question_id":null}`},
		{p, "POST", questionsPath(e.ID, tk.ID), `{"body":"Q"}`},
		{h.staff, "PATCH", questionPath(e.ID, tk.ID, q.ID), `{"answered":false}`},
		{h.staff, "POST", questionPath(e.ID, tk.ID, q.ID) + "/replies", `{"body":"R"}`},
	}
	for _, tg := range targets {
		name := tg.method + " " + tg.path
		inner := strings.TrimSuffix(tg.valid, "}")
		bad := map[string]string{
			"unknown field":       inner + `,"surprise":1}`,
			"trailing object":     tg.valid + ` {}`,
			"trailing garbage":    tg.valid + `x`,
			"two objects":         tg.valid + tg.valid,
			"not an object":       `[` + tg.valid + `]`,
			"a string":            `"hello"`,
			"truncated":           tg.valid[:len(tg.valid)-1],
			"syntax":              `{"title":}`,
			"empty":               ``,
			"wrong type (object)": `{"` + firstKey(tg.valid) + `":{"a":1}}`,
			"wrong type (array)":  `{"` + firstKey(tg.valid) + `":[1]}`,
		}
		for what, body := range bad {
			check := docRejects
			if strings.HasPrefix(what, "trailing") || what == "two objects" {
				// kin-openapi reads the first JSON value and ignores the rest.
				check = unchecked
			}
			r := tg.c.do(tg.method, tg.path, []byte(body), check)
			if !r.want(t, 400, koe.EINVALID) {
				t.Logf("%s: %s: %q", name, what, body)
			}
		}
		// Content types other than JSON.
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "not a media type"} {
			r := tg.c.do(tg.method, tg.path, []byte(tg.valid), header("Content-Type", ct), docRejects)
			if !r.want(t, 400, koe.EINVALID) {
				t.Logf("%s: Content-Type %s", name, ct)
			}
		}
		// JSON with parameters is JSON.
		r := tg.c.do(tg.method, tg.path, []byte(tg.valid), header("Content-Type", "application/json; charset=utf-8"))
		if r.Status >= 300 {
			t.Errorf("%s: valid body with charset refused: %s", name, r)
		}
		// Over 64 KiB: 413, however valid the JSON would be.
		big := inner + `,"pad":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
		tg.c.do(tg.method, tg.path, []byte(big), unchecked).want(t, 413, koe.ETOOLARGE)
		big = `{"title":"` + strings.Repeat(" ", api.MaxBodyBytes) + `T"}`
		tg.c.do(tg.method, tg.path, []byte(big), unchecked).want(t, 413, koe.ETOOLARGE)
	}
	// Exactly at the limit is read (and then judged on its content).
	body := `{"body":"q` + strings.Repeat(" ", api.MaxBodyBytes-len(`{"body":"q"}`)) + `"}`
	if len(body) != api.MaxBodyBytes {
		t.Fatalf("len %d", len(body))
	}
	p.post(questionsPath(e.ID, tk.ID), []byte(body), unchecked).want(t, 201, "")
}

func firstKey(obj string) string {
	k, _, _ := strings.Cut(strings.TrimPrefix(obj, `{"`), `"`)
	return k
}

func TestBadPathIDs(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "question")
	for _, bad := range []string{"abc", "0", "-1", "1.5", "99999999999999999999", "0x10", "1e3", "%20"} {
		ev, tl, qs := fmt.Sprint(e.ID), fmt.Sprint(tk.ID), fmt.Sprint(q.ID)
		paths := []string{
			"/api/v1/events/" + bad,
			"/api/v1/events/" + bad + "/talks",
			"/api/v1/events/" + ev + "/talks/" + bad,
			"/api/v1/events/" + ev + "/talks/" + bad + "/questions",
			"/api/v1/events/" + ev + "/talks/" + tl + "/questions/" + bad,
			"/api/v1/events/" + ev + "/talks/" + tl + "/questions/" + bad + "/replies",
			"/api/v1/events/" + bad + "/sse?topic=event",
			"/api/v1/events/" + bad + "/live",
		}
		for _, path := range paths {
			h.staff.get(path, docRejects).want(t, 400, koe.EINVALID)
		}
		p.put("/api/v1/events/"+ev+"/talks/"+tl+"/questions/"+bad+"/like", nil, docRejects).want(t, 400, koe.EINVALID)
		p.del("/api/v1/events/"+bad+"/talks/"+tl+"/questions/"+qs+"/like", docRejects).want(t, 400, koe.EINVALID)
	}
	// Well-formed ids that do not exist.
	h.staff.get(talkPath(e.ID, 424242)).want(t, 404, koe.ENOTFOUND)
	h.staff.get(questionPath(e.ID, tk.ID, 424242)).want(t, 404, koe.ENOTFOUND)
	h.staff.get(questionPath(e.ID, tk.ID, 424242)+"/replies").want(t, 404, koe.ENOTFOUND)
	p.put(questionPath(e.ID, tk.ID, 424242)+"/like", nil).want(t, 404, koe.ENOTFOUND)
	h.staff.get(questionsPath(e.ID, 424242)).want(t, 404, koe.ENOTFOUND)
	p.post(questionsPath(e.ID, 424242), map[string]any{"body": "nowhere"}).want(t, 404, koe.ENOTFOUND)
	h.staff.patch(questionPath(e.ID, tk.ID, 424242), map[string]any{"answered": true}).want(t, 404, koe.ENOTFOUND)
	h.staff.post(eventPath(424242)+"/talks", map[string]any{"title": "T"}).want(t, 404, koe.ENOTFOUND)
	h.staff.patch(eventPath(424242), map[string]any{"title": "T"}).want(t, 404, koe.ENOTFOUND)
	h.staff.patch(talkPath(e.ID, 424242), map[string]any{"title": "T"}).want(t, 404, koe.ENOTFOUND)
}

func TestQuestionListParameters(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	other, _ := h.join(e.JoinCode, "")
	var ids []int64
	for i := range 5 {
		ids = append(ids, p.ask(e.ID, tk.ID, fmt.Sprintf("question %d", i)).ID)
	}
	base := questionsPath(e.ID, tk.ID)
	for _, query := range []string{"sort=best", "sort=TOP", "limit=0", "limit=201", "limit=-1", "limit=abc", "limit=1.5", "cursor=%25%25", "cursor=" + strings.Repeat("A", 101)} {
		p.get(base+"?"+query, docRejects).want(t, 400, koe.EINVALID)
	}
	// Cursors that look right but are not.
	for _, raw := range []string{"\x00\x00\x00", "top:1:1", "recent:0:0", "recent:-1:5", "recent:1", "recent:1:2:3", "recent:x:5"} {
		c := base64.RawURLEncoding.EncodeToString([]byte(raw))
		p.get(base+"?sort=recent&cursor="+c, unchecked).want(t, 400, koe.EINVALID)
	}
	// Hidden questions are for staff.
	p.get(base+"?sort=hidden").want(t, 403, koe.EFORBIDDEN)
	h.staff.get(base+"?sort=hidden").want(t, 200, "")

	// Paging: limit 2 walks all five, newest first, each once; the cursor
	// of one sort is refused by another.
	var seen []int64
	query := "sort=recent&limit=2"
	for range 10 {
		page := other.questions(e.ID, tk.ID, query)
		for _, q := range page.Questions {
			seen = append(seen, q.ID)
			if q.Mine {
				t.Errorf("question %d is not mine", q.ID)
			}
		}
		if page.NextCursor == nil {
			break
		}
		p.get(base+"?sort=top&cursor="+*page.NextCursor, unchecked).want(t, 400, koe.EINVALID)
		query = "sort=recent&limit=2&cursor=" + *page.NextCursor
	}
	if fmt.Sprint(seen) != fmt.Sprint([]int64{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Errorf("paged ids %v, want newest first of %v", seen, ids)
	}
	// The asker's own view fills mine.
	for _, q := range p.questions(e.ID, tk.ID, "").Questions {
		if !q.Mine {
			t.Errorf("question %d should be mine", q.ID)
		}
	}
	// top by likes.
	other.put(questionPath(e.ID, tk.ID, ids[2])+"/like", nil).want(t, 200, "")
	page := other.questions(e.ID, tk.ID, "sort=top&limit=1")
	if len(page.Questions) != 1 || page.Questions[0].ID != ids[2] || !page.Questions[0].LikedByMe || page.Questions[0].Likes != 1 {
		t.Errorf("top page: %+v", page.Questions)
	}
	if page.NextCursor == nil {
		t.Error("no next cursor on a partial page")
	}
}

func TestJoinCodes(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(nil)
	anon := h.client("")
	for _, code := range []string{"", "ABC", "ABCDEFG", "IIIIII", "0O0O0O", "ABCD1L", "ABC DE", "ÄBCDEF"} {
		anon.post("/api/v1/join", map[string]any{"code": code}, docRejects).want(t, 400, koe.EINVALID)
	}
	anon.post("/api/v1/join", map[string]any{}, docRejects).want(t, 400, koe.EINVALID)
	// A well-formed code no event has.
	unknown := "ABCDEF"
	if unknown == e.JoinCode {
		unknown = "BCDEFG"
	}
	anon.post("/api/v1/join", map[string]any{"code": unknown}).want(t, 404, koe.ENOTFOUND)
	// Case and surrounding spaces do not matter.
	r := anon.post("/api/v1/join", map[string]any{"code": "  " + strings.ToLower(e.JoinCode) + " ", "display_name": "  Spacey  "})
	r.want(t, 201, "")
	var j joined
	r.decode(t, &j)
	if j.Event.ID != e.ID || j.Participant.DisplayName != "Spacey" || j.Participant.EventID != e.ID {
		t.Errorf("join: %+v", j)
	}
}

func TestEventRules(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(map[string]any{"title": "Conf", "slug": "conf-2026", "time_zone": "Asia/Tokyo",
		"starts_at": "2026-05-01T09:00:00+09:00", "ends_at": "2026-05-02T18:00:00+09:00",
		"settings": map[string]any{"participant_replies": true}})
	if e.Slug != "conf-2026" || e.TimeZone != "Asia/Tokyo" || e.StartsAt == nil || !e.Settings.ParticipantReplies || len(e.JoinCode) != koe.JoinCodeLen {
		t.Errorf("created: %+v", e)
	}
	// Defaults.
	d := h.createEvent(map[string]any{"title": "Defaults", "slug": ""})
	if !strings.HasPrefix(d.Slug, "event-") || d.TimeZone != "UTC" || d.StartsAt != nil {
		t.Errorf("defaults: %+v", d)
	}
	// Slug conflicts, on create and on update.
	h.staff.post("/api/v1/events", map[string]any{"title": "Again", "slug": "conf-2026"}).want(t, 409, koe.ECONFLICT)
	h.staff.patch(eventPath(d.ID), map[string]any{"slug": "conf-2026"}).want(t, 409, koe.ECONFLICT)
	// Slug shape.
	for _, slug := range []string{"Conf", "conf--x", "-conf", "conf-", "con f", "conf_x", strings.Repeat("a", 65)} {
		h.staff.post("/api/v1/events", map[string]any{"title": "S", "slug": slug}, docRejects).want(t, 400, koe.EINVALID)
		h.staff.patch(eventPath(d.ID), map[string]any{"slug": slug}, docRejects).want(t, 400, koe.EINVALID)
	}
	h.staff.patch(eventPath(d.ID), map[string]any{"slug": ""}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.post("/api/v1/events", map[string]any{"title": "S", "slug": strings.Repeat("a", 64)}).want(t, 201, "")
	// Ends before starts.
	h.staff.post("/api/v1/events", map[string]any{"title": "Backwards",
		"starts_at": "2026-05-02T00:00:00Z", "ends_at": "2026-05-01T00:00:00Z"}).want(t, 400, koe.EINVALID)
	// ... also when only one end changes.
	h.staff.patch(eventPath(e.ID), map[string]any{"ends_at": "2026-04-01T00:00:00Z"}).want(t, 400, koe.EINVALID)
	h.staff.patch(eventPath(e.ID), map[string]any{"starts_at": "2027-01-01T00:00:00Z"}).want(t, 400, koe.EINVALID)
	// Bad time zones and times.
	for _, tz := range []string{"Mars/Olympus", "utc+9", "../etc/passwd", strings.Repeat("A", 65)} {
		h.staff.post("/api/v1/events", map[string]any{"title": "TZ", "time_zone": tz}, unchecked).want(t, 400, koe.EINVALID)
		h.staff.patch(eventPath(e.ID), map[string]any{"time_zone": tz}, unchecked).want(t, 400, koe.EINVALID)
	}
	h.staff.patch(eventPath(e.ID), map[string]any{"time_zone": ""}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.post("/api/v1/events", map[string]any{"title": "T", "starts_at": "tomorrow"}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.post("/api/v1/events", map[string]any{"title": "T", "settings": map[string]any{"participant_replies": true, "x": 1}}, docRejects).want(t, 400, koe.EINVALID)
	// null clears a time; the version grows with every change.
	r := h.staff.patch(eventPath(e.ID), map[string]any{"ends_at": nil, "title": "Conf 2026"})
	r.want(t, 200, "")
	var u koe.Event
	r.decode(t, &u)
	if u.EndsAt != nil || u.StartsAt == nil || u.Title != "Conf 2026" || u.Version != e.Version+1 || u.Slug != e.Slug {
		t.Errorf("updated: %+v (was %+v)", u, e)
	}
	// The staff list shows every event, newest first.
	var list struct{ Events []koe.Event }
	h.staff.get("/api/v1/events").decode(t, &list)
	if len(list.Events) != 3 || list.Events[len(list.Events)-1].ID != e.ID {
		t.Errorf("event list: %d events", len(list.Events))
	}
}

func TestTalkRules(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(nil)
	tk := h.createTalk(e.ID, map[string]any{"title": "Closing", "starts_at": "2026-05-01T17:00:00Z", "ends_at": "2026-05-01T18:00:00Z", "qa_open": false})
	if tk.QAOpen || tk.StartsAt == nil || tk.EventID != e.ID || tk.HighlightedQuestionID != 0 {
		t.Errorf("talk: %+v", tk)
	}
	open := h.createTalk(e.ID, map[string]any{"title": "Opening"})
	if !open.QAOpen {
		t.Error("qa_open should default to true")
	}
	h.staff.post(eventPath(e.ID)+"/talks", map[string]any{"title": "Backwards",
		"starts_at": "2026-05-01T18:00:00Z", "ends_at": "2026-05-01T17:00:00Z"}).want(t, 400, koe.EINVALID)
	h.staff.patch(talkPath(e.ID, tk.ID), map[string]any{"ends_at": "2026-05-01T16:00:00Z"}).want(t, 400, koe.EINVALID)
	// Clearing the start makes any end fine.
	h.staff.patch(talkPath(e.ID, tk.ID), map[string]any{"starts_at": nil, "ends_at": "2026-05-01T16:00:00Z"}).want(t, 200, "")
	// Talks list: scheduled first, and a stream position on the event topic.
	p, _ := h.join(e.JoinCode, "")
	var list talkPage
	p.get(eventPath(e.ID)+"/talks").decode(t, &list)
	if len(list.Talks) != 2 || list.Stream.Topic != "event" || list.Stream.Cursor == "" {
		t.Errorf("talk list: %+v", list)
	}
}

func TestQAClosed(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "")
	p.ask(e.ID, tk.ID, "before closing")
	h.staff.patch(talkPath(e.ID, tk.ID), map[string]any{"qa_open": false}).want(t, 200, "")
	p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "too late"}).want(t, 409, koe.EQACLOSED)
	h.staff.patch(talkPath(e.ID, tk.ID), map[string]any{"qa_open": true}).want(t, 200, "")
	p.ask(e.ID, tk.ID, "open again")
}

func TestModeration(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "Asker")
	liker, _ := h.join(e.JoinCode, "")
	q := p.ask(e.ID, tk.ID, "to be hidden")
	keep := p.ask(e.ID, tk.ID, "to be highlighted")
	hl := talkPath(e.ID, tk.ID) + "/highlight"

	// Highlight, then hide the highlighted question: the highlight goes.
	r := h.staff.put(hl, map[string]any{"question_id": q.ID})
	r.want(t, 200, "")
	var tkv koe.Talk
	r.decode(t, &tkv)
	if tkv.HighlightedQuestionID != q.ID {
		t.Errorf("highlight = %d", tkv.HighlightedQuestionID)
	}
	r = h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true})
	r.want(t, 200, "")
	var hidden koe.Question
	r.decode(t, &hidden)
	if !hidden.Hidden || hidden.Version <= q.Version {
		t.Errorf("hidden: %+v", hidden)
	}
	h.staff.get(talkPath(e.ID, tk.ID)).decode(t, &tkv)
	if tkv.HighlightedQuestionID != 0 {
		t.Errorf("hiding the highlighted question left highlight %d", tkv.HighlightedQuestionID)
	}
	// A hidden question cannot be highlighted, liked, or seen by participants.
	h.staff.put(hl, map[string]any{"question_id": q.ID}).want(t, 400, koe.EINVALID)
	liker.put(questionPath(e.ID, tk.ID, q.ID)+"/like", nil).want(t, 404, koe.ENOTFOUND)
	liker.del(questionPath(e.ID, tk.ID, q.ID)+"/like").want(t, 404, koe.ENOTFOUND)
	liker.get(questionPath(e.ID, tk.ID, q.ID)).want(t, 404, koe.ENOTFOUND)
	liker.get(questionPath(e.ID, tk.ID, q.ID)+"/replies").want(t, 404, koe.ENOTFOUND)
	h.staff.get(questionPath(e.ID, tk.ID, q.ID)).want(t, 200, "")
	for _, sort := range []string{"top", "recent", "answered"} {
		for _, lq := range liker.questions(e.ID, tk.ID, "sort="+sort).Questions {
			if lq.ID == q.ID {
				t.Errorf("hidden question in the %s list", sort)
			}
		}
	}
	page := h.staff.questions(e.ID, tk.ID, "sort=hidden")
	if len(page.Questions) != 1 || page.Questions[0].ID != q.ID {
		t.Errorf("hidden list: %+v", page.Questions)
	}
	// Highlight ids must be positive or null; a question of another talk is not found.
	h.staff.put(hl, map[string]any{"question_id": 0}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.put(hl, map[string]any{"question_id": -5}, docRejects).want(t, 400, koe.EINVALID)
	h.staff.put(hl, map[string]any{"question_id": "1"}, docRejects).want(t, 400, koe.EINVALID)
	other := h.createTalk(e.ID, nil)
	h.staff.put(talkPath(e.ID, other.ID)+"/highlight", map[string]any{"question_id": keep.ID}).want(t, 404, koe.ENOTFOUND)
	h.staff.put(hl, map[string]any{"question_id": keep.ID}).want(t, 200, "")
	r = h.staff.put(hl, map[string]any{"question_id": nil})
	r.want(t, 200, "")
	r.decode(t, &tkv)
	if tkv.HighlightedQuestionID != 0 {
		t.Errorf("cleared highlight = %d", tkv.HighlightedQuestionID)
	}
	// Answering sets answered_at; unanswering clears it; editing keeps the author.
	r = h.staff.patch(questionPath(e.ID, tk.ID, keep.ID), map[string]any{"answered": true, "body": "  edited  "})
	r.want(t, 200, "")
	var ans koe.Question
	r.decode(t, &ans)
	if !ans.Answered || ans.AnsweredAt == nil || ans.Body != "edited" || ans.AuthorName != "Asker" {
		t.Errorf("answered: %+v", ans)
	}
	if l := liker.questions(e.ID, tk.ID, "sort=answered").Questions; len(l) != 1 || l[0].ID != keep.ID {
		t.Errorf("answered list: %+v", l)
	}
	h.staff.patch(questionPath(e.ID, tk.ID, keep.ID), map[string]any{"answered": false}).decode(t, &ans)
	if ans.Answered || ans.AnsweredAt != nil {
		t.Errorf("unanswered: %+v", ans)
	}
	// Anonymous questions carry no name.
	r = p.post(questionsPath(e.ID, tk.ID), map[string]any{"body": "anon", "anonymous": true})
	r.want(t, 201, "")
	var anon koe.Question
	r.decode(t, &anon)
	if anon.AuthorName != "" || !anon.Mine {
		t.Errorf("anonymous question: %+v", anon)
	}
	if strings.Contains(string(r.Body), "participant_id") {
		t.Error("a question leaks participant_id")
	}
}

func TestReplies(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "Replier")
	q := p.ask(e.ID, tk.ID, "question")
	path := questionPath(e.ID, tk.ID, q.ID) + "/replies"

	// Participants may not reply until the event allows it.
	p.post(path, map[string]any{"body": "me too"}).want(t, 403, koe.EFORBIDDEN)
	r := h.staff.post(path, map[string]any{"body": "Staff answer", "author_name": "The Speaker"})
	r.want(t, 201, "")
	var rep koe.Reply
	r.decode(t, &rep)
	if !rep.Staff || rep.AuthorName != "The Speaker" || rep.QuestionID != q.ID {
		t.Errorf("staff reply: %+v", rep)
	}
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"participant_replies": true}}).want(t, 200, "")
	r = p.post(path, map[string]any{"body": "participant reply"})
	r.want(t, 201, "")
	r.decode(t, &rep)
	if rep.Staff || rep.AuthorName != "Replier" {
		t.Errorf("participant reply: %+v", rep)
	}
	r = p.post(path, map[string]any{"body": "anonymous reply", "anonymous": true})
	r.want(t, 201, "")
	r.decode(t, &rep)
	if rep.AuthorName != "" {
		t.Errorf("anonymous reply signed %q", rep.AuthorName)
	}
	// Participants cannot sign as someone else.
	p.post(path, map[string]any{"body": "x", "author_name": "The Speaker"}).want(t, 400, koe.EINVALID)
	var list struct{ Replies []koe.Reply }
	p.get(path).decode(t, &list)
	if len(list.Replies) != 3 || list.Replies[0].AuthorName != "The Speaker" {
		t.Errorf("replies: %+v", list.Replies)
	}
	if got := p.question(e.ID, tk.ID, q.ID); got.ReplyCount != 3 || got.Version != q.Version+3 {
		t.Errorf("question after replies: reply_count %d version %d", got.ReplyCount, got.Version)
	}
	// No replies to hidden questions from participants.
	h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"hidden": true}).want(t, 200, "")
	p.post(path, map[string]any{"body": "hidden?"}).want(t, 404, koe.ENOTFOUND)
	// Switching replies off again.
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"participant_replies": false}}).want(t, 200, "")
	q2 := p.ask(e.ID, tk.ID, "another")
	p.post(questionPath(e.ID, tk.ID, q2.ID)+"/replies", map[string]any{"body": "no"}).want(t, 403, koe.EFORBIDDEN)
}
