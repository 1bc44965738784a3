package realtime

import (
	"testing"

	"github.com/koehq/koe"
)

func FuzzDecodeClientMessage(f *testing.F) {
	for _, s := range []string{
		`{"type":"subscribe","topic":"talk:1"}`,
		`{"type":"subscribe","topic":"talk:1","cursor":"abc-12"}`,
		`{"type":"unsubscribe","topic":"event"}`,
		`{"type":"subscribe","topic":""}`,
		`{"type":"subscribe","topic":"talk:1","extra":true}`,
		`{"type":"subscribe","topic":"talk:1"}{"type":"subscribe"}`,
		`[]`, `null`, `"x"`, ``, `{"type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeClientMessage(b)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("error code %q", koe.ErrorCode(err))
			}
			return
		}
		if m.Type != "subscribe" && m.Type != "unsubscribe" || m.Topic == "" || len(m.Topic) > 64 {
			t.Fatalf("accepted invalid message %+v", m)
		}
		if m.Cursor != "" {
			if _, _, ok := parseCursor(m.Cursor); !ok {
				t.Fatalf("accepted bad cursor %q", m.Cursor)
			}
		}
	})
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"abc-1", "k3f9a-120", "-1", "abc-", "ABC-1", "a-b-3", "abc-18446744073709551615", "abc-18446744073709551616", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		epoch, seq, ok := parseCursor(s)
		if !ok {
			return
		}
		e2, s2, ok2 := parseCursor(formatCursor(epoch, seq))
		if !ok2 || e2 != epoch || s2 != seq {
			t.Fatalf("%q does not round-trip", s)
		}
	})
}
