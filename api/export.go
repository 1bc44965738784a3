package api

import (
	"net/http"

	"github.com/koehq/koe/act"
)

// Exports of an event or a talk (F22), as an attachment.

var exportTypes = map[act.ExportFormat]string{
	act.ExportCSV:      "text/csv; charset=utf-8",
	act.ExportJSON:     "application/json; charset=utf-8",
	act.ExportMarkdown: "text/markdown; charset=utf-8",
}

func (s *Server) exportEvent(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	return s.export(w, r, ids[0], 0)
}

func (s *Server) exportTalk(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	return s.export(w, r, ids[0], ids[1])
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, eventID, talkID int64) error {
	q := r.URL.Query()
	body, name, f, err := s.act.Export(r.Context(), eventID, talkID, act.ExportQuery{Format: q.Get("format"), All: q.Get("all")})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", exportTypes[f])
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
	return nil
}
