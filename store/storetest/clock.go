package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// RunClocked runs the tests that need the store's clock under control;
// open must return a fresh store whose timestamps come from now.
func RunClocked(t *testing.T, open func(t *testing.T, now func() time.Time) koe.Store) {
	t.Run("UTCMicroseconds", func(t *testing.T) { testUTCMicroseconds(t, open) })
	t.Run("AnsweredTies", func(t *testing.T) { testAnsweredTies(t, open) })
}

// testUTCMicroseconds: times come back in UTC at microsecond precision,
// whatever zone and precision they were given in.
func testUTCMicroseconds(t *testing.T, open func(*testing.T, func() time.Time) koe.Store) {
	tick := time.Date(2030, 5, 17, 10, 0, 0, 123456789, time.FixedZone("JST", 9*60*60))
	s := open(t, func() time.Time { return tick })
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "Asia/Tokyo", StartsAt: &tick}
	if err := s.CreateEvent(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2030, 5, 17, 1, 0, 0, 123456000, time.UTC)
	got, err := s.Event(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range []time.Time{e.CreatedAt, e.UpdatedAt, *e.StartsAt, got.CreatedAt, got.UpdatedAt, *got.StartsAt} {
		if tm != want {
			t.Errorf("stamped %#v, want %#v", tm, want)
		}
	}
}

// testAnsweredTies pages through questions all answered in the same
// microsecond: the cursor must then fall back to ids alone.
func testAnsweredTies(t *testing.T, open func(*testing.T, func() time.Time) koe.Store) {
	frozen := time.Date(2030, 5, 17, 10, 0, 0, 0, time.UTC)
	s := open(t, func() time.Time { return frozen })
	sc := newScene(t, s, "conf")
	var want []int64
	for range 7 {
		q := newQuestion(t, s, sc.talk, sc.p, "?")
		updateQuestion(t, s, q, koe.QuestionUpdate{Answered: ptr(true)})
		want = append([]int64{q.ID}, want...)
	}
	var got []int64
	query := koe.QuestionQuery{EventID: sc.event.ID, TalkID: sc.talk.ID, Sort: koe.SortAnswered, Limit: 3}
	for range 3 {
		page, err := s.Questions(t.Context(), query)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(page.Questions)...)
		if query.After = page.Next; query.After == nil {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("answered in pages of 3 = %v, want %v", got, want)
	}
}
