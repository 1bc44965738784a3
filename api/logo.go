package api

import (
	"net/http"
	"strconv"

	"github.com/koehq/koe"
)

// An event's logo: uploaded by its owners as the raw image, served by
// koe to everyone under its version, so that it can be cached for good.

func (s *Server) setLogo(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	body, err := readBody(w, r, koe.MaxLogoBytes)
	if err != nil {
		return err
	}
	e, err := s.act.SetEventLogo(r.Context(), ids[0], body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) deleteLogo(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	e, err := s.act.DeleteEventLogo(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) getLogo(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	logo, err := s.act.EventLogo(r.Context(), ids[0], r.PathValue("version"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", logo.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(logo.Data)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(logo.Data)
	return err
}
