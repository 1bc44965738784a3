package api

import (
	"net/http"

	"github.com/koehq/koe/act"
)

// The conference's schedule: imports, the schedule kept by URL, rooms;
// and the reports.

// MaxImportBytes bounds a schedule import's body: the schedule (at most
// timetable.MaxBytes) as a JSON string, with room for its escaping.
const MaxImportBytes = 12 << 20

func (s *Server) importSchedule(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.ImportRequest
	if err := decodeJSONUpTo(w, r, &in, MaxImportBytes); err != nil {
		return err
	}
	plan, err := s.act.ImportSchedule(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, plan)
	return nil
}

func (s *Server) getScheduleSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	src, err := s.act.ScheduleSource(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) setScheduleSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.ScheduleSourceRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	src, err := s.act.SetScheduleSource(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) deleteScheduleSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	if err := s.act.DeleteScheduleSource(r.Context(), ids[0]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	rooms, err := s.act.Rooms(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rooms)
	return nil
}

func (s *Server) eventReport(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	rep, err := s.act.Report(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) talkReport(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	rep, err := s.act.TalkReport(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
