package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// requestTypes are the bodies decodeJSON reads, one per kind.
var requestTypes = []func() any{
	func() any { return new(createEventRequest) },
	func() any { return new(updateEventRequest) },
	func() any { return new(createTalkRequest) },
	func() any { return new(updateTalkRequest) },
	func() any { return new(highlightRequest) },
	func() any { return new(joinRequest) },
	func() any { return new(askRequest) },
	func() any { return new(updateQuestionRequest) },
	func() any { return new(replyRequest) },
}

func FuzzDecodeBody(f *testing.F) {
	seeds := []string{
		`{"title":"KoeConf","slug":"koe-conf","time_zone":"Asia/Tokyo","starts_at":"2026-05-01T09:00:00+09:00","ends_at":null,"settings":{"participant_replies":true}}`,
		`{"title":"T","starts_at":null,"ends_at":"2026-05-01T09:00:00Z"}`,
		`{"title":"Keynote","speaker":"Ada","track":"A","qa_open":false}`,
		`{"question_id":12}`, `{"question_id":null}`, `{"question_id":-1}`, `{"question_id":1e400}`,
		`{"code":"abcdef","display_name":"Ann"}`,
		`{"body":"Why?","anonymous":true}`,
		`{"body":"edited","answered":true,"hidden":false}`,
		`{"body":"reply","author_name":"Speaker"}`,
		`{}`, `null`, `[]`, `""`, `1`, `true`, ``, ` `, `{`, `}`, `{"a":1}`, `{} {}`, `{}x`,
		`{"title":1}`, `{"settings":{"x":1}}`, `{"starts_at":"tomorrow"}`, `{"starts_at":"2026-13-01T00:00:00Z"}`,
		`{"body":"\u0000"}`, "{\"body\":\"\xff\"}", `{"body":"\ud800"}`, `{"TITLE":"case"}`, `{"title":"a","title":"b"}`,
		strings.Repeat(`[`, 10000), strings.Repeat(`{"a":`, 1000),
	}
	for kind := range requestTypes {
		for _, s := range seeds {
			f.Add(uint8(kind), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		dst := requestTypes[int(kind)%len(requestTypes)]()
		err := decodeBody(body, dst)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("decodeBody error %v has code %q, want %q", err, koe.ErrorCode(err), koe.EINVALID)
			}
			if msg := koe.ErrorMessage(err); len(msg) > 200 {
				t.Fatalf("error message of %d bytes", len(msg))
			}
			return
		}
		// Accepted: the input is exactly one JSON value, and decoding it
		// again (strictly) gives the same value.
		if !json.Valid(body) {
			t.Fatalf("decodeBody accepted invalid JSON %q", body)
		}
		again := requestTypes[int(kind)%len(requestTypes)]()
		if err := decodeBody(body, again); err != nil {
			t.Fatalf("second decode failed: %v", err)
		}
		a, _ := json.Marshal(dst)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("decoding is not deterministic: %s vs %s", a, b)
		}
	})
}

func FuzzParseRateLimits(f *testing.F) {
	for _, s := range []string{
		"", "off", " off ", "OFF", "ask.participant=2/m", "ask.participant=off", "join.ip=10/s, like.ip=5/h",
		"like.participant=1000000/s", "ask.participant=1000001/s", "ask.participant=0/m", "x=1/m", "ask.participant=1/d",
		"ask.participant=", "=", ",", "ask.participant=1/m,", "reply.participant=1/h,reply.participant=off",
		"ask.participant=+1/m", "ask.participant=01/m", "ask.participant=1/m=2", "join.ip=9223372036854775808/s",
	} {
		f.Add(s)
	}
	known := map[string]bool{}
	for _, k := range rateLimitKeys {
		known[k] = true
	}
	f.Fuzz(func(t *testing.T, spec string) {
		l, err := ParseRateLimits(spec)
		if err != nil {
			if l != nil {
				t.Fatalf("error %v with limits %v", err, l)
			}
			return
		}
		for k, r := range l {
			if !known[k] {
				t.Fatalf("unknown key %q accepted", k)
			}
			if r.N < 1 || r.N > 1_000_000 {
				t.Fatalf("%s: N = %d", k, r.N)
			}
			if r.Per != time.Second && r.Per != time.Minute && r.Per != time.Hour {
				t.Fatalf("%s: Per = %v", k, r.Per)
			}
		}
		// The printed form parses back to the same limits.
		again, err := ParseRateLimits(l.String())
		if err != nil {
			t.Fatalf("ParseRateLimits(%q) (printed from %q): %v", l.String(), spec, err)
		}
		if len(again) != len(l) {
			t.Fatalf("round trip of %q: %v then %v", spec, l, again)
		}
		for k, r := range l {
			if again[k] != r {
				t.Fatalf("round trip of %q: %v then %v", spec, l, again)
			}
		}
	})
}

func FuzzSignerVerify(f *testing.F) {
	s := signer{key: []byte("0123456789abcdef0123456789abcdef")}
	other := signer{key: []byte("fedcba9876543210fedcba9876543210")}
	valid := s.issue(12, 34)
	f.Add(valid, int64(12), int64(34))
	f.Add(valid+"x", int64(1), int64(1))
	f.Add(strings.TrimSuffix(valid, valid[len(valid)-1:]), int64(1), int64(2))
	f.Add("p1.12.34.", int64(0), int64(0))
	f.Add("p1.12.34", int64(-1), int64(5))
	f.Add("p1...", int64(9223372036854775807), int64(1))
	f.Add("p1.012.34.AAAA", int64(12), int64(34))
	f.Add("p1.-1.34.AAAA", int64(1), int64(1))
	f.Add("p2.12.34.AAAA", int64(1), int64(1))
	f.Add("", int64(1), int64(1))
	f.Add(strings.Repeat("p1.", 80), int64(1), int64(1))
	f.Fuzz(func(t *testing.T, tok string, eventID, participantID int64) {
		// Random strings never verify unless they are exactly what the
		// signer would have issued for the ids they name.
		if e, p, ok := s.verify(tok); ok {
			if e <= 0 || p <= 0 {
				t.Fatalf("verify(%q) = %d, %d", tok, e, p)
			}
			if tok != s.issue(e, p) {
				t.Fatalf("verify accepted %q, which the signer would issue as %q", tok, s.issue(e, p))
			}
		}
		// A token of another key never verifies.
		if eventID > 0 && participantID > 0 {
			if _, _, ok := s.verify(other.issue(eventID, participantID)); ok {
				t.Fatal("a token signed with another key verified")
			}
			// Round trip.
			tok := s.issue(eventID, participantID)
			e, p, ok := s.verify(tok)
			if !ok || e != eventID || p != participantID {
				t.Fatalf("issue(%d, %d) = %q verifies as %d, %d, %v", eventID, participantID, tok, e, p, ok)
			}
			// Any change to it breaks it.
			for i := range tok {
				b := []byte(tok)
				b[i] ^= 1
				if e2, p2, ok := s.verify(string(b)); ok {
					t.Fatalf("flipping byte %d of %q gave a valid token %q (%d, %d)", i, tok, b, e2, p2)
				}
			}
		}
	})
}

func FuzzParseQuestionQuery(f *testing.F) {
	for _, sort := range []string{"", "top", "recent", "answered", "hidden", "best", "TOP"} {
		for _, limit := range []string{"", "1", "50", "200", "0", "201", "-1", "abc", "1.5", "99999999999999999999"} {
			f.Add(sort, "", limit)
		}
	}
	for _, c := range []*koe.Cursor{
		{Sort: koe.SortTop, Key: 3, ID: 17},
		{Sort: koe.SortRecent, ID: 1},
		{Sort: koe.SortAnswered, Key: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano(), ID: 99},
		{Sort: koe.SortHidden, ID: 5},
	} {
		f.Add(string(c.Sort), c.String(), "10")
		f.Add("top", c.String(), "")
	}
	f.Add("top", "%%%", "")
	f.Add("top", strings.Repeat("A", 101), "")
	f.Add("recent", "cmVjZW50OjA6MA", "")
	f.Fuzz(func(t *testing.T, sort, cursor, limit string) {
		qq, err := parseQuestionQuery(sort, cursor, limit)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("error %v has code %q", err, koe.ErrorCode(err))
			}
			return
		}
		switch qq.Sort {
		case koe.SortTop, koe.SortRecent, koe.SortAnswered, koe.SortHidden:
		default:
			t.Fatalf("sort %q accepted as %q", sort, qq.Sort)
		}
		if sort != "" && string(qq.Sort) != sort {
			t.Fatalf("sort %q became %q", sort, qq.Sort)
		}
		if qq.Limit < 1 || qq.Limit > koe.MaxPageSize {
			t.Fatalf("limit %q became %d", limit, qq.Limit)
		}
		if limit == "" && qq.Limit != koe.DefaultPageSize {
			t.Fatalf("default limit %d", qq.Limit)
		}
		if limit != "" {
			if n, err := strconv.Atoi(limit); err != nil || n != qq.Limit {
				t.Fatalf("limit %q became %d", limit, qq.Limit)
			}
		}
		if (cursor == "") != (qq.After == nil) {
			t.Fatalf("cursor %q gave After %v", cursor, qq.After)
		}
		if qq.After != nil {
			if qq.After.Sort != qq.Sort || qq.After.ID <= 0 || qq.After.Key < 0 {
				t.Fatalf("cursor %q gave %+v for sort %q", cursor, *qq.After, qq.Sort)
			}
			// The cursor survives printing and parsing.
			again, err := koe.ParseCursor(qq.Sort, qq.After.String())
			if err != nil || *again != *qq.After {
				t.Fatalf("cursor %+v does not round-trip: %v %v", *qq.After, again, err)
			}
		}
	})
}
