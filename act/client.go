package act

import (
	"context"

	"github.com/koehq/koe"
)

// JoinBase is the base URL of the join links koe shows (the presenter
// screen's QR code and link: URL + "/j/" + code).
type JoinBase struct {
	// URL is KOE_PUBLIC_URL, or one of the machine's LAN addresses found
	// at start; "" lets the page use its own origin.
	URL string `json:"join_base_url"`
	// Loopback is true when URL reaches this machine only (no LAN address
	// was found, or koe listens on loopback): phones cannot open it.
	Loopback bool `json:"loopback"`
}

// ClientConfig is what the web UI needs to know of the installation.
type ClientConfig struct {
	JoinBase
	// ReactionPalette is every emoji an event may offer for reactions.
	ReactionPalette []string `json:"reaction_palette"`
}

// ClientConfig returns the installation's settings for the web UI. Anyone
// may read them: they are what every join link shows.
func (a *Actions) ClientConfig(_ context.Context) *ClientConfig {
	return &ClientConfig{JoinBase: a.joinBase, ReactionPalette: koe.ReactionPalette}
}
