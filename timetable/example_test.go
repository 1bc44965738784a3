package timetable_test

import (
	"fmt"
	"time"

	"github.com/koehq/koe/timetable"
)

func ExampleParse() {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	data := []byte(`{"sessions": [{"id": "48211", "title": "Opening Keynote",
		"startsAt": "2026-10-10T10:00:00", "endsAt": "2026-10-10T10:45:00",
		"speakers": ["a1"], "roomId": 1}],
		"speakers": [{"id": "a1", "firstName": "Ada", "lastName": "Example"}],
		"rooms": [{"id": 1, "name": "Main Hall"}]}`)
	s, err := timetable.Parse(data, tokyo)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Format, "times read in", s.AssumedZone)
	for _, x := range s.Sessions {
		fmt.Println(x.SourceID, x.Title, x.Speakers, x.Room, x.Start.Format(time.RFC3339), x.End.Sub(x.Start))
	}
	_, err = timetable.Parse([]byte(`{"talks": []}`), tokyo)
	fmt.Println(err)
	// Output:
	// sessionize times read in Asia/Tokyo
	// 48211 Opening Keynote [Ada Example] Main Hall 2026-10-10T10:00:00+09:00 45m0s
	// not a pretalx, frab or Sessionize schedule
}
