package api

import (
	"net/http"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

// Screen links (owners), the page a link opens asking what it is for, and
// live reactions.

// screenLink is a screen link with the page it opens.
type screenLink struct {
	*koe.ScreenLink
	Path string `json:"path"`
}

func screenLinkOf(l *koe.ScreenLink) screenLink { return screenLink{l, l.Path()} }

func (s *Server) listScreenLinks(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	list, err := s.act.ScreenLinks(r.Context(), ids[0])
	if err != nil {
		return err
	}
	links := make([]screenLink, len(list))
	for i, l := range list {
		links[i] = screenLinkOf(l)
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": links})
	return nil
}

func (s *Server) createScreenLink(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.NewScreenLink
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.act.CreateScreenLink(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, screenLinkOf(l))
	return nil
}

func (s *Server) rotateScreenLink(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "linkID")
	if err != nil {
		return err
	}
	l, err := s.act.RotateScreenLink(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, screenLinkOf(l))
	return nil
}

func (s *Server) deleteScreenLink(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "linkID")
	if err != nil {
		return err
	}
	if err := s.act.DeleteScreenLink(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) viewer(w http.ResponseWriter, r *http.Request) error {
	v, err := s.act.Viewer(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) react(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	var tap act.Tap
	if err := decodeJSON(w, r, &tap); err != nil {
		return err
	}
	if err := s.act.React(r.Context(), ids[0], ids[1], tap); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) reactionTotals(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	counts, err := s.act.Reactions(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts})
	return nil
}
