package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"time"
)

// runImport measures timetable imports (F21): a pretalx schedule of
// --talks talks (ten rooms over three days, Japanese titles) is imported
// into a new event, --rounds times, one at a time, timed from the request
// to the answer; then imported again unchanged, and once with every title
// changed.
func runImport(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench import", flag.ContinueOnError)
	c.register(fs)
	talks := fs.Int("talks", 500, "talks in the schedule")
	rounds := fs.Int("rounds", 10, "imports into new events")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *talks < 1 || *rounds < 1 {
		return badFlags("--talks and --rounds must be positive")
	}
	ctx, cancel := c.context(ctx, 10*time.Minute)
	defer cancel()
	a := newAPI(c.urls, c.token, 4)
	schedule := benchSchedule(*talks, "")
	changed := benchSchedule(*talks, " (改訂)")
	var first, same, edit []float32
	timed := func(eventID int64, data string, want func(plan importPlan) bool) (float32, error) {
		var plan importPlan
		start := time.Now()
		err := a.do(ctx, "POST", fmt.Sprintf("/api/v1/events/%d/schedule/import", eventID), a.owner, map[string]any{"data": data}, &plan)
		d := ms(time.Since(start))
		if err == nil && !want(plan) {
			err = fmt.Errorf("unexpected plan: %d added, %d changed, %d unchanged", len(plan.Added), len(plan.Changed), plan.Unchanged)
		}
		return d, err
	}
	for range *rounds {
		t, err := a.newTalk(ctx)
		if err != nil {
			return err
		}
		d, err := timed(t.event, schedule, func(p importPlan) bool { return len(p.Added) == *talks })
		if err != nil {
			return err
		}
		first = append(first, d)
		if d, err = timed(t.event, schedule, func(p importPlan) bool { return p.Unchanged == *talks }); err != nil {
			return err
		}
		same = append(same, d)
		if d, err = timed(t.event, changed, func(p importPlan) bool { return len(p.Changed) == *talks }); err != nil {
			return err
		}
		edit = append(edit, d)
	}
	for _, l := range [][]float32{first, same, edit} {
		slices.Sort(l)
	}
	r.comment("import: a pretalx schedule of %d talks (%d KiB) into a new event, %d times, one at a time, at %s; %s",
		*talks, len(schedule)>>10, *rounds, c.url, generator())
	r.int("import_talks", int64(*talks))
	r.float("import_p50_ms", percentile(first, 50))
	r.float("import_p99_ms", percentile(first, 99))
	r.float("import_talks_per_s", float64(*talks)/float64(percentile(first, 50))*1000)
	r.float("import_unchanged_p50_ms", percentile(same, 50))
	r.float("import_changed_p50_ms", percentile(edit, 50))
	return nil
}

// importPlan is the part of an import's answer the bench checks.
type importPlan struct {
	Added     []json.RawMessage `json:"added"`
	Changed   []json.RawMessage `json:"changed"`
	Unchanged int               `json:"unchanged"`
}

// benchSchedule writes a pretalx schedule of n talks: ten rooms, three
// days from 09:00 Tokyo time, 40-minute slots; suffix ends every title.
func benchSchedule(n int, suffix string) string {
	const rooms, perDay = 10, 17
	type talk struct {
		ID       int                 `json:"id"`
		GUID     string              `json:"guid"`
		Title    string              `json:"title"`
		Room     string              `json:"room"`
		Date     string              `json:"date"`
		Start    string              `json:"start"`
		Duration string              `json:"duration"`
		Track    string              `json:"track"`
		Language string              `json:"language"`
		Persons  []map[string]string `json:"persons"`
	}
	type day struct {
		Index int               `json:"index"`
		Date  string            `json:"date"`
		Rooms map[string][]talk `json:"rooms"`
	}
	var days []day
	for i := range n {
		room, slot := i%rooms, i/rooms
		d, s := slot/perDay, slot%perDay
		for len(days) <= d {
			days = append(days, day{Index: len(days) + 1, Date: fmt.Sprintf("2026-10-%02d", 10+len(days)), Rooms: map[string][]talk{}})
		}
		start := time.Date(2026, 10, 10+d, 9, 0, 0, 0, time.FixedZone("JST", 9*3600)).Add(time.Duration(s) * 40 * time.Minute)
		name := fmt.Sprintf("Room %c", 'A'+room)
		days[d].Rooms[name] = append(days[d].Rooms[name], talk{ID: i + 1, GUID: fmt.Sprintf("bench-%d", i+1),
			Title: fmt.Sprintf("リアルタイム通信の設計 第%d回%s", i+1, suffix), Room: name, Date: start.Format(time.RFC3339),
			Start: start.Format("15:04"), Duration: "00:30", Track: fmt.Sprintf("Track %d", room%3+1), Language: "ja",
			Persons: []map[string]string{{"public_name": fmt.Sprintf("登壇者 %d", i+1)}}})
	}
	b, _ := json.Marshal(map[string]any{"schedule": map[string]any{"version": "bench", "conference": map[string]any{
		"title": "Bench Conf", "time_zone_name": "Asia/Tokyo", "days": days}}})
	return string(b)
}
