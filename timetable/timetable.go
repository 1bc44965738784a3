// Package timetable reads conference schedules exported by pretalx, frab
// and Sessionize into one list of sessions.
//
// It knows nothing of koe: it turns bytes into sessions with the source's
// ids, and says in which time zone it read the times that named no UTC
// offset. Deciding what to do with the sessions is the caller's business.
package timetable

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format names the schedule format a Parse read.
type Format string

const (
	Pretalx    Format = "pretalx"    // pretalx and frab schedule JSON
	Sessionize Format = "sessionize" // Sessionize API v2: All view or grouped Sessions view
)

// Session is one talk of a schedule.
//
// Text fields are single lines: runs of white space (newlines and tabs
// included) become one space, other control characters are dropped, and
// the result is trimmed and cut to MaxTextLen code points.
type Session struct {
	SourceID string    // the source's id: pretalx/frab talk "guid" if non-empty, else "id" (number or string, as a decimal string); Sessionize session "id" (string or number)
	Title    string    // trimmed; never empty
	Speakers []string  // pretalx persons[].public_name, else .name, else .full_name; Sessionize speaker names (All view: speakers[].fullName, else firstName+" "+lastName; grouped view: speakers[].name); empty slice, never nil, if none
	Room     string    // pretalx: the rooms map key or talk "room"; Sessionize: session "room" (grouped) or rooms[] name by roomId (All)
	Track    string    // pretalx "track" (text, object with "name", or multilingual {"en": ...}: "en", else the first language); Sessionize: the item of the category titled "Track" (any case), else ""
	Language string    // pretalx "language" (e.g. "en", "ja"); Sessionize: the item of the category "Language", else ""
	Start    time.Time // zero when unscheduled; expressed in the schedule's zone (time_zone_name, else the zone passed)
	End      time.Time // zero when unscheduled; End >= Start (Start + duration in absolute time for pretalx/frab)
}

// Schedule is what Parse read.
type Schedule struct {
	Format   Format
	Title    string    // conference/event title if the source has one
	Sessions []Session // sorted by Start (unscheduled last), then Room, then SourceID
	// AssumedZone is the zone name offset-less times were read in ("" when
	// every time had an offset): the pretalx conference's "time_zone_name"
	// when present and valid, else the zone passed to Parse.
	AssumedZone string
}

// Limits.
const (
	MaxBytes    = 8 << 20 // larger input is refused
	MaxSessions = 3000
	MaxTextLen  = 1000 // longer titles/names are cut at a rune boundary (not refused); counted in code points
)

// Times outside these years are refused: no conference happens there, and
// the bound keeps every End encodable as RFC 3339.
const (
	minYear = 1970
	maxYear = 9000
)

// maxDurationHours bounds a talk's length (a camp may run a session for
// days, none runs for months) and keeps Start plus duration from overflowing.
const maxDurationHours = 999

// Error is what Parse returns for input it cannot read. Msg is plain
// English meant for the organizer who supplied the file.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

var errNotSchedule = &Error{Msg: "not a pretalx, frab or Sessionize schedule"}

// Parse reads a schedule, detecting its format. zone is where times without
// an offset are (the event's time zone) when the schedule does not name its
// own; nil means UTC.
func Parse(data []byte, zone *time.Location) (*Schedule, error) {
	if zone == nil {
		zone = time.UTC
	}
	if len(data) > MaxBytes {
		return nil, errorf("the schedule is %d bytes; at most %d (8 MiB)", len(data), MaxBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from a Windows editor
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errorf("the schedule is empty")
	}
	switch trimmed[0] {
	case '{':
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			return nil, jsonError(data, err)
		}
		if _, ok := top["schedule"]; ok {
			return parsePretalx(top["schedule"], zone)
		}
		if s, ok := top["sessions"]; ok && kind(s) == '[' {
			return parseSessionizeAll(top, zone)
		}
		return nil, errNotSchedule
	case '[':
		var groups []json.RawMessage
		if err := json.Unmarshal(data, &groups); err != nil {
			return nil, jsonError(data, err)
		}
		return parseSessionizeGrouped(groups, zone)
	default:
		if !json.Valid(data) {
			var v any
			return nil, jsonError(data, json.Unmarshal(data, &v))
		}
		return nil, errNotSchedule
	}
}

// jsonError says where the JSON broke, in lines and columns an editor shows.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		off := int(syn.Offset)
		if off > len(data) {
			off = len(data)
		}
		before := data[:off]
		line := bytes.Count(before, []byte("\n")) + 1
		col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
		if col == 0 {
			col = 1
		}
		return errorf("not valid JSON: %s (line %d, column %d)", syn.Error(), line, col)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return errNotSchedule
	}
	return errorf("not valid JSON: %v", err)
}

// finish checks the limits and puts the sessions in their order.
func finish(s *Schedule) (*Schedule, error) {
	if n := len(s.Sessions); n > MaxSessions {
		return nil, errorf("the schedule has %d sessions; at most %d", n, MaxSessions)
	}
	if s.Sessions == nil {
		s.Sessions = []Session{}
	}
	sort.Slice(s.Sessions, func(i, j int) bool {
		a, b := &s.Sessions[i], &s.Sessions[j]
		if az, bz := a.Start.IsZero(), b.Start.IsZero(); az != bz {
			return bz
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Room != b.Room {
			return a.Room < b.Room
		}
		return a.SourceID < b.SourceID
	})
	return s, nil
}

// clean makes source text a bounded single line (see Session).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	space, n := false, 0
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) {
			continue
		}
		if space {
			if n+1 >= MaxTextLen {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= MaxTextLen {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// kind is the first byte of a JSON value: '{', '[', '"', 't', 'f', 'n' or
// a number's first character; 0 for an absent value.
func kind(r json.RawMessage) byte {
	r = bytes.TrimLeft(r, " \t\r\n")
	if len(r) == 0 {
		return 0
	}
	return r[0]
}

func absent(r json.RawMessage) bool {
	k := kind(r)
	return k == 0 || k == 'n'
}

func kindName(r json.RawMessage) string {
	switch kind(r) {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "text"
	case 't', 'f':
		return "true/false"
	case 'n', 0:
		return "null"
	default:
		return "a number"
	}
}

// object reads a JSON object; an absent or null value is an empty one.
func object(r json.RawMessage, path string) (map[string]json.RawMessage, error) {
	if absent(r) {
		return nil, nil
	}
	if kind(r) != '{' {
		return nil, errorf("%s: is %s, not an object", path, kindName(r))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	return m, nil
}

// list reads a JSON array; an absent or null value is an empty one.
func list(r json.RawMessage, path string) ([]json.RawMessage, error) {
	if absent(r) {
		return nil, nil
	}
	if kind(r) != '[' {
		return nil, errorf("%s: is %s, not a list", path, kindName(r))
	}
	var l []json.RawMessage
	if err := json.Unmarshal(r, &l); err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	return l, nil
}

// str reads a JSON string field; absent or null is "".
func str(m map[string]json.RawMessage, field, path string) (string, error) {
	r := m[field]
	if absent(r) {
		return "", nil
	}
	if kind(r) != '"' {
		return "", errorf("%s: %s is %s, not text", path, field, kindName(r))
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return "", errorf("%s: %s: %v", path, field, err)
	}
	return s, nil
}

// boolean reads a JSON true/false field; absent or null is false.
func boolean(m map[string]json.RawMessage, field, path string) (bool, error) {
	r := m[field]
	if absent(r) {
		return false, nil
	}
	var b bool
	if k := kind(r); k != 't' && k != 'f' || json.Unmarshal(r, &b) != nil {
		return false, errorf("%s: %s is %s, not true or false", path, field, kindName(r))
	}
	return b, nil
}

// id reads an identifier given as text or as a whole number; absent, null
// and blank are "".
func id(r json.RawMessage, field, path string) (string, error) {
	switch k := kind(r); {
	case absent(r):
		return "", nil
	case k == '"':
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return "", errorf("%s: %s: %v", path, field, err)
		}
		s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
		if utf8.RuneCountInString(s) > MaxTextLen {
			return "", errorf("%s: %s is longer than %d characters", path, field, MaxTextLen)
		}
		return s, nil
	case k == '-' || k >= '0' && k <= '9':
		var n json.Number
		if err := json.Unmarshal(r, &n); err != nil {
			return "", errorf("%s: %s: %v", path, field, err)
		}
		// JSON forbids leading zeros, so digits are already the decimal
		// form; keeping the text keeps ids past 2^63 exact.
		digits := strings.TrimPrefix(n.String(), "-")
		if digits == "" || len(digits) > 40 || strings.Trim(digits, "0123456789") != "" {
			return "", errorf("%s: %s %s is not a whole number", path, field, quote(n.String()))
		}
		return n.String(), nil
	default:
		return "", errorf("%s: %s is %s, not text or a number", path, field, kindName(r))
	}
}

// text reads a name that may be plain text, an object with a "name", or a
// multilingual object such as {"en": "Security", "ja": "セキュリティ"}: then
// "en", else the first language given. Absent or null is "".
func text(r json.RawMessage, field, path string) (string, error) {
	return textDepth(r, field, path, 0)
}

func textDepth(r json.RawMessage, field, path string, depth int) (string, error) {
	switch kind(r) {
	case 0, 'n':
		return "", nil
	case '"':
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return "", errorf("%s: %s: %v", path, field, err)
		}
		return s, nil
	case '{':
		if depth > 1 {
			break
		}
		m, err := object(r, path)
		if err != nil {
			return "", err
		}
		if name, ok := m["name"]; ok {
			return textDepth(name, field, path, depth+1)
		}
		if en, ok := m["en"]; ok && kind(en) == '"' {
			if s, err := textDepth(en, field, path, depth+1); err != nil || strings.TrimSpace(s) != "" {
				return s, err
			}
		}
		return firstString(r), nil
	}
	return "", errorf("%s: %s is %s, not text", path, field, kindName(r))
}

// firstString is the first text value of a JSON object, in document order
// (a map would forget which came first).
func firstString(r json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(r))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		if _, err := dec.Token(); err != nil { // the key
			return ""
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return ""
		}
		if kind(v) == '"' {
			var s string
			if json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) != "" {
				return s
			}
		}
	}
	return ""
}

// dateTime reads an ISO 8601 date and time, with or without a UTC offset.
// Without one it is a wall-clock time in loc; withOffset says which.
func dateTime(s string, loc *time.Location) (t time.Time, withOffset, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.In(loc), true, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			h, m, sec := t.Clock()
			return wallTime(t.Year(), t.Month(), t.Day(), h, m, sec, t.Nanosecond(), loc), false, true
		}
	}
	return time.Time{}, false, false
}

// wallTime is time.Date, but a wall-clock time that happens twice (the hour
// repeated when clocks go back) is always the first of the two, where
// time.Date promises neither.
func wallTime(y int, mo time.Month, d, h, mi, s, ns int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, h, mi, s, ns, loc)
	_, before := t.Add(-12 * time.Hour).Zone()
	_, after := t.Add(12 * time.Hour).Zone()
	if before > after {
		earlier := t.Add(-time.Duration(before-after) * time.Second)
		ey, emo, ed := earlier.Date()
		eh, emi, es := earlier.Clock()
		if ey == y && emo == mo && ed == d && eh == h && emi == mi && es == s {
			return earlier
		}
	}
	return t
}

// inRange reports whether t lies in the years a schedule may use.
func inRange(t time.Time) bool {
	return t.Year() >= minYear && t.Year() <= maxYear
}

// clock reads "HH:MM" or "HH:MM:SS" with hours 0 to max.
func clock(s string, max int) (time.Duration, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 2 && len(parts) != 3 {
		return 0, false
	}
	var v [3]int
	for i, p := range parts {
		if p == "" || len(p) > 3 || i > 0 && len(p) != 2 {
			return 0, false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	if v[0] > max || v[1] > 59 || v[2] > 59 {
		return 0, false
	}
	return time.Duration(v[0])*time.Hour + time.Duration(v[1])*time.Minute + time.Duration(v[2])*time.Second, true
}

// quote shows source text in an error message, shortened.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		s = string(r[:57]) + "..."
	}
	return fmt.Sprintf("%q", s)
}
