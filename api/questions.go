package api

import (
	"net/http"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

func (s *Server) listQuestions(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.act.Questions(r.Context(), ids[0], ids[1], act.ListQuery{Sort: q.Get("sort"), Cursor: q.Get("cursor"), Limit: q.Get("limit")})
	if err != nil {
		return err
	}
	list.Questions = nonNil(list.Questions)
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) askQuestion(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	var in act.NewQuestion
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	q, err := s.act.Ask(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, q)
	return nil
}

func (s *Server) getQuestion(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	q, err := s.act.Question(r.Context(), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) updateQuestion(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	var in act.QuestionPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	q, err := s.act.UpdateQuestion(r.Context(), ids[0], ids[1], ids[2], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) like(w http.ResponseWriter, r *http.Request) error   { return s.setLike(w, r, true) }
func (s *Server) unlike(w http.ResponseWriter, r *http.Request) error { return s.setLike(w, r, false) }

func (s *Server) setLike(w http.ResponseWriter, r *http.Request, like bool) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	res, err := s.act.Like(r.Context(), ids[0], ids[1], ids[2], like)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type replyList struct {
	Replies []*koe.Reply `json:"replies"`
}

func (s *Server) listReplies(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	replies, err := s.act.Replies(r.Context(), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, replyList{Replies: nonNil(replies)})
	return nil
}

func (s *Server) createReply(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	var in act.NewReply
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rep, err := s.act.Reply(r.Context(), ids[0], ids[1], ids[2], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}
