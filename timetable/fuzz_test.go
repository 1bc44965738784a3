package timetable

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and whatever
// it returns must hold the Schedule invariants (sorted, End >= Start,
// unique ids, bounded and valid text) or be an *Error.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "[]", "{}", "null", `{"sessions":[]}`, `[{"sessions":[]}]`,
		`{"schedule":{"conference":{"time_zone_name":"Europe/Berlin","days":[{"date":"2026-10-24","day_start":"18:00","rooms":{"A":[{"id":1,"title":"t","start":"02:30","duration":"999:59:59"}]}}]}}}`,
		`{"sessions":[{"id":"1","title":"t","startsAt":"2026-10-25T01:30:00","endsAt":"2026-10-25T03:00:00+01:00","speakers":["a"],"categoryItems":[1]}],"speakers":[{"id":"a","firstName":"A"}],"categories":[{"title":"Track","items":[{"id":1,"name":{"en":"x"}}]}]}`,
		`[{"sessions":[{"id":1,"title":"a"}]},{"sessions":[{"id":1,"title":"a"}]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Add(genPretalx(20))
	f.Add(genSessionize(20))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, berlin)
		if err != nil {
			if _, ok := err.(*Error); !ok || s != nil || err.Error() == "" {
				t.Fatalf("error %T %v with schedule %v", err, err, s)
			}
			return
		}
		checkInvariants(t, s)
	})
}
