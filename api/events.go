package api

import (
	"net/http"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

type eventList struct {
	Events []*koe.Event `json:"events"`
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	events, err := s.act.Events(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, eventList{Events: nonNil(events)})
	return nil
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) error {
	var in act.NewEvent
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.act.CreateEvent(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	e, err := s.act.Event(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.EventPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.act.UpdateEvent(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	me, err := s.act.Me(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) listTalks(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	list, err := s.act.Talks(r.Context(), ids[0])
	if err != nil {
		return err
	}
	list.Talks = nonNil(list.Talks)
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) createTalk(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.NewTalk
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.act.CreateTalk(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) getTalk(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	t, err := s.act.Talk(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) updateTalk(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	var in act.TalkPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.act.UpdateTalk(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) setHighlight(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	var in act.HighlightRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.act.Highlight(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// nonNil makes empty lists render as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// eventPasscode answers the event's passcode, for its owners to hand out.
func (s *Server) eventPasscode(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	pc, err := s.act.Passcode(r.Context(), ids[0])
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, pc)
	return nil
}
