package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/koehq/koe"
)

type createEventRequest struct {
	Title    string             `json:"title"`
	Slug     string             `json:"slug"`
	TimeZone string             `json:"time_zone"`
	StartsAt *time.Time         `json:"starts_at"`
	EndsAt   *time.Time         `json:"ends_at"`
	Settings *koe.EventSettings `json:"settings"`
}

type updateEventRequest struct {
	Title    *string             `json:"title"`
	Slug     *string             `json:"slug"`
	TimeZone *string             `json:"time_zone"`
	StartsAt nullable[time.Time] `json:"starts_at"`
	EndsAt   nullable[time.Time] `json:"ends_at"`
	Settings *koe.EventSettings  `json:"settings"`
}

type eventList struct {
	Events []*koe.Event `json:"events"`
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireStaff(r); err != nil {
		return err
	}
	events, err := s.store.Events(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, eventList{Events: nonNil(events)})
	return nil
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireStaff(r); err != nil {
		return err
	}
	var req createEventRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	e := &koe.Event{Slug: req.Slug, TimeZone: req.TimeZone, StartsAt: req.StartsAt, EndsAt: req.EndsAt}
	var err error
	if e.Title, err = koe.CleanLine("title", req.Title, 1, koe.MaxTitleLen); err != nil {
		return err
	}
	if e.Slug == "" {
		e.Slug = "event-" + randomHex(4)
	}
	if e.TimeZone == "" {
		e.TimeZone = "UTC"
	}
	if req.Settings != nil {
		e.Settings = *req.Settings
	}
	if err := validateEvent(e); err != nil {
		return err
	}
	if err := s.store.CreateEvent(r.Context(), e); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func validateEvent(e *koe.Event) error {
	if err := koe.ValidateSlug(e.Slug); err != nil {
		return err
	}
	if err := koe.ValidateTimeZone(e.TimeZone); err != nil {
		return err
	}
	return koe.ValidateSpan(e.StartsAt, e.EndsAt)
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	eventID, err := pathID(r, "eventID")
	if err != nil {
		return err
	}
	if _, err := s.requireMember(r, eventID); err != nil {
		return err
	}
	e, err := s.store.Event(r.Context(), eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request) error {
	eventID, err := pathID(r, "eventID")
	if err != nil {
		return err
	}
	if err := s.requireStaff(r); err != nil {
		return err
	}
	var req updateEventRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	cur, err := s.store.Event(r.Context(), eventID)
	if err != nil {
		return err
	}
	u := koe.EventUpdate{Slug: req.Slug, TimeZone: req.TimeZone, StartsAt: req.StartsAt.ptr(), EndsAt: req.EndsAt.ptr(), Settings: req.Settings}
	if req.Title != nil {
		t, err := koe.CleanLine("title", *req.Title, 1, koe.MaxTitleLen)
		if err != nil {
			return err
		}
		u.Title = &t
	}
	// Validate the event as it would be after the change.
	next := *cur
	u.Apply(&next)
	if err := validateEvent(&next); err != nil {
		return err
	}
	e, err := s.store.UpdateEvent(r.Context(), eventID, u)
	if err != nil {
		return err
	}
	s.hub.Publish(eventStream(e.ID), "event.updated", acceptedAt(r), e)
	writeJSON(w, http.StatusOK, e)
	return nil
}

type joinRequest struct {
	Code        string `json:"code"`
	DisplayName string `json:"display_name"`
}

type joinResponse struct {
	Event       *koe.Event       `json:"event"`
	Participant *koe.Participant `json:"participant"`
	Token       string           `json:"token"`
}

// join admits a participant to the event with the code. A browser that
// already holds this event's cookie keeps its identity.
func (s *Server) join(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r.Context(), "join.ip", s.clientIP(r)); err != nil {
		return err
	}
	var req joinRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	code, err := koe.NormalizeJoinCode(req.Code)
	if err != nil {
		return err
	}
	name := ""
	if req.DisplayName != "" {
		if name, err = koe.CleanLine("display_name", req.DisplayName, 0, koe.MaxDisplayNameLen); err != nil {
			return err
		}
	}
	e, err := s.store.EventByJoinCode(r.Context(), code)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return koe.Errorf(koe.ENOTFOUND, "no event has the code %s", code)
	}
	if err != nil {
		return err
	}
	if id, err := s.identify(r, e.ID); err == nil && id.isParticipantOf(e.ID) {
		p, err := s.store.Participant(r.Context(), e.ID, id.participant)
		if err == nil {
			writeJSON(w, http.StatusOK, joinResponse{Event: e, Participant: p, Token: s.signer.issue(e.ID, p.ID)})
			return nil
		}
	}
	p := &koe.Participant{EventID: e.ID, DisplayName: name}
	if err := s.store.CreateParticipant(r.Context(), p); err != nil {
		return err
	}
	tok := s.signer.issue(e.ID, p.ID)
	s.setParticipantCookie(w, e.ID, tok)
	writeJSON(w, http.StatusCreated, joinResponse{Event: e, Participant: p, Token: tok})
	return nil
}

// meResponse says who the caller is; a browser signed in as staff that
// also joined the event has both the staff role and a participant.
type meResponse struct {
	Role        string           `json:"role"` // staff | participant
	Participant *koe.Participant `json:"participant"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	eventID, err := pathID(r, "eventID")
	if err != nil {
		return err
	}
	id, err := s.requireMember(r, eventID)
	if err != nil {
		return err
	}
	resp := meResponse{Role: "participant"}
	if id.staff {
		resp.Role = "staff"
	}
	if id.isParticipantOf(eventID) {
		if resp.Participant, err = s.store.Participant(r.Context(), eventID, id.participant); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type createTalkRequest struct {
	Title    string     `json:"title"`
	Speaker  string     `json:"speaker"`
	Track    string     `json:"track"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	QAOpen   *bool      `json:"qa_open"`
}

type updateTalkRequest struct {
	Title    *string             `json:"title"`
	Speaker  *string             `json:"speaker"`
	Track    *string             `json:"track"`
	StartsAt nullable[time.Time] `json:"starts_at"`
	EndsAt   nullable[time.Time] `json:"ends_at"`
	QAOpen   *bool               `json:"qa_open"`
}

type streamPosition struct {
	Topic  string `json:"topic"`
	Cursor string `json:"cursor"`
}

type talkList struct {
	Talks  []*koe.Talk    `json:"talks"`
	Stream streamPosition `json:"stream"`
}

func (s *Server) listTalks(w http.ResponseWriter, r *http.Request) error {
	eventID, err := pathID(r, "eventID")
	if err != nil {
		return err
	}
	if _, err := s.requireMember(r, eventID); err != nil {
		return err
	}
	if _, err := s.store.Event(r.Context(), eventID); err != nil {
		return err
	}
	// The cursor is read before the snapshot: see docs/architecture.md.
	pos := streamPosition{Topic: "event", Cursor: s.hub.Cursor(eventStream(eventID))}
	talks, err := s.store.Talks(r.Context(), eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, talkList{Talks: nonNil(talks), Stream: pos})
	return nil
}

func (s *Server) createTalk(w http.ResponseWriter, r *http.Request) error {
	eventID, err := pathID(r, "eventID")
	if err != nil {
		return err
	}
	if err := s.requireStaff(r); err != nil {
		return err
	}
	var req createTalkRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t := &koe.Talk{EventID: eventID, StartsAt: req.StartsAt, EndsAt: req.EndsAt, QAOpen: req.QAOpen == nil || *req.QAOpen}
	if t.Title, err = koe.CleanLine("title", req.Title, 1, koe.MaxTitleLen); err != nil {
		return err
	}
	if t.Speaker, err = koe.CleanLine("speaker", req.Speaker, 0, koe.MaxSpeakerLen); err != nil {
		return err
	}
	if t.Track, err = koe.CleanLine("track", req.Track, 0, koe.MaxTrackLen); err != nil {
		return err
	}
	if err := koe.ValidateSpan(t.StartsAt, t.EndsAt); err != nil {
		return err
	}
	if err := s.store.CreateTalk(r.Context(), t); err != nil {
		return err
	}
	s.publishTalk(r, "talk.created", t)
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) getTalk(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	if _, err := s.requireMember(r, ids[0]); err != nil {
		return err
	}
	t, err := s.store.Talk(r.Context(), ids[0], ids[1])
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
	if err := s.requireStaff(r); err != nil {
		return err
	}
	var req updateTalkRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	cur, err := s.store.Talk(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	u := koe.TalkUpdate{StartsAt: req.StartsAt.ptr(), EndsAt: req.EndsAt.ptr(), QAOpen: req.QAOpen}
	for _, f := range []struct {
		name string
		in   *string
		out  **string
		min  int
		max  int
	}{
		{"title", req.Title, &u.Title, 1, koe.MaxTitleLen},
		{"speaker", req.Speaker, &u.Speaker, 0, koe.MaxSpeakerLen},
		{"track", req.Track, &u.Track, 0, koe.MaxTrackLen},
	} {
		if f.in == nil {
			continue
		}
		v, err := koe.CleanLine(f.name, *f.in, f.min, f.max)
		if err != nil {
			return err
		}
		*f.out = &v
	}
	next := *cur
	u.Apply(&next)
	if err := koe.ValidateSpan(next.StartsAt, next.EndsAt); err != nil {
		return err
	}
	t, err := s.store.UpdateTalk(r.Context(), ids[0], ids[1], u)
	if err != nil {
		return err
	}
	s.publishTalk(r, "talk.updated", t)
	writeJSON(w, http.StatusOK, t)
	return nil
}

type highlightRequest struct {
	QuestionID *int64 `json:"question_id"`
}

func (s *Server) setHighlight(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	if err := s.requireStaff(r); err != nil {
		return err
	}
	var req highlightRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var qid int64
	if req.QuestionID != nil {
		if qid = *req.QuestionID; qid <= 0 {
			return koe.Errorf(koe.EINVALID, "question_id must be a positive integer or null")
		}
	}
	t, err := s.store.SetHighlight(r.Context(), ids[0], ids[1], qid)
	if err != nil {
		return err
	}
	s.publishTalk(r, "talk.updated", t)
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
