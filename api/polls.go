package api

import (
	"net/http"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

// Polls: staff prepare, open and close a talk's polls; participants vote;
// everyone reads them (their results once shown).

func (s *Server) listPolls(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	polls, err := s.act.Polls(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"polls": polls})
	return nil
}

func (s *Server) createPoll(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	var in act.NewPoll
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.act.CreatePoll(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getPoll(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "pollID")
	if err != nil {
		return err
	}
	p, err := s.act.Poll(r.Context(), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) updatePoll(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "pollID")
	if err != nil {
		return err
	}
	var in act.PollPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.act.UpdatePoll(r.Context(), ids[0], ids[1], ids[2], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) deletePoll(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "pollID")
	if err != nil {
		return err
	}
	if err := s.act.DeletePoll(r.Context(), ids[0], ids[1], ids[2]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) vote(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "pollID")
	if err != nil {
		return err
	}
	var b koe.Ballot
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	v, err := s.act.Vote(r.Context(), ids[0], ids[1], ids[2], b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) pollResults(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "pollID")
	if err != nil {
		return err
	}
	res, err := s.act.PollResults(r.Context(), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
