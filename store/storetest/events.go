package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func randomSecret() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

func testSecret(t *testing.T, s koe.Store) {
	ctx := t.Context()
	first, err := s.Secret(ctx, "signing", randomSecret)
	if err != nil || len(first) != 32 {
		t.Fatalf("Secret = %x, %v; want 32 bytes", first, err)
	}
	again, err := s.Secret(ctx, "signing", randomSecret)
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("second Secret = %x, %v; want %x", again, err, first)
	}
	other, err := s.Secret(ctx, "other", randomSecret)
	if err != nil || bytes.Equal(other, first) {
		t.Errorf("Secret(other) = %x, %v; want a different secret", other, err)
	}

	boom := errors.New("no entropy")
	_, err = s.Secret(ctx, "failing", func() ([]byte, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("Secret with failing gen: error %v, want %v", err, boom)
	}
	want := []byte("fixed")
	got, err := s.Secret(ctx, "failing", func() ([]byte, error) { return want, nil })
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("Secret after failed gen = %q, %v; want %q", got, err, want)
	}
}

func testSecretConcurrent(t *testing.T, s koe.Store) {
	const n = 16
	var wg sync.WaitGroup
	got := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = s.Secret(t.Context(), "shared", randomSecret) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Fatalf("caller %d got %x, caller 0 got %x: want one secret for all", i, got[i], got[0])
		}
	}
	later, err := s.Secret(t.Context(), "shared", randomSecret)
	if err != nil || !bytes.Equal(later, got[0]) {
		t.Errorf("later Secret = %x, %v; want %x", later, err, got[0])
	}
}

func testCreateEvent(t *testing.T, s koe.Store) {
	ctx := t.Context()
	tokyo := time.FixedZone("JST", 9*60*60)
	starts := time.Date(2030, 5, 17, 10, 0, 0, 123456789, tokyo)
	e := &koe.Event{
		Slug:     "gophercon",
		Title:    "GopherCon",
		TimeZone: "Asia/Tokyo",
		StartsAt: &starts,
		Settings: koe.EventSettings{ParticipantReplies: true, Reactions: []string{"🔥", "👏"}},
	}
	if err := s.CreateEvent(ctx, e); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	if e.ID == 0 || e.Version != 1 {
		t.Errorf("CreateEvent set ID %d, Version %d; want an ID and version 1", e.ID, e.Version)
	}
	if code, err := koe.NormalizeJoinCode(e.JoinCode); err != nil || code != e.JoinCode {
		t.Errorf("generated join code %q is not a normalised join code (%v)", e.JoinCode, err)
	}
	checkTime(t, "CreatedAt", e.CreatedAt)
	if !e.UpdatedAt.Equal(e.CreatedAt) {
		t.Errorf("UpdatedAt %v != CreatedAt %v on a new event", e.UpdatedAt, e.CreatedAt)
	}
	wantStart := starts.Truncate(time.Microsecond).UTC()
	if e.StartsAt == nil || !e.StartsAt.Equal(wantStart) || e.StartsAt.Location() != time.UTC {
		t.Errorf("StartsAt = %v, want %v (UTC, microseconds)", e.StartsAt, wantStart)
	}
	if e.EndsAt != nil {
		t.Errorf("EndsAt = %v, want nil", e.EndsAt)
	}

	got, err := s.Event(ctx, e.ID)
	if err != nil {
		t.Fatalf("Event: %v", err)
	}
	same(t, "Event", got, e)
	got, err = s.EventByJoinCode(ctx, e.JoinCode)
	if err != nil {
		t.Fatalf("EventByJoinCode: %v", err)
	}
	same(t, "EventByJoinCode", got, e)

	_, err = s.Event(ctx, e.ID+1000)
	wantCode(t, "Event(missing)", err, koe.ENOTFOUND)
	dup := &koe.Event{Slug: "gophercon", Title: "Again", TimeZone: "UTC"}
	wantCode(t, "CreateEvent(taken slug)", s.CreateEvent(ctx, dup), koe.ECONFLICT)
	if dup.ID != 0 {
		t.Errorf("failed CreateEvent set ID %d", dup.ID)
	}
}

func testJoinCodes(t *testing.T, s koe.Store) {
	ctx := t.Context()
	const code = "KQA234"
	e := &koe.Event{Slug: "chosen", Title: "Chosen", TimeZone: "UTC", JoinCode: code}
	if err := s.CreateEvent(ctx, e); err != nil {
		t.Fatalf("CreateEvent with join code: %v", err)
	}
	if e.JoinCode != code {
		t.Errorf("JoinCode = %q, want the given %q", e.JoinCode, code)
	}
	dup := &koe.Event{Slug: "other", Title: "Other", TimeZone: "UTC", JoinCode: code}
	wantCode(t, "CreateEvent(taken join code)", s.CreateEvent(ctx, dup), koe.ECONFLICT)

	_, err := s.EventByJoinCode(ctx, "ZZZZZZ")
	wantCode(t, "EventByJoinCode(unknown)", err, koe.ENOTFOUND)

	seen := map[string]int64{code: e.ID}
	for i := range 20 {
		e := newEvent(t, s, fmt.Sprintf("event-%d", i))
		if other, ok := seen[e.JoinCode]; ok {
			t.Fatalf("events %d and %d share join code %s", other, e.ID, e.JoinCode)
		}
		seen[e.JoinCode] = e.ID
	}
	for code, id := range seen {
		got, err := s.EventByJoinCode(ctx, code)
		if err != nil || got.ID != id {
			t.Errorf("EventByJoinCode(%s) = %v, %v; want event %d", code, got, err, id)
		}
	}

	events, err := s.Events(ctx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(events) != len(seen) {
		t.Fatalf("Events returned %d events, want %d", len(events), len(seen))
	}
	for i := 1; i < len(events); i++ {
		if events[i].ID >= events[i-1].ID {
			t.Fatalf("Events not newest first: %d before %d", events[i-1].ID, events[i].ID)
		}
	}
}

func testUpdateEvent(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "before")
	other := newEvent(t, s, "taken")

	starts := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.UTC)
	ends := starts.Add(8 * time.Hour)
	got, err := s.UpdateEvent(ctx, e.ID, koe.EventUpdate{
		Slug:     ptr("after"),
		Title:    ptr("New title"),
		TimeZone: ptr("Europe/Paris"),
		StartsAt: ptr(&starts),
		EndsAt:   ptr(&ends),
		Settings: &koe.EventSettings{ParticipantReplies: true, Reactions: []string{}},
	})
	if err != nil {
		t.Fatalf("UpdateEvent: %v", err)
	}
	want := *e
	want.Slug, want.Title, want.TimeZone = "after", "New title", "Europe/Paris"
	want.StartsAt, want.EndsAt = ptr(starts.Truncate(time.Microsecond)), ptr(ends.Truncate(time.Microsecond))
	want.Settings.ParticipantReplies, want.Settings.Reactions = true, []string{}
	want.Version = 2
	want.UpdatedAt = got.UpdatedAt
	same(t, "UpdateEvent", got, &want)
	checkTime(t, "UpdatedAt", got.UpdatedAt)
	if got.UpdatedAt.Before(e.UpdatedAt) {
		t.Errorf("UpdatedAt went back from %v to %v", e.UpdatedAt, got.UpdatedAt)
	}
	read, err := s.Event(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "Event after update", read, got)

	// A nil update leaves the values alone; a pointer to nil clears a time.
	got, err = s.UpdateEvent(ctx, e.ID, koe.EventUpdate{StartsAt: ptr[*time.Time](nil)})
	if err != nil {
		t.Fatalf("UpdateEvent(clear StartsAt): %v", err)
	}
	if got.StartsAt != nil || got.EndsAt == nil || got.Title != "New title" || got.Version != 3 {
		t.Errorf("after clearing StartsAt: %+v", got)
	}
	// Setting a value it already has changes nothing: no new version.
	got, err = s.UpdateEvent(ctx, e.ID, koe.EventUpdate{Slug: ptr("after"), Title: ptr("New title")})
	if err != nil || got.Version != 3 {
		t.Errorf("UpdateEvent(own slug and title) = %+v, %v; want version 3", got, err)
	}
	if got, err = s.UpdateEvent(ctx, e.ID, koe.EventUpdate{}); err != nil || got.Version != 3 {
		t.Errorf("UpdateEvent(nothing) = %+v, %v; want version 3", got, err)
	}

	_, err = s.UpdateEvent(ctx, e.ID, koe.EventUpdate{Slug: ptr(other.Slug), Title: ptr("lost")})
	wantCode(t, "UpdateEvent(taken slug)", err, koe.ECONFLICT)
	read, err = s.Event(ctx, e.ID)
	if err != nil || read.Version != 3 || read.Title != "New title" {
		t.Errorf("failed update changed the event: %+v, %v", read, err)
	}
	_, err = s.UpdateEvent(ctx, other.ID+1000, koe.EventUpdate{Title: ptr("x")})
	wantCode(t, "UpdateEvent(missing)", err, koe.ENOTFOUND)
}

// testConcurrentCreates races creations that succeed with ones that fail,
// so that an implementation batching writes must keep them apart.
func testConcurrentCreates(t *testing.T, s koe.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			slug := "contested"
			if i%2 == 1 {
				slug = fmt.Sprintf("own-%d", i)
			}
			errs[i] = s.CreateEvent(t.Context(), &koe.Event{Slug: slug, Title: "Race", TimeZone: "UTC"})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case i%2 == 1 && err != nil:
			t.Errorf("CreateEvent(own-%d): %v", i, err)
		case i%2 == 0 && err == nil:
			won++
		case i%2 == 0:
			wantCode(t, "CreateEvent(contested)", err, koe.ECONFLICT)
		}
	}
	if won != 1 {
		t.Errorf("%d creations of the same slug succeeded, want 1", won)
	}
	events, err := s.Events(t.Context())
	if err != nil || len(events) != n/2+1 {
		t.Errorf("Events = %d events, %v; want %d", len(events), err, n/2+1)
	}
}
