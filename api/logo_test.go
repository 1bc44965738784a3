package api_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// testPNG is a w×h PNG.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 0xcc, A: 0xff})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func checkedLogo(t testing.TB, data []byte) *koe.EventLogo {
	t.Helper()
	l, err := koe.CheckLogo(data)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// putLogo uploads data as the event's logo with the content type.
func putLogo(t *testing.T, h *harness, c *client, eventID int64, ct string, data []byte, opts ...callOpt) *response {
	t.Helper()
	return c.do("PUT", eventPath(eventID)+"/logo", data, append(opts, header("Content-Type", ct))...)
}

// TestEventBranding: an owner uploads a logo, checked by its bytes and
// bounded in size; everyone gets it under its version, cached for good;
// the accent colour is a setting; a change of the settings keeps the
// logo; removing it serves nothing.
func TestEventBranding(t *testing.T) {
	h := newHarness(t)
	e, _ := h.setup()
	logo := testPNG(t, 64, 32)
	var got koe.Event
	if r := putLogo(t, h, h.staff, e.ID, "image/png", logo); r.want(t, 200, "") {
		r.decode(t, &got)
	}
	if len(got.Settings.Logo) != 16 || got.Version != e.Version+1 {
		t.Fatalf("after the upload: %+v", got.Settings)
	}
	resp, err := http.Get(h.srv.URL + eventPath(e.ID) + "/logo/" + got.Settings.Logo) // no credential
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, logo) || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("served %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
	}
	h.client("").get(eventPath(e.ID)+"/logo/0123456789abcdef").want(t, 404, "not_found")

	// A JPEG is a logo too; the type is what the bytes say.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 10, 10)), nil); err != nil {
		t.Fatal(err)
	}
	var asJPEG koe.Event
	putLogo(t, h, h.staff, e.ID, "image/png", jb.Bytes()).decode(t, &asJPEG)
	if l, err := h.store.EventLogo(context.Background(), e.ID, asJPEG.Settings.Logo); err != nil || l.ContentType != "image/jpeg" {
		t.Errorf("the JPEG kept as %v (%v)", l, err)
	}

	// Refused: not an image koe serves, too big, too wide, half an image.
	var gb bytes.Buffer
	if err := gif.Encode(&gb, image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	for name, data := range map[string][]byte{"gif": gb.Bytes(), "svg": svg, "text": []byte("hello"), "cut": logo[:len(logo)/2], "wide": testPNG(t, koe.MaxLogoSide+1, 1)} {
		if r := putLogo(t, h, h.staff, e.ID, "image/png", data, unchecked); r.want(t, 400, "invalid_argument") && !strings.Contains(r.String(), `"field":"logo"`) {
			t.Errorf("%s: %s", name, r)
		}
	}
	putLogo(t, h, h.staff, e.ID, "image/png", make([]byte, koe.MaxLogoBytes+1), unchecked).want(t, 413, "too_large") // the document cannot tell
	p, _ := h.join(e.JoinCode, "Ada")
	putLogo(t, h, p, e.ID, "image/png", logo).want(t, 403, "forbidden")

	// The accent; settings changed keep the logo.
	var styled koe.Event
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"accent": "#0a7cff", "logo": ""}}).decode(t, &styled)
	if styled.Settings.Accent != "#0a7cff" || styled.Settings.Logo != asJPEG.Settings.Logo {
		t.Errorf("settings %+v", styled.Settings)
	}
	h.staff.patch(eventPath(e.ID), map[string]any{"settings": map[string]any{"accent": "blue"}}, docRejects).want(t, 400, "invalid_argument")
	var seen koe.Event
	p.get(eventPath(e.ID)).decode(t, &seen)
	if seen.Settings.Accent != "#0a7cff" || seen.Settings.Logo == "" {
		t.Errorf("the audience sees %+v", seen.Settings)
	}

	var gone koe.Event
	h.staff.del(eventPath(e.ID)+"/logo").decode(t, &gone)
	if gone.Settings.Logo != "" {
		t.Errorf("removed, still %q", gone.Settings.Logo)
	}
	h.client("").get(eventPath(e.ID)+"/logo/"+asJPEG.Settings.Logo).want(t, 404, "not_found")
}
