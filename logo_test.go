package koe

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func logoPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckAccent(t *testing.T) {
	for _, ok := range []string{"", "#0a7cff", "#000000"} {
		if err := CheckAccent(ok); err != nil {
			t.Errorf("CheckAccent(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"#0A7CFF", "0a7cff", "#0a7cf", "blue", "#0a7cff ", "red;background:url(x)"} {
		if ErrorCode(CheckAccent(bad)) != EINVALID {
			t.Errorf("CheckAccent(%q) accepted", bad)
		}
	}
}

// FuzzCheckLogo: whatever the bytes, CheckLogo refuses with a 4xx or
// accepts an image it could decode, of a type it serves, within bounds;
// the version follows the bytes.
func FuzzCheckLogo(f *testing.F) {
	f.Add(logoPNG(f, 16, 16))
	f.Add(logoPNG(f, MaxLogoSide+1, 1))
	f.Add([]byte("GIF89a"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := CheckLogo(data)
		if err != nil {
			if c := ErrorCode(err); c != EINVALID && c != ETOOLARGE {
				t.Fatalf("error %v", err)
			}
			return
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide || len(data) > MaxLogoBytes || len(l.Version) != 16 {
			t.Fatalf("accepted %d bytes (%v, %v)", len(data), cfg, err)
		}
		if l2, _ := CheckLogo(append([]byte{}, data...)); l2.Version != l.Version {
			t.Fatal("the version does not follow the bytes")
		}
	})
}
