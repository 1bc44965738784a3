package timetable

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameSessions reports the first difference between two session lists.
func sameSessions(got, want []Session) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d sessions, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.SourceID != w.SourceID || g.Title != w.Title || g.Room != w.Room || g.Track != w.Track || g.Language != w.Language ||
			strings.Join(g.Speakers, "|") != strings.Join(w.Speakers, "|") || len(g.Speakers) != len(w.Speakers) || g.Speakers == nil ||
			!g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Start.IsZero() != w.Start.IsZero() || g.End.IsZero() != w.End.IsZero() {
			return fmt.Sprintf("session %d:\n got  %s\n want %s", i, dumpOne(g), dumpOne(w))
		}
	}
	return ""
}

func dumpOne(s Session) string {
	return fmt.Sprintf("{%q %q %q room=%q track=%q lang=%q %s..%s}", s.SourceID, s.Title, s.Speakers, s.Room, s.Track, s.Language,
		s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339))
}

func dump(ss []Session) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(dumpOne(s) + "\n")
	}
	return b.String()
}

// checkInvariants holds for every schedule Parse returns.
func checkInvariants(t testing.TB, s *Schedule) {
	t.Helper()
	if s.Format != Pretalx && s.Format != Sessionize {
		t.Fatalf("format %q", s.Format)
	}
	if len(s.Sessions) > MaxSessions {
		t.Fatalf("%d sessions", len(s.Sessions))
	}
	if s.Sessions == nil {
		t.Fatal("Sessions is nil")
	}
	texts := []string{s.Title, s.AssumedZone}
	seen := map[string]bool{}
	for i, x := range s.Sessions {
		if x.SourceID == "" || seen[x.SourceID] {
			t.Fatalf("session %d: source id %q empty or repeated", i, x.SourceID)
		}
		seen[x.SourceID] = true
		if x.Title == "" {
			t.Fatalf("session %d: empty title", i)
		}
		if x.Speakers == nil {
			t.Fatalf("session %d: nil speakers", i)
		}
		if x.End.Before(x.Start) || x.Start.IsZero() != x.End.IsZero() {
			t.Fatalf("session %d: start %v end %v", i, x.Start, x.End)
		}
		if !x.Start.IsZero() {
			if _, err := x.End.MarshalJSON(); err != nil {
				t.Fatalf("session %d: end not encodable: %v", i, err)
			}
		}
		if i > 0 {
			p := s.Sessions[i-1]
			ordered := false
			switch {
			case p.Start.IsZero() != x.Start.IsZero():
				ordered = x.Start.IsZero()
			case !p.Start.Equal(x.Start):
				ordered = p.Start.Before(x.Start)
			case p.Room != x.Room:
				ordered = p.Room < x.Room
			default:
				ordered = p.SourceID < x.SourceID
			}
			if !ordered {
				t.Fatalf("sessions %d and %d out of order:\n%s\n%s", i-1, i, dumpOne(p), dumpOne(x))
			}
		}
		texts = append(texts, x.SourceID, x.Title, x.Room, x.Track, x.Language)
		texts = append(texts, x.Speakers...)
	}
	for _, tx := range texts {
		if !utf8.ValidString(tx) || utf8.RuneCountInString(tx) > MaxTextLen {
			t.Fatalf("text %q invalid or too long", tx)
		}
	}
	for _, x := range s.Sessions {
		for _, tx := range append([]string{x.Title, x.Room, x.Track, x.Language}, x.Speakers...) {
			if tx != strings.TrimSpace(tx) || strings.ContainsAny(tx, "\n\r\t\x00") {
				t.Fatalf("text %q not a trimmed single line", tx)
			}
		}
	}
}

func TestParseFixtures(t *testing.T) {
	tokyo, berlin := zone(t, "Asia/Tokyo"), zone(t, "Europe/Berlin")
	tests := []struct {
		file    string
		zone    *time.Location
		format  Format
		title   string
		assumed string
		inZone  *time.Location // where the times are expressed
		want    []Session
	}{
		{
			file: "pretalx.json", zone: time.UTC, format: Pretalx, title: "KoeConf 2026 東京", assumed: "", inZone: tokyo,
			want: []Session{
				{"5f1e8a44-3c1d-5b8e-9a51-1d1f8c0a0101", "基調講演：分散システムの十年", []string{"山田 太郎"}, "Hall A", "Keynote", "ja", utc(2026, 10, 10, 1, 0), utc(2026, 10, 10, 1, 40)},
				{"5f1e8a44-3c1d-5b8e-9a51-1d1f8c0a0103", "Accessibility for Everyone", []string{"Maria García"}, "Hall B", "Design", "en", utc(2026, 10, 10, 1, 0), utc(2026, 10, 10, 1, 30)},
				{"5f1e8a44-3c1d-5b8e-9a51-1d1f8c0a0102", "Goで書くリアルタイム配信", []string{"佐藤 花子", "Alex Kim"}, "Hall A", "Backend", "ja", utc(2026, 10, 10, 2, 0), utc(2026, 10, 10, 3, 30)},
				{"104", "ライトニングトーク 大会", []string{}, "ルームC", "", "ja", utc(2026, 10, 10, 4, 0), utc(2026, 10, 10, 4, 45)},
				{"5f1e8a44-3c1d-5b8e-9a51-1d1f8c0a0201", "Rustと安全性", []string{"鈴木 一郎"}, "Hall A", "セキュリティ", "ja", utc(2026, 10, 11, 0, 30), utc(2026, 10, 11, 1, 0)},
				{"5f1e8a44-3c1d-5b8e-9a51-1d1f8c0a0202", "Closing", []string{"山田 太郎", "Maria García"}, "Hall B", "Community", "en", utc(2026, 10, 11, 8, 0), utc(2026, 10, 11, 8, 15)},
			},
		},
		{
			file: "frab.json", zone: berlin, format: Pretalx, title: "Nachtcamp 2026", assumed: "Europe/Berlin", inZone: berlin,
			want: []Session{
				{"3", "Löten für Anfänger", []string{"Ana Lopez"}, "Saal 2", "Hardware", "de", utc(2026, 8, 14, 8, 0), utc(2026, 8, 14, 8, 30)},
				{"1", "Night Owls", []string{"Jo Doe"}, "Saal 1", "Community", "en", utc(2026, 8, 14, 20, 30), utc(2026, 8, 14, 21, 30)},
				{"2", "Nach Mitternacht", []string{"Kai"}, "Saal 1", "Community", "de", utc(2026, 8, 14, 22, 30), utc(2026, 8, 14, 23, 15)},
				{"4", "Late Lightning", []string{"Sam Rowe"}, "Saal 2", "", "en", utc(2026, 8, 15, 0, 15), utc(2026, 8, 15, 0, 45)},
				{"5", "Frühstücksrunde", []string{"Jo Doe"}, "Saal 1", "", "de", utc(2026, 8, 15, 9, 0), utc(2026, 8, 15, 9, 30)},
				{"x-6", "Abschluss", []string{}, "Saal 2", "", "de", utc(2026, 8, 15, 10, 0), utc(2026, 8, 15, 10, 20)},
				{"7", "Noch nicht eingeplant", []string{}, "Saal 2", "Hardware", "", time.Time{}, time.Time{}},
			},
		},
		{
			// The schedule's own zone wins over the one passed in.
			file: "dst.json", zone: tokyo, format: Pretalx, title: "Nachtschicht", assumed: "Europe/Berlin", inZone: berlin,
			want: []Session{
				{"10", "Before midnight", []string{}, "Bühne", "", "", utc(2026, 10, 24, 21, 30), utc(2026, 10, 24, 22, 30)},
				{"11", "Across the change", []string{}, "Bühne", "", "", utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 1, 30)},
				{"12", "The hour that happens twice", []string{}, "Bühne", "", "", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)},
				{"13", "Winter time", []string{}, "Bühne", "", "", utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 30)},
			},
		},
		{
			file: "sessionize_all.json", zone: tokyo, format: Sessionize, title: "", assumed: "Asia/Tokyo", inZone: tokyo,
			want: []Session{
				{"48211", "Opening Keynote", []string{"Ada Example"}, "Main Hall", "Keynote", "English", utc(2026, 10, 10, 1, 0), utc(2026, 10, 10, 1, 45)},
				{"48212", "型安全なAPI設計", []string{"花子 佐藤", "Lee Chen"}, "Room 2", "Backend", "日本語", utc(2026, 10, 10, 2, 0), utc(2026, 10, 10, 2, 40)},
				{"48214", "Edge cases in time zones", []string{"Lee Chen"}, "", "", "", utc(2026, 10, 10, 5, 0), utc(2026, 10, 10, 5, 30)},
				{"48215", "未定のセッション", []string{}, "", "Keynote", "", time.Time{}, time.Time{}},
			},
		},
		{
			file: "sessionize_grouped.json", zone: berlin, format: Sessionize, title: "", assumed: "Europe/Berlin", inZone: berlin,
			want: []Session{
				{"7001", "Welcome", []string{"Erika Mustermann"}, "Aula", "", "", utc(2026, 10, 10, 7, 0), utc(2026, 10, 10, 7, 15)},
				{"7003", "Ein langer Workshop", []string{"Max Muster", "Erika Mustermann"}, "Raum 1", "Workshops", "Deutsch", utc(2026, 10, 10, 8, 0), utc(2026, 10, 10, 11, 0)},
				{"7004", "Sunday talk", []string{}, "Aula", "", "", utc(2026, 10, 11, 11, 0), utc(2026, 10, 11, 11, 30)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := Parse(fixture(t, tt.file), tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			if s.Format != tt.format || s.Title != tt.title || s.AssumedZone != tt.assumed {
				t.Errorf("format %q title %q assumed zone %q; want %q %q %q", s.Format, s.Title, s.AssumedZone, tt.format, tt.title, tt.assumed)
			}
			if diff := sameSessions(s.Sessions, tt.want); diff != "" {
				t.Error(diff)
			}
			for _, x := range s.Sessions {
				if !x.Start.IsZero() && x.Start.Location().String() != tt.inZone.String() {
					t.Errorf("%s starts in %s, want %s", x.SourceID, x.Start.Location(), tt.inZone)
				}
			}
		})
	}
}

func TestDSTWallClock(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s, err := Parse(fixture(t, "dst.json"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// The talk across the change ends at 02:30 winter time: two real hours
	// after 01:30 summer time, though the wall clock moved by one.
	var across Session
	for _, x := range s.Sessions {
		if x.SourceID == "11" {
			across = x
		}
	}
	if got := across.Start.In(berlin).Format("2006-01-02 15:04 MST"); got != "2026-10-25 01:30 CEST" {
		t.Errorf("start %s", got)
	}
	if got := across.End.In(berlin).Format("2006-01-02 15:04 MST"); got != "2026-10-25 02:30 CET" {
		t.Errorf("end %s", got)
	}
	if d := across.End.Sub(across.Start); d != 2*time.Hour {
		t.Errorf("lasts %v", d)
	}

	// Spring forward: 02:30 does not exist; it is read as 03:30 summer time.
	spring := `{"schedule":{"conference":{"time_zone_name":"Europe/Berlin","days":[{"date":"2026-03-29","rooms":{"A":[{"id":1,"title":"t","start":"02:30","duration":"00:30"}]}}]}}}`
	s, err = Parse([]byte(spring), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sessions[0].Start.In(berlin).Format("15:04 MST"); got != "03:30 CEST" {
		t.Errorf("spring forward start %s", got)
	}

	// Sessionize, offset-less times in the zone across the change.
	sz := `{"sessions":[{"id":"1","title":"t","startsAt":"2026-10-25T01:30:00","endsAt":"2026-10-25T03:00:00"}]}`
	s, err = Parse([]byte(sz), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Sessions[0].End.Sub(s.Sessions[0].Start); d != 150*time.Minute {
		t.Errorf("Sessionize session across the change lasts %v, want 2h30m", d)
	}
}

func TestZoneAssumption(t *testing.T) {
	tokyo := zone(t, "Asia/Tokyo")
	talk := func(tz, date string) []byte {
		return []byte(`{"schedule":{"conference":{"title":"C",` + tz + `"days":[{"date":"2026-10-10","rooms":{"A":[{"id":1,"title":"t","date":"` + date + `","duration":"00:30"}]}}]}}}`)
	}
	tests := []struct {
		name    string
		data    []byte
		zone    *time.Location
		start   time.Time
		assumed string
	}{
		{"own zone for offset-less", talk(`"time_zone_name":"America/New_York",`, "2026-10-10T10:00:00"), tokyo, utc(2026, 10, 10, 14, 0), "America/New_York"},
		{"invalid own zone falls back", talk(`"time_zone_name":"Mars/Olympus",`, "2026-10-10T10:00:00"), tokyo, utc(2026, 10, 10, 1, 0), "Asia/Tokyo"},
		{"Local is not a zone", talk(`"time_zone_name":"Local",`, "2026-10-10T10:00:00"), tokyo, utc(2026, 10, 10, 1, 0), "Asia/Tokyo"},
		{"nil zone is UTC", talk("", "2026-10-10T10:00"), nil, utc(2026, 10, 10, 10, 0), "UTC"},
		{"offsets assume nothing", talk(`"time_zone_name":"Asia/Tokyo",`, "2026-10-10T10:00:00-04:00"), time.UTC, utc(2026, 10, 10, 14, 0), ""},
		{"Z assumes nothing", talk("", "2026-10-10T10:00:00.000Z"), tokyo, utc(2026, 10, 10, 10, 0), ""},
		{"space instead of T", talk("", "2026-10-10 10:00:00"), tokyo, utc(2026, 10, 10, 1, 0), "Asia/Tokyo"},
		{"date only takes start", []byte(`{"schedule":{"conference":{"days":[{"rooms":{"A":[{"id":1,"title":"t","date":"2026-10-10","start":"10:00"}]}}]}}}`), tokyo, utc(2026, 10, 10, 1, 0), "Asia/Tokyo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.data, tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			if !s.Sessions[0].Start.Equal(tt.start) || s.AssumedZone != tt.assumed {
				t.Errorf("start %v assumed %q; want %v %q", s.Sessions[0].Start.UTC(), s.AssumedZone, tt.start, tt.assumed)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	long := strings.Repeat("あ", MaxTextLen+500)
	tests := []struct {
		name string
		data string
		want Session
	}{
		{
			"missing optional fields, unknown fields",
			`{"schedule":{"conference":{"days":[{"rooms":{"":[{"id":"abc","title":"Only a title","room":"Side","future_field":{"x":[1,2]}}]}}]}}}`,
			Session{"abc", "Only a title", []string{}, "Side", "", "", time.Time{}, time.Time{}},
		},
		{
			"id past int64, blank en falls back to the first language",
			`{"schedule":{"conference":{"days":[{"rooms":{"A":[{"id":123456789012345678901234567890,"title":{"en":" ","ja":"題","de":"Titel"},"track":{"name":{"fr":"Piste","en":"Track"}}}]}}]}}}`,
			Session{"123456789012345678901234567890", "題", []string{}, "A", "Track", "", time.Time{}, time.Time{}},
		},
		{
			"no duration is zero length",
			`{"schedule":{"conference":{"days":[{"rooms":{"A":[{"id":9,"title":"t","date":"2026-10-10T10:00:00Z"}]}}]}}}`,
			Session{"9", "t", []string{}, "A", "", "", utc(2026, 10, 10, 10, 0), utc(2026, 10, 10, 10, 0)},
		},
		{
			"long text is cut, control characters dropped",
			`{"schedule":{"conference":{"days":[{"rooms":{"A":[{"id":1,"title":"` + long + `","track":"a\u0000b\u0007c","persons":[{"public_name":"` + long + `"}],"date":"2026-10-10T10:00:00Z","duration":"100:00"}]}}]}}}`,
			Session{"1", strings.Repeat("あ", MaxTextLen), []string{strings.Repeat("あ", MaxTextLen)}, "A", "abc", "", utc(2026, 10, 10, 10, 0), utc(2026, 10, 14, 14, 0)},
		},
		{
			"invalid UTF-8 is replaced",
			"{\"schedule\":{\"conference\":{\"days\":[{\"rooms\":{\"A\":[{\"id\":1,\"title\":\"caf\xe9\"}]}}]}}}",
			Session{"1", "caf\uFFFD", []string{}, "A", "", "", time.Time{}, time.Time{}},
		},
		{
			"Sessionize endsAt missing, numeric ids, name fallback",
			`{"sessions":[{"id":5,"title":"t","startsAt":"2026-10-10T10:00:00Z","speakers":["s"],"roomId":"r"}],"speakers":[{"id":"s","fullName":" ","firstName":"","lastName":"Solo"}],"rooms":[{"id":"r","name":"Hall"}]}`,
			Session{"5", "t", []string{"Solo"}, "Hall", "", "", utc(2026, 10, 10, 10, 0), utc(2026, 10, 10, 10, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.data), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			if diff := sameSessions(s.Sessions, []Session{tt.want}); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestParseBOMAndEmptySchedules(t *testing.T) {
	s, err := Parse(append([]byte("\xef\xbb\xbf"), fixture(t, "sessionize_grouped.json")...), time.UTC)
	if err != nil || len(s.Sessions) != 3 {
		t.Fatalf("with BOM: %v", err)
	}
	for _, in := range []string{`[]`, `{"sessions":[]}`, `{"schedule":{"conference":{"days":[]}}}`} {
		s, err := Parse([]byte(in), time.UTC)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		checkInvariants(t, s)
		if len(s.Sessions) != 0 || s.AssumedZone != "" {
			t.Errorf("%s: %+v", in, s)
		}
	}
}

func TestParseErrors(t *testing.T) {
	pretalx := func(talk string) string {
		return `{"schedule":{"conference":{"days":[{"date":"2026-10-10","rooms":{"Hall A":[` + talk + `]}}]}}}`
	}
	const at = `schedule.conference.days[0].rooms["Hall A"][0]: `
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "the schedule is empty"},
		{"blank", " \n\t", "the schedule is empty"},
		{"truncated", "{\n  \"schedule\": {", "not valid JSON: unexpected end of JSON input (line 2, column 15)"},
		{"bad character", "[\n  {\"sessions\": [}]", "not valid JSON: invalid character '}' looking for beginning of value (line 2, column 17)"},
		{"not JSON", "<schedule/>", "not valid JSON: invalid character '<' looking for beginning of value (line 1, column 1)"},
		{"other object", `{"talks": []}`, "not a pretalx, frab or Sessionize schedule"},
		{"sessions not a list", `{"sessions": {}}`, "not a pretalx, frab or Sessionize schedule"},
		{"number", `42`, "not a pretalx, frab or Sessionize schedule"},
		{"array of numbers", `[1, 2]`, "not a pretalx, frab or Sessionize schedule"},
		{"array without sessions", `[{"groupName": "x"}]`, "not a pretalx, frab or Sessionize schedule"},
		{"sessionize speakers view", `[{"id":"u1","firstName":"A","lastName":"B","fullName":"A B","sessions":[{"id":1,"name":"Talk"}]}]`, "this is the Sessionize Speakers view; use the All view or the Sessions view"},
		{"sessionize grid view", `[{"date":"2026-10-10T00:00:00","rooms":[{"id":1,"name":"A","sessions":[]}],"timeSlots":[]}]`, "this is the Sessionize schedule grid view; use the All view or the Sessions view"},
		{"no conference", `{"schedule": {"version": "1"}}`, "schedule.conference is missing: not a pretalx or frab schedule"},
		{"schedule not an object", `{"schedule": []}`, "schedule: is a list, not an object"},
		{"days not a list", `{"schedule":{"conference":{"days":"monday"}}}`, "schedule.conference.days: is text, not a list"},
		{"rooms a list", `{"schedule":{"conference":{"days":[{"rooms":[]}]}}}`, "schedule.conference.days[0].rooms: is a list, not an object"},
		{"bad day date", `{"schedule":{"conference":{"days":[{"date":"10/10/2026"}]}}}`, `schedule.conference.days[0]: date "10/10/2026" is not a date like 2026-10-10`},
		{"bad day_start", `{"schedule":{"conference":{"days":[{"date":"2026-10-10","day_start":"morning"}]}}}`, `schedule.conference.days[0]: day_start "morning" is not a time`},
		{"duration", pretalx(`{"id":1,"title":"T","date":"2026-10-10T10:00:00","duration":"1h"}`), at + `duration "1h" is not hh:mm`},
		{"duration minutes", pretalx(`{"id":1,"title":"T","date":"2026-10-10T10:00:00","duration":"00:60"}`), at + `duration "00:60" is not hh:mm`},
		{"duration too long", pretalx(`{"id":1,"title":"T","date":"2026-10-10T10:00:00","duration":"1000:00"}`), at + `duration "1000:00" is not hh:mm`},
		{"duration number", pretalx(`{"id":1,"title":"T","duration":30}`), at + `duration is a number, not text`},
		{"no title", pretalx(`{"id":1,"date":"2026-10-10T10:00:00"}`), at + `talk "1" has no title`},
		{"blank title", pretalx(`{"guid":"g-1","title":" \n "}`), at + `talk "g-1" has no title`},
		{"title a number", pretalx(`{"id":1,"title":7}`), at + `title is a number, not text`},
		{"no id", pretalx(`{"title":"T","guid":""}`), at + `the talk has neither guid nor id`},
		{"id fraction", pretalx(`{"id":1.5,"title":"T"}`), at + `id "1.5" is not a whole number`},
		{"id exponent", pretalx(`{"id":1e3,"title":"T"}`), at + `id "1e3" is not a whole number`},
		{"id object", pretalx(`{"id":{},"title":"T"}`), at + `id is an object, not text or a number`},
		{"talk null", pretalx(`null`), at + `is null, not a talk`},
		{"talk text", pretalx(`"talk"`), at + `is text, not an object`},
		{"bad start", pretalx(`{"id":1,"title":"T","start":"25:00"}`), at + `start "25:00" is not hh:mm`},
		{"bad date", pretalx(`{"id":1,"title":"T","date":"soon"}`), at + `date "soon" is not a date and time`},
		{"year", pretalx(`{"id":1,"title":"T","date":"0001-01-01T00:00:00Z"}`), at + `date "0001-01-01T00:00:00Z" is not between the years 1970 and 9000`},
		{"start without date", `{"schedule":{"conference":{"days":[{"rooms":{"A":[{"id":1,"title":"T","start":"10:00"}]}}]}}}`,
			`schedule.conference.days[0].rooms["A"][0]: start "10:00" has no date: neither the talk nor schedule.conference.days[0] gives one`},
		{"persons not a list", pretalx(`{"id":1,"title":"T","persons":"Ann"}`), at[:len(at)-2] + `.persons: is text, not a list`},
		{"person a number", pretalx(`{"id":1,"title":"T","persons":[3]}`), at[:len(at)-2] + `.persons[0]: is a number, not an object`},
		{"twice", `{"schedule":{"conference":{"days":[{"rooms":{"A":[{"id":1,"title":"T"}]}},{"rooms":{"B":[{"id":"1","title":"U"}]}}]}}}`,
			`schedule.conference.days[1].rooms["B"][0]: talk "1" is in the schedule twice (also at schedule.conference.days[0].rooms["A"][0])`},
		{"sessionize ends before", `{"sessions":[{"id":"12345","title":"T","startsAt":"2026-10-10T10:00:00","endsAt":"2026-10-10T09:00:00"}]}`, "session 12345: endsAt before startsAt"},
		{"sessionize bad start", `{"sessions":[{"id":"5","title":"T","startsAt":"tomorrow"}]}`, `session 5: startsAt "tomorrow" is not a date and time like 2026-10-10T10:00:00`},
		{"sessionize bad end", `{"sessions":[{"id":"5","title":"T","startsAt":"2026-10-10T10:00:00","endsAt":"2026-13-10T10:00:00"}]}`, `session 5: endsAt "2026-13-10T10:00:00" is not a date and time like 2026-10-10T10:00:00`},
		{"sessionize no title", `{"sessions":[{"id":5}]}`, "session 5: title is missing"},
		{"sessionize no id", `{"sessions":[{"title":"T"}]}`, "sessions[0]: the session has no id"},
		{"sessionize service flag", `{"sessions":[{"id":5,"title":"T","isServiceSession":"yes"}]}`, "session 5: isServiceSession is text, not true or false"},
		{"sessionize twice", `{"sessions":[{"id":5,"title":"T"},{"id":"5","title":"T"}]}`, "session 5 appears twice"},
		{"sessionize speakers", `{"sessions":[{"id":5,"title":"T","speakers":"x"}]}`, "session 5: speakers: is text, not a list"},
		{"sessionize rooms", `{"sessions":[],"rooms":{}}`, "rooms: is an object, not a list"},
		{"grouped different", `[{"sessions":[{"id":5,"title":"T"}]},{"sessions":[{"id":5,"title":"T2"}]}]`, "session 5 appears twice with different content"},
		{"grouped no id", `[{"sessions":[{"id":1,"title":"T"}]},{"sessions":[{"title":"T"}]}]`, "[1].sessions[0]: the session has no id"},
		{"grouped sessions null entry", `[{"sessions":[null]}]`, "[0].sessions[0]: is null, not a session"},
		{"too large", `{"sessions":[` + strings.Repeat(" ", MaxBytes) + `]}`, fmt.Sprintf("the schedule is %d bytes; at most 8388608 (8 MiB)", MaxBytes+15)},
		{"too many", string(genPretalx(MaxSessions + 1)), "the schedule has 3001 sessions; at most 3000"},
		{"too many sessionize", string(genSessionize(MaxSessions + 1)), "the schedule has 3001 sessions; at most 3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.data), time.UTC)
			if err == nil {
				t.Fatalf("no error; got %+v", s)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if err.Error() != tt.want || e.Msg != tt.want {
				t.Errorf("error\n got  %s\n want %s", err, tt.want)
			}
			if s != nil {
				t.Error("schedule returned with error")
			}
		})
	}
}

func TestServiceSessionsDoNotCount(t *testing.T) {
	// A duplicate id on a service session is no clash: breaks are skipped.
	in := `{"sessions":[{"id":1,"title":"Lunch","isServiceSession":true},{"id":1,"title":"Talk"}]}`
	s, err := Parse([]byte(in), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != 1 || s.Sessions[0].Title != "Talk" {
		t.Errorf("%s", dump(s.Sessions))
	}
}

func TestGenerated(t *testing.T) {
	for name, n := range map[string]int{"pretalx": 600, "sessionize": 600, "max": MaxSessions} {
		data := genPretalx(n)
		if name == "sessionize" {
			data = genSessionize(n)
		}
		t.Run(name, func(t *testing.T) {
			s, err := Parse(data, zone(t, "Asia/Tokyo"))
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			if len(s.Sessions) != n {
				t.Errorf("%d sessions, want %d", len(s.Sessions), n)
			}
			if s.AssumedZone != "Asia/Tokyo" {
				t.Errorf("assumed zone %q", s.AssumedZone)
			}
		})
	}
}

// genPretalx writes a pretalx schedule of n talks over 3 days and 5 rooms,
// times without offsets.
func genPretalx(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"schedule":{"version":"gen","conference":{"title":"Generated","days":[`)
	const days, rooms = 3, 5
	k := 0
	for d := 0; d < days; d++ {
		if d > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"index":%d,"date":"2026-10-%02d","rooms":{`, d+1, 10+d)
		for r := 0; r < rooms; r++ {
			if r > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"Room %d":[`, r)
			first := true
			for ; k < n*(d*rooms+r+1)/(days*rooms); k++ {
				if !first {
					b.WriteString(",")
				}
				first = false
				slot := k % 180
				fmt.Fprintf(&b, `{"id":%d,"guid":"00000000-0000-4000-8000-%012d","date":"2026-10-%02dT%02d:%02d:00","start":"%02d:%02d","duration":"00:05","title":"講演 %d","track":{"en":"Track %d"},"language":"ja","persons":[{"code":"P%d","public_name":"話者 %d"}],"abstract":"%s"}`,
					k, k, 10+d, 8+slot/12, slot%12*5, 8+slot/12, slot%12*5, k, k%7, k, k, strings.Repeat("x", 200))
			}
			b.WriteString("]")
		}
		b.WriteString("}}")
	}
	b.WriteString("]}}}")
	return b.Bytes()
}

// genSessionize writes a Sessionize All view of n sessions.
func genSessionize(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"sessions":[`)
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"%d","title":"Session %d","startsAt":"2026-10-10T%02d:%02d:00","endsAt":"2026-10-10T%02d:%02d:30","speakers":["s%d"],"categoryItems":[%d],"roomId":%d}`,
			k, k, k/60%24, k%60, k/60%24, k%60, k%50, k%3, k%4)
	}
	b.WriteString(`],"speakers":[`)
	for k := 0; k < 50; k++ {
		if k > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"s%d","firstName":"First%d","lastName":"Last%d","fullName":"Speaker %d"}`, k, k, k, k)
	}
	b.WriteString(`],"categories":[{"id":1,"title":"Track","items":[{"id":0,"name":"A"},{"id":1,"name":"B"},{"id":2,"name":"C"}]}],"rooms":[{"id":0,"name":"R0"},{"id":1,"name":"R1"},{"id":2,"name":"R2"},{"id":3,"name":"R3"}]}`)
	return b.Bytes()
}

func BenchmarkParse500(b *testing.B) {
	tokyo := zone(b, "Asia/Tokyo")
	for name, data := range map[string][]byte{"pretalx": genPretalx(500), "sessionize": genSessionize(500)} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				s, err := Parse(data, tokyo)
				if err != nil || len(s.Sessions) != 500 {
					b.Fatalf("%v %d", err, len(s.Sessions))
				}
			}
		})
	}
}
