package ratelimit

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "off", " off ", "OFF", "ask.participant=2/m", "ask.participant=off", "join.ip=10/s, like.ip=5/h",
		"like.participant=1000000/s", "ask.participant=1000001/s", "ask.participant=0/m", "x=1/m", "ask.participant=1/d",
		"ask.participant=", "=", ",", "ask.participant=1/m,", "reply.participant=1/h,reply.participant=off",
		"ask.participant=+1/m", "ask.participant=01/m", "ask.participant=1/m=2", "join.ip=9223372036854775808/s",
		"join.ip=600/30m", "like.question_ip=200/10m", "join.ip=1/90s", "join.ip=1/0s", "join.ip=1/25h", "join.ip=1/1h30m",
	} {
		f.Add(s)
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	f.Fuzz(func(t *testing.T, spec string) {
		l, err := Parse(spec)
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
			if r.Per < time.Second || r.Per > 24*time.Hour {
				t.Fatalf("%s: Per = %v", k, r.Per)
			}
		}
		// The printed form parses back to the same limits.
		again, err := Parse(l.String())
		if err != nil {
			t.Fatalf("Parse(%q) (printed from %q): %v", l.String(), spec, err)
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
