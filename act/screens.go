package act

import (
	"context"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// Screen links: read-only links for projectors and OBS overlays, whose
// holder is a viewer of one event (docs/architecture.md, "Screen links").

// NewScreenLink is a screen link as an owner asks for it.
type NewScreenLink struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
}

// ScreenLinks lists the event's screen links.
func (a *Actions) ScreenLinks(ctx context.Context, eventID int64) ([]*koe.ScreenLink, error) {
	if _, _, err := a.begin(ctx, Manage, eventID); err != nil {
		return nil, err
	}
	return a.store.ScreenLinks(ctx, eventID)
}

// CreateScreenLink makes a screen link with a new secret.
func (a *Actions) CreateScreenLink(ctx context.Context, eventID int64, in NewScreenLink) (*koe.ScreenLink, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	kind, err := koe.ParseScreenKind(in.Kind)
	if err != nil {
		return nil, err
	}
	label, err := koe.CleanLine("label", in.Label, 1, koe.MaxScreenLinkLabel)
	if err != nil {
		return nil, err
	}
	l := &koe.ScreenLink{EventID: eventID, Kind: kind, Label: label, Secret: auth.NewSecret(auth.ScreenPrefix)}
	if err := a.store.CreateScreenLink(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}

// RotateScreenLink gives a screen link a new secret: pages opened by the
// old one are refused from their next request.
func (a *Actions) RotateScreenLink(ctx context.Context, eventID, linkID int64) (*koe.ScreenLink, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	return a.store.SetScreenLinkSecret(ctx, eventID, linkID, auth.NewSecret(auth.ScreenPrefix))
}

// DeleteScreenLink removes a screen link.
func (a *Actions) DeleteScreenLink(ctx context.Context, eventID, linkID int64) error {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return err
	}
	return a.store.DeleteScreenLink(ctx, eventID, linkID)
}

// Viewer is what a screen link is for.
type Viewer struct {
	EventID int64          `json:"event_id"`
	Kind    koe.ScreenKind `json:"kind"`
	Label   string         `json:"label"`
}

// Viewer tells a page opened by a screen link which event it shows.
func (a *Actions) Viewer(ctx context.Context) (*Viewer, error) {
	p := koe.PrincipalFrom(ctx)
	if p.ScreenLinkID == 0 {
		return nil, koe.Errorf(koe.EUNAUTHORIZED, "open this page by a screen link (its secret as the bearer token or the key parameter)")
	}
	links, err := a.store.ScreenLinks(ctx, p.ViewerEventID)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if l.ID == p.ScreenLinkID {
			return &Viewer{EventID: l.EventID, Kind: l.Kind, Label: l.Label}, nil
		}
	}
	return nil, koe.Errorf(koe.EUNAUTHORIZED, "this screen link was deleted a moment ago")
}

// screenViewer authenticates a screen link's secret: a viewer of its
// event.
func (a *Actions) screenViewer(ctx context.Context, secret, addr string) (koe.Principal, error) {
	l, err := a.store.ScreenLinkBySecret(ctx, secret)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return koe.Principal{}, a.invalid(ctx, addr, "this screen link no longer works: it was renewed or deleted; ask the event's owner for the new one")
	}
	if err != nil {
		return koe.Principal{}, err
	}
	return koe.Principal{ViewerEventID: l.EventID, ScreenLinkID: l.ID}, nil
}
