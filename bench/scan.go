package bench

import (
	"bytes"
	"encoding/json"
	"time"
)

// In the fan-out benchmark 10,000 subscribers together receive about
// 100,000 messages a second, each a few kilobytes, on one core. Decoding a
// typical one (a question and twenty like updates) with encoding/json takes
// about 40 µs, four cores' worth; this scanner takes a fifth of that. It
// walks the JSON structure, skips strings with bytes.IndexByte (the bulk of
// the bytes: question bodies, timestamps) and keeps only the fields the
// benchmark measures, reading exact keys in any order; the fuzz test checks
// it against encoding/json on valid input. scanCache then spares most
// messages even that (see scancache.go).

// msgKind is the "type" of a server message.
type msgKind uint8

const (
	msgOther msgKind = iota
	msgSubscribed
	msgEvents
	msgReset
	msgError
)

// eventKind is the "type" of one stream event, as far as the benchmark cares.
type eventKind uint8

const (
	evOther       eventKind = iota
	evCreated               // question.created
	evLikes                 // question.likes
	evReactions             // reactions (ephemeral: taps per emoji)
	evTalkUpdated           // talk.updated (a highlight)
)

// event is what the benchmark keeps of one stream event: its kind, the
// question id and version from its data, and for the kinds whose server
// time is used (question.created, reactions, talk.updated) the time the
// server accepted it.
type event struct {
	kind       eventKind
	id         int64
	version    int64
	time       time.Time
	hasID      bool
	hasVersion bool
	hasTime    bool
}

// scanMessage reads one server message. It returns the message type and,
// for an events message, the events appended to evs[:0]. ok is false when
// the message is not a JSON object or is cut short; on input that is not
// valid JSON the results are unspecified but scanning stays bounded.
func scanMessage(b []byte, evs []event) (kind msgKind, out []event, ok bool) {
	s := scanner{b: b}
	out = evs[:0]
	ok = s.members(func(key []byte) bool {
		switch {
		case strIs(key, "type"):
			v, isStr := s.str()
			if !isStr {
				kind = msgOther
				return s.skip()
			}
			switch {
			case strIs(v, "events"):
				kind = msgEvents
			case strIs(v, "subscribed"):
				kind = msgSubscribed
			case strIs(v, "reset"):
				kind = msgReset
			case strIs(v, "error"):
				kind = msgError
			default:
				kind = msgOther
			}
			return true
		case strIs(key, "events"):
			// A repeated key replaces the earlier value, as in encoding/json.
			out = out[:0]
			if s.peek() != '[' {
				return s.skip()
			}
			var elemsOK bool
			out, elemsOK = s.events(out)
			return elemsOK
		default:
			return s.skip()
		}
	})
	return kind, out, ok
}

// events reads an array of events, keeping the elements that are objects.
func (s *scanner) events(out []event) ([]event, bool) {
	ok := s.elements(func() bool {
		if s.peek() != '{' {
			return s.skip()
		}
		var ev event
		var rawTime []byte
		ok := s.members(func(key []byte) bool {
			switch {
			case strIs(key, "type"):
				ev.kind = evOther
				v, isStr := s.str()
				if !isStr {
					return s.skip()
				}
				switch {
				case strIs(v, "question.created"):
					ev.kind = evCreated
				case strIs(v, "question.likes"):
					ev.kind = evLikes
				case strIs(v, "reactions"):
					ev.kind = evReactions
				case strIs(v, "talk.updated"):
					ev.kind = evTalkUpdated
				}
				return true
			case strIs(key, "time"):
				var isStr bool
				if rawTime, isStr = s.str(); !isStr {
					rawTime = nil
					return s.skip()
				}
				return true
			case strIs(key, "data"):
				ev.id, ev.hasID, ev.version, ev.hasVersion = 0, false, 0, false
				if s.peek() != '{' {
					return s.skip()
				}
				return s.members(func(key []byte) bool {
					switch {
					case strIs(key, "id"):
						ev.id, ev.hasID = s.int()
					case strIs(key, "version"):
						ev.version, ev.hasVersion = s.int()
					default:
						return s.skip()
					}
					return !s.bad
				})
			default:
				return s.skip()
			}
		})
		if !ok {
			return false
		}
		if (ev.kind == evCreated || ev.kind == evReactions || ev.kind == evTalkUpdated) && rawTime != nil {
			if t, err := time.Parse(time.RFC3339Nano, unquote(rawTime)); err == nil {
				ev.time, ev.hasTime = t, true
			}
		}
		out = append(out, ev)
		return true
	})
	return out, ok
}

// scanner is a cursor over a JSON text. Its methods skip leading white
// space themselves; bad records a malformed token.
type scanner struct {
	b   []byte
	i   int
	bad bool
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.space()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// members reads an object, calling value for each member with its raw key
// (quotes included) and the cursor before its value; value consumes it.
func (s *scanner) members(value func(key []byte) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.str()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		if !value(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// elements reads an array, calling value with the cursor before each element.
func (s *scanner) elements(value func() bool) bool {
	if s.peek() != '[' {
		return false
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !value() {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string and returns it raw, quotes included, or false (without
// moving) when the next value is not a string.
func (s *scanner) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i
	j := start + 1
	// Keys and most values are short: a plain loop over them is cheaper
	// than calling IndexByte, which pays off on long ones (question bodies).
	for end := min(j+24, len(s.b)); j < end; j++ {
		switch s.b[j] {
		case '"':
			s.i = j + 1
			return s.b[start:s.i], true
		case '\\':
			j = end // escapes: take the general path from the start
		}
	}
	j = start + 1
	for {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			s.bad = true
			return nil, false
		}
		j += k
		// The quote ends the string unless an odd run of backslashes
		// escapes it. Each run is looked at once, so this stays linear.
		n := 0
		for p := j - 1; p > start && s.b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			s.i = j
			return s.b[start:j], true
		}
	}
}

// int reads an integer value. Anything else (a fraction, an exponent, a
// value out of range, null) is consumed and reported as not ok, which is
// what decoding into an int64 does.
func (s *scanner) int() (int64, bool) {
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		s.bad = !s.skip()
		return 0, false
	}
	start := s.i
	s.primitive()
	return parseInt(s.b[start:s.i])
}

// primitive consumes a number or literal: everything up to a delimiter.
func (s *scanner) primitive() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':':
			return
		}
		s.i++
	}
}

// skip consumes one value of any kind. Nesting is tracked with a counter,
// not recursion, so deep input cannot exhaust the stack.
func (s *scanner) skip() bool {
	switch s.peek() {
	case 0:
		return false
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
	default:
		start := s.i
		s.primitive()
		return s.i > start
	}
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		}
		s.i++
	}
	return false
}

// parseInt parses an optionally negative run of decimal digits into an
// int64, reporting false on anything else or on overflow.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return int64(-n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// strIs compares a raw string (quotes included) with want. An escape
// sequence is longer than what it stands for, so a raw string no longer
// than want can only match byte for byte; only longer ones with a backslash
// need decoding (the server writes keys and types without escapes).
func strIs(raw []byte, want string) bool {
	inner := raw[1 : len(raw)-1]
	if len(inner) <= len(want) {
		return string(inner) == want
	}
	return bytes.IndexByte(inner, '\\') >= 0 && unquote(raw) == want
}

// unquote returns the value of a raw JSON string.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v
}
