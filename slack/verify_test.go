package slack

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Slack's documented signing example: the secret, timestamp, body and
// signature of docs.slack.dev "Verifying requests from Slack".
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func signed(secret, ts string, body []byte) http.Header {
	h := http.Header{}
	h.Set(TimestampHeader, ts)
	h.Set(SignatureHeader, Sign(secret, ts, body))
	return h
}

func TestSignMatchesSlacksExample(t *testing.T) {
	if got := Sign(docSecret, docTimestamp, []byte(docBody)); got != docSignature {
		t.Fatalf("Sign = %s, Slack's example says %s", got, docSignature)
	}
	h := http.Header{}
	h.Set(TimestampHeader, docTimestamp)
	h.Set(SignatureHeader, docSignature)
	sec, _ := strconv.ParseInt(docTimestamp, 10, 64)
	if err := Verify(docSecret, h, []byte(docBody), time.Unix(sec+30, 0)); err != nil {
		t.Fatalf("Verify of Slack's example: %v", err)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte("payload=%7B%22type%22%3A%22block_actions%22%7D")
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, c := range []struct {
		name string
		h    func() http.Header
		body []byte
		want error
	}{
		{"good", func() http.Header { return signed("s3cret", ts, body) }, body, nil},
		{"5 minutes old", func() http.Header { return signed("s3cret", strconv.FormatInt(now.Unix()-300, 10), body) }, body, nil},
		{"5 minutes ahead", func() http.Header { return signed("s3cret", strconv.FormatInt(now.Unix()+300, 10), body) }, body, nil},
		{"stale", func() http.Header { return signed("s3cret", strconv.FormatInt(now.Unix()-301, 10), body) }, body, ErrStale},
		{"future", func() http.Header { return signed("s3cret", strconv.FormatInt(now.Unix()+301, 10), body) }, body, ErrStale},
		{"far past", func() http.Header { return signed("s3cret", "1", body) }, body, ErrStale},
		{"huge", func() http.Header { return signed("s3cret", "9223372036854775807", body) }, body, ErrStale},
		{"wrong secret", func() http.Header { return signed("other", ts, body) }, body, ErrBadSignature},
		{"body changed", func() http.Header { return signed("s3cret", ts, body) }, append([]byte("x"), body...), ErrBadSignature},
		{"timestamp changed", func() http.Header {
			h := signed("s3cret", ts, body)
			h.Set(TimestampHeader, strconv.FormatInt(now.Unix()+1, 10))
			return h
		}, body, ErrBadSignature},
		{"upper-case hex", func() http.Header {
			h := signed("s3cret", ts, body)
			h.Set(SignatureHeader, "v0="+fmt.Sprintf("%X", h.Get(SignatureHeader)[3:]))
			return h
		}, body, ErrBadSignature},
		{"v1 prefix", func() http.Header {
			h := signed("s3cret", ts, body)
			h.Set(SignatureHeader, "v1="+h.Get(SignatureHeader)[3:])
			return h
		}, body, ErrBadSignature},
		{"no signature", func() http.Header {
			h := signed("s3cret", ts, body)
			h.Del(SignatureHeader)
			return h
		}, body, ErrBadSignature},
		{"no timestamp", func() http.Header {
			h := signed("s3cret", ts, body)
			h.Del(TimestampHeader)
			return h
		}, body, ErrBadSignature},
		{"no headers", func() http.Header { return http.Header{} }, body, ErrBadSignature},
		{"timestamp not a number", func() http.Header { return signed("s3cret", "yesterday", body) }, body, ErrBadSignature},
		{"timestamp with plus", func() http.Header { return signed("s3cret", "+"+ts, body) }, body, ErrBadSignature},
		{"timestamp in milliseconds", func() http.Header { return signed("s3cret", ts+"000", body) }, body, ErrStale},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Verify("s3cret", c.h(), c.body, now)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestVerifyRefusesWithoutSecret(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte("payload=x")
	// Signed with the empty key, which anybody can do.
	if err := Verify("", signed("", strconv.FormatInt(now.Unix(), 10), body), body, now); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Verify with no secret = %v, want ErrNoSecret", err)
	}
}

func TestReplays(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	r := NewReplays(5*time.Minute, 3)
	if r.Seen("v0=a", t0) {
		t.Fatal("a first signature was seen")
	}
	if !r.Seen("v0=a", t0.Add(time.Minute)) {
		t.Fatal("a replay within the window was not seen")
	}
	if !r.Seen("v0=a", t0.Add(5*time.Minute-time.Second)) {
		t.Fatal("a replay at the end of the window was not seen")
	}
	if r.Seen("v0=a", t0.Add(5*time.Minute)) {
		t.Fatal("a signature was still remembered after the window")
	}
	// The bound: a, b, c fill it; d pushes out the oldest (a).
	r = NewReplays(5*time.Minute, 3)
	for i, s := range []string{"a", "b", "c", "d"} {
		if r.Seen(s, t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("%s seen at first", s)
		}
	}
	if r.Len() != 3 {
		t.Fatalf("Len = %d, want the bound 3", r.Len())
	}
	if !r.Seen("d", t0.Add(5*time.Second)) || !r.Seen("c", t0.Add(5*time.Second)) {
		t.Fatal("a recent signature was forgotten")
	}
	if r.Seen("a", t0.Add(5*time.Second)) {
		t.Fatal("the oldest signature was not the one evicted")
	}
	// Expired entries go without being asked about.
	if r.Seen("e", t0.Add(time.Hour)); r.Len() != 1 {
		t.Fatalf("Len after the window = %d, want 1", r.Len())
	}
}

func TestReplaysConcurrent(t *testing.T) {
	// 32 goroutines present the same 200 signatures: each is new exactly
	// once in all.
	r := NewReplays(time.Minute, 1000)
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	fresh := map[string]int{}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 200 {
				s := fmt.Sprintf("v0=%d", (i+g)%200)
				if !r.Seen(s, now) {
					mu.Lock()
					fresh[s]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(fresh) != 200 {
		t.Fatalf("%d signatures were new, want 200", len(fresh))
	}
	for s, n := range fresh {
		if n != 1 {
			t.Fatalf("%s was new %d times", s, n)
		}
	}
}
