package transfer

import (
	"strings"
	"testing"
	"time"
)

func TestConvert(t *testing.T) {
	at := time.Date(2030, 5, 17, 10, 0, 0, 123456000, time.UTC)
	for _, tc := range []struct {
		udt  string
		in   any
		want any
	}{
		{"int8", int64(-5), int64(-5)},
		{"int4", int64(7), int32(7)},
		{"bool", int64(1), true},
		{"bool", int64(0), false},
		{"timestamptz", at.UnixMicro(), at},
		{"text", "東京", "東京"},
		{"text", []byte("b"), "b"},
		{"jsonb", `{"a": [1, 2]}`, `{"a": [1, 2]}`},
		{"bytea", []byte{0, 1}, []byte{0, 1}},
		{"bytea", "ab", []byte("ab")},
		{"int8", nil, nil},
	} {
		got, err := convert(tc.udt, tc.in)
		if err != nil || !equal(tc.udt, tc.want, got) {
			t.Errorf("convert(%s, %v) = %v, %v; want %v", tc.udt, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		udt  string
		in   any
		want string
	}{
		{"bool", int64(2), "a boolean must be 0 or 1"},
		{"int4", int64(1) << 40, "out of range"},
		{"int8", "12", "an integer expected"},
		{"timestamptz", "2030-05-17", "a time must be an integer of Unix microseconds"},
		{"text", "a\x00b", "NUL"},
		{"text", "\xff", "not valid UTF-8"},
		{"jsonb", `{"a":`, "not valid JSON"},
		{"bytea", int64(1), "bytes expected"},
		{"numeric", int64(1), "not converted"},
	} {
		if _, err := convert(tc.udt, tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("convert(%s, %v) = %v, want an error with %q", tc.udt, tc.in, err, tc.want)
		}
	}
}

func TestSameJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{`{"b":1,"a":[true,null]}`, `{"a": [true, null], "b": 1}`, true},
		{`{"n":1.50}`, `{"n": 1.5}`, true},
		{`{"n":100}`, `{"n": 1e2}`, true},
		{`{"n":12345678901234567890}`, `{"n": 12345678901234567891}`, false},
		{`{"n":1}`, `{"n":"1"}`, false},
		{`"é"`, `"\u00e9"`, true},
		{`[]`, `{}`, false},
	} {
		if got := sameJSON(tc.a, tc.b); got != tc.same {
			t.Errorf("sameJSON(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

// FuzzConvert: any SQLite value of any type converts or fails with an
// error, and what converts equals itself.
func FuzzConvert(f *testing.F) {
	f.Add("jsonb", int64(0), `{"a":1}`, []byte{1}, byte(0))
	f.Add("timestamptz", int64(1<<62), "", []byte(nil), byte(1))
	f.Add("text", int64(0), "\xff\x00", []byte("x"), byte(2))
	f.Fuzz(func(t *testing.T, udt string, n int64, s string, b []byte, kind byte) {
		var v any
		switch kind % 4 {
		case 0:
			v = n
		case 1:
			v = s
		case 2:
			v = b
		}
		for _, u := range []string{udt, "int8", "int4", "int2", "bool", "timestamptz", "text", "jsonb", "bytea", "float8"} {
			got, err := convert(u, v)
			if err != nil {
				if err.Error() == "" {
					t.Error("empty error")
				}
				continue
			}
			if !equal(u, got, got) {
				if f, ok := got.(float64); ok && f != f { // NaN
					continue
				}
				t.Errorf("convert(%s, %#v) = %#v, which does not equal itself", u, v, got)
			}
		}
	})
}
