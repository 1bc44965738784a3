package ratelimit

import (
	"maps"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	def := Defaults()
	with := func(changes map[string]*Rate) Rates {
		l := maps.Clone(def)
		for k, r := range changes {
			if r == nil {
				delete(l, k)
			} else {
				l[k] = *r
			}
		}
		return l
	}
	cases := []struct {
		spec string
		want Rates // nil: an error
	}{
		{"", def},
		{"   ", def},
		{"off", Rates{}},
		{" off ", Rates{}},
		{"ask.participant=2/m", with(map[string]*Rate{"ask.participant": {N: 2, Per: time.Minute}})},
		{"ask.participant=off", with(map[string]*Rate{"ask.participant": nil})},
		{"join.ip=10/s, like.ip=5/h", with(map[string]*Rate{"join.ip": {N: 10, Per: time.Second}, "like.ip": {N: 5, Per: time.Hour}})},
		{"like.participant=1000000/s", with(map[string]*Rate{"like.participant": {N: 1000000, Per: time.Second}})},
		{"reply.participant=1/h,reply.participant=off", with(map[string]*Rate{"reply.participant": nil})},
		{"auth.ip=off,signin.ip=off,signin.account=off,join.ip=off,passcode.ip=off,ask.participant=off,ask.ip=off,like.participant=off,like.ip=off,like.question_ip=off,react.participant=off,react.ip=off,vote.participant=off,vote.ip=off,reply.participant=off,webhook.source=off", Rates{}},
		{"join.ip=600/30m,like.question_ip=50/90s", with(map[string]*Rate{"join.ip": {N: 600, Per: 30 * time.Minute}, "like.question_ip": {N: 50, Per: 90 * time.Second}})},
		// Errors.
		{"nonsense", nil},
		{"foo.bar=1/m", nil},
		{"ask=1/m", nil},
		{"ask.participant=0/m", nil},
		{"ask.participant=-1/m", nil},
		{"ask.participant=1000001/s", nil},
		{"ask.participant=1/d", nil},
		{"ask.participant=1/0s", nil},
		{"ask.participant=1/500ms", nil},
		{"ask.participant=1/25h", nil},
		{"ask.participant=1/min", nil},
		{"ask.participant=1", nil},
		{"ask.participant=/m", nil},
		{"ask.participant=x/m", nil},
		{"ask.participant=", nil},
		{"ask.participant=2/m,", nil},
		{",", nil},
		{"OFF", nil},
		{"off,ask.participant=1/m", nil},
		{"ask.participant=1/m;join.ip=1/m", nil},
		{"ask.participant=" + strings.Repeat("1", 1100) + "/m", nil},
	}
	for _, c := range cases {
		got, err := Parse(c.spec)
		if c.want == nil {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", c.spec, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.spec, err)
			continue
		}
		if !maps.Equal(got, c.want) {
			t.Errorf("Parse(%q) = %v, want %v", c.spec, got, c.want)
		}
		// String speaks the same syntax.
		again, err := Parse(got.String())
		if err != nil || !maps.Equal(again, got) {
			t.Errorf("Parse(%q.String() = %q) = %v, %v", c.spec, got.String(), again, err)
		}
	}
	if s := (Rates{}).String(); s != "off" {
		t.Errorf("empty limits print as %q, want off", s)
	}
	// The documented defaults.
	want := "ask.ip=300/m,ask.participant=5/m,auth.ip=30/m,join.ip=600/30m,like.ip=6000/m,like.participant=120/m,like.question_ip=200/10m,passcode.ip=100/10m,react.ip=20000/m,react.participant=40/10s,reply.participant=10/m,signin.account=10/10m,signin.ip=60/10m,vote.ip=6000/m,vote.participant=30/m,webhook.source=600/m"
	if s := def.String(); s != want {
		t.Errorf("defaults = %s, want %s (update the OpenAPI info if they changed)", s, want)
	}
}
