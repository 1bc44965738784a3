package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// live upgrades to the WebSocket protocol of docs/architecture.md.
func (s *Server) live(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	// Browsers send cookies with cross-site WebSocket handshakes; refuse
	// pages of other origins.
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return koe.Errorf(koe.EFORBIDDEN, "cross-origin WebSocket refused")
		}
	}
	f, err := s.act.Follow(r.Context(), ids[0])
	if err != nil {
		return err
	}
	// Topic lookups happen after the handshake, on the connection's
	// reader, when the request's context is over.
	ctx := context.WithoutCancel(r.Context())
	s.hub.ServeWS(w, r, func(topic string) (realtime.StreamID, error) { return f.Stream(ctx, topic) }, f.Close)
	return nil
}

// sse streams one topic as Server-Sent Events. The cursor comes from
// Last-Event-ID (an EventSource reconnecting) or the cursor parameter.
func (s *Server) sse(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	cursor := r.Header.Get("Last-Event-ID")
	if cursor == "" {
		cursor = r.URL.Query().Get("cursor")
	}
	if cursor != "" && !realtime.ValidCursor(cursor) {
		return koe.Errorf(koe.EINVALID, "cursor must look like EPOCH-SEQ")
	}
	f, err := s.act.Follow(r.Context(), ids[0])
	if err != nil {
		return err
	}
	defer f.Close()
	stream, err := f.Stream(r.Context(), r.URL.Query().Get("topic"))
	if err != nil {
		return err
	}
	s.hub.ServeSSE(w, r, stream, cursor)
	return nil
}
