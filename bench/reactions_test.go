package bench

import (
	"slices"
	"testing"
	"time"
)

// TestMatchProbes: each window holding the probe is matched to the
// earliest unmatched tap of its count; a window a subscriber missed leaves
// its tap unmatched and the later ones right.
func TestMatchProbes(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	taps := []probeTap{{1, at(0)}, {2, at(500)}, {3, at(1000)}, {1, at(4500)}}
	seen := []probeSeen{{1, at(300)}, {3, at(1320)}, {1, at(4900)}} // the window of count 2 was missed
	got := matchProbes(taps, seen, nil)
	if want := []float32{300, 320, 400}; !slices.Equal(got, want) {
		t.Errorf("latencies %v, want %v", got, want)
	}
	// A window received before any tap of its count matches nothing.
	if got := matchProbes(taps, []probeSeen{{3, at(900)}}, nil); len(got) != 0 {
		t.Errorf("a window before its tap: %v", got)
	}
}

func TestSumTaps(t *testing.T) {
	msg := `{"type":"events","events":[{"type":"reactions","time":"2026-12-02T18:00:00Z","data":{"👏":3,"🍣":2}},` +
		`{"seq":4,"type":"question.likes","data":{"id":1,"likes":9,"version":3}},{"type":"reactions","data":{"🎉":1}}]}`
	if taps, probe := sumTaps([]byte(msg)); taps != 6 || probe != 2 {
		t.Errorf("taps %d, probe %d; want 6 and 2", taps, probe)
	}
	if taps, probe := sumTaps([]byte(`{"type":"events"`)); taps != 0 || probe != 0 {
		t.Errorf("a message cut short: %d %d", taps, probe)
	}
}
