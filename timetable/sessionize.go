package timetable

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// sessionizeRefs resolves the ids an All view's sessions point at. The
// grouped view inlines names instead and leaves these empty.
type sessionizeRefs struct {
	speakers map[string]string // speaker id → name
	items    map[string]sessionizeItem
	rooms    map[string]string // room id → name
}

type sessionizeItem struct {
	category string // the category's title, e.g. "Track"
	name     string
}

type sessionizeParser struct {
	refs    sessionizeRefs
	zone    *time.Location
	assumed bool
}

// parseSessionizeAll reads the Sessionize API v2 "All" view:
// {"sessions": [...], "speakers": [...], "categories": [...], "rooms": [...]}.
func parseSessionizeAll(top map[string]json.RawMessage, zone *time.Location) (*Schedule, error) {
	p := sessionizeParser{zone: zone, refs: sessionizeRefs{
		speakers: map[string]string{}, items: map[string]sessionizeItem{}, rooms: map[string]string{},
	}}
	speakers, err := list(top["speakers"], "speakers")
	if err != nil {
		return nil, err
	}
	for i, raw := range speakers {
		path := fmt.Sprintf("speakers[%d]", i)
		m, err := object(raw, path)
		if err != nil {
			return nil, err
		}
		sid, err := id(m["id"], "id", path)
		if err != nil {
			return nil, err
		}
		name, err := speakerName(m, path)
		if err != nil {
			return nil, err
		}
		p.refs.speakers[sid] = name
	}
	categories, err := list(top["categories"], "categories")
	if err != nil {
		return nil, err
	}
	for i, raw := range categories {
		path := fmt.Sprintf("categories[%d]", i)
		m, err := object(raw, path)
		if err != nil {
			return nil, err
		}
		title, err := categoryTitle(m, path)
		if err != nil {
			return nil, err
		}
		items, err := list(m["items"], path+".items")
		if err != nil {
			return nil, err
		}
		for j, raw := range items {
			ip := fmt.Sprintf("%s.items[%d]", path, j)
			im, err := object(raw, ip)
			if err != nil {
				return nil, err
			}
			iid, err := id(im["id"], "id", ip)
			if err != nil {
				return nil, err
			}
			name, err := text(im["name"], "name", ip)
			if err != nil {
				return nil, err
			}
			p.refs.items[iid] = sessionizeItem{category: title, name: clean(name)}
		}
	}
	rooms, err := list(top["rooms"], "rooms")
	if err != nil {
		return nil, err
	}
	for i, raw := range rooms {
		path := fmt.Sprintf("rooms[%d]", i)
		m, err := object(raw, path)
		if err != nil {
			return nil, err
		}
		rid, err := id(m["id"], "id", path)
		if err != nil {
			return nil, err
		}
		name, err := text(m["name"], "name", path)
		if err != nil {
			return nil, err
		}
		p.refs.rooms[rid] = clean(name)
	}

	sessions, err := list(top["sessions"], "sessions")
	if err != nil {
		return nil, err
	}
	s := &Schedule{Format: Sessionize, Sessions: []Session{}}
	seen := map[string]bool{}
	for i, raw := range sessions {
		sess, skip, err := p.session(raw, fmt.Sprintf("sessions[%d]", i))
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		if seen[sess.SourceID] {
			return nil, errorf("session %s appears twice", sess.SourceID)
		}
		seen[sess.SourceID] = true
		s.Sessions = append(s.Sessions, sess)
	}
	if p.assumed {
		s.AssumedZone = zone.String()
	}
	return finish(s)
}

// parseSessionizeGrouped reads the Sessionize API v2 "Sessions" view:
// [{"groupId", "groupName", "sessions": [...]}], names inlined. A session
// may sit in several groups; it is kept once.
func parseSessionizeGrouped(groups []json.RawMessage, zone *time.Location) (*Schedule, error) {
	lists := make([][]json.RawMessage, len(groups))
	for i, raw := range groups {
		if kind(raw) != '{' {
			return nil, errNotSchedule
		}
		m, err := object(raw, fmt.Sprintf("[%d]", i))
		if err != nil {
			return nil, err
		}
		// Sessionize has more views than the two read here; name the one
		// given so the organizer knows which URL to take instead.
		_, first := m["firstName"]
		_, full := m["fullName"]
		_, slots := m["timeSlots"]
		switch _, ok := m["sessions"]; {
		case first || full:
			return nil, errorf("this is the Sessionize Speakers view; use the All view or the Sessions view")
		case slots:
			return nil, errorf("this is the Sessionize schedule grid view; use the All view or the Sessions view")
		case !ok:
			return nil, errNotSchedule
		}
		if lists[i], err = list(m["sessions"], fmt.Sprintf("[%d].sessions", i)); err != nil {
			return nil, err
		}
	}
	p := sessionizeParser{zone: zone}
	s := &Schedule{Format: Sessionize, Sessions: []Session{}}
	at := map[string]int{} // source id → index in s.Sessions
	for i, sessions := range lists {
		for j, raw := range sessions {
			sess, skip, err := p.session(raw, fmt.Sprintf("[%d].sessions[%d]", i, j))
			if err != nil {
				return nil, err
			}
			if skip {
				continue
			}
			if k, ok := at[sess.SourceID]; ok {
				if !sameSession(s.Sessions[k], sess) {
					return nil, errorf("session %s appears twice with different content", sess.SourceID)
				}
				continue
			}
			at[sess.SourceID] = len(s.Sessions)
			s.Sessions = append(s.Sessions, sess)
		}
	}
	if p.assumed {
		s.AssumedZone = zone.String()
	}
	return finish(s)
}

// session reads one session of either view; skip is true for service
// sessions (breaks, lunch), which have no talk.
func (p *sessionizeParser) session(raw json.RawMessage, path string) (s Session, skip bool, err error) {
	m, err := object(raw, path)
	if err != nil {
		return s, false, err
	}
	if m == nil {
		return s, false, errorf("%s: is null, not a session", path)
	}
	if s.SourceID, err = id(m["id"], "id", path); err != nil {
		return s, false, err
	}
	if s.SourceID == "" {
		return s, false, errorf("%s: the session has no id", path)
	}
	who := "session " + s.SourceID
	service, err := boolean(m, "isServiceSession", who)
	if err != nil || service {
		return s, service, err
	}
	title, err := text(m["title"], "title", who)
	if err != nil {
		return s, false, err
	}
	if s.Title = clean(title); s.Title == "" {
		return s, false, errorf("%s: title is missing", who)
	}

	s.Speakers = []string{}
	speakers, err := list(m["speakers"], who+": speakers")
	if err != nil {
		return s, false, err
	}
	for k, raw := range speakers {
		var name string
		if kind(raw) == '{' { // grouped view: {"id", "name"}
			sm, err := object(raw, fmt.Sprintf("%s: speakers[%d]", who, k))
			if err != nil {
				return s, false, err
			}
			if name, err = speakerName(sm, fmt.Sprintf("%s: speakers[%d]", who, k)); err != nil {
				return s, false, err
			}
		} else { // All view: an id into speakers[]
			sid, err := id(raw, fmt.Sprintf("speakers[%d]", k), who)
			if err != nil {
				return s, false, err
			}
			name = p.refs.speakers[sid] // an id Sessionize did not list is no one to show
		}
		if name != "" {
			s.Speakers = append(s.Speakers, name)
		}
	}

	// All view: categoryItems are ids; grouped: categories carry names.
	items, err := list(m["categoryItems"], who+": categoryItems")
	if err != nil {
		return s, false, err
	}
	for k, raw := range items {
		iid, err := id(raw, fmt.Sprintf("categoryItems[%d]", k), who)
		if err != nil {
			return s, false, err
		}
		if it, ok := p.refs.items[iid]; ok {
			s.category(it.category, it.name)
		}
	}
	cats, err := list(m["categories"], who+": categories")
	if err != nil {
		return s, false, err
	}
	for k, raw := range cats {
		cp := fmt.Sprintf("%s: categories[%d]", who, k)
		cm, err := object(raw, cp)
		if err != nil {
			return s, false, err
		}
		title, err := categoryTitle(cm, cp)
		if err != nil {
			return s, false, err
		}
		ci, err := list(cm["categoryItems"], cp+".categoryItems")
		if err != nil {
			return s, false, err
		}
		for l, raw := range ci {
			ip := fmt.Sprintf("%s.categoryItems[%d]", cp, l)
			im, err := object(raw, ip)
			if err != nil {
				return s, false, err
			}
			name, err := text(im["name"], "name", ip)
			if err != nil {
				return s, false, err
			}
			s.category(title, clean(name))
		}
	}

	room, err := text(m["room"], "room", who)
	if err != nil {
		return s, false, err
	}
	if s.Room = clean(room); s.Room == "" {
		rid, err := id(m["roomId"], "roomId", who)
		if err != nil {
			return s, false, err
		}
		s.Room = p.refs.rooms[rid]
	}

	if s.Start, s.End, err = p.times(m, who); err != nil {
		return s, false, err
	}
	return s, false, nil
}

// category files a category item under Track or Language; the first item
// of each wins.
func (s *Session) category(title, item string) {
	switch {
	case strings.EqualFold(title, "track") && s.Track == "":
		s.Track = item
	case strings.EqualFold(title, "language") && s.Language == "":
		s.Language = item
	}
}

func (p *sessionizeParser) times(m map[string]json.RawMessage, who string) (start, end time.Time, err error) {
	startsAt, err := str(m, "startsAt", who)
	if err != nil || startsAt == "" {
		return start, end, err // not scheduled yet
	}
	start, err = p.time(startsAt, "startsAt", who)
	if err != nil {
		return start, end, err
	}
	endsAt, err := str(m, "endsAt", who)
	if err != nil {
		return start, end, err
	}
	if endsAt == "" {
		return start, start, nil
	}
	if end, err = p.time(endsAt, "endsAt", who); err != nil {
		return start, end, err
	}
	if end.Before(start) {
		return start, end, errorf("%s: endsAt before startsAt", who)
	}
	return start, end, nil
}

func (p *sessionizeParser) time(v, field, who string) (time.Time, error) {
	t, withOffset, ok := dateTime(v, p.zone)
	if !ok {
		return t, errorf("%s: %s %s is not a date and time like 2026-10-10T10:00:00", who, field, quote(v))
	}
	if !inRange(t) {
		return t, errorf("%s: %s %s is not between the years %d and %d", who, field, quote(v), minYear, maxYear)
	}
	p.assumed = p.assumed || !withOffset
	return t, nil
}

// speakerName is fullName (All view) or name (grouped view), else
// firstName and lastName.
func speakerName(m map[string]json.RawMessage, path string) (string, error) {
	for _, field := range []string{"fullName", "name"} {
		name, err := text(m[field], field, path)
		if err != nil {
			return "", err
		}
		if name = clean(name); name != "" {
			return name, nil
		}
	}
	first, err := text(m["firstName"], "firstName", path)
	if err != nil {
		return "", err
	}
	last, err := text(m["lastName"], "lastName", path)
	if err != nil {
		return "", err
	}
	return clean(first + " " + last), nil
}

// categoryTitle is "title" in the All view and "name" in the grouped one.
func categoryTitle(m map[string]json.RawMessage, path string) (string, error) {
	title, err := text(m["title"], "title", path)
	if err != nil || clean(title) != "" {
		return clean(title), err
	}
	name, err := text(m["name"], "name", path)
	return clean(name), err
}

func sameSession(a, b Session) bool {
	return a.SourceID == b.SourceID && a.Title == b.Title && slices.Equal(a.Speakers, b.Speakers) &&
		a.Room == b.Room && a.Track == b.Track && a.Language == b.Language &&
		a.Start.Equal(b.Start) && a.End.Equal(b.End)
}
