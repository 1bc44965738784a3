package storetest

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/koehq/koe"
)

// testScreenLinks: an event's screen links are found by their secret
// until it is rotated or they are deleted, are bounded per event, and are
// recorded for the audit log without their secrets.
func testScreenLinks(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e, other := newEvent(t, s, "screens"), newEvent(t, s, "screens-other")
	start := head(t, s)
	wantCode(t, "CreateScreenLink(no event)", s.CreateScreenLink(ctx, &koe.ScreenLink{EventID: e.ID + 1000, Kind: koe.ScreenProjector, Label: "x", Secret: "koe_v_none"}), koe.ENOTFOUND)
	room := &koe.ScreenLink{EventID: e.ID, Kind: koe.ScreenProjector, Label: "Room A", Secret: "koe_v_room"}
	must(t, "CreateScreenLink", s.CreateScreenLink(ctx, room))
	obs := &koe.ScreenLink{EventID: e.ID, Kind: koe.ScreenOverlay, Label: "OBS", Secret: "koe_v_obs"}
	must(t, "CreateScreenLink(overlay)", s.CreateScreenLink(ctx, obs))
	if room.ID == 0 || room.CreatedAt.IsZero() || room.Kind != koe.ScreenProjector || obs.Label != "OBS" {
		t.Errorf("created %+v, %+v", room, obs)
	}
	wantCode(t, "CreateScreenLink(same secret)", s.CreateScreenLink(ctx, &koe.ScreenLink{EventID: other.ID, Kind: koe.ScreenOverlay, Label: "dup", Secret: "koe_v_obs"}), koe.ECONFLICT)

	list, err := s.ScreenLinks(ctx, e.ID)
	must(t, "ScreenLinks", err)
	if len(list) != 2 || list[0].ID != room.ID || list[1].ID != obs.ID || list[1].Secret != "koe_v_obs" {
		t.Errorf("links %+v", list)
	}
	if none, err := s.ScreenLinks(ctx, other.ID); err != nil || len(none) != 0 {
		t.Errorf("the other event's links: %v %v", none, err)
	}
	got, err := s.ScreenLinkBySecret(ctx, "koe_v_room")
	must(t, "ScreenLinkBySecret", err)
	if got.ID != room.ID || got.EventID != e.ID || !got.CreatedAt.Equal(room.CreatedAt) {
		t.Errorf("by secret %+v, want %+v", got, room)
	}

	_, err = s.SetScreenLinkSecret(ctx, other.ID, room.ID, "koe_v_elsewhere")
	wantCode(t, "SetScreenLinkSecret(other event)", err, koe.ENOTFOUND)
	rotated, err := s.SetScreenLinkSecret(ctx, e.ID, room.ID, "koe_v_room2")
	must(t, "SetScreenLinkSecret", err)
	if rotated.Secret != "koe_v_room2" || rotated.Label != "Room A" {
		t.Errorf("rotated %+v", rotated)
	}
	_, err = s.ScreenLinkBySecret(ctx, "koe_v_room")
	wantCode(t, "ScreenLinkBySecret(old secret)", err, koe.ENOTFOUND)

	wantCode(t, "DeleteScreenLink(other event)", s.DeleteScreenLink(ctx, other.ID, obs.ID), koe.ENOTFOUND)
	must(t, "DeleteScreenLink", s.DeleteScreenLink(ctx, e.ID, obs.ID))
	_, err = s.ScreenLinkBySecret(ctx, "koe_v_obs")
	wantCode(t, "ScreenLinkBySecret(deleted)", err, koe.ENOTFOUND)
	wantCode(t, "DeleteScreenLink(again)", s.DeleteScreenLink(ctx, e.ID, obs.ID), koe.ENOTFOUND)

	changes := readAll(t, s, start)
	want := []koe.ChangeType{koe.ScreenLinkCreated, koe.ScreenLinkCreated, koe.ScreenLinkRotated, koe.ScreenLinkDeleted}
	if got := changeTypes(changes); !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	for _, c := range changes {
		if bytes.Contains(c.Data, []byte("koe_v_")) || c.EventID != e.ID || c.Visibility != koe.VisibleStaff {
			t.Errorf("change %s: event %d, %s, %s", c.Type, c.EventID, c.Visibility, c.Data)
		}
	}

	// At most MaxScreenLinks per event, whoever creates them at once.
	full := newEvent(t, s, "screens-full")
	var wg sync.WaitGroup
	errs := make(chan error, koe.MaxScreenLinks+8)
	for i := range koe.MaxScreenLinks + 8 {
		wg.Go(func() {
			errs <- s.CreateScreenLink(ctx, &koe.ScreenLink{EventID: full.ID, Kind: koe.ScreenOverlay, Label: "l", Secret: fmt.Sprintf("koe_v_full%d", i)})
		})
	}
	wg.Wait()
	close(errs)
	made := 0
	for err := range errs {
		switch koe.ErrorCode(err) {
		case "":
			made++
		case koe.ECONFLICT:
		default:
			t.Errorf("CreateScreenLink(full): %v", err)
		}
	}
	if list, _ := s.ScreenLinks(ctx, full.ID); made != koe.MaxScreenLinks || len(list) != koe.MaxScreenLinks {
		t.Errorf("%d created, %d listed, want %d", made, len(list), koe.MaxScreenLinks)
	}
}

// testReactions: a talk's totals add up every call's taps, from many
// callers at once; another event's talk is not found.
func testReactions(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc, other := newScene(t, s, "reactions"), newScene(t, s, "reactions-other")
	empty, err := s.Reactions(ctx, sc.event.ID, sc.talk.ID)
	must(t, "Reactions(none)", err)
	if len(empty) != 0 {
		t.Errorf("totals before any tap: %v", empty)
	}
	wantCode(t, "AddReactions(other event's talk)", s.AddReactions(ctx, other.event.ID, sc.talk.ID, map[string]int64{"👏": 1}), koe.ENOTFOUND)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for range 10 {
				if err := s.AddReactions(ctx, sc.event.ID, sc.talk.ID, map[string]int64{"👏": 2, "🎉": int64(i % 2)}); err != nil {
					t.Errorf("AddReactions: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.Reactions(ctx, sc.event.ID, sc.talk.ID)
	must(t, "Reactions", err)
	if want := map[string]int64{"👏": 320, "🎉": 80}; !maps.Equal(got, want) {
		t.Errorf("totals %v, want %v", got, want)
	}
	if got, err := s.Reactions(ctx, other.event.ID, sc.talk.ID); err != nil || len(got) != 0 {
		t.Errorf("the talk's totals read through another event: %v %v", got, err)
	}
}
