package koe

import (
	"encoding/json"
	"testing"
	"time"
)

func TestQAWanted(t *testing.T) {
	start := time.Date(2026, 10, 10, 10, 0, 0, 0, time.UTC)
	end := start.Add(30 * time.Minute)
	talk := &Talk{StartsAt: &start, EndsAt: &end}
	s := QASchedule{Follow: true, OpensBefore: 10, ClosesAfter: 15}
	for _, c := range []struct {
		at            time.Duration
		open, decides bool
	}{
		{-11 * time.Minute, false, true},
		{-10 * time.Minute, true, true},
		{0, true, true},
		{44*time.Minute + 59*time.Second, true, true},
		{45 * time.Minute, false, true},
	} {
		if open, decides := s.QAWanted(talk, start.Add(c.at)); open != c.open || decides != c.decides {
			t.Errorf("at %v: %v %v, want %v %v", c.at, open, decides, c.open, c.decides)
		}
	}
	for name, tk := range map[string]*Talk{
		"by hand":     {StartsAt: &start, EndsAt: &end, QAManual: true},
		"no end":      {StartsAt: &start},
		"unscheduled": {},
	} {
		if _, decides := s.QAWanted(tk, start); decides {
			t.Errorf("%s: the schedule decides", name)
		}
	}
	if _, decides := (QASchedule{OpensBefore: 10}).QAWanted(talk, start); decides {
		t.Error("an event that does not follow the schedule: it decides")
	}
}

func TestRooms(t *testing.T) {
	at := func(h, m int) *time.Time {
		v := time.Date(2026, 10, 10, h, m, 0, 0, time.UTC)
		return &v
	}
	talks := []*Talk{
		{ID: 1, Room: "B", StartsAt: at(10, 0)},
		{ID: 2, Room: "A", StartsAt: at(11, 0)},
		{ID: 3, Room: "A", StartsAt: at(10, 0)},
		{ID: 4, Room: "", StartsAt: at(10, 0)}, // in no room
		{ID: 5, Room: "A"},                     // unscheduled
	}
	lead := 10 * time.Minute
	for _, c := range []struct {
		now            *time.Time
		a, aNext, b    int64
		aSwitch, bNone bool
	}{
		{at(8, 0), 3, 2, 1, true, true},
		{at(10, 49), 3, 2, 1, true, true},
		{at(10, 50), 2, 0, 1, false, true},
		{at(23, 0), 2, 0, 1, false, true},
	} {
		rooms := Rooms(talks, lead, *c.now)
		if len(rooms) != 2 || rooms[0].Name != "A" || rooms[1].Name != "B" {
			t.Fatalf("%v: rooms %+v", c.now, rooms)
		}
		a, b := rooms[0], rooms[1]
		if a.TalkID != c.a || a.NextTalkID != c.aNext || (a.SwitchAt != nil) != c.aSwitch || b.TalkID != c.b || b.SwitchAt != nil {
			t.Errorf("%v: A %+v, B %+v", c.now, a, b)
		}
		if a.SwitchAt != nil && !a.SwitchAt.Equal(at(10, 50).UTC()) {
			t.Errorf("%v: A switches at %v", c.now, a.SwitchAt)
		}
	}
	if rooms := Rooms(nil, lead, time.Now()); len(rooms) != 0 {
		t.Errorf("no talks: %+v", rooms)
	}
}

func FuzzQASchedule(f *testing.F) {
	for _, s := range []string{`{"follow":true,"opens_before_min":10,"closes_after_min":15}`, `{"follow":true}`, `{}`, `null`, `[]`,
		`{"follow":false,"opens_before_min":-1,"closes_after_min":241}`, `{"follow":true,"opens_before_min":1,"closes_after_min":1,"x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s QASchedule
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		if err := s.Check(); err == nil && (s.OpensBefore < 0 || s.OpensBefore > MaxQAScheduleMinutes || s.ClosesAfter < 0 || s.ClosesAfter > MaxQAScheduleMinutes) {
			t.Fatalf("accepted %+v", s)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var again QASchedule
		if err := json.Unmarshal(out, &again); err != nil || again != s {
			t.Fatalf("round trip %s: %+v, %v", out, again, err)
		}
	})
}
