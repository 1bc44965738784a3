package bench

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	if !math.IsNaN(percentile(nil, 99)) {
		t.Error("percentile of nothing should be NaN")
	}
	hundred := make([]float32, 100)
	for i := range hundred {
		hundred[i] = float32(i + 1)
	}
	for _, tc := range []struct {
		s    []float32
		p    float64
		want float64
	}{
		{[]float32{7}, 50, 7},
		{[]float32{7}, 99, 7},
		{[]float32{1, 2}, 50, 1},
		{[]float32{1, 2}, 51, 2},
		{[]float32{1, 2, 3, 4}, 100, 4},
		{hundred, 50, 50},
		{hundred, 99, 99},
		{hundred, 99.5, 100},
		{hundred, 0.1, 1},
	} {
		if got := percentile(tc.s, tc.p); got != tc.want {
			t.Errorf("percentile(%v…, %v) = %v, want %v", tc.s[0], tc.p, got, tc.want)
		}
	}
}

func TestLikeLatencies(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	at := func(msec int) time.Time { return t0.Add(time.Duration(msec) * time.Millisecond) }
	seen := map[int64][]likeSeen{
		// Version 5 was published before version 4: an ack of 4 is covered
		// by the event carrying 5.
		1: {{version: 2, at: at(100)}, {version: 5, at: at(200)}, {version: 4, at: at(300)}},
		2: {{version: 3, at: at(50)}},
	}
	acks := []likeAck{
		{id: 1, version: 2, at: at(40)},  // 60 ms
		{id: 1, version: 4, at: at(150)}, // 50 ms, via version 5
		{id: 1, version: 6, at: at(150)}, // never covered
		{id: 2, version: 3, at: at(80)},  // event came first: 0
		{id: 3, version: 1, at: at(0)},   // no events at all
	}
	lat, missing := likeLatencies(acks, seen, nil)
	slices.Sort(lat)
	if want := []float32{0, 50, 60}; !slices.Equal(lat, want) || missing != 2 {
		t.Errorf("likeLatencies = %v, %d missing; want %v, 2", lat, missing, want)
	}
}

func TestLikesLost(t *testing.T) {
	lo := []int{3, 0, 2}
	hi := []int{3, 1, 2}
	if got := likesLost(lo, hi, []int{3, 1, 2}); got != 0 {
		t.Errorf("in range: lost %d", got)
	}
	// 1 short on the first, 1 over the unresolved range, 2 over the last.
	if got := likesLost(lo, hi, []int{2, 2, 4}); got != 4 {
		t.Errorf("lost %d, want 4", got)
	}
}

func TestLiveURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:18080": "ws://127.0.0.1:18080/api/v1/events/3/live",
		"https://koe.example/":   "wss://koe.example/api/v1/events/3/live",
		"http://h/prefix/":       "ws://h/prefix/api/v1/events/3/live",
	} {
		if got := liveURL(in, 3); got != want {
			t.Errorf("liveURL(%q) = %q, want %q", in, got, want)
		}
	}
}
