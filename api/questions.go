package api

import (
	"net/http"
	"strconv"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

type questionList struct {
	Questions  []*koe.Question `json:"questions"`
	NextCursor *string         `json:"next_cursor"`
	Stream     streamPosition  `json:"stream"`
}

func (s *Server) listQuestions(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	id, err := s.requireMember(r, ids[0])
	if err != nil {
		return err
	}
	qq, err := parseQuestionQuery(r.URL.Query().Get("sort"), r.URL.Query().Get("cursor"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	if qq.Sort == koe.SortHidden && !id.staff {
		return koe.Errorf(koe.EFORBIDDEN, "only staff can list hidden questions")
	}
	qq.EventID, qq.TalkID, qq.Viewer = ids[0], ids[1], id.participant
	if _, err := s.store.Talk(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	// The cursor is read before the snapshot: see docs/architecture.md.
	pos := streamPosition{Topic: realtime.TalkTopic(ids[1]), Cursor: s.hub.Cursor(talkStream(ids[0], ids[1], id.staff))}
	page, err := s.store.Questions(r.Context(), qq)
	if err != nil {
		return err
	}
	resp := questionList{Questions: nonNil(page.Questions), Stream: pos}
	if page.Next != nil {
		next := page.Next.String()
		resp.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// parseQuestionQuery reads the list parameters (sort, cursor, limit).
func parseQuestionQuery(sort, cursor, limit string) (koe.QuestionQuery, error) {
	var qq koe.QuestionQuery
	var err error
	if qq.Sort, err = koe.ParseQuestionSort(sort); err != nil {
		return qq, err
	}
	if cursor != "" {
		if qq.After, err = koe.ParseCursor(qq.Sort, cursor); err != nil {
			return qq, err
		}
	}
	qq.Limit = koe.DefaultPageSize
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > koe.MaxPageSize {
			return qq, koe.Errorf(koe.EINVALID, "limit must be between 1 and %d", koe.MaxPageSize)
		}
		qq.Limit = n
	}
	return qq, nil
}

type askRequest struct {
	Body      string `json:"body"`
	Anonymous bool   `json:"anonymous"`
}

func (s *Server) askQuestion(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID")
	if err != nil {
		return err
	}
	id, err := s.requireParticipant(r, ids[0])
	if err != nil {
		return err
	}
	if err := s.limitParticipant(r, "ask", id); err != nil {
		return err
	}
	var req askRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	body, err := koe.CleanText("body", req.Body, 1, koe.MaxQuestionLen)
	if err != nil {
		return err
	}
	q := &koe.Question{EventID: ids[0], TalkID: ids[1], ParticipantID: id.participant, Body: body}
	if !req.Anonymous {
		p, err := s.store.Participant(r.Context(), ids[0], id.participant)
		if err != nil {
			return err
		}
		q.AuthorName = p.DisplayName
	}
	if err := s.store.CreateQuestion(r.Context(), q); err != nil {
		return err
	}
	s.publishQuestion(r, "question.created", q)
	writeJSON(w, http.StatusCreated, q)
	return nil
}

func (s *Server) getQuestion(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	id, err := s.requireMember(r, ids[0])
	if err != nil {
		return err
	}
	q, err := s.store.Question(r.Context(), ids[0], ids[1], ids[2], id.participant)
	if err != nil {
		return err
	}
	if q.Hidden && !id.staff {
		return koe.Errorf(koe.ENOTFOUND, "question not found")
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

type updateQuestionRequest struct {
	Body     *string `json:"body"`
	Answered *bool   `json:"answered"`
	Hidden   *bool   `json:"hidden"`
}

func (s *Server) updateQuestion(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	if err := s.requireStaff(r); err != nil {
		return err
	}
	var req updateQuestionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u := koe.QuestionUpdate{Answered: req.Answered, Hidden: req.Hidden}
	if req.Body != nil {
		body, err := koe.CleanText("body", *req.Body, 1, koe.MaxQuestionLen)
		if err != nil {
			return err
		}
		u.Body = &body
	}
	ch, err := s.store.UpdateQuestion(r.Context(), ids[0], ids[1], ids[2], u)
	if err != nil {
		return err
	}
	s.publishQuestion(r, "question.updated", ch.Question)
	if ch.Talk != nil {
		s.publishTalk(r, "talk.updated", ch.Talk)
	}
	writeJSON(w, http.StatusOK, ch.Question)
	return nil
}

func (s *Server) like(w http.ResponseWriter, r *http.Request) error   { return s.setLike(w, r, true) }
func (s *Server) unlike(w http.ResponseWriter, r *http.Request) error { return s.setLike(w, r, false) }

func (s *Server) setLike(w http.ResponseWriter, r *http.Request, like bool) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	id, err := s.requireParticipant(r, ids[0])
	if err != nil {
		return err
	}
	if err := s.limitParticipant(r, "like", id); err != nil {
		return err
	}
	res, err := s.store.SetLike(r.Context(), ids[0], ids[1], ids[2], id.participant, like)
	if err != nil {
		return err
	}
	if res.Changed {
		s.publishLikes(r, ids[0], ids[1], res)
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
	id, err := s.requireMember(r, ids[0])
	if err != nil {
		return err
	}
	q, err := s.store.Question(r.Context(), ids[0], ids[1], ids[2], 0)
	if err != nil {
		return err
	}
	if q.Hidden && !id.staff {
		return koe.Errorf(koe.ENOTFOUND, "question not found")
	}
	replies, err := s.store.Replies(r.Context(), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, replyList{Replies: nonNil(replies)})
	return nil
}

type replyRequest struct {
	Body string `json:"body"`
	// AuthorName signs a staff reply (e.g. the speaker's name); participants
	// reply under their display name.
	AuthorName string `json:"author_name"`
	Anonymous  bool   `json:"anonymous"`
}

func (s *Server) createReply(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "talkID", "questionID")
	if err != nil {
		return err
	}
	id, err := s.requireMember(r, ids[0])
	if err != nil {
		return err
	}
	var req replyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	rep := &koe.Reply{EventID: ids[0], TalkID: ids[1], QuestionID: ids[2], Staff: id.staff}
	if rep.Body, err = koe.CleanText("body", req.Body, 1, koe.MaxReplyLen); err != nil {
		return err
	}
	if id.staff {
		if rep.AuthorName, err = koe.CleanLine("author_name", req.AuthorName, 0, koe.MaxDisplayNameLen); err != nil {
			return err
		}
	} else {
		if err := s.participantMayReply(r, id, req, rep); err != nil {
			return err
		}
	}
	q, err := s.store.CreateReply(r.Context(), rep)
	if err != nil {
		return err
	}
	s.publishReply(r, rep, q)
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

// participantMayReply checks the event allows participant replies and the
// rate limit, and signs the reply with the participant's name.
func (s *Server) participantMayReply(r *http.Request, id identity, req replyRequest, rep *koe.Reply) error {
	if req.AuthorName != "" {
		return koe.Errorf(koe.EINVALID, "author_name is for staff replies; participants reply under their display name")
	}
	e, err := s.store.Event(r.Context(), rep.EventID)
	if err != nil {
		return err
	}
	if !e.Settings.ParticipantReplies {
		return koe.Errorf(koe.EFORBIDDEN, "only staff can reply in this event")
	}
	if err := s.limitParticipant(r, "reply", id); err != nil {
		return err
	}
	q, err := s.store.Question(r.Context(), rep.EventID, rep.TalkID, rep.QuestionID, 0)
	if err != nil {
		return err
	}
	if q.Hidden {
		return koe.Errorf(koe.ENOTFOUND, "question not found")
	}
	rep.ParticipantID = id.participant
	if !req.Anonymous {
		p, err := s.store.Participant(r.Context(), rep.EventID, id.participant)
		if err != nil {
			return err
		}
		rep.AuthorName = p.DisplayName
	}
	return nil
}
