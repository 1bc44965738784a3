package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// errorDetails is the body of an error response with its details.
type errorDetails struct {
	Code, Message, Field, Reason string
	Limit                        int
}

func (r *response) details(t testing.TB) errorDetails {
	t.Helper()
	var e struct {
		Error errorDetails `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return e.Error
}

// TestErrorDetails checks that the common validation errors say, in
// machine-readable form, which field broke which rule and its limit, so
// that the UI can say it in the user's language (issue 15), and that the
// English message is still there.
func TestErrorDetails(t *testing.T) {
	h := newHarness(t)
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "Details")
	qs := questionsPath(e.ID, tk.ID)
	cases := []struct {
		name  string
		r     func() *response
		field string
		want  string
		limit int
	}{
		{"direction control", func() *response { return p.post(qs, map[string]any{"body": "abc\u202Edef"}, unchecked) }, "body", koe.ReasonDirectionChar, 0},
		{"control character", func() *response { return p.post(qs, map[string]any{"body": "a\u0007b"}, unchecked) }, "body", koe.ReasonControlChar, 0},
		{"too long", func() *response { return p.post(qs, map[string]any{"body": strings.Repeat("日", 501)}, docRejects) }, "body", koe.ReasonTooLong, koe.MaxQuestionLen},
		{"empty", func() *response { return p.post(qs, map[string]any{"body": " \n "}, unchecked) }, "body", koe.ReasonEmpty, 0},
		{"invisible", func() *response { return p.post(qs, map[string]any{"body": "\u200B\u200B"}, unchecked) }, "body", koe.ReasonNoVisibleChars, 0},
		{"combining marks", func() *response {
			return p.post(qs, map[string]any{"body": "x" + strings.Repeat("\u0301", koe.MaxCombiningMarks+1)}, unchecked)
		}, "body", koe.ReasonTooManyMarks, koe.MaxCombiningMarks},
		{"name too long", func() *response {
			return h.client("").post("/api/v1/join", map[string]any{"code": e.JoinCode, "display_name": strings.Repeat("あ", koe.MaxDisplayNameLen+1)}, unchecked)
		}, "display_name", koe.ReasonTooLong, koe.MaxDisplayNameLen},
		{"multi-line title", func() *response {
			return h.staff.post(eventPath(e.ID)+"/talks", map[string]any{"title": "a\nb"}, unchecked)
		}, "title", koe.ReasonMultiline, 0},
		{"bad slug", func() *response {
			return h.staff.post("/api/v1/events", map[string]any{"title": "T", "slug": "Not A Slug"}, unchecked)
		}, "slug", koe.ReasonFormat, koe.MaxSlugLen},
		{"bad time zone", func() *response {
			return h.staff.post("/api/v1/events", map[string]any{"title": "T", "slug": "tz", "time_zone": "Mars/Olympus"}, unchecked)
		}, "time_zone", koe.ReasonFormat, 0},
		{"end before start", func() *response {
			return h.staff.post(eventPath(e.ID)+"/talks", map[string]any{"title": "T", "starts_at": "2026-01-02T10:00:00Z", "ends_at": "2026-01-02T09:00:00Z"}, unchecked)
		}, "ends_at", koe.ReasonOrder, 0},
		{"wrong JSON type", func() *response { return p.post(qs, map[string]any{"body": 5}, docRejects) }, "body", koe.ReasonJSON, 0},
		{"unknown field", func() *response { return p.post(qs, map[string]any{"body": "ok?", "colour": "red"}, docRejects) }, "colour", koe.ReasonJSON, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r()
			if !r.want(t, 400, koe.EINVALID) {
				return
			}
			d := r.details(t)
			if d.Field != c.field || d.Reason != c.want || d.Limit != c.limit {
				t.Errorf("details = field %q reason %q limit %d, want %q %q %d (%s)", d.Field, d.Reason, d.Limit, c.field, c.want, c.limit, r)
			}
			if d.Message == "" {
				t.Errorf("no message: %s", r)
			}
		})
	}

	// Errors that are not about a value carry no details.
	h.staff.patch(talkPath(e.ID, tk.ID), map[string]any{"qa_open": false}).want(t, 200, "")
	r := p.post(qs, map[string]any{"body": "Too late?"})
	r.want(t, 409, koe.EQACLOSED)
	if d := r.details(t); d.Field != "" || d.Reason != "" || d.Limit != 0 {
		t.Errorf("qa_closed with details: %s", r)
	}
}

// TestErrorReasonsDocumented checks that the OpenAPI document lists exactly
// koe.Reasons for ErrorBody.reason.
func TestErrorReasonsDocumented(t *testing.T) {
	var doc []string
	for _, v := range schemaOf(t, "ErrorBody").Properties["reason"].Value.Enum {
		doc = append(doc, v.(string))
	}
	want := slices.Clone(koe.Reasons)
	slices.Sort(doc)
	slices.Sort(want)
	if !slices.Equal(doc, want) {
		t.Errorf("ErrorBody.reason enum = %v, want %v", doc, want)
	}
}
