package koe

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg" // the formats a logo may be in
	_ "image/png"
	"regexp"

	_ "golang.org/x/image/webp"
)

// Event branding (SPEC.md, the audience page and the screen): an accent
// colour in the event's settings, and a logo koe serves itself.

// Limits of a logo.
const (
	MaxLogoBytes = 256 << 10
	MaxLogoSide  = 2048 // pixels, either side
)

// EventLogo is an event's logo: the image as uploaded, its type, and its
// version (a hash of the bytes), which names it in its URL so that it can
// be cached for good.
type EventLogo struct {
	Version     string
	ContentType string
	Data        []byte
}

// logoTypes are the formats a logo may be in, as image.DecodeConfig names
// them, with their content types.
var logoTypes = map[string]string{"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

// CheckLogo validates an uploaded logo by its bytes (never the type a
// client claims): a PNG, JPEG or WebP image that decodes, at most
// MaxLogoBytes and MaxLogoSide pixels on a side.
func CheckLogo(data []byte) (*EventLogo, error) {
	if len(data) > MaxLogoBytes {
		return nil, &Error{Code: ETOOLARGE, Message: "a logo is at most 256 KiB", Field: "logo", Reason: ReasonTooLong, Limit: MaxLogoBytes}
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	ct, known := logoTypes[format]
	if err != nil || !known {
		return nil, Invalid("logo", ReasonFormat, 0, "a logo must be a PNG, JPEG or WebP image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, Invalid("logo", ReasonFormat, MaxLogoSide, "a logo is at most %d×%d pixels", MaxLogoSide, MaxLogoSide)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return nil, Invalid("logo", ReasonFormat, 0, "the image does not decode: a logo must be a whole PNG, JPEG or WebP image")
	}
	sum := sha256.Sum256(data)
	return &EventLogo{Version: hex.EncodeToString(sum[:8]), ContentType: ct, Data: data}, nil
}

var accentPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// CheckAccent validates an accent colour: "" for koe's, or #rrggbb in
// lower case.
func CheckAccent(s string) error {
	if s != "" && !accentPattern.MatchString(s) {
		return Invalid("settings.accent", ReasonFormat, 0, "settings.accent is a colour as #rrggbb (lower case), or \"\" for koe's")
	}
	return nil
}
