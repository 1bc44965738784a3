package api

import (
	"net/http"

	"github.com/koehq/koe/act"
	"github.com/koehq/koe/slack"
)

// Slack: an event's connection (owners), the interactivity endpoint
// Slack sends button presses to (signed by Slack, no other credential),
// and linking a Slack user to the caller's account.

func (s *Server) getSlack(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	st, err := s.act.Slack(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) setSlack(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.SlackInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.act.SetSlack(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteSlack(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	if err := s.act.DeleteSlack(r.Context(), ids[0]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testSlack(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	d, err := s.act.TestSlack(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

// slackInteraction takes a button press: Slack wants a 200 within three
// seconds; what koe tells the presser goes to the response URL.
func (s *Server) slackInteraction(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, slack.MaxInteractionBody)
	if err != nil {
		return err
	}
	// Slack calls the app's Request URL, which is https: koe's public
	// address, whatever reached koe behind a proxy.
	if err := s.act.SlackInteraction(r.Context(), r.Header, body, "https://"+r.Host); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) linkSlack(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.act.LinkSlack(r.Context(), in.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}
