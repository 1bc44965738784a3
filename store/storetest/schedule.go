package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// The schedule (ScheduleStore) and the report (ReportStore).

var jst = time.FixedZone("JST", 9*60*60)

// sameJSON reports whether raw is the JSON of want, whatever the order
// of keys.
func sameJSON(raw json.RawMessage, want any) bool {
	var g, w any
	if err := json.Unmarshal(raw, &g); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(mustJSON(want)), &w); err != nil {
		return false
	}
	return mustJSON(g) == mustJSON(w)
}

// readTalk returns the talk as the store has it.
func readTalk(t *testing.T, s koe.Store, eventID, talkID int64) *koe.Talk {
	t.Helper()
	got, err := s.Talk(t.Context(), eventID, talkID)
	must(t, fmt.Sprintf("Talk(%d)", talkID), err)
	return got
}

// scheduledTalk creates a talk of an imported schedule.
func scheduledTalk(t *testing.T, s koe.Store, eventID int64, sourceID, room string) *koe.Talk {
	t.Helper()
	tk := &koe.Talk{EventID: eventID, Title: "Talk " + sourceID, Speaker: "Speaker", Room: room, Language: "en", SourceID: sourceID, QAOpen: true}
	must(t, "CreateTalk("+sourceID+")", s.CreateTalk(t.Context(), tk))
	return tk
}

// testTalkScheduleFields: a talk's room, language, source id, manual flag
// and removed flag are kept, changed by UpdateTalk and recorded.
func testTalkScheduleFields(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "fields")
	start := head(t, s)
	tk := &koe.Talk{EventID: e.ID, Title: "Keynote", Speaker: "Rob", Track: "Main", Room: "Hall A", Language: "ja",
		SourceID: "pretalx-42", QAOpen: true}
	must(t, "CreateTalk", s.CreateTalk(ctx, tk))
	if tk.ID == 0 || tk.Version != 1 || tk.Room != "Hall A" || tk.Language != "ja" || tk.SourceID != "pretalx-42" || tk.QAManual || tk.RemovedFromSchedule {
		t.Errorf("CreateTalk = %+v", tk)
	}
	same(t, "Talk", readTalk(t, s, e.ID, tk.ID), tk)
	talks, err := s.Talks(ctx, e.ID)
	must(t, "Talks", err)
	same(t, "Talks", talks, []*koe.Talk{tk})

	u1, err := s.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{Room: ptr("Hall B"), Language: ptr("en")})
	must(t, "UpdateTalk(room, language)", err)
	want := *tk
	want.Room, want.Language, want.Version, want.UpdatedAt = "Hall B", "en", 2, u1.UpdatedAt
	same(t, "UpdateTalk(room, language)", u1, &want)
	checkTime(t, "UpdatedAt", u1.UpdatedAt)
	u2, err := s.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{QAManual: ptr(true), QAOpen: ptr(false)})
	must(t, "UpdateTalk(manual)", err)
	if !u2.QAManual || u2.QAOpen || u2.Version != 3 || u2.Room != "Hall B" {
		t.Errorf("UpdateTalk(manual) = %+v", u2)
	}
	u3, err := s.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{RemovedFromSchedule: ptr(true)})
	must(t, "UpdateTalk(removed)", err)
	if !u3.RemovedFromSchedule || !u3.QAManual || u3.Version != 4 || u3.SourceID != "pretalx-42" {
		t.Errorf("UpdateTalk(removed) = %+v", u3)
	}
	same(t, "Talk after the updates", readTalk(t, s, e.ID, tk.ID), u3)

	// Nothing changes: no version, no change.
	h := head(t, s)
	same4, err := s.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{Room: ptr("Hall B"), Language: ptr("en"), QAManual: ptr(true), RemovedFromSchedule: ptr(true)})
	must(t, "UpdateTalk(same)", err)
	same(t, "UpdateTalk(same)", same4, u3)
	if got := readAll(t, s, h); len(got) != 0 {
		t.Errorf("an update that changes nothing recorded %d changes", len(got))
	}

	// Back: both flags cleared.
	u5, err := s.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{QAManual: ptr(false), RemovedFromSchedule: ptr(false), Room: ptr("")})
	must(t, "UpdateTalk(clear)", err)
	if u5.QAManual || u5.RemovedFromSchedule || u5.Room != "" || u5.Version != 5 {
		t.Errorf("UpdateTalk(clear) = %+v", u5)
	}

	got := readAll(t, s, start)
	wantChanges := []struct {
		typ          koe.ChangeType
		data, before *koe.Talk
	}{
		{koe.TalkCreated, tk, nil},
		{koe.TalkUpdated, u1, tk},
		{koe.TalkUpdated, u2, u1},
		{koe.TalkUpdated, u3, u2},
		{koe.TalkUpdated, u5, u3},
	}
	if len(got) != len(wantChanges) {
		for _, c := range got {
			t.Logf("recorded %s %s", c.Type, c.Data)
		}
		t.Fatalf("recorded %d changes, want %d", len(got), len(wantChanges))
	}
	for i, w := range wantChanges {
		c := got[i]
		if c.Type != w.typ || c.EventID != e.ID || c.TalkID != tk.ID || c.Visibility != koe.VisiblePublic {
			t.Errorf("change %d: %s event %d talk %d %s; want %s event %d talk %d public", i, c.Type, c.EventID, c.TalkID, c.Visibility, w.typ, e.ID, tk.ID)
		}
		if !sameJSON(c.Data, w.data) {
			t.Errorf("change %d (%s): data\n got  %s\n want %s", i, w.typ, c.Data, mustJSON(w.data))
		}
		if w.before != nil && !sameJSON(c.Before, w.before) {
			t.Errorf("change %d (%s): before\n got  %s\n want %s", i, w.typ, c.Before, mustJSON(w.before))
		}
	}
}

// testApplySchedule: a plan is carried out whole, each talk's change
// recorded, or not at all.
func testApplySchedule(t *testing.T, s koe.Store) {
	ctx := t.Context()
	at := time.Date(2030, 5, 17, 10, 0, 0, 123456000, time.UTC)
	staffActor := koe.Actor{Kind: koe.ActorStaff, ID: 7, Via: koe.ViaSession, Addr: "192.0.2.9"}
	staff := koe.WithOrigin(ctx, koe.Origin{Actor: staffActor, At: at})

	e := newEvent(t, s, "schedule")
	other := newEvent(t, s, "schedule-other")
	keep := scheduledTalk(t, s, e.ID, "s1", "Hall A")
	change := scheduledTalk(t, s, e.ID, "s2", "Hall A")
	gone := scheduledTalk(t, s, e.ID, "s3", "Hall B")
	goneBusy := scheduledTalk(t, s, e.ID, "s4", "Hall B") // reactions and a peak
	asked := scheduledTalk(t, s, e.ID, "s5", "Hall C")
	manual := newTalk(t, s, e.ID, nil)
	elsewhere := scheduledTalk(t, s, other.ID, "s1", "Hall A")
	q := newQuestion(t, s, asked, newParticipant(t, s, e.ID), "Kept?")
	must(t, "AddReactions", s.AddReactions(ctx, e.ID, goneBusy.ID, map[string]int64{"👏": 3}))
	minute := time.Date(2030, 5, 17, 9, 0, 0, 0, time.UTC)
	must(t, "RecordPresence", s.RecordPresence(ctx, e.ID, goneBusy.ID, minute, 12))
	must(t, "RecordPresence", s.RecordPresence(ctx, e.ID, keep.ID, minute, 4))

	// Nothing at all.
	h := head(t, s)
	must(t, "ApplySchedule(empty)", s.ApplySchedule(staff, e.ID, &koe.SchedulePlan{}))
	// Updates that change nothing.
	must(t, "ApplySchedule(no change)", s.ApplySchedule(staff, e.ID, &koe.SchedulePlan{Update: []koe.TalkChange{
		{TalkID: keep.ID, Update: koe.TalkUpdate{Title: ptr(keep.Title), Room: ptr(keep.Room)}},
	}}))
	if got := readAll(t, s, h); len(got) != 0 {
		t.Errorf("an empty plan and one that changes nothing recorded %d changes", len(got))
	}
	same(t, "talk after an update that changes nothing", readTalk(t, s, e.ID, keep.ID), keep)

	// Plans that fail leave everything as it was.
	before, err := s.Talks(ctx, e.ID)
	must(t, "Talks", err)
	beforeOther, err := s.Talks(ctx, other.ID)
	must(t, "Talks(other)", err)
	fresh := func(sourceID string) *koe.Talk {
		return &koe.Talk{EventID: e.ID, Title: "New " + sourceID, Speaker: "New", Room: "Hall D", Language: "ja", SourceID: sourceID, QAOpen: true}
	}
	retitle := koe.TalkChange{TalkID: change.ID, Update: koe.TalkUpdate{Title: ptr("Never")}}
	for _, f := range []struct {
		name string
		plan *koe.SchedulePlan
		code string
	}{
		{"delete of a talk with a question", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1")}, Update: []koe.TalkChange{retitle},
			Delete: []int64{gone.ID, asked.ID}}, koe.ECONFLICT},
		{"created source id the event has", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1"), fresh("s1")}, Update: []koe.TalkChange{retitle},
			Delete: []int64{gone.ID}}, koe.ECONFLICT},
		{"created source id twice", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1"), fresh("n1")}, Update: []koe.TalkChange{retitle}}, koe.ECONFLICT},
		{"update of another event's talk", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1")}, Update: []koe.TalkChange{retitle,
			{TalkID: elsewhere.ID, Update: koe.TalkUpdate{Title: ptr("Moved")}}}, Delete: []int64{gone.ID}}, koe.ENOTFOUND},
		{"delete of another event's talk", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1")}, Update: []koe.TalkChange{retitle},
			Delete: []int64{gone.ID, elsewhere.ID}}, koe.ENOTFOUND},
		{"update of a missing talk", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1")}, Update: []koe.TalkChange{retitle,
			{TalkID: manual.ID + 1000, Update: koe.TalkUpdate{Title: ptr("Ghost")}}}}, koe.ENOTFOUND},
		{"delete of a missing talk", &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1")}, Update: []koe.TalkChange{retitle},
			Delete: []int64{gone.ID, manual.ID + 1000}}, koe.ENOTFOUND},
	} {
		h := head(t, s)
		wantCode(t, "ApplySchedule("+f.name+")", s.ApplySchedule(staff, e.ID, f.plan), f.code)
		if got := readAll(t, s, h); len(got) != 0 {
			for _, c := range got {
				t.Logf("recorded %s %s", c.Type, c.Data)
			}
			t.Errorf("ApplySchedule(%s) failed but recorded %d changes", f.name, len(got))
		}
		now, err := s.Talks(ctx, e.ID)
		must(t, "Talks", err)
		same(t, "talks after ApplySchedule("+f.name+")", now, before)
		nowOther, err := s.Talks(ctx, other.ID)
		must(t, "Talks(other)", err)
		same(t, "other event's talks after ApplySchedule("+f.name+")", nowOther, beforeOther)
	}
	wantCode(t, "ApplySchedule(missing event)", s.ApplySchedule(staff, other.ID+1000, &koe.SchedulePlan{Create: []*koe.Talk{
		{EventID: other.ID + 1000, Title: "Lost", SourceID: "lost"}}}), koe.ENOTFOUND)

	// The plan that works: two created, two updated (one flagged removed),
	// two deleted.
	nine := time.Date(2030, 5, 17, 9, 0, 0, 999, jst)
	n1 := fresh("n1")
	n1.StartsAt, n1.EndsAt, n1.Track = &nine, ptr(nine.Add(45*time.Minute)), "Main"
	n2 := fresh("n2")
	n2.QAOpen = false
	asBefore := map[int64]*koe.Talk{}
	for _, tk := range []*koe.Talk{change, asked, gone, goneBusy} {
		asBefore[tk.ID] = readTalk(t, s, e.ID, tk.ID)
	}
	start := head(t, s)
	plan := &koe.SchedulePlan{
		Create: []*koe.Talk{n1, n2},
		Update: []koe.TalkChange{
			{TalkID: change.ID, Update: koe.TalkUpdate{Title: ptr("Changed"), Room: ptr("Hall Z"), Language: ptr("ja")}},
			{TalkID: keep.ID, Update: koe.TalkUpdate{Title: ptr(keep.Title)}},
			{TalkID: asked.ID, Update: koe.TalkUpdate{RemovedFromSchedule: ptr(true)}},
		},
		Delete: []int64{gone.ID, goneBusy.ID},
	}
	must(t, "ApplySchedule", s.ApplySchedule(staff, e.ID, plan))
	for i, c := range []*koe.Talk{n1, n2} {
		if c.ID == 0 || c.Version != 1 || c.EventID != e.ID || c.HighlightedQuestionID != 0 {
			t.Errorf("created talk %d = %+v; want an id, version 1, event %d", i, c, e.ID)
		}
		checkTime(t, "created talk's CreatedAt", c.CreatedAt)
		same(t, fmt.Sprintf("created talk %d read back", i), readTalk(t, s, e.ID, c.ID), c)
	}
	if n1.ID == n2.ID || n1.Title != "New n1" || n1.SourceID != "n1" || n1.Room != "Hall D" || n1.Language != "ja" || n1.Track != "Main" || !n1.QAOpen ||
		n1.StartsAt == nil || !n1.StartsAt.Equal(nine.Truncate(time.Microsecond)) || n1.EndsAt == nil || n2.SourceID != "n2" || n2.QAOpen {
		t.Errorf("created talks %+v, %+v; want the plan's fields", n1, n2)
	}
	if n1.StartsAt != nil && (n1.StartsAt.Location() != time.UTC || n1.StartsAt.Nanosecond()%1000 != 0) {
		t.Errorf("created talk's StartsAt %v; want UTC in microseconds", n1.StartsAt)
	}
	changed := readTalk(t, s, e.ID, change.ID)
	wantChanged := *asBefore[change.ID]
	wantChanged.Title, wantChanged.Room, wantChanged.Language, wantChanged.Version, wantChanged.UpdatedAt = "Changed", "Hall Z", "ja", 2, changed.UpdatedAt
	same(t, "updated talk", changed, &wantChanged)
	flagged := readTalk(t, s, e.ID, asked.ID)
	if !flagged.RemovedFromSchedule || flagged.Version != 2 {
		t.Errorf("flagged talk = %+v; want removed_from_schedule at version 2", flagged)
	}
	same(t, "talk whose update changes nothing", readTalk(t, s, e.ID, keep.ID), keep)
	for _, id := range []int64{gone.ID, goneBusy.ID} {
		_, err := s.Talk(ctx, e.ID, id)
		wantCode(t, fmt.Sprintf("Talk(deleted %d)", id), err, koe.ENOTFOUND)
	}
	talks, err := s.Talks(ctx, e.ID)
	must(t, "Talks", err)
	// By start, unscheduled last, then id.
	same(t, "Talks after ApplySchedule", talks, []*koe.Talk{n1, keep, changed, flagged, manual, n2})
	if got, err := s.Question(ctx, e.ID, asked.ID, q.ID, 0); err != nil || got.ID != q.ID {
		t.Errorf("the question of the flagged talk: %+v, %v", got, err)
	}
	if totals, err := s.Reactions(ctx, e.ID, goneBusy.ID); koe.ErrorCode(err) != koe.ENOTFOUND && (err != nil || len(totals) != 0) {
		t.Errorf("Reactions(deleted talk) = %v, %v; want none", totals, err)
	}
	peaks, err := s.PresencePeaks(ctx, e.ID)
	must(t, "PresencePeaks", err)
	same(t, "PresencePeaks after deleting a talk", peaks, []koe.PresencePeak{{TalkID: keep.ID, Minute: minute, Peak: 4}})
	if got, err := s.Talk(ctx, other.ID, elsewhere.ID); err != nil {
		t.Errorf("other event's talk: %v", err)
	} else {
		same(t, "other event's talk", got, elsewhere)
	}

	// The changes: one per talk, each of its kind in the plan's order.
	got := readAll(t, s, start)
	type rec struct {
		talk         int64
		data, before *koe.Talk
	}
	wantByType := map[koe.ChangeType][]rec{
		koe.TalkCreated: {{n1.ID, n1, nil}, {n2.ID, n2, nil}},
		koe.TalkUpdated: {{change.ID, changed, asBefore[change.ID]}, {asked.ID, flagged, asBefore[asked.ID]}},
		koe.TalkDeleted: {{gone.ID, asBefore[gone.ID], nil}, {goneBusy.ID, asBefore[goneBusy.ID], nil}},
	}
	if len(got) != 6 {
		for _, c := range got {
			t.Logf("recorded %s %s", c.Type, c.Data)
		}
		t.Fatalf("ApplySchedule recorded %d changes, want 6", len(got))
	}
	seen := map[koe.ChangeType]int{}
	for i, c := range got {
		ws := wantByType[c.Type]
		if seen[c.Type] >= len(ws) {
			t.Errorf("change %d: unexpected %s %s", i, c.Type, c.Data)
			continue
		}
		w := ws[seen[c.Type]]
		seen[c.Type]++
		what := fmt.Sprintf("change %d (%s of talk %d)", i, c.Type, w.talk)
		if c.EventID != e.ID || c.TalkID != w.talk || c.Visibility != koe.VisiblePublic {
			t.Errorf("%s: event %d talk %d %s; want event %d talk %d public", what, c.EventID, c.TalkID, c.Visibility, e.ID, w.talk)
		}
		if c.Actor != staffActor || !c.At.Equal(at) {
			t.Errorf("%s: actor %+v at %v; want %+v at %v", what, c.Actor, c.At, staffActor, at)
		}
		if !sameJSON(c.Data, w.data) {
			t.Errorf("%s: data\n got  %s\n want %s", what, c.Data, mustJSON(w.data))
		}
		if w.before != nil && !sameJSON(c.Before, w.before) {
			t.Errorf("%s: before\n got  %s\n want %s", what, c.Before, mustJSON(w.before))
		}
		if i > 0 && !got[i-1].Pos.Before(c.Pos) {
			t.Errorf("%s: position %v not after %v", what, c.Pos, got[i-1].Pos)
		}
	}

	// A talk deleted is gone for good: deleting it again is not found,
	// and its source id is free; another event may use the same source
	// ids.
	h = head(t, s)
	wantCode(t, "ApplySchedule(delete again)", s.ApplySchedule(staff, e.ID, &koe.SchedulePlan{Delete: []int64{gone.ID}}), koe.ENOTFOUND)
	wantCode(t, "ApplySchedule(created source id made by an import)", s.ApplySchedule(staff, e.ID, &koe.SchedulePlan{Create: []*koe.Talk{fresh("n1")}}), koe.ECONFLICT)
	if got := readAll(t, s, h); len(got) != 0 {
		t.Errorf("failed plans recorded %d changes", len(got))
	}
	back := fresh("s3")
	must(t, "ApplySchedule(source id of a deleted talk)", s.ApplySchedule(staff, e.ID, &koe.SchedulePlan{Create: []*koe.Talk{back}}))
	if back.ID == 0 || back.ID == gone.ID || back.SourceID != "s3" {
		t.Errorf("talk created again = %+v; want a new talk", back)
	}
	reused := &koe.Talk{EventID: other.ID, Title: "Same id elsewhere", SourceID: "n1"}
	must(t, "ApplySchedule(other event, same source id)", s.ApplySchedule(staff, other.ID, &koe.SchedulePlan{Create: []*koe.Talk{reused}}))
	if reused.ID == 0 || reused.EventID != other.ID {
		t.Errorf("created talk in the other event = %+v", reused)
	}
}

// sameSource compares every field of two schedule sources, those not in
// their JSON too.
func sameSource(t *testing.T, what string, got, want *koe.ScheduleSource) {
	t.Helper()
	same(t, what, got, want)
	if got != nil && want != nil && (got.ETag != want.ETag || got.LastModified != want.LastModified) {
		t.Errorf("%s: ETag %q, Last-Modified %q; want %q, %q", what, got.ETag, got.LastModified, want.ETag, want.LastModified)
	}
}

func testScheduleSources(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "sources")
	other := newEvent(t, s, "sources-other")
	none := newEvent(t, s, "sources-none")

	_, err := s.ScheduleSource(ctx, e.ID)
	wantCode(t, "ScheduleSource(none yet)", err, koe.ENOTFOUND)
	list, err := s.ScheduleSources(ctx)
	must(t, "ScheduleSources(none)", err)
	if len(list) != 0 {
		t.Errorf("ScheduleSources before any = %+v", list)
	}

	checked := time.Date(2030, 5, 17, 10, 0, 0, 123456789, jst)
	changed := checked.Add(-time.Hour)
	src := &koe.ScheduleSource{EventID: e.ID, URL: "https://pretalx.example/conf/schedule.json", RefreshMinutes: 15,
		ETag: `"abc"`, LastModified: "Wed, 21 Oct 2015 07:28:00 GMT", CheckedAt: &checked, ChangedAt: &changed, Error: "HTTP 502"}
	must(t, "SaveScheduleSource", s.SaveScheduleSource(ctx, &koe.ScheduleSource{EventID: src.EventID, URL: src.URL, RefreshMinutes: src.RefreshMinutes,
		ETag: src.ETag, LastModified: src.LastModified, CheckedAt: src.CheckedAt, ChangedAt: src.ChangedAt, Error: src.Error}))
	got, err := s.ScheduleSource(ctx, e.ID)
	must(t, "ScheduleSource", err)
	checkTime(t, "CreatedAt", got.CreatedAt)
	want := *src
	want.CheckedAt = ptr(time.Date(2030, 5, 17, 1, 0, 0, 123456000, time.UTC))
	want.ChangedAt = ptr(time.Date(2030, 5, 17, 0, 0, 0, 123456000, time.UTC))
	want.CreatedAt = got.CreatedAt
	sameSource(t, "ScheduleSource", got, &want)
	created := got.CreatedAt

	// Saving again replaces every field, CreatedAt aside.
	repl := &koe.ScheduleSource{EventID: e.ID, URL: "https://sessionize.example/api/v2/x/view/All", RefreshMinutes: 0,
		CreatedAt: created.Add(-48 * time.Hour)}
	must(t, "SaveScheduleSource(replace)", s.SaveScheduleSource(ctx, repl))
	got, err = s.ScheduleSource(ctx, e.ID)
	must(t, "ScheduleSource(replaced)", err)
	sameSource(t, "ScheduleSource(replaced)", got, &koe.ScheduleSource{EventID: e.ID, URL: repl.URL, CreatedAt: created})
	// And back to values, again keeping CreatedAt.
	back := &koe.ScheduleSource{EventID: e.ID, URL: src.URL, RefreshMinutes: 60, ETag: "W/\"x\"", CheckedAt: &checked}
	must(t, "SaveScheduleSource(again)", s.SaveScheduleSource(ctx, back))
	got, err = s.ScheduleSource(ctx, e.ID)
	must(t, "ScheduleSource(again)", err)
	sameSource(t, "ScheduleSource(again)", got, &koe.ScheduleSource{EventID: e.ID, URL: src.URL, RefreshMinutes: 60, ETag: "W/\"x\"",
		CheckedAt: want.CheckedAt, CreatedAt: created})
	mine := got

	theirs := &koe.ScheduleSource{EventID: other.ID, URL: "https://frab.example/schedule.json", RefreshMinutes: 5}
	must(t, "SaveScheduleSource(other)", s.SaveScheduleSource(ctx, theirs))
	theirsRead, err := s.ScheduleSource(ctx, other.ID)
	must(t, "ScheduleSource(other)", err)
	checkTime(t, "other's CreatedAt", theirsRead.CreatedAt)
	sameSource(t, "ScheduleSource(other)", theirsRead, &koe.ScheduleSource{EventID: other.ID, URL: theirs.URL, RefreshMinutes: 5, CreatedAt: theirsRead.CreatedAt})
	_, err = s.ScheduleSource(ctx, none.ID)
	wantCode(t, "ScheduleSource(event without one)", err, koe.ENOTFOUND)
	wantCode(t, "SaveScheduleSource(missing event)", s.SaveScheduleSource(ctx, &koe.ScheduleSource{EventID: none.ID + 1000, URL: src.URL}), koe.ENOTFOUND)

	list, err = s.ScheduleSources(ctx)
	must(t, "ScheduleSources", err)
	sort.Slice(list, func(i, j int) bool { return list[i].EventID < list[j].EventID })
	if len(list) != 2 {
		t.Fatalf("ScheduleSources = %d sources, want 2", len(list))
	}
	sameSource(t, "ScheduleSources[0]", list[0], mine)
	sameSource(t, "ScheduleSources[1]", list[1], theirsRead)

	must(t, "DeleteScheduleSource", s.DeleteScheduleSource(ctx, e.ID))
	_, err = s.ScheduleSource(ctx, e.ID)
	wantCode(t, "ScheduleSource(deleted)", err, koe.ENOTFOUND)
	must(t, "DeleteScheduleSource(again)", s.DeleteScheduleSource(ctx, e.ID))
	must(t, "DeleteScheduleSource(never had one)", s.DeleteScheduleSource(ctx, none.ID))
	list, err = s.ScheduleSources(ctx)
	must(t, "ScheduleSources after delete", err)
	if len(list) != 1 {
		t.Fatalf("ScheduleSources after delete = %d sources, want 1", len(list))
	}
	sameSource(t, "ScheduleSources after delete", list[0], theirsRead)

	// A new source after a delete is new: its CreatedAt is its own.
	must(t, "SaveScheduleSource(after delete)", s.SaveScheduleSource(ctx, &koe.ScheduleSource{EventID: e.ID, URL: src.URL}))
	got, err = s.ScheduleSource(ctx, e.ID)
	must(t, "ScheduleSource(after delete)", err)
	checkTime(t, "CreatedAt after delete", got.CreatedAt)
	if got.CreatedAt.Before(created) {
		t.Errorf("CreatedAt of a source saved after delete %v, before the first's %v", got.CreatedAt, created)
	}
}

// heldQuestion asks a question in tk held for review (pending).
func heldQuestion(t *testing.T, s koe.Store, tk *koe.Talk, p *koe.Participant, body string) (*koe.Question, *koe.Review) {
	t.Helper()
	return pending(t, s, scene{event: &koe.Event{ID: tk.EventID}, talk: tk}, p, body)
}

// rejectedQuestion asks a question koe rejected at once.
func rejectedQuestion(t *testing.T, s koe.Store, tk *koe.Talk, p *koe.Participant, body string) *koe.Question {
	t.Helper()
	rev := &koe.Review{EventID: tk.EventID, TalkID: tk.ID, ParticipantID: p.ID, Body: body, State: koe.ReviewRejected,
		Reasons: []byte(`[]`), Decision: &koe.ReviewDecision{Decision: koe.ReviewRejected, By: "koe"}}
	q := &koe.Question{EventID: tk.EventID, TalkID: tk.ID, ParticipantID: p.ID, Body: body, Status: koe.StatusRejected}
	must(t, "CreateQuestion(rejected)", s.CreateQuestion(t.Context(), q, rev))
	return q
}

// flaggedQuestion asks a visible question with a flagged review.
func flaggedQuestion(t *testing.T, s koe.Store, tk *koe.Talk, p *koe.Participant, body string) *koe.Question {
	t.Helper()
	rev := &koe.Review{EventID: tk.EventID, TalkID: tk.ID, ParticipantID: p.ID, Body: body, State: koe.ReviewFlagged,
		Reasons: []byte(`[{"kind":"words","name":"watch","action":"flag"}]`)}
	q := &koe.Question{EventID: tk.EventID, TalkID: tk.ID, ParticipantID: p.ID, Body: body, Status: koe.StatusApproved}
	must(t, "CreateQuestion(flagged)", s.CreateQuestion(t.Context(), q, rev))
	return q
}

// reply writes a reply by p under q, held for review when pending.
func reply(t *testing.T, s koe.Store, q *koe.Question, p *koe.Participant, status koe.Status) *koe.Review {
	t.Helper()
	r := &koe.Reply{EventID: q.EventID, TalkID: q.TalkID, QuestionID: q.ID, ParticipantID: p.ID, Body: "A reply", Status: status}
	var rev *koe.Review
	if status == koe.StatusPending {
		rev = &koe.Review{EventID: q.EventID, TalkID: q.TalkID, ParticipantID: p.ID, Body: "A reply", State: koe.ReviewPending, Reasons: []byte(`[]`)}
	}
	_, err := s.CreateReply(t.Context(), r, rev)
	must(t, "CreateReply", err)
	return rev
}

func decide(t *testing.T, s koe.Store, rev *koe.Review, d koe.ReviewState) {
	t.Helper()
	_, err := s.DecideReview(t.Context(), rev.EventID, rev.ID, koe.ReviewDecision{Decision: d, AccountID: 7, By: "Aiko"}, nil)
	must(t, "DecideReview", err)
}

// nonZero drops the zero counts of m: a state without reviews may be
// left out or counted 0.
func nonZero(m map[koe.ReviewState]int64) map[koe.ReviewState]int64 {
	out := map[koe.ReviewState]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// testReportCounts: per-talk totals, reviews by state and top questions
// count what the contract says, of the event alone; then the counts per
// interval.
func testReportCounts(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "report")
	e, a := sc.event, sc.talk
	b := newTalk(t, s, e.ID, nil)
	c := newTalk(t, s, e.ID, nil) // no questions
	other := newScene(t, s, "report-other")

	// Talk a.
	q1 := newQuestion(t, s, a, sc.p, "q1")
	likeBy(t, s, q1, 3)
	updateQuestion(t, s, q1, koe.QuestionUpdate{Answered: ptr(true)})
	reply(t, s, q1, sc.p, koe.StatusApproved)
	reply(t, s, q1, sc.p, koe.StatusApproved)
	reply(t, s, q1, sc.p, koe.StatusPending) // not counted
	decide(t, s, reply(t, s, q1, sc.p, koe.StatusPending), koe.ReviewRejected)
	q2 := newQuestion(t, s, a, sc.p, "q2")
	likeBy(t, s, q2, 1)
	reply(t, s, q2, sc.p, koe.StatusApproved)
	q3 := newQuestion(t, s, a, sc.p, "q3") // liked, answered, replied, then hidden: counted as a question only
	likeBy(t, s, q3, 2)
	reply(t, s, q3, sc.p, koe.StatusApproved)
	updateQuestion(t, s, q3, koe.QuestionUpdate{Answered: ptr(true), Hidden: ptr(true)})
	heldQuestion(t, s, a, sc.p, "q4")
	rejectedQuestion(t, s, a, sc.p, "q5")
	q6, rev6 := heldQuestion(t, s, a, sc.p, "q6")
	decide(t, s, rev6, koe.ReviewApproved)
	// Talk b.
	q7 := newQuestion(t, s, b, sc.p, "q7")
	likeBy(t, s, q7, 1)
	heldQuestion(t, s, b, sc.p, "q8")
	q9 := flaggedQuestion(t, s, b, sc.p, "q9")
	// The other event's, never counted here.
	oq := newQuestion(t, s, other.talk, other.p, "elsewhere")
	likeBy(t, s, oq, 5)
	heldQuestion(t, s, other.talk, other.p, "elsewhere held")
	rejectedQuestion(t, s, other.talk, other.p, "elsewhere rejected")

	counts, err := s.TalkCounts(ctx, e.ID)
	must(t, "TalkCounts", err)
	want := map[int64]koe.TalkCounts{
		a.ID: {Questions: 6, Shown: 3, Answered: 1, Likes: 4, Replies: 3},
		b.ID: {Questions: 3, Shown: 2, Answered: 0, Likes: 1, Replies: 0},
	}
	if !maps.Equal(counts, want) {
		t.Errorf("TalkCounts = %+v\n want %+v (talk a %d, b %d, c %d)", counts, want, a.ID, b.ID, c.ID)
	}
	counts, err = s.TalkCounts(ctx, other.event.ID)
	must(t, "TalkCounts(other)", err)
	if want := map[int64]koe.TalkCounts{other.talk.ID: {Questions: 3, Shown: 1, Likes: 5}}; !maps.Equal(counts, want) {
		t.Errorf("TalkCounts(other) = %+v, want %+v", counts, want)
	}
	empty := newEvent(t, s, "report-empty")
	newTalk(t, s, empty.ID, nil)
	if counts, err := s.TalkCounts(ctx, empty.ID); err != nil || len(counts) != 0 {
		t.Errorf("TalkCounts(no questions) = %+v, %v; want none", counts, err)
	}

	// Reviews: q4, q8 and a reply pending; q9 flagged; q6 approved; q5 and
	// a reply rejected.
	states, err := s.ReviewOutcomes(ctx, e.ID)
	must(t, "ReviewOutcomes", err)
	if want := map[koe.ReviewState]int64{koe.ReviewPending: 3, koe.ReviewFlagged: 1, koe.ReviewApproved: 1, koe.ReviewRejected: 2}; !maps.Equal(nonZero(states), want) {
		t.Errorf("ReviewOutcomes = %v, want %v", states, want)
	}
	if states, err := s.ReviewOutcomes(ctx, empty.ID); err != nil || len(nonZero(states)) != 0 {
		t.Errorf("ReviewOutcomes(no reviews) = %v, %v; want none", states, err)
	}

	// Top questions: shown ones by likes, then oldest.
	for _, tc := range []struct {
		name   string
		talkID int64
		limit  int
		want   []*koe.Question
	}{
		{"event", 0, 10, []*koe.Question{q1, q2, q7, q6, q9}},
		{"event, limit 3", 0, 3, []*koe.Question{q1, q2, q7}},
		{"talk a", a.ID, 10, []*koe.Question{q1, q2, q6}},
		{"talk a, limit 2", a.ID, 2, []*koe.Question{q1, q2}},
		{"talk a, limit 1", a.ID, 1, []*koe.Question{q1}},
		{"talk b", b.ID, 10, []*koe.Question{q7, q9}},
		{"talk c", c.ID, 10, nil},
	} {
		top, err := s.TopQuestions(ctx, e.ID, tc.talkID, tc.limit)
		must(t, "TopQuestions("+tc.name+")", err)
		if !slices.Equal(ids(top), ids(tc.want)) {
			t.Errorf("TopQuestions(%s) = %v, want %v", tc.name, ids(top), ids(tc.want))
			continue
		}
		for _, q := range top {
			read, err := s.Question(ctx, e.ID, q.TalkID, q.ID, 0)
			must(t, "Question", err)
			same(t, fmt.Sprintf("TopQuestions(%s): question %d", tc.name, q.ID), q, read)
		}
	}
	if top, err := s.TopQuestions(ctx, e.ID, other.talk.ID, 10); koe.ErrorCode(err) != koe.ENOTFOUND && (err != nil || len(top) != 0) {
		t.Errorf("TopQuestions(another event's talk) = %v, %v; want none", ids(top), err)
	}
	if top, err := s.TopQuestions(ctx, other.event.ID, 0, 10); err != nil || !slices.Equal(ids(top), []int64{oq.ID}) {
		t.Errorf("TopQuestions(other event) = %v, %v; want [%d]", ids(top), err, oq.ID)
	}

	testReportBuckets(t, s)
}

// bucketsOf counts times per interval of every from the Unix epoch,
// oldest first.
func bucketsOf(times []time.Time, every time.Duration) []koe.Bucket {
	n := map[int64]int64{}
	step := every.Microseconds()
	for _, tm := range times {
		n[tm.UnixMicro()/step*step]++
	}
	var out []koe.Bucket
	for _, at := range slices.Sorted(maps.Keys(n)) {
		out = append(out, koe.Bucket{At: time.UnixMicro(at).UTC(), Count: n[at]})
	}
	return out
}

// testReportBuckets: participants joined and questions asked per interval,
// the intervals computed from the times the store gave the rows.
func testReportBuckets(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "buckets")
	other := newScene(t, s, "buckets-other")
	e, a := sc.event, sc.talk
	b := newTalk(t, s, e.ID, nil)
	joined := []time.Time{sc.p.CreatedAt}
	asked := map[int64][]time.Time{}
	ask := func(q *koe.Question) { asked[q.TalkID] = append(asked[q.TalkID], q.CreatedAt) }
	const rounds = 3
	for r := range rounds {
		if r > 0 {
			time.Sleep(1100 * time.Millisecond) // a new second at least
		}
		for range 2 {
			p := newParticipant(t, s, e.ID)
			joined = append(joined, p.CreatedAt)
			ask(newQuestion(t, s, a, p, fmt.Sprintf("round %d", r)))
		}
		newParticipant(t, s, other.event.ID)
		newQuestion(t, s, other.talk, other.p, "elsewhere")
		switch r {
		case 0:
			q, _ := heldQuestion(t, s, b, sc.p, "held")
			ask(q)
		case 1:
			ask(rejectedQuestion(t, s, b, sc.p, "rejected"))
		case 2:
			q := newQuestion(t, s, b, sc.p, "hidden")
			updateQuestion(t, s, q, koe.QuestionUpdate{Hidden: ptr(true)})
			ask(q)
		}
	}
	all := append(slices.Clone(asked[a.ID]), asked[b.ID]...)
	for _, every := range []time.Duration{time.Second, 2 * time.Second, time.Minute, time.Hour, 24 * time.Hour} {
		if want := bucketsOf(joined, every); every == time.Second && len(want) < rounds {
			t.Fatalf("the participants' times %v fall in %d seconds, want %d at least", joined, len(want), rounds)
		}
		got, err := s.ParticipantsJoined(ctx, e.ID, every)
		must(t, "ParticipantsJoined", err)
		same(t, fmt.Sprintf("ParticipantsJoined(every %v)", every), got, bucketsOf(joined, every))
		for _, tc := range []struct {
			name   string
			talkID int64
			times  []time.Time
		}{{"event", 0, all}, {"talk a", a.ID, asked[a.ID]}, {"talk b", b.ID, asked[b.ID]}} {
			got, err := s.QuestionsAsked(ctx, e.ID, tc.talkID, every)
			must(t, "QuestionsAsked", err)
			same(t, fmt.Sprintf("QuestionsAsked(%s, every %v)", tc.name, every), got, bucketsOf(tc.times, every))
		}
	}
	none := newEvent(t, s, "buckets-none")
	if got, err := s.ParticipantsJoined(ctx, none.ID, time.Hour); err != nil || len(got) != 0 {
		t.Errorf("ParticipantsJoined(nobody) = %v, %v; want none", got, err)
	}
	if got, err := s.QuestionsAsked(ctx, none.ID, 0, time.Hour); err != nil || len(got) != 0 {
		t.Errorf("QuestionsAsked(no questions) = %v, %v; want none", got, err)
	}
	if got, err := s.QuestionsAsked(ctx, e.ID, other.talk.ID, time.Hour); koe.ErrorCode(err) != koe.ENOTFOUND && (err != nil || len(got) != 0) {
		t.Errorf("QuestionsAsked(another event's talk) = %v, %v; want none", got, err)
	}
	if _, err := s.ParticipantsJoined(ctx, e.ID, 0); err == nil {
		t.Error("ParticipantsJoined(every 0) did not fail")
	}
	if _, err := s.QuestionsAsked(ctx, e.ID, 0, -time.Minute); err == nil {
		t.Error("QuestionsAsked(every -1m) did not fail")
	}
}

// testPresencePeaks: the store keeps each talk's most connections per
// minute, however the records arrive.
func testPresencePeaks(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "presence")
	other := newScene(t, s, "presence-other")
	e, a := sc.event, sc.talk
	b := newTalk(t, s, e.ID, nil)
	m0 := time.Date(2030, 5, 17, 10, 0, 0, 0, time.UTC)
	m1, m2 := m0.Add(time.Minute), m0.Add(2*time.Minute)

	if peaks, err := s.PresencePeaks(ctx, e.ID); err != nil || len(peaks) != 0 {
		t.Errorf("PresencePeaks(none) = %v, %v", peaks, err)
	}
	record := func(tk *koe.Talk, minute time.Time, n int64) {
		t.Helper()
		must(t, fmt.Sprintf("RecordPresence(talk %d, %v, %d)", tk.ID, minute, n), s.RecordPresence(ctx, tk.EventID, tk.ID, minute, n))
	}
	peakOf := func(tk *koe.Talk, minute time.Time) int64 {
		t.Helper()
		peaks, err := s.PresencePeaks(ctx, tk.EventID)
		must(t, "PresencePeaks", err)
		for _, p := range peaks {
			if p.TalkID == tk.ID && p.Minute.Equal(minute) {
				return p.Peak
			}
		}
		return -1
	}
	record(a, m1, 5)
	record(a, m1, 3)
	if got := peakOf(a, m1); got != 5 {
		t.Errorf("peak after 5 then 3 = %d, want 5", got)
	}
	record(a, m1, 8)
	if got := peakOf(a, m1); got != 8 {
		t.Errorf("peak after 5, 3, 8 = %d, want 8", got)
	}
	record(b, m2, 1)
	record(b, m0.In(jst), 2) // the same minute in another zone
	record(b, m1, 4)
	record(a, m0, 7)
	record(b, m0, 1)
	record(a, m2, 1)
	record(other.talk, m0, 100)
	if err := s.RecordPresence(ctx, e.ID, other.talk.ID, m0, 150); koe.ErrorCode(err) != koe.ENOTFOUND && err != nil {
		t.Errorf("RecordPresence(another event's talk) = %v; want ENOTFOUND or nothing kept", err)
	}

	peaks, err := s.PresencePeaks(ctx, e.ID)
	must(t, "PresencePeaks", err)
	same(t, "PresencePeaks", peaks, []koe.PresencePeak{
		{TalkID: a.ID, Minute: m0, Peak: 7},
		{TalkID: b.ID, Minute: m0, Peak: 2},
		{TalkID: a.ID, Minute: m1, Peak: 8},
		{TalkID: b.ID, Minute: m1, Peak: 4},
		{TalkID: a.ID, Minute: m2, Peak: 1},
		{TalkID: b.ID, Minute: m2, Peak: 1},
	})
	peaks, err = s.PresencePeaks(ctx, other.event.ID)
	must(t, "PresencePeaks(other)", err)
	same(t, "PresencePeaks(other)", peaks, []koe.PresencePeak{{TalkID: other.talk.ID, Minute: m0, Peak: 100}})

	// Replicas recording at once: the largest stays.
	m3 := m0.Add(3 * time.Minute)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 8 {
				n := int64((i*37+j*11)%97 + 1)
				if i == 9 && j == 5 {
					n = 500
				}
				if err := s.RecordPresence(ctx, e.ID, a.ID, m3, n); err != nil {
					t.Errorf("RecordPresence: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := peakOf(a, m3); got != 500 {
		t.Errorf("peak after concurrent records = %d, want 500", got)
	}
}
