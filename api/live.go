package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// resolveTopic maps a topic a client names ("event", "talk:12") to the
// stream its role may follow, after checking the talk is in the event.
func (s *Server) resolveTopic(ctx context.Context, eventID int64, id identity, topic string) (realtime.StreamID, error) {
	if topic == realtime.EventTopic {
		return eventStream(eventID), nil
	}
	rest, ok := strings.CutPrefix(topic, "talk:")
	talkID, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || talkID <= 0 {
		return realtime.StreamID{}, koe.Errorf(koe.EINVALID, "topic must be \"event\" or \"talk:ID\"")
	}
	if _, err := s.store.Talk(ctx, eventID, talkID); err != nil {
		return realtime.StreamID{}, err
	}
	return talkStream(eventID, talkID, id.staff), nil
}

// streamAccess checks what both real-time routes need: a member of an
// event that exists, on a server that is not shutting down.
func (s *Server) streamAccess(r *http.Request) (int64, identity, error) {
	eventID, err := pathID(r, "eventID")
	if err != nil {
		return 0, identity{}, err
	}
	id, err := s.requireMember(r, eventID)
	if err != nil {
		return 0, id, err
	}
	if _, err := s.store.Event(r.Context(), eventID); err != nil {
		return 0, id, err
	}
	if s.hub.Draining() {
		return 0, id, koe.Errorf(koe.EUNAVAILABLE, "server is shutting down; reconnect")
	}
	return eventID, id, nil
}

// live upgrades to the WebSocket protocol of docs/architecture.md.
func (s *Server) live(w http.ResponseWriter, r *http.Request) error {
	eventID, id, err := s.streamAccess(r)
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
	// Topic lookups happen after the handshake, on the connection's
	// reader, when the request's context is over.
	ctx := context.WithoutCancel(r.Context())
	s.hub.ServeWS(w, r, func(topic string) (realtime.StreamID, error) {
		return s.resolveTopic(ctx, eventID, id, topic)
	})
	return nil
}

// sse streams one topic as Server-Sent Events. The cursor comes from
// Last-Event-ID (an EventSource reconnecting) or the cursor parameter.
func (s *Server) sse(w http.ResponseWriter, r *http.Request) error {
	eventID, id, err := s.streamAccess(r)
	if err != nil {
		return err
	}
	stream, err := s.resolveTopic(r.Context(), eventID, id, r.URL.Query().Get("topic"))
	if err != nil {
		return err
	}
	cursor := r.Header.Get("Last-Event-ID")
	if cursor == "" {
		cursor = r.URL.Query().Get("cursor")
	}
	if len(cursor) > 64 {
		return koe.Errorf(koe.EINVALID, "cursor too long")
	}
	s.hub.ServeSSE(w, r, stream, cursor)
	return nil
}
