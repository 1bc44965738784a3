package timetable

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// parsePretalx reads the schedule JSON of pretalx and of frab (and the
// c3voc tools that write the same shape): schedule.conference.days[], each
// with rooms mapping a room name to its talks.
func parsePretalx(raw json.RawMessage, zone *time.Location) (*Schedule, error) {
	sched, err := object(raw, "schedule")
	if err != nil {
		return nil, err
	}
	conf, err := object(sched["conference"], "schedule.conference")
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, errorf("schedule.conference is missing: not a pretalx or frab schedule")
	}
	title, err := text(conf["title"], "title", "schedule.conference")
	if err != nil {
		return nil, err
	}
	p := pretalxParser{loc: zone, zoneName: zone.String(), seen: map[string]string{}}
	tz, err := str(conf, "time_zone_name", "schedule.conference")
	if err != nil {
		return nil, err
	}
	if loc, ok := loadZone(tz); ok {
		p.loc, p.zoneName = loc, tz
	}
	days, err := list(conf["days"], "schedule.conference.days")
	if err != nil {
		return nil, err
	}
	for i, d := range days {
		if err := p.day(d, fmt.Sprintf("schedule.conference.days[%d]", i)); err != nil {
			return nil, err
		}
	}
	s := &Schedule{Format: Pretalx, Title: clean(title), Sessions: p.sessions}
	if p.assumed {
		s.AssumedZone = p.zoneName
	}
	return finish(s)
}

// loadZone accepts an IANA zone name. "Local" is refused: the machine
// reading the file is not where the conference is.
func loadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 100 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

type pretalxParser struct {
	loc      *time.Location
	zoneName string
	assumed  bool              // a time without offset was read in loc
	seen     map[string]string // source id → where it was first seen
	sessions []Session
}

// pretalxDay is what a day tells its talks: its date and, for frab's bare
// "HH:MM" starts, when the day begins (a start before it is after midnight).
type pretalxDay struct {
	date     time.Time // midnight UTC of the day's date; zero if none
	start    time.Duration
	hasStart bool
	path     string
}

func (p *pretalxParser) day(raw json.RawMessage, path string) error {
	m, err := object(raw, path)
	if err != nil {
		return err
	}
	var d pretalxDay
	d.path = path
	date, err := str(m, "date", path)
	if err != nil {
		return err
	}
	if date != "" {
		t, err := time.Parse("2006-01-02", date)
		if err != nil {
			return errorf("%s: date %s is not a date like 2026-10-10", path, quote(date))
		}
		d.date = t
	}
	ds, err := str(m, "day_start", path)
	if err != nil {
		return err
	}
	if ds != "" {
		if t, _, ok := dateTime(ds, p.loc); ok {
			h, mi, s := t.Clock()
			d.start = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second
		} else if c, ok := clock(ds, 23); ok {
			d.start = c
		} else {
			return errorf("%s: day_start %s is not a time", path, quote(ds))
		}
		d.hasStart = true
	}
	rooms, err := object(m["rooms"], path+".rooms")
	if err != nil {
		return err
	}
	names := make([]string, 0, len(rooms))
	for name := range rooms {
		names = append(names, name)
	}
	sort.Strings(names) // errors name the same talk on every run
	for _, name := range names {
		rp := fmt.Sprintf("%s.rooms[%q]", path, name)
		talks, err := list(rooms[name], rp)
		if err != nil {
			return err
		}
		for j, t := range talks {
			if err := p.talk(t, &d, name, fmt.Sprintf("%s[%d]", rp, j)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *pretalxParser) talk(raw json.RawMessage, d *pretalxDay, roomKey, path string) error {
	m, err := object(raw, path)
	if err != nil {
		return err
	}
	if m == nil {
		return errorf("%s: is null, not a talk", path)
	}
	sid, err := id(m["guid"], "guid", path)
	if err != nil {
		return err
	}
	if sid == "" {
		if sid, err = id(m["id"], "id", path); err != nil {
			return err
		}
	}
	if sid == "" {
		return errorf("%s: the talk has neither guid nor id", path)
	}
	if prev, ok := p.seen[sid]; ok {
		return errorf("%s: talk %s is in the schedule twice (also at %s)", path, quote(sid), prev)
	}
	p.seen[sid] = path

	s := Session{SourceID: sid, Speakers: []string{}}
	title, err := text(m["title"], "title", path)
	if err != nil {
		return err
	}
	if s.Title = clean(title); s.Title == "" {
		return errorf("%s: talk %s has no title", path, quote(sid))
	}
	if s.Room = clean(roomKey); s.Room == "" {
		room, err := text(m["room"], "room", path)
		if err != nil {
			return err
		}
		s.Room = clean(room)
	}
	track, err := text(m["track"], "track", path)
	if err != nil {
		return err
	}
	s.Track = clean(track)
	lang, err := text(m["language"], "language", path)
	if err != nil {
		return err
	}
	s.Language = clean(lang)
	persons, err := list(m["persons"], path+".persons")
	if err != nil {
		return err
	}
	for k, pr := range persons {
		name, err := personName(pr, fmt.Sprintf("%s.persons[%d]", path, k))
		if err != nil {
			return err
		}
		if name != "" {
			s.Speakers = append(s.Speakers, name)
		}
	}
	if s.Start, err = p.start(m, d, path); err != nil {
		return err
	}
	dur, err := str(m, "duration", path)
	if err != nil {
		return err
	}
	var length time.Duration
	if dur != "" {
		var ok bool
		if length, ok = clock(dur, maxDurationHours); !ok {
			return errorf("%s: duration %s is not hh:mm", path, quote(dur))
		}
	}
	if !s.Start.IsZero() {
		s.End = s.Start.Add(length) // absolute time: right across a DST change
	}
	p.sessions = append(p.sessions, s)
	return nil
}

// start is the talk's start: its "date" when that has a time, else the
// day's date (or the talk's own date) at "start" in the zone.
func (p *pretalxParser) start(m map[string]json.RawMessage, d *pretalxDay, path string) (time.Time, error) {
	date, err := str(m, "date", path)
	if err != nil {
		return time.Time{}, err
	}
	base := d.date
	if date != "" {
		if t, withOffset, ok := dateTime(date, p.loc); ok {
			if !inRange(t) {
				return time.Time{}, errorf("%s: date %s is not between the years %d and %d", path, quote(date), minYear, maxYear)
			}
			p.assumed = p.assumed || !withOffset
			return t, nil
		}
		t, err := time.Parse("2006-01-02", date)
		if err != nil {
			return time.Time{}, errorf("%s: date %s is not a date and time", path, quote(date))
		}
		base = t
	}
	st, err := str(m, "start", path)
	if err != nil || st == "" {
		return time.Time{}, err // neither: the talk is not scheduled
	}
	c, ok := clock(st, 23)
	if !ok {
		return time.Time{}, errorf("%s: start %s is not hh:mm", path, quote(st))
	}
	if base.IsZero() {
		return time.Time{}, errorf("%s: start %s has no date: neither the talk nor %s gives one", path, quote(st), d.path)
	}
	if date == "" && d.hasStart && c < d.start {
		base = base.AddDate(0, 0, 1) // after midnight, still the same conference day
	}
	if base.Year() < minYear || base.Year() > maxYear {
		return time.Time{}, errorf("%s: the date %s is not between the years %d and %d", path, base.Format("2006-01-02"), minYear, maxYear)
	}
	p.assumed = true
	h, mi, s := int(c/time.Hour), int(c%time.Hour/time.Minute), int(c%time.Minute/time.Second)
	return wallTime(base.Year(), base.Month(), base.Day(), h, mi, s, 0, p.loc), nil
}

// personName is a frab/pretalx person's shown name: public_name, else
// name, else full_name. Some tools write persons as plain names.
func personName(raw json.RawMessage, path string) (string, error) {
	if kind(raw) == '"' {
		name, err := text(raw, "person", path)
		return clean(name), err
	}
	m, err := object(raw, path)
	if err != nil {
		return "", err
	}
	for _, field := range []string{"public_name", "name", "full_name"} {
		name, err := text(m[field], field, path)
		if err != nil {
			return "", err
		}
		if name = clean(name); name != "" {
			return name, nil
		}
	}
	return "", nil
}
