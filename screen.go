package koe

import (
	"context"
	"slices"
	"time"
)

// Screens and the stream: screen links (the viewer role) and live
// reactions (docs/architecture.md, "On the screen and the stream").

// ScreenKind is what a screen link opens.
type ScreenKind string

const (
	// ScreenProjector opens the presenter screen, read-only.
	ScreenProjector ScreenKind = "screen"
	// ScreenOverlay opens the OBS overlay.
	ScreenOverlay ScreenKind = "overlay"
)

// ParseScreenKind reads a screen link's kind.
func ParseScreenKind(s string) (ScreenKind, error) {
	switch k := ScreenKind(s); k {
	case ScreenProjector, ScreenOverlay:
		return k, nil
	}
	return "", Invalid("kind", ReasonFormat, 0, "kind must be \"screen\" or \"overlay\"")
}

// Limits of screen links.
const (
	MaxScreenLinks     = 50 // per event
	MaxScreenLinkLabel = 80 // characters
)

// ScreenLink is a read-only link to an event for a projector or an OBS
// browser source: whoever holds Secret reads the event as a viewer.
type ScreenLink struct {
	ID        int64      `json:"id"`
	EventID   int64      `json:"event_id"`
	Kind      ScreenKind `json:"kind"`
	Label     string     `json:"label"`
	Secret    string     `json:"secret,omitempty"` // omitted only from its changes
	CreatedAt time.Time  `json:"created_at"`
}

// Change records l as typ, without its secret: for the audit log.
func (l *ScreenLink) Change(typ ChangeType) Change {
	v := *l
	v.Secret = ""
	return newChange(typ, l.EventID, 0, VisibleStaff, &v)
}

// Path is the page the link opens, on koe's origin.
func (l *ScreenLink) Path() string { return "/" + string(l.Kind) + "/" + l.Secret }

// ScreenStore keeps screen links and the reaction totals.
type ScreenStore interface {
	// CreateScreenLink stores l, setting ID and CreatedAt. ENOTFOUND if
	// the event does not exist; ECONFLICT when it has MaxScreenLinks.
	CreateScreenLink(ctx context.Context, l *ScreenLink) error
	// ScreenLinks lists an event's links, oldest first.
	ScreenLinks(ctx context.Context, eventID int64) ([]*ScreenLink, error)
	// ScreenLinkBySecret finds the link with that secret; ENOTFOUND for
	// none.
	ScreenLinkBySecret(ctx context.Context, secret string) (*ScreenLink, error)
	// SetScreenLinkSecret gives the link a new secret: the old one opens
	// nothing from now on.
	SetScreenLinkSecret(ctx context.Context, eventID, linkID int64, secret string) (*ScreenLink, error)
	// DeleteScreenLink removes the link.
	DeleteScreenLink(ctx context.Context, eventID, linkID int64) error

	// AddReactions adds taps per emoji to the talk's totals. ENOTFOUND
	// if the talk is not in the event.
	AddReactions(ctx context.Context, eventID, talkID int64, counts map[string]int64) error
	// Reactions returns the talk's totals per emoji (none: empty).
	Reactions(ctx context.Context, eventID, talkID int64) (map[string]int64, error)
}

// ReactionPalette is every emoji an event may offer for reactions.
var ReactionPalette = []string{"👏", "🎉", "❤️", "😂", "😮", "🤔", "🙏", "👍", "🔥", "💯", "🙌", "👀", "✨", "🚀", "☕", "🍣"}

// DefaultReactions are the reactions of an event that has not chosen.
var DefaultReactions = []string{"👏", "🎉", "❤️", "🤔"}

// MaxReactions bounds an event's reaction set; MaxTapsPerRequest the taps
// one request may carry.
const (
	MaxReactions      = 6
	MaxTapsPerRequest = 10
)

// CheckReactions validates an event's reaction set: at most MaxReactions
// emoji of ReactionPalette, each once.
func CheckReactions(set []string) error {
	if len(set) > MaxReactions {
		return Invalid("settings.reactions", ReasonTooLong, MaxReactions, "at most %d reactions", MaxReactions)
	}
	for i, e := range set {
		if !slices.Contains(ReactionPalette, e) {
			return Invalid("settings.reactions", ReasonFormat, 0, "%q is not one of koe's reactions (GET /api/v1/config lists them)", e)
		}
		if slices.Contains(set[:i], e) {
			return Invalid("settings.reactions", ReasonFormat, 0, "%q is given twice", e)
		}
	}
	return nil
}

// CheckTap validates count taps (nil: one) of emoji in an event whose
// reaction set is set, and returns how many taps they are.
func CheckTap(set []string, emoji string, count *int) (int, error) {
	n := 1
	if count != nil {
		n = *count
	}
	if n < 1 || n > MaxTapsPerRequest {
		return 0, Invalid("count", ReasonTooLong, MaxTapsPerRequest, "count must be 1 to %d", MaxTapsPerRequest)
	}
	if !slices.Contains(set, emoji) {
		if len(set) == 0 {
			return 0, Invalid("emoji", ReasonFormat, 0, "this event has no reactions")
		}
		return 0, Invalid("emoji", ReasonFormat, 0, "%q is not one of this event's reactions", emoji)
	}
	return n, nil
}
