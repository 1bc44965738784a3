package koe

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseQuestionSort(t *testing.T) {
	for in, want := range map[string]QuestionSort{"": SortTop, "top": SortTop, "recent": SortRecent, "answered": SortAnswered, "hidden": SortHidden} {
		if got, err := ParseQuestionSort(in); err != nil || got != want {
			t.Errorf("ParseQuestionSort(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"Top", "best", " top", "hidden "} {
		if _, err := ParseQuestionSort(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseQuestionSort(%q) = %v", in, err)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	answered := time.Date(2026, 5, 1, 10, 30, 0, 123456000, time.UTC)
	q := &Question{ID: 42, Likes: 7, AnsweredAt: &answered}
	for _, sort := range []QuestionSort{SortTop, SortRecent, SortAnswered, SortHidden} {
		c := CursorAfter(sort, q)
		s := c.String()
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("cursor %q is not URL-safe", s)
		}
		got, err := ParseCursor(sort, s)
		if err != nil || *got != *c {
			t.Errorf("%s: ParseCursor(%q) = %+v, %v; want %+v", sort, s, got, err, c)
		}
		// A cursor belongs to its sort.
		for _, other := range []QuestionSort{SortTop, SortRecent, SortAnswered, SortHidden} {
			if other != sort {
				if _, err := ParseCursor(other, s); ErrorCode(err) != EINVALID {
					t.Errorf("cursor of %s accepted for %s", sort, other)
				}
			}
		}
	}
	if c := CursorAfter(SortTop, q); c.Key != 7 {
		t.Errorf("top key %d", c.Key)
	}
	if c := CursorAfter(SortAnswered, q); c.Key != answered.UnixNano() {
		t.Errorf("answered key %d", c.Key)
	}
	if c := CursorAfter(SortAnswered, &Question{ID: 1}); c.Key != 0 {
		t.Errorf("unanswered key %d", c.Key)
	}
}

func FuzzParseCursor(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		enc("top:3:17"), enc("recent:0:1"), enc("answered:1777631400000000000:99"), enc("hidden:0:5"),
		enc("top:-1:1"), enc("top:1:0"), enc("top:1"), enc("top:1:2:3"), enc("top::"), enc("top:+1:+2"), enc("top:01:02"),
		enc("top:9223372036854775807:9223372036854775807"), enc("top:9223372036854775808:1"),
		"", "%%%", "AAAA", "dG9wOjE6MQ==", strings.Repeat("A", 101),
	} {
		for _, sort := range []string{"top", "recent", "answered", "hidden", ""} {
			f.Add(sort, s)
		}
	}
	f.Fuzz(func(t *testing.T, sort, s string) {
		c, err := ParseCursor(QuestionSort(sort), s)
		if err != nil {
			if ErrorCode(err) != EINVALID || c != nil {
				t.Fatalf("ParseCursor(%q, %q) = %v, %v", sort, s, c, err)
			}
			return
		}
		if string(c.Sort) != sort || c.ID <= 0 || c.Key < 0 {
			t.Fatalf("ParseCursor(%q, %q) = %+v", sort, s, *c)
		}
		again, err := ParseCursor(c.Sort, c.String())
		if err != nil || *again != *c {
			t.Fatalf("round trip of %+v: %+v, %v", *c, again, err)
		}
	})
}

func TestErrors(t *testing.T) {
	e := Errorf(ENOTFOUND, "talk %d not found", 3)
	if e.Error() != "not_found: talk 3 not found" {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := fmt.Errorf("store: %w", e)
	if ErrorCode(wrapped) != ENOTFOUND || ErrorMessage(wrapped) != "talk 3 not found" {
		t.Errorf("wrapped: %q %q", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire at /var/lib/koe")
	if ErrorCode(plain) != EINTERNAL || strings.Contains(ErrorMessage(plain), "disk") {
		t.Errorf("plain errors must be internal and not leak: %q %q", ErrorCode(plain), ErrorMessage(plain))
	}
	if ErrorCode(nil) != "" {
		t.Errorf("ErrorCode(nil) = %q", ErrorCode(nil))
	}
}

func TestQuestionJSONHidesParticipant(t *testing.T) {
	b, _ := json.Marshal(Question{ID: 1, ParticipantID: 99})
	r, _ := json.Marshal(Reply{ID: 1, ParticipantID: 99})
	for _, s := range []string{string(b), string(r)} {
		if strings.Contains(s, "99") || strings.Contains(s, "participant") {
			t.Errorf("participant id leaks: %s", s)
		}
	}
}
