package webhook

import (
	"strconv"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"posts":[{"id":"1","text":"hi"}]}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign("s3cret", ts, body)
	if err := Verify("s3cret", ts, good, body, now); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	old := strconv.FormatInt(now.Add(-Window-time.Second).Unix(), 10)
	cases := map[string]struct{ secret, ts, sig string }{
		"other secret":       {"other", ts, good},
		"body changed":       {"s3cret", ts, Sign("s3cret", ts, []byte(`{}`))},
		"stale timestamp":    {"s3cret", old, Sign("s3cret", old, body)},
		"future timestamp":   {"s3cret", strconv.FormatInt(now.Add(Window+time.Second).Unix(), 10), good},
		"timestamp not int":  {"s3cret", "1.5", good},
		"timestamp padded":   {"s3cret", "0" + ts, Sign("s3cret", "0"+ts, body)},
		"no prefix":          {"s3cret", ts, good[len("sha256="):]},
		"no secret":          {"", ts, good},
		"signature missing":  {"s3cret", ts, ""},
		"timestamp switched": {"s3cret", strconv.FormatInt(now.Unix()-1, 10), good},
	}
	for name, c := range cases {
		if err := Verify(c.secret, c.ts, c.sig, body, now); koe.ErrorCode(err) != koe.EUNAUTHORIZED {
			t.Errorf("%s: %v, want EUNAUTHORIZED", name, err)
		}
	}
}
