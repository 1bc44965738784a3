package storetest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"slices"
	"testing"

	"github.com/koehq/koe"
)

// pngLogo is a small PNG of one colour, checked as an upload is.
func pngLogo(t *testing.T, c color.Color) *koe.EventLogo {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(0, 0, c)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	logo, err := koe.CheckLogo(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return logo
}

// testEventLogo: an event's logo is kept with its version in the
// settings, replaced and removed as changes of the event; only its
// current version is served.
func testEventLogo(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "logo")
	start := head(t, s)
	red, blue := pngLogo(t, color.RGBA{R: 0xff, A: 0xff}), pngLogo(t, color.RGBA{B: 0xff, A: 0xff})
	_, err := s.SetEventLogo(ctx, e.ID+1000, red)
	wantCode(t, "SetEventLogo(no event)", err, koe.ENOTFOUND)
	got, err := s.SetEventLogo(ctx, e.ID, red)
	must(t, "SetEventLogo", err)
	if got.Settings.Logo != red.Version || got.Version != 2 {
		t.Errorf("event after its logo: %+v", got)
	}
	again, err := s.SetEventLogo(ctx, e.ID, red)
	must(t, "SetEventLogo(same)", err)
	if again.Version != 2 {
		t.Errorf("the same logo again made version %d", again.Version)
	}
	l, err := s.EventLogo(ctx, e.ID, red.Version)
	must(t, "EventLogo", err)
	if l.ContentType != "image/png" || !bytes.Equal(l.Data, red.Data) {
		t.Errorf("logo %s, %d bytes", l.ContentType, len(l.Data))
	}
	_, err = s.SetEventLogo(ctx, e.ID, blue)
	must(t, "SetEventLogo(replace)", err)
	_, err = s.EventLogo(ctx, e.ID, red.Version)
	wantCode(t, "EventLogo(replaced)", err, koe.ENOTFOUND)
	if l, err := s.EventLogo(ctx, e.ID, blue.Version); err != nil || !bytes.Equal(l.Data, blue.Data) {
		t.Errorf("the new logo: %v", err)
	}
	gone, err := s.SetEventLogo(ctx, e.ID, nil)
	must(t, "SetEventLogo(none)", err)
	if gone.Settings.Logo != "" {
		t.Errorf("removed, still %q", gone.Settings.Logo)
	}
	_, err = s.EventLogo(ctx, e.ID, blue.Version)
	wantCode(t, "EventLogo(removed)", err, koe.ENOTFOUND)
	if got := changeTypes(readAll(t, s, start)); !slices.Equal(got, []koe.ChangeType{koe.EventUpdated, koe.EventUpdated, koe.EventUpdated}) {
		t.Errorf("changes %v", got)
	}
}
