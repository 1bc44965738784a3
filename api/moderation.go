package api

import (
	"context"
	"net/http"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.act.Reviews(r.Context(), ids[0], act.ReviewListQuery{State: q.Get("state"), TalkID: q.Get("talk_id"), Limit: q.Get("limit")})
	if err != nil {
		return err
	}
	list.Reviews = nonNil(list.Reviews)
	writeJSON(w, http.StatusOK, list)
	return nil
}

// onReview serves a route on one review that takes no body.
func (s *Server) onReview(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, eventID, id int64) (*koe.Review, error)) error {
	ids, err := pathIDs(r, "eventID", "reviewID")
	if err != nil {
		return err
	}
	rev, err := do(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rev)
	return nil
}

func (s *Server) claimReview(w http.ResponseWriter, r *http.Request) error {
	return s.onReview(w, r, s.act.ClaimReview)
}

func (s *Server) releaseReview(w http.ResponseWriter, r *http.Request) error {
	return s.onReview(w, r, s.act.ReleaseReview)
}

func (s *Server) undoReview(w http.ResponseWriter, r *http.Request) error {
	return s.onReview(w, r, s.act.UndoReview)
}

func (s *Server) decideReview(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "reviewID")
	if err != nil {
		return err
	}
	var in act.ReviewDecision
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rev, err := s.act.DecideReview(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rev)
	return nil
}

func (s *Server) decideReviews(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.BulkDecision
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.act.DecideReviews(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) listBans(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	bans, err := s.act.Bans(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]*koe.Ban{"bans": nonNil(bans)})
	return nil
}

func (s *Server) createBan(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.NewBan
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	b, err := s.act.Ban(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) deleteBan(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "banID")
	if err != nil {
		return err
	}
	if err := s.act.Unban(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getModeration(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	c, err := s.act.ModerationConfig(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) putModeration(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in koe.ModerationConfig
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.act.SetModerationConfig(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
