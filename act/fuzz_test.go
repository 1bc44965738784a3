package act

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
)

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
		qq, err := parseListQuery(ListQuery{Sort: sort, Cursor: cursor, Limit: limit})
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

// FuzzParseID: ids in URLs and topics are read one way only.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "12", "01", "+1", "-1", "0", "", " 1", "1 ", "9223372036854775807", "9223372036854775808", "1e3", "0x10", "１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID("id", s)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("ParseID(%q): code %q", s, koe.ErrorCode(err))
			}
			return
		}
		if id <= 0 || strconv.FormatInt(id, 10) != s {
			t.Fatalf("ParseID(%q) = %d", s, id)
		}
	})
}

// FuzzModerationConfig: an event's moderation settings as a request sends
// them are refused with EINVALID, or clean into settings that clean to
// themselves again.
func FuzzModerationConfig(f *testing.F) {
	for _, s := range []string{
		`{"queue_threshold":0.7,"reject_threshold":0.97,"max_links":1,"shipped_lists":true,"words":[{"word":"クソ","action":"mask"}],"allow":["Scunthorpe"],"scorers":[{"name":"tox","url":"http://127.0.0.1:8090/"}]}`,
		`{"queue_threshold":1,"reject_threshold":1,"max_links":0}`, `{"queue_threshold":0.5,"reject_threshold":0.4}`,
		`{"queue_threshold":0.7,"reject_threshold":0.9,"scorers":[{"name":"koe","url":"http://x"}]}`,
		`{"queue_threshold":0.7,"reject_threshold":0.9,"scorers":[{"name":"a","url":"ftp://x"}]}`,
		`{"queue_threshold":0.7,"reject_threshold":0.9,"words":[{"word":"\u200b","action":"block"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in koe.ModerationConfig
		if json.Unmarshal(body, &in) != nil {
			return
		}
		c, err := cleanModerationConfig(in)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("cleanModerationConfig: %v, want invalid_argument", err)
			}
			return
		}
		again, err := cleanModerationConfig(c)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("cleaned settings do not clean to themselves: %+v, %v", again, err)
		}
	})
}

// FuzzParseReviewQuery: a review list's parameters are refused with
// EINVALID or give a list within its bounds.
func FuzzParseReviewQuery(f *testing.F) {
	for _, state := range []string{"", "open", "decided", "closed", "OPEN"} {
		for _, limit := range []string{"", "1", "200", "0", "201", "07", "x"} {
			f.Add(state, "", limit)
			f.Add(state, "12", limit)
		}
	}
	f.Add("open", "012", "")
	f.Add("open", "-1", "")
	f.Fuzz(func(t *testing.T, state, talk, limit string) {
		q, err := parseReviewQuery(ReviewListQuery{State: state, TalkID: talk, Limit: limit})
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("parseReviewQuery: %v, want invalid_argument", err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > MaxReviewPage || q.TalkID < 0 || q.Open != (state != "decided") {
			t.Fatalf("parseReviewQuery(%q, %q, %q) = %+v", state, talk, limit, q)
		}
	})
}

// FuzzParsePage: a list's paging parameters (the posts', the delivery
// log's) are refused with EINVALID or read as a positive id and a limit
// within bounds, written one way.
func FuzzParsePage(f *testing.F) {
	for _, before := range []string{"", "1", "42", "0", "-1", "01", "+3", "x", "99999999999999999999"} {
		for _, limit := range []string{"", "1", "50", "200", "201", "0", "1.5", "05"} {
			f.Add(before, limit)
		}
	}
	f.Fuzz(func(t *testing.T, before, limit string) {
		id, n, err := parsePage(before, limit, 50, MaxDeliveryPage)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("error %v has code %q", err, koe.ErrorCode(err))
			}
			return
		}
		if n < 1 || n > MaxDeliveryPage || limit != "" && strconv.Itoa(n) != limit || limit == "" && n != 50 {
			t.Fatalf("limit %q read as %d", limit, n)
		}
		if before == "" && id != 0 || before != "" && (id < 1 || strconv.FormatInt(id, 10) != before) {
			t.Fatalf("before %q read as %d", before, id)
		}
	})
}
