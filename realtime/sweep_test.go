package realtime

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// recordingSink keeps what the sweeper hands it. With hold set it keeps
// the done of its next write instead of calling it: the write is in flight
// until release.
type recordingSink struct {
	frames  []*frame
	hold    bool
	pending func()
	// onDeliver, if set, runs inside deliver, on the sweeper.
	onDeliver func()
}

func (k *recordingSink) deliver(f *frame, done func()) {
	k.frames = append(k.frames, f)
	if k.onDeliver != nil {
		k.onDeliver()
	}
	if k.hold {
		k.pending = done
		return
	}
	done()
}
func (k *recordingSink) subscribed(string, string) {}
func (k *recordingSink) reset(string, string)      {}
func (k *recordingSink) abort()                    {}

func (k *recordingSink) release() {
	k.hold = false
	k.pending()
	k.pending = nil
}

// seqs lists the event seqs and ephemeral types the sink received, in order.
func (k *recordingSink) seqs() (seqs []uint64, ephemerals []string) {
	for _, f := range k.frames {
		for _, e := range f.events {
			seqs = append(seqs, e.seq)
		}
		for _, e := range f.extra {
			ephemerals = append(ephemerals, e.typ)
		}
	}
	return seqs, ephemerals
}

// newSweepStream makes a stream whose sweeper the test drives by calling
// sweep, with n recording subscribers.
func newSweepStream(t *testing.T, n int) (*stream, []*recordingSink, []*subscription) {
	t.Helper()
	h := New(Options{})
	t.Cleanup(func() { _ = h.Shutdown(t.Context()) })
	s := newStream(h, TalkStream(1, 1, false))
	sinks := make([]*recordingSink, n)
	subs := make([]*subscription, n)
	for i := range sinks {
		sinks[i] = &recordingSink{}
		sub, reason, _ := s.subscribe("", sinks[i])
		if sub == nil {
			t.Fatalf("subscribe: %s", reason)
		}
		subs[i] = sub
	}
	return s, sinks, subs
}

func publishTest(t *testing.T, s *stream, typ string) {
	t.Helper()
	if !s.publish(Entry{Type: typ, At: time.Now(), Data: json.RawMessage(`{}`)}) {
		t.Fatal("publish refused")
	}
}

// An event published while a pass is under way reaches the subscribers
// the pass has not visited yet in that same pass, and the others in the
// next; nobody gets it twice.
func TestSweepPassTakesNewEvents(t *testing.T) {
	const n = 3 * yieldEvery
	s, sinks, _ := newSweepStream(t, n)
	publishTest(t, s, "one")
	sinks[0].onDeliver = func() {
		sinks[0].onDeliver = nil
		publishTest(t, s, "two")
	}
	s.sweep()
	for i, k := range sinks {
		got, _ := k.seqs()
		want := []uint64{1, 2}
		if i < yieldEvery {
			want = []uint64{1} // visited before "two" came
		}
		if !slices.Equal(got, want) {
			t.Fatalf("subscriber %d after the first pass: seqs %v, want %v", i, got, want)
		}
		if i >= yieldEvery && len(k.frames) != 1 {
			t.Fatalf("subscriber %d: %d frames, want both events in one", i, len(k.frames))
		}
	}
	s.sweep()
	for i, k := range sinks {
		if got, _ := k.seqs(); !slices.Equal(got, []uint64{1, 2}) {
			t.Fatalf("subscriber %d after the second pass: seqs %v, want [1 2]", i, got)
		}
	}
	// The second pass started where the first ended: at subscriber 0.
	if s.pos != n {
		t.Fatalf("sweeper at %d after two passes, want %d", s.pos, n)
	}
}

// Subscribers leaving in the middle of a pass (enough of them to compact
// the order) make it skip none of those that stay, nor visit one twice.
func TestSweepSurvivesLeavingSubscribers(t *testing.T) {
	const n = 3 * yieldEvery
	s, sinks, subs := newSweepStream(t, n)
	publishTest(t, s, "one")
	lo, hi := yieldEvery+1, 2*yieldEvery+yieldEvery/2+8 // not yet visited when they leave; over half
	leaving := subs[lo:hi]
	sinks[yieldEvery-1].onDeliver = func() {
		for _, sub := range leaving {
			s.unsubscribe(sub)
		}
	}
	holesBefore := len(leaving)
	s.sweep()
	if s.holes >= holesBefore {
		t.Fatalf("%d holes after %d left: the order was not compacted", s.holes, holesBefore)
	}
	for i, k := range sinks {
		got, _ := k.seqs()
		left := i >= lo && i < hi
		switch {
		case left && len(got) != 0:
			t.Fatalf("subscriber %d left before its turn and still got %v", i, got)
		case !left && !slices.Equal(got, []uint64{1}):
			t.Fatalf("subscriber %d stayed and got %v, want [1]", i, got)
		}
	}
	if got := s.subscribers(); got != n-len(leaving) {
		t.Fatalf("%d subscribers, want %d", got, n-len(leaving))
	}
	publishTest(t, s, "two")
	s.sweep()
	for i, k := range sinks {
		if i >= lo && i < hi {
			continue
		}
		if got, _ := k.seqs(); !slices.Equal(got, []uint64{1, 2}) {
			t.Fatalf("subscriber %d after the second pass: %v, want [1 2]", i, got)
		}
	}
}

// An ephemeral message reaches a subscriber whose write was still in
// flight when the sweeper first came by, at its next visit; the stream
// forgets it once every subscriber has had two visits to get it.
func TestSweepEphemeralsWaitForBusySubscribers(t *testing.T) {
	s, sinks, _ := newSweepStream(t, 4)
	publishTest(t, s, "one")
	sinks[2].hold = true
	s.sweep()
	s.ephemeral(Entry{Type: "reactions", At: time.Now(), Data: json.RawMessage(`{}`)})
	s.sweep()
	for i, k := range sinks {
		_, eph := k.seqs()
		want := []string{"reactions"}
		if i == 2 {
			want = nil // still writing "one"
		}
		if !slices.Equal(eph, want) {
			t.Fatalf("subscriber %d: ephemerals %v, want %v", i, eph, want)
		}
	}
	sinks[2].release()
	s.sweep()
	if _, eph := sinks[2].seqs(); !slices.Equal(eph, []string{"reactions"}) {
		t.Fatalf("the busy subscriber got %v at its next visit, want [reactions]", eph)
	}
	s.sweep()
	s.sweep()
	if len(s.ephemerals) != 0 {
		t.Fatalf("%d ephemerals kept after every subscriber had them", len(s.ephemerals))
	}
	for i, k := range sinks {
		if _, eph := k.seqs(); len(eph) != 1 {
			t.Fatalf("subscriber %d got the ephemeral %d times", i, len(eph))
		}
	}
}
