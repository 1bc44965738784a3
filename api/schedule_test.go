package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// pretalxTalk is one talk of a pretalx schedule written by the tests.
type pretalxTalk struct {
	ID       int
	Room     string
	Title    string
	Speaker  string
	Start    time.Time // in the schedule's zone
	Duration time.Duration
}

// pretalxSchedule writes a pretalx schedule export of the talks, times
// without an offset when bare (read in the event's zone).
func pretalxSchedule(t *testing.T, talks []pretalxTalk, bare bool) string {
	t.Helper()
	rooms := map[string][]map[string]any{}
	for _, tk := range talks {
		date := tk.Start.Format(time.RFC3339)
		if bare {
			date = tk.Start.Format("2006-01-02T15:04:05")
		}
		rooms[tk.Room] = append(rooms[tk.Room], map[string]any{
			"id": tk.ID, "guid": fmt.Sprintf("guid-%d", tk.ID), "title": tk.Title, "room": tk.Room, "date": date,
			"start": tk.Start.Format("15:04"), "duration": fmt.Sprintf("%02d:%02d", int(tk.Duration.Hours()), int(tk.Duration.Minutes())%60),
			"track": "Main", "language": "ja", "persons": []map[string]any{{"public_name": tk.Speaker}},
		})
	}
	b, err := json.Marshal(map[string]any{"schedule": map[string]any{"version": "1", "conference": map[string]any{
		"title": "PyCon JP", "days": []map[string]any{{"index": 1, "date": talks[0].Start.Format("2006-01-02"), "rooms": rooms}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type importPlan struct {
	Format      string `json:"format"`
	AssumedZone string `json:"assumed_zone"`
	Added       []struct {
		SourceID string `json:"source_id"`
		Title    string `json:"title"`
	} `json:"added"`
	Changed []struct {
		TalkID int64    `json:"talk_id"`
		Fields []string `json:"fields"`
	} `json:"changed"`
	Removed []struct {
		TalkID    int64  `json:"talk_id"`
		Questions int64  `json:"questions"`
		Action    string `json:"action"`
	} `json:"removed"`
	Unchanged int  `json:"unchanged"`
	Applied   bool `json:"applied"`
}

func (h *harness) importSchedule(eventID int64, body map[string]any) importPlan {
	h.t.Helper()
	var p importPlan
	if r := h.staff.post(eventPath(eventID)+"/schedule/import", body); r.want(h.t, 200, "") {
		r.decode(h.t, &p)
	}
	return p
}

func (h *harness) talks(eventID int64) map[string]koe.Talk {
	h.t.Helper()
	var list struct {
		Talks []koe.Talk `json:"talks"`
	}
	h.staff.get(eventPath(eventID)+"/talks").decode(h.t, &list)
	bySource := map[string]koe.Talk{}
	for _, tk := range list.Talks {
		bySource[tk.SourceID] = tk
	}
	return bySource
}

// TestScheduleImport: a pretalx schedule previewed, applied, applied
// again (nothing changes), then changed: talks are matched by the
// source's id, a removed talk with questions is flagged, one without is
// deleted (talk.deleted on the event stream), and bad schedules are
// refused with the parser's words.
func TestScheduleImport(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(map[string]any{"title": "PyCon JP", "time_zone": "Asia/Tokyo"})
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	day := time.Date(2026, 10, 10, 10, 0, 0, 0, tokyo)
	talks := []pretalxTalk{
		{1, "Hall A", "型ヒントの実践", "山田 花子", day, 30 * time.Minute},
		{2, "Hall A", "非同期 I/O の内側", "Ken Sato", day.Add(time.Hour), 45 * time.Minute},
		{3, "Hall B", "Packaging in 2026", "Ada", day, 30 * time.Minute},
	}
	data := pretalxSchedule(t, talks, true)
	hand := h.createTalk(e.ID, map[string]any{"title": "Made by hand"})

	dry := h.importSchedule(e.ID, map[string]any{"data": data, "dry_run": true})
	if dry.Format != "pretalx" || dry.AssumedZone != "Asia/Tokyo" || len(dry.Added) != 3 || dry.Applied || dry.Unchanged != 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	if n := len(h.talks(e.ID)); n != 1 {
		t.Fatalf("a dry run created talks: %d", n)
	}
	applied := h.importSchedule(e.ID, map[string]any{"data": data})
	if !applied.Applied || len(applied.Added) != 3 {
		t.Fatalf("apply: %+v", applied)
	}
	got := h.talks(e.ID)
	first := got["guid-1"]
	if first.Title != "型ヒントの実践" || first.Speaker != "山田 花子" || first.Room != "Hall A" || first.Language != "ja" ||
		first.StartsAt == nil || !first.StartsAt.Equal(day) || !first.EndsAt.Equal(day.Add(30*time.Minute)) {
		t.Errorf("imported talk: %+v", first)
	}
	if got[""].ID != hand.ID {
		t.Errorf("the talk made by hand: %+v", got[""])
	}
	again := h.importSchedule(e.ID, map[string]any{"data": data})
	if !again.Applied || len(again.Added)+len(again.Changed)+len(again.Removed) != 0 || again.Unchanged != 3 {
		t.Errorf("re-import: %+v", again)
	}
	if v := h.talks(e.ID)["guid-1"].Version; v != first.Version {
		t.Errorf("re-import bumped the version: %d, was %d", v, first.Version)
	}

	// Talk 1 gets a question; then the schedule drops talks 1 and 3,
	// moves talk 2 and adds talk 4.
	asker, _ := h.join(e.JoinCode, "Q")
	asker.ask(e.ID, first.ID, "型チェッカーはどれを？")
	snap := h.staff.get(eventPath(e.ID) + "/talks")
	var list struct {
		Stream stream `json:"stream"`
	}
	snap.decode(t, &list)
	live := subscribeWS(t, h.staff, e.ID, "event", list.Stream.Cursor)
	moved := []pretalxTalk{
		{2, "Hall B", "非同期 I/O の内側", "Ken Sato", day.Add(2 * time.Hour), 45 * time.Minute},
		{4, "Hall A", "New talk", "Grace", day.Add(3 * time.Hour), 30 * time.Minute},
	}
	plan := h.importSchedule(e.ID, map[string]any{"data": pretalxSchedule(t, moved, false)})
	second := got["guid-2"]
	if len(plan.Added) != 1 || plan.Added[0].SourceID != "guid-4" || len(plan.Changed) != 1 || plan.Changed[0].TalkID != second.ID ||
		strings.Join(plan.Changed[0].Fields, ",") != "room,starts_at,ends_at" || len(plan.Removed) != 2 || plan.AssumedZone != "" {
		t.Fatalf("change: %+v", plan)
	}
	actions := map[int64]string{}
	for _, r := range plan.Removed {
		actions[r.TalkID] = fmt.Sprintf("%s/%d", r.Action, r.Questions)
	}
	if actions[first.ID] != "flag/1" || actions[got["guid-3"].ID] != "delete/0" {
		t.Errorf("removed: %v", actions)
	}
	after := h.talks(e.ID)
	if tk := after["guid-1"]; !tk.RemovedFromSchedule {
		t.Errorf("the talk with a question is not flagged: %+v", tk)
	}
	if _, ok := after["guid-3"]; ok {
		t.Error("the talk without questions is still there")
	}
	h.staff.get(talkPath(e.ID, got["guid-3"].ID)).want(t, 404, koe.ENOTFOUND)
	types := map[string]int{}
	for len(types) < 3 {
		m := live.next()
		for _, ev := range m.Events {
			types[ev.Type]++
		}
	}
	if types["talk.deleted"] != 1 || types["talk.created"] != 1 || types["talk.updated"] != 2 {
		t.Errorf("event stream: %v", types)
	}

	// Refusals.
	for _, c := range []struct {
		body  map[string]any
		field string
		says  string
	}{
		{map[string]any{"data": `{"schedule":`}, "data", "JSON"},
		{map[string]any{"data": `{"talks":[]}`}, "data", "not a pretalx, frab or Sessionize schedule"},
		{map[string]any{"data": `{"sessions":[]}`}, "data", "would remove all"},
		{map[string]any{"data": data, "url": "https://example.com/s.json"}, "data", "one of them"},
		{map[string]any{}, "data", "one of them"},
		{map[string]any{"url": "ftp://example.com/s.json"}, "url", "http(s)"},
	} {
		r := h.staff.post(eventPath(e.ID)+"/schedule/import", c.body)
		var body struct {
			Error struct {
				Field string `json:"field"`
			} `json:"error"`
		}
		if r.want(t, 400, koe.EINVALID) {
			r.decode(t, &body)
			if body.Error.Field != c.field || !strings.Contains(r.errorMessage(), c.says) {
				t.Errorf("%v: field %q, message %q", c.body, body.Error.Field, r.errorMessage())
			}
		}
	}
	if n := len(h.talks(e.ID)); n != len(after) {
		t.Errorf("a refused import changed the talks: %d, want %d", n, len(after))
	}
}

// TestScheduleURL: a Sessionize schedule kept by URL is fetched by the
// schedule runner when due, conditionally (a 304 changes nothing), and
// what changed is applied; a failing fetch is recorded, not applied.
func TestScheduleURL(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	start := time.Now().UTC().Truncate(time.Second)
	clock.Store(&start)
	h := newHarness(t, withClock(func() time.Time { return *clock.Load() }))
	advance := func(d time.Duration) {
		next := clock.Load().Add(d)
		clock.Store(&next)
	}
	e := h.createEvent(map[string]any{"title": "DevFest", "time_zone": "Europe/Berlin"})
	var mu sync.Mutex
	sessions := `{"sessions":[{"id":"101","title":"Kotlin at scale","startsAt":"2026-11-07T10:00:00","endsAt":"2026-11-07T10:40:00","roomId":1,"speakers":["s1"],"categoryItems":[]}],
		"speakers":[{"id":"s1","fullName":"Jane Doe"}],"rooms":[{"id":1,"name":"Saal 1"}],"categories":[]}`
	etag, fetches, conditional, fail := `"v1"`, 0, 0, false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		if fail {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if r.Header.Get("If-None-Match") == etag {
			conditional++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		_, _ = w.Write([]byte(sessions))
	}))
	defer srv.Close()
	url := srv.URL + "/api/v2/abc/view/All"

	plan := h.importSchedule(e.ID, map[string]any{"url": url})
	if plan.Format != "sessionize" || len(plan.Added) != 1 || plan.AssumedZone != "Europe/Berlin" {
		t.Fatalf("import by URL: %+v", plan)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if tk := h.talks(e.ID)["101"]; tk.Room != "Saal 1" || tk.Speaker != "Jane Doe" || !tk.StartsAt.Equal(time.Date(2026, 11, 7, 10, 0, 0, 0, berlin)) {
		t.Errorf("talk: %+v", tk)
	}
	h.staff.put(eventPath(e.ID)+"/schedule/source", map[string]any{"url": url, "refresh_minutes": 3}).want(t, 400, koe.EINVALID)
	h.staff.put(eventPath(e.ID)+"/schedule/source", map[string]any{"url": url, "refresh_minutes": 10}).want(t, 200, "")

	tick := func() {
		t.Helper()
		if err := h.act.ScheduleTick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	source := func() koe.ScheduleSource {
		t.Helper()
		var s koe.ScheduleSource
		h.staff.get(eventPath(e.ID)+"/schedule/source").decode(t, &s)
		return s
	}
	tick() // never checked: due at once
	mu.Lock()
	if fetches != 2 || conditional != 0 {
		t.Errorf("after the first tick: %d fetches, %d conditional", fetches, conditional)
	}
	mu.Unlock()
	s := source()
	if s.CheckedAt == nil || s.ChangedAt != nil || s.Error != "" {
		t.Errorf("after an unchanged fetch: %+v", s)
	}
	tick() // not due yet
	advance(10 * time.Minute)
	tick() // due: a 304
	mu.Lock()
	if fetches != 3 || conditional != 1 {
		t.Errorf("after the second due tick: %d fetches, %d conditional", fetches, conditional)
	}
	sessions = strings.Replace(sessions, "Kotlin at scale", "Kotlin at scale (updated)", 1)
	etag = `"v2"`
	mu.Unlock()
	advance(10 * time.Minute)
	tick()
	if tk := h.talks(e.ID)["101"]; tk.Title != "Kotlin at scale (updated)" {
		t.Errorf("the refresh did not apply: %+v", tk)
	}
	if s := source(); s.ChangedAt == nil || !s.ChangedAt.Equal(*clock.Load()) {
		t.Errorf("changed_at: %+v", s)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	advance(10 * time.Minute)
	tick()
	if s := source(); !strings.Contains(s.Error, "502") {
		t.Errorf("a failed fetch: %+v", s)
	}
	h.staff.del(eventPath(e.ID)+"/schedule/source").want(t, 204, "")
	h.staff.get(eventPath(e.ID)+"/schedule/source").want(t, 404, koe.ENOTFOUND)
}

// TestScheduleFollows: with an injected clock, the schedule runner opens
// each talk's Q&A ten minutes before its start and closes it fifteen
// after its end; a person's open or close wins until they give it back;
// the room screens follow the talks on.
func TestScheduleFollows(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	day := time.Date(2026, 10, 10, 10, 0, 0, 0, tokyo)
	at := func(d time.Duration) { v := day.Add(d); clock.Store(&v) }
	at(-time.Hour)
	h := newHarness(t, withClock(func() time.Time { return *clock.Load() }))
	e := h.createEvent(map[string]any{"title": "PyCon JP", "time_zone": "Asia/Tokyo"})
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"participant_replies": false, "participant_sign_in": false,
		"qa_schedule": map[string]any{"follow": true, "opens_before_min": 10, "closes_after_min": 15}}}).want(t, 200, "")
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"qa_schedule": map[string]any{"follow": true, "opens_before_min": 241, "closes_after_min": 0}}}, docRejects).want(t, 400, koe.EINVALID)
	h.importSchedule(e.ID, map[string]any{"data": pretalxSchedule(t, []pretalxTalk{
		{1, "Hall A", "First", "A", day, 30 * time.Minute},
		{2, "Hall A", "Second", "B", day.Add(time.Hour), 30 * time.Minute},
		{3, "Hall B", "Elsewhere", "C", day, 90 * time.Minute},
	}, false)})
	talks := h.talks(e.ID)
	first, second := talks["guid-1"], talks["guid-2"]
	if first.QAOpen || second.QAOpen {
		t.Fatalf("imported an hour early, Q&A open: %v %v", first.QAOpen, second.QAOpen)
	}
	open := func(tk koe.Talk) bool {
		t.Helper()
		var got koe.Talk
		h.staff.get(talkPath(e.ID, tk.ID)).decode(t, &got)
		return got.QAOpen
	}
	tick := func(d time.Duration) {
		t.Helper()
		at(d)
		if err := h.act.ScheduleTick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	type rooms struct {
		Now   time.Time  `json:"now"`
		Rooms []koe.Room `json:"rooms"`
	}
	room := func(name string) koe.Room {
		t.Helper()
		var rs rooms
		h.client("").get(eventPath(e.ID)+"/rooms", unchecked).want(t, 401, koe.EUNAUTHORIZED)
		h.staff.get(eventPath(e.ID)+"/rooms").decode(t, &rs)
		for _, r := range rs.Rooms {
			if r.Name == name {
				return r
			}
		}
		t.Fatalf("no room %q in %+v", name, rs)
		return koe.Room{}
	}
	if r := room("Hall A"); r.TalkID != first.ID || r.NextTalkID != second.ID {
		t.Errorf("Hall A before the day: %+v", r)
	}

	tick(-11 * time.Minute)
	if open(first) {
		t.Error("open 11 minutes before")
	}
	var list struct {
		Stream stream `json:"stream"`
	}
	h.staff.get(eventPath(e.ID)+"/talks").decode(t, &list)
	audience, _ := h.join(e.JoinCode, "")
	live := subscribeWS(t, audience, e.ID, "event", list.Stream.Cursor)
	if m := live.next(); m.Type != "subscribed" {
		t.Fatalf("subscribing: %s", m.raw)
	}
	tick(-10 * time.Minute)
	if !open(first) || open(second) {
		t.Error("10 minutes before the first talk: want only its Q&A open")
	}
	// The audience hears it on the event's stream (after the talks'
	// creation when the relay was behind the snapshot; with the Hall B
	// talk's opening when it came in the same frame).
	heard := false
	for range 4 {
		for _, ev := range live.next().Events {
			heard = heard || ev.Type == "talk.updated" && strings.Contains(string(ev.Data), fmt.Sprintf(`"id":%d,`, first.ID)) &&
				strings.Contains(string(ev.Data), `"qa_open":true`)
		}
		if heard {
			break
		}
	}
	if !heard {
		t.Error("the first talk's opening is not on the event stream")
	}
	tick(44 * time.Minute) // the first ended at :30, closes at :45
	if !open(first) {
		t.Error("closed before 15 minutes after its end")
	}
	if r := room("Hall A"); r.TalkID != first.ID || r.NextTalkID != second.ID || r.SwitchAt == nil || !r.SwitchAt.Equal(day.Add(50*time.Minute)) {
		t.Errorf("Hall A at 10:44: %+v", r)
	}
	tick(50 * time.Minute)
	if open(first) || !open(second) {
		t.Error("at 10:50: the first closes at 10:45, the second opens at 10:50")
	}
	if r := room("Hall A"); r.TalkID != second.ID || r.NextTalkID != 0 || r.SwitchAt != nil {
		t.Errorf("Hall A at 10:50: %+v", r)
	}

	// A person closes the second talk's Q&A: the schedule leaves it.
	var tk koe.Talk
	h.staff.patch(talkPath(e.ID, second.ID), map[string]any{"qa_open": false}).decode(t, &tk)
	if tk.QAOpen || !tk.QAManual {
		t.Errorf("closed by hand: %+v", tk)
	}
	tick(55 * time.Minute)
	if open(second) {
		t.Error("the schedule reopened a talk closed by hand")
	}
	h.staff.patch(talkPath(e.ID, second.ID), map[string]any{"qa_manual": false}).decode(t, &tk)
	if !tk.QAOpen || tk.QAManual {
		t.Errorf("given back to the schedule at 10:55: %+v", tk)
	}
	tick(2 * time.Hour)
	if open(first) || open(second) || open(talks["guid-3"]) {
		t.Error("after the day: every Q&A closed")
	}
	if r := room("Hall B"); r.TalkID != talks["guid-3"].ID {
		t.Errorf("Hall B: %+v", r)
	}
}
